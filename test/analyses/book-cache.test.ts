// BOOK_CACHE_DIR is bounded (issue 20: `/zipf books:` downloaded up to 13 books a request and
// kept them forever): least recently used books and counts go first, the bundled corpus never.
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'lab-book-cache-'));
const cacheDir = path.join(tmp, 'cache');
const corpusDir = path.join(tmp, 'corpus');
process.env.BOOK_CACHE_DIR = cacheDir;
process.env.CORPUS_DIR = corpusDir;
process.env.BOOK_CACHE_MAX_MB = '1';

const { pruneBookCache, touchCacheFile, bookCacheMaxBytes } = await import('../../src/analyses/lib/book-cache.ts');
const { loadGutenbergBook } = await import('../../src/analyses/gutenberg.ts');
const { cachedBookCounts, clearCountMemory } = await import('../../src/analyses/lib/book-counts.ts');

const KB = 1024;
/** A plain-text "book" of about `kb` KB. */
const bookOf = (id: number, kb: number) => Buffer.from(`Title: Book ${id}\n\n${'word '.repeat((kb * KB) / 5)}\n`);

let server: http.Server;
let base: string;
const served = new Map<string, Buffer>();

before(async () => {
  await fs.mkdir(corpusDir, { recursive: true });
  server = http.createServer((req, res) => {
    const body = served.get(req.url ?? '');
    res.writeHead(body ? 200 : 404);
    res.end(body ?? 'not found');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(async () => {
  await new Promise((resolve) => server.close(resolve));
  await fs.rm(tmp, { recursive: true, force: true });
});

async function writeAged(file: string, bytes: number, ageS: number): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  await fs.writeFile(file, Buffer.alloc(bytes, 'x'));
  const t = new Date(Date.now() - ageS * 1000);
  await fs.utimes(file, t, t);
}

const exists = (file: string) => fs.stat(file).then(() => true, () => false);

describe('book cache: LRU within a size bound', () => {
  test('the bound comes from BOOK_CACHE_MAX_MB', () => {
    assert.equal(bookCacheMaxBytes(), 1024 * 1024);
  });

  test('oldest books and counts are deleted first; a file just used or just written stays; other files are never touched', async () => {
    const dir = path.join(tmp, 'unit');
    await writeAged(path.join(dir, 'pg1.txt'), 10 * KB, 500);
    await writeAged(path.join(dir, 'pg2.txt'), 10 * KB, 400);
    await writeAged(path.join(dir, 'counts', 'aaa.cl100k_base.v1.json'), 10 * KB, 300);
    await writeAged(path.join(dir, 'pg3.txt'), 10 * KB, 200);
    await writeAged(path.join(dir, 'pg4.txt'), 10 * KB, 100);
    await writeAged(path.join(dir, 'README.md'), 50 * KB, 1000); // not a cache file
    await writeAged(path.join(dir, 'pg5.txt.123.tmp'), KB, 7200); // a crashed writer's leftover
    await writeAged(path.join(dir, 'pg6.txt.456.tmp'), KB, 10); // a write in progress
    await touchCacheFile(path.join(dir, 'pg1.txt')); // read just now: the most recently used

    const r = await pruneBookCache(dir, 30 * KB, { keep: path.join(dir, 'pg2.txt') });
    // 50 KB of cache files, bound 30 KB: the oldest unprotected ones go (counts, then pg3),
    // pg2 (just written) and pg1 (just read) stay, with pg4.
    assert.deepEqual(r.removed.map((f) => path.relative(dir, f)).sort(), [path.join('counts', 'aaa.cl100k_base.v1.json'), 'pg3.txt']);
    assert.equal(r.bytes, 30 * KB);
    for (const f of ['pg1.txt', 'pg2.txt', 'pg4.txt', 'README.md', 'pg6.txt.456.tmp']) assert.ok(await exists(path.join(dir, f)), f);
    assert.ok(!(await exists(path.join(dir, 'pg5.txt.123.tmp'))));

    // Under the bound nothing is removed.
    assert.deepEqual((await pruneBookCache(dir, 1024 * KB)).removed, []);
  });

  test('the corpus directory is never pruned, even when it is configured as the cache', async () => {
    await writeAged(path.join(corpusDir, 'pg7.txt'), 20 * KB, 1000);
    const r = await pruneBookCache(corpusDir, 1);
    assert.deepEqual(r.removed, []);
    assert.ok(await exists(path.join(corpusDir, 'pg7.txt')));
  });

  test('downloads beyond BOOK_CACHE_MAX_MB evict the least recently used download, not a bundled book', async () => {
    // Four downloads of ~400 KB against a 1 MB bound; book 101 is read again before 104 arrives.
    for (const id of [101, 102, 103, 104]) served.set(`/${id}/pg${id}.txt`, bookOf(id, 400));
    const load = (id: number) => loadGutenbergBook(id, { baseUrl: base });
    assert.equal((await load(101)).source, 'download');
    await new Promise((r) => setTimeout(r, 20));
    assert.equal((await load(102)).source, 'download');
    await new Promise((r) => setTimeout(r, 20));
    assert.equal((await load(101)).source, 'cache'); // used again: now newer than 102
    await new Promise((r) => setTimeout(r, 20));
    assert.equal((await load(103)).source, 'download'); // 1.2 MB: the least recently used (102) goes
    assert.deepEqual((await fs.readdir(cacheDir)).filter((f) => f.endsWith('.txt')).sort(), ['pg101.txt', 'pg103.txt']);
    await new Promise((r) => setTimeout(r, 20));
    assert.equal((await load(104)).source, 'download');
    assert.deepEqual((await fs.readdir(cacheDir)).filter((f) => f.endsWith('.txt')).sort(), ['pg103.txt', 'pg104.txt']);
    assert.ok(await exists(path.join(corpusDir, 'pg7.txt')));
    assert.equal((await load(7)).source, 'corpus');
  });

  test('stored counts are bounded with the books', async () => {
    // 40 texts of 3,000 distinct CJK characters: ~44 KB of counts each, 1.7 MB in all against a 1 MB bound.
    for (let i = 0; i < 40; i++) {
      clearCountMemory();
      const text = Array.from({ length: 3000 }, (_, k) => String.fromCodePoint(0x4e00 + ((k * 7 + i * 13) % 20000), 0x4e00 + ((3 * k + i) % 20000))).join(' ');
      await cachedBookCounts({ text, sha256: `t${i}` }, cacheDir);
    }
    const dir = path.join(cacheDir, 'counts');
    const sizes = await Promise.all((await fs.readdir(dir)).map(async (f) => (await fs.stat(path.join(dir, f))).size));
    const books = await Promise.all((await fs.readdir(cacheDir)).filter((f) => f.endsWith('.txt')).map(async (f) => (await fs.stat(path.join(cacheDir, f))).size));
    const total = [...sizes, ...books].reduce((a, b) => a + b, 0);
    assert.ok(total <= 1024 * 1024, `${total} bytes`);
    assert.ok(sizes.length < 40 && sizes.length > 0, `${sizes.length} counts files kept`);
    assert.ok(await exists(path.join(dir, 't39.cl100k_base.v1.json'))); // the newest stays
  });
});
