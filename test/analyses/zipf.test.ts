import assert from 'node:assert/strict';
import { plainText } from '../../src/analyses/lib/literal.ts';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';

// Counts are cached on disk: give this run its own cache, and a Gutenberg that cannot be reached
// (every book the tests use is in the corpus directory).
const cacheDir = await fs.mkdtemp(path.join(os.tmpdir(), 'lab-zipf-'));
process.env.BOOK_CACHE_DIR = cacheDir;
process.env.GUTENBERG_URL = `http://127.0.0.1:${await closedPort()}/unreachable`;

/** A local port that nothing listens on (fetch refuses "bad ports" such as 9 outright). */
async function closedPort(): Promise<number> {
  const net = await import('node:net');
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as import('node:net').AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const { encode } = await import('gpt-tokenizer/encoding/cl100k_base');
const { cachedBookCounts, clearCountMemory, countBook, gpt4Tokens } = await import('../../src/analyses/lib/book-counts.ts');
const { countCharacters, fitZipf, logSpacedRanks, thinCurve } = await import('../../src/analyses/lib/rank-frequency.ts');
const { createRng } = await import('../../src/analyses/lib/random.ts');
const { parseOptions } = await import('../../src/analyses/options.ts');
const { runAnalysis } = await import('../../src/analyses/run.ts');
const { UnreachableSourceError } = await import('../../src/analyses/gutenberg.ts');
const { OptionError } = await import('../../src/analyses/types.ts');
const { computeZipf, Options, POST_BOOKS, zipfAnalysis } = await import('../../src/analyses/zipf.ts');
const { decodePng } = await import('../../src/render/png.ts');
const { config } = await import('../../src/config.ts');

after(() => fs.rm(cacheDir, { recursive: true, force: true }));

const ctx = (localFiles = true) => ({ progress: () => {}, engine: () => Promise.reject(new Error('no model')), localFiles });

/** Counts the slow, obvious way: for each distinct item, how many equal it. */
function directCounts<T>(items: T[]): Map<T, number> {
  return new Map([...new Set(items)].map((u) => [u, items.filter((v) => v === u).length]));
}

const SMALL = 'The cat sat on the mat. The mat was flat!\nÉmile — naïve 😀 café <|endoftext|> the end.\n';

describe('counting', () => {
  test('character counts equal direct counts (code points, as Python counts them)', () => {
    const counts = countCharacters(SMALL);
    assert.deepEqual(counts, directCounts([...SMALL]));
    assert.equal(counts.get('😀'), 1); // one character, not two UTF-16 halves
    assert.equal([...counts.values()].reduce((a, b) => a + b), [...SMALL].length);
  });

  test('GPT-4 token counts equal direct counts of the cl100k_base encoding', () => {
    const book = countBook(SMALL);
    const tokens = encode(SMALL, { disallowedSpecial: new Set() });
    assert.equal(book.numTokens, tokens.length);
    assert.deepEqual(new Map(book.tokens), directCounts(tokens));
    assert.deepEqual(book.tokens.map(([, n]) => n), [...book.tokens.map(([, n]) => n)].sort((a, b) => b - a));
  });

  test('the tokenizer is cl100k_base (GPT-4), not o200k_base', () => {
    assert.deepEqual(gpt4Tokens('hello world'), [15339, 1917]);
    assert.deepEqual(gpt4Tokens('pomegranate'), [79, 638, 68163, 349]); // the notebook's example: p|ome|gran|ate
  });

  test('"<|endoftext|>" in a book is counted as text, not a control token, and does not throw', () => {
    const ids = gpt4Tokens('The end.<|endoftext|>Next');
    assert.ok(!ids.includes(100257)); // cl100k's <|endoftext|> id
    assert.ok(ids.length > 4);
  });

  test('CRLF and LF copies of a book count the same once normalised', async () => {
    const { normalizeText } = await import('../../src/analyses/gutenberg.ts');
    const lf = countBook(normalizeText('\uFEFFa line\nanother line\n'));
    const crlf = countBook(normalizeText('a line\r\nanother line\r\n'));
    assert.deepEqual(crlf, lf);
  });
});

describe('Zipf fit', () => {
  /** A sample of m draws from ranks 1…v with P(rank) ∝ rank^−s. */
  function zipfSample(s: number, v: number, m: number, seed: number): number[] {
    const cdf = new Float64Array(v);
    let acc = 0;
    for (let r = 1; r <= v; r++) cdf[r - 1] = acc += r ** -s;
    const rng = createRng(seed);
    const draws: number[] = [];
    for (let i = 0; i < m; i++) {
      const u = rng.uniform() * acc;
      let lo = 0;
      let hi = v - 1;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (cdf[mid] < u) lo = mid + 1;
        else hi = mid;
      }
      draws.push(lo);
    }
    return draws;
  }

  test('the fitted exponent of a synthetic Zipf sample is recovered', () => {
    for (const s of [0.8, 1.0, 1.2]) {
      const counts = [...directCountsFast(zipfSample(s, 3000, 200_000, 7)).values()].sort((a, b) => b - a);
      const fit = fitZipf(counts)!;
      assert.ok(Math.abs(fit.exponent - s) < 0.05, `s = ${s}: fitted ${fit.exponent}`);
      assert.ok(fit.r2 > 0.98);
    }
  });

  test('an exact power law is fitted exactly; too few ranks give no fit', () => {
    const exact = Array.from({ length: 500 }, (_, i) => 1e6 * (i + 1) ** -1.3);
    const fit = fitZipf(exact, { minCount: 0 })!;
    assert.ok(Math.abs(fit.exponent - 1.3) < 1e-9);
    assert.ok(Math.abs(fit.intercept - 6) < 1e-9);
    assert.equal(fitZipf([9, 8]), null);
  });

  test('log-spaced ranks and thinned curves keep the ends and stay sorted', () => {
    const ranks = logSpacedRanks(10_000, 50);
    assert.equal(ranks[0], 1);
    assert.equal(ranks[ranks.length - 1], 10_000);
    assert.ok(ranks.every((r, i) => i === 0 || r > ranks[i - 1]));
    const counts = Array.from({ length: 5000 }, (_, i) => 5000 - i);
    const thin = thinCurve(counts, 100, 200);
    assert.deepEqual(thin.rank.slice(0, 100), Array.from({ length: 100 }, (_, i) => i + 1));
    assert.equal(thin.rank[thin.rank.length - 1], 5000);
    assert.ok(thin.rank.length <= 301);
    thin.rank.forEach((r, i) => assert.equal(thin.count[i], counts[r - 1]));
  });
});

function directCountsFast(items: number[]): Map<number, number> {
  const m = new Map<number, number>();
  for (const v of items) m.set(v, (m.get(v) ?? 0) + 1);
  return m;
}

describe('/zipf on a small uploaded text', () => {
  test('counts, fits and top items come from the text; local files only on the command line', async () => {
    const file = path.join(cacheDir, 'upload.txt');
    await fs.writeFile(file, '\uFEFF' + SMALL.replace(/\n/g, '\r\n'));
    const opts = parseOptions(Options, { file, overlay: 'false' });
    const d = await computeZipf(opts, ctx());
    const text = SMALL; // BOM stripped, CRLF → LF
    assert.equal(d.book.numChars, [...text].length);
    assert.equal(d.book.uniqueChars, new Set(text).size);
    assert.equal(d.book.numTokens, encode(text, { disallowedSpecial: new Set() }).length);
    assert.equal(d.book.topChars[0].char, ' ');
    assert.equal(d.book.topChars[0].count, text.split(' ').length - 1);
    assert.equal(d.book.title, 'upload');
    assert.deepEqual(d.books, []);

    await assert.rejects(computeZipf(opts, ctx(false)), (e: Error) => e instanceof OptionError && e.option === 'file' && /command line/.test(e.message));
    await assert.rejects(
      computeZipf(parseOptions(Options, { file, text_url: 'https://example.org/a.txt' }), ctx()),
      (e: Error) => e instanceof OptionError && /either file or text_url/.test(e.message),
    );
  });

  test('an uploaded text joins the overlay of books, last, to compare with them', async () => {
    const file = path.join(cacheDir, 'mine.txt');
    await fs.writeFile(file, SMALL.repeat(50));
    const d = await computeZipf(parseOptions(Options, { file, books: '11,1513' }), ctx());
    assert.deepEqual(d.books.map((b) => b.id), [11, 1513, null]);
    assert.equal(d.books[2].label, 'mine');
    assert.equal(d.books[2].numChars, d.book.numChars);
  });

  test('empty, oversized or missing text names the option', async () => {
    const empty = path.join(cacheDir, 'empty.txt');
    await fs.writeFile(empty, '\uFEFF\r\n');
    const big = path.join(cacheDir, 'big.txt');
    await fs.writeFile(big, Buffer.alloc(5 * 1024 * 1024 + 1, 'a'));
    const error = async (raw: Record<string, unknown>) => {
      try {
        await computeZipf(parseOptions(Options, raw), ctx());
      } catch (e) {
        assert.ok(e instanceof OptionError, String(e));
        return e.message;
      }
      assert.fail('expected an OptionError');
    };
    assert.equal(await error({ file: empty }), 'file: the text is empty');
    assert.match(await error({ file: big }), /^file: .*big\.txt is too large \(5\.0 MB\); the limit is 5\.0 MB$/);
    assert.match(await error({ file: path.join(cacheDir, 'nope.txt') }), /^file: no such file/);
    assert.match(await error({ text_url: 'ftp://example.org/book.txt' }), /^text_url: only http:\/\/ and https:\/\//);
    // Not in the corpus, and Gutenberg unreachable here: a network failure, not a bad option.
    await assert.rejects(computeZipf(parseOptions(Options, { book: '123456', overlay: 'false' }), ctx()), (e: Error) =>
      e instanceof UnreachableSourceError && !(e instanceof OptionError) &&
      /^could not download book 123456 from http:\/\/127\.0\.0\.1:\d+\/unreachable\/123456\/pg123456\.txt \(ECONNREFUSED\)$/.test(e.message));
    // A host that does not resolve says so, and is not retried (UnreachableSourceError).
    await assert.rejects(computeZipf(parseOptions(Options, { text_url: 'https://no-such-host.invalid/book.txt', overlay: 'false' }), ctx()), (e: Error) =>
      e instanceof UnreachableSourceError && /the host no-such-host\.invalid does not resolve/.test(e.message));
    assert.throws(() => parseOptions(Options, { book: '0' }), /book: must be at least 1/);
    assert.throws(() => parseOptions(Options, { books: '1,2,3,4,5,6,7,8,9,10,11,12,13' }), /books: at most 12 items/);
    assert.throws(() => parseOptions(Options, { tokenizer: 'o200k' }), /tokenizer: unknown option/);
  });
});

describe('/zipf on the post\'s ten books', () => {
  test('defaults are the notebook\'s book and ten books; counts match the corpus; exponents are Zipf-like; repeat runs are cached', async () => {
    const opts = parseOptions(Options, {});
    assert.equal(opts.book, 829);
    assert.deepEqual(opts.books, [84, 64317, 11, 1513, 76, 219, 2591, 2148, 36, 829]);
    clearCountMemory();
    const t0 = performance.now();
    const d = await computeZipf(opts, ctx());
    const cold = performance.now() - t0;
    assert.equal(d.books.length, 10);
    assert.deepEqual(d.books.map((b) => b.id), POST_BOOKS.map((b) => b.id));
    // The corpus README counts code points including the BOM (and CRs, for CRLF files).
    const gulliver = d.books.find((b) => b.id === 829)!;
    assert.equal(gulliver.numChars, 601859 - 1);
    assert.equal(d.book.numChars, gulliver.numChars);
    for (const b of d.books) {
      assert.ok(b.tokenFit && b.tokenFit.exponent > 0.8 && b.tokenFit.exponent < 1.2, `${b.label}: ${b.tokenFit?.exponent}`);
      assert.ok(b.numTokens > b.numChars / 6 && b.numTokens < b.numChars / 2, b.label);
    }
    // Counts of a CRLF book (Heart of Darkness) equal counts of its text with LF endings.
    const raw = await fs.readFile(path.join(config.CORPUS_DIR, 'pg219.txt'), 'utf8');
    const lf = raw.replace(/^\uFEFF/, '').replace(/\r\n/g, '\n');
    assert.equal(d.books.find((b) => b.id === 219)!.numChars, [...lf].length);

    // Second run: counts from memory; after clearing memory: from the disk cache.
    const t1 = performance.now();
    const again = await computeZipf(opts, ctx());
    const warm = performance.now() - t1;
    assert.deepEqual(again, d);
    clearCountMemory();
    const t2 = performance.now();
    assert.deepEqual(await computeZipf(opts, ctx()), d);
    const disk = performance.now() - t2;
    assert.ok(warm < cold && disk < cold, `cold ${cold.toFixed(0)} ms, memory ${warm.toFixed(0)} ms, disk ${disk.toFixed(0)} ms`);
    const cached = await fs.readdir(path.join(cacheDir, 'counts'));
    assert.ok(cached.length >= 10, cached.join(', ')); // the ten books (and the uploads of other tests)
    const fromDisk = await cachedBookCounts({ text: lf, sha256: 'not-cached' }, undefined);
    assert.equal(fromDisk.numChars, [...lf].length);
  });

  test('body_only leaves out the Gutenberg header and licence', async () => {
    const full = await computeZipf(parseOptions(Options, { book: 11, overlay: 'false' }), ctx());
    const body = await computeZipf(parseOptions(Options, { book: 11, overlay: 'false', body_only: 'true' }), ctx());
    assert.ok(body.book.numChars < full.book.numChars - 15000);
  });

  test('lab run draws every figure of the post and explains with this run\'s numbers', async () => {
    const r = await runAnalysis(zipfAnalysis, { book: '11', books: '11,1513,219' }, { localFiles: true });
    assert.equal(r.model, null);
    assert.deepEqual(r.figures.map((f) => f.name), ['characters', 'tokens', 'overlay', 'book-stats']);
    for (const f of r.figures) {
      assert.ok(f.png.length < 8 * 1024 * 1024, f.name);
      const img = await decodePng(f.png);
      assert.equal(img.width, 2400, f.name);
      assert.ok(!img.isBlank(), f.name);
    }
    assert.deepEqual(Object.keys(r.data), ['characters', 'tokens', 'overlay', 'book-stats']);
    const stats = r.data['book-stats'] as { gutenberg_id: number; tokens: number; token_zipf_fit: { exponent: number } }[];
    assert.deepEqual(stats.map((s) => s.gutenberg_id), [11, 1513, 219]);
    const text = plainText(r.explanation);
    assert.match(text, /Alice in Wonderland has 163,946 characters/);
    assert.match(text, new RegExp(`exponent s = ${stats[0].token_zipf_fit.exponent.toFixed(2)}`));
    assert.match(text, /Try `\/zipf book:1342`/);
    // The rank-10 claim comes from the counts, not from the fit: 1,952 commas vs 469 " she" in
    // Alice (counts of the bundled pg11.txt, BOM removed), and the fit's own prediction beside it.
    assert.match(text, /The most common token, ",", appears 1,952 times and the one at rank 10, " she", 469 times: 4\.2× fewer, where the fitted line predicts 10\^s = \d+\.\d×/);
    // pg11.txt starts with a BOM and has LF line ends: the text says what was stripped, and only that.
    assert.match(text, /Before counting, the byte-order mark at its start was removed/);
    assert.doesNotMatch(text, /carriage return/);
    assert.ok(JSON.stringify(r.data).length < 200_000);
  });
});
