import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { config, repoRoot } from '../../src/config.ts';
import {
  gutenbergBody,
  gutenbergTitle,
  gutenbergUrl,
  isPrivateAddress,
  loadGutenbergBook,
  loadTextFile,
  loadTextFromUrl,
  normalizeText,
  shortTitle,
  TextSourceError,
} from '../../src/analyses/gutenberg.ts';

const BOOK = [
  'The Project Gutenberg eBook of A Tiny Test Book',
  '',
  'Title: A Tiny Test Book; or, Counting Letters',
  '',
  '*** START OF THE PROJECT GUTENBERG EBOOK A TINY TEST BOOK ***',
  'Once upon a time <|endoftext|> there was a book.',
  '*** END OF THE PROJECT GUTENBERG EBOOK A TINY TEST BOOK ***',
  'Licence text.',
  '',
].join('\r\n');
// Served as Gutenberg serves it: UTF-8 with a BOM and CRLF line endings.
const SERVED = Buffer.from('\uFEFF' + BOOK, 'utf8');

let server: http.Server;
let base: string;
const hits: string[] = [];
let tmp: string;

before(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'lab-gutenberg-'));
  server = http.createServer((req, res) => {
    hits.push(req.url ?? '');
    if (req.url === '/epub/99999/pg99999.txt') {
      res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'content-length': SERVED.length });
      res.end(SERVED);
    } else if (req.url === '/big-declared.txt') {
      res.writeHead(200, { 'content-length': String(6 * 1024 * 1024) });
      res.end();
    } else if (req.url === '/big-streamed.txt') {
      // No Content-Length: the limit must hold while streaming.
      res.writeHead(200, { 'content-type': 'text/plain' });
      const chunk = Buffer.alloc(64 * 1024, 'a');
      let sent = 0;
      const pump = () => {
        while (sent < 200 && res.write(chunk)) sent++;
        if (sent < 200) res.once('drain', pump);
        else res.end();
      };
      pump();
    } else if (req.url === '/moved') {
      res.writeHead(302, { location: '/uploads/story.txt' });
      res.end();
    } else if (req.url === '/uploads/story.txt') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('a story\r\nin two lines\r\n');
    } else if (req.url === '/empty.txt') {
      res.writeHead(200);
      res.end('\uFEFF  \r\n');
    } else {
      res.writeHead(404);
      res.end('not found');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await fs.rm(tmp, { recursive: true, force: true });
});

const dirs = async (name: string) => {
  const corpusDir = path.join(tmp, name, 'corpus');
  const cacheDir = path.join(tmp, name, 'cache');
  await fs.mkdir(corpusDir, { recursive: true });
  return { corpusDir, cacheDir };
};

describe('text normalisation and Gutenberg metadata', () => {
  test('a leading BOM is stripped and CRLF becomes LF; LF text is unchanged', () => {
    assert.equal(normalizeText('\uFEFFa\r\nb\r\n'), 'a\nb\n');
    assert.equal(normalizeText('a\nb'), 'a\nb');
    assert.equal(normalizeText('x\uFEFF'), 'x\uFEFF'); // only a leading BOM is a BOM
  });

  test('the URL follows Gutenberg\'s cache/epub pattern and the base comes from config', () => {
    assert.equal(gutenbergUrl(829, 'https://www.gutenberg.org/cache/epub/'), 'https://www.gutenberg.org/cache/epub/829/pg829.txt');
    assert.equal(gutenbergUrl(11), `${config.GUTENBERG_URL.replace(/\/+$/, '')}/11/pg11.txt`);
  });

  test('title and body of a corpus book', async () => {
    const raw = normalizeText(await fs.readFile(path.join(config.CORPUS_DIR, 'pg84.txt'), 'utf8'));
    assert.equal(gutenbergTitle(raw), 'Frankenstein; or, the modern prometheus');
    const body = gutenbergBody(raw);
    assert.ok(body.length < raw.length - 15000, 'header and licence removed');
    assert.ok(!body.includes('END OF THE PROJECT GUTENBERG'));
    assert.ok(body.trimEnd().endsWith('lost in darkness and distance.'));
  });

  test('short titles for legends', () => {
    assert.equal(shortTitle('Frankenstein; or, the modern prometheus'), 'Frankenstein');
    assert.equal(shortTitle('The Works of Edgar Allan Poe — Volume 2'), 'The Works of Edgar Allan Poe');
    assert.equal(shortTitle("Gulliver's Travels into Several Remote Nations of the World"), "Gulliver's Travels into Several…");
  });
});

describe('books by Gutenberg ID', () => {
  test('the ten books of the post are read from the corpus directory', async () => {
    for (const id of [84, 64317, 11, 1513, 76, 219, 2591, 2148, 36, 829]) {
      const book = await loadGutenbergBook(id, { baseUrl: 'http://127.0.0.1:9' });
      assert.equal(book.source, 'corpus', String(id));
      assert.equal(book.id, id);
      assert.ok(!book.text.startsWith('\uFEFF') && !book.text.includes('\r\n'), String(id));
    }
  });

  test('the corpus is in the repository (data/gutenberg), and loading says what normalisation removed', async () => {
    assert.equal(path.relative(repoRoot, config.CORPUS_DIR), path.join('data', 'gutenberg'));
    // pg76 as Gutenberg serves it: a BOM and 12,350 CRLF line ends (counted with Python's str.count).
    assert.deepEqual((await loadGutenbergBook(76)).stripped, { bom: true, carriageReturns: 12350 });
    assert.deepEqual((await loadGutenbergBook(1513)).stripped, { bom: false, carriageReturns: 0 });
  });

  test('a book not in the corpus is downloaded once, normalised, and then read from the cache', async () => {
    const { corpusDir, cacheDir } = await dirs('download');
    const before = hits.length;
    const book = await loadGutenbergBook(99999, { corpusDir, cacheDir, baseUrl: `${base}/epub/` });
    assert.equal(book.source, 'download');
    assert.equal(book.title, 'A Tiny Test Book; or, Counting Letters');
    assert.equal(book.text, BOOK.replace(/\r\n/g, '\n'));
    assert.deepEqual(await fs.readFile(path.join(cacheDir, 'pg99999.txt')), SERVED); // cached as served
    const again = await loadGutenbergBook(99999, { corpusDir, cacheDir, baseUrl: `${base}/epub/` });
    assert.equal(again.source, 'cache');
    assert.equal(again.sha256, book.sha256);
    assert.equal(hits.length, before + 1);
  });

  test('an unknown book is a clear error', async () => {
    const { corpusDir, cacheDir } = await dirs('missing');
    await assert.rejects(
      loadGutenbergBook(12345, { corpusDir, cacheDir, baseUrl: `${base}/epub` }),
      (err: Error) => err instanceof TextSourceError && /no plain-text book 12345 .*404/.test(err.message),
    );
  });

  test('a book over the size limit is refused before it is read', async () => {
    const { corpusDir, cacheDir } = await dirs('large');
    await fs.writeFile(path.join(corpusDir, 'pg5.txt'), Buffer.alloc(2048, 'x'));
    await assert.rejects(
      loadGutenbergBook(5, { corpusDir, cacheDir, maxBytes: 1024 }),
      /book 5 is too large \(0\.0 MB\); the limit is 0\.0 MB/,
    );
  });
});

describe('text from a URL or a file', () => {
  test('a URL is fetched, redirects are followed, and the file name is the title', async () => {
    const t = await loadTextFromUrl(`${base}/moved`, { allowPrivateHosts: true });
    assert.equal(t.text, 'a story\nin two lines\n');
    assert.equal(t.title, 'story');
    assert.equal(t.source, 'url');
  });

  test('chat input may not reach loopback or private hosts', async () => {
    await assert.rejects(loadTextFromUrl(`${base}/uploads/story.txt`), /127\.0\.0\.1 is a private or local address/);
    for (const a of ['127.0.0.1', '10.1.2.3', '172.20.0.1', '192.168.1.1', '169.254.169.254', '::1', 'fd00::1', '::ffff:127.0.0.1', '0.0.0.0']) {
      assert.ok(isPrivateAddress(a), a);
    }
    for (const a of ['8.8.8.8', '151.101.1.1', '2606:4700::1111']) assert.ok(!isPrivateAddress(a), a);
  });

  test('only http(s) URLs', async () => {
    await assert.rejects(loadTextFromUrl('file:///etc/passwd'), /only http:\/\/ and https:\/\/ URLs/);
    await assert.rejects(loadTextFromUrl('not a url'), /is not a URL/);
  });

  test('oversized downloads are refused, by Content-Length and while streaming', async () => {
    await assert.rejects(loadTextFromUrl(`${base}/big-declared.txt`, { allowPrivateHosts: true }), /too large \(6\.0 MB\); the limit is 5\.0 MB/);
    await assert.rejects(loadTextFromUrl(`${base}/big-streamed.txt`, { allowPrivateHosts: true }), /too large; the limit is 5\.0 MB/);
  });

  test('empty text and HTTP errors are clear errors', async () => {
    await assert.rejects(loadTextFromUrl(`${base}/empty.txt`, { allowPrivateHosts: true }), /the text is empty/);
    await assert.rejects(loadTextFromUrl(`${base}/nope.txt`, { allowPrivateHosts: true }), /could not download .*HTTP 404/);
  });

  test('a local file: BOM and CRLF handled, missing file named', async () => {
    const file = path.join(tmp, 'mine.txt');
    await fs.writeFile(file, '\uFEFFone\r\ntwo\r\n');
    const t = await loadTextFile(file);
    assert.equal(t.text, 'one\ntwo\n');
    assert.equal(t.title, 'mine');
    await assert.rejects(loadTextFile(path.join(tmp, 'absent.txt')), /no such file: .*absent\.txt/);
  });
});
