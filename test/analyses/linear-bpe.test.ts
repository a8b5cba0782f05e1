// The linear-time cl100k encoder that /zipf counts with (issue 20: 200,000 identical characters
// took 24.8 s with gpt-tokenizer's quadratic merge, 1 MiB ran past 90 s). Its ids must be
// gpt-tokenizer's, token for token, on the post's books and on adversarial text; and a long run
// of one character, or a megabyte of mixed pathological text, must take well under a few seconds.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { encode } from 'gpt-tokenizer/encoding/cl100k_base';
import { CL100K_TOKEN_SPLIT_REGEX } from 'gpt-tokenizer/encodingParams/constants';
import { cl100kEncoder } from '../../src/analyses/lib/linear-bpe.ts';
import { countBook, gpt4Tokens } from '../../src/analyses/lib/book-counts.ts';
import { createRng } from '../../src/analyses/lib/random.ts';
import { config } from '../../src/config.ts';

const NO_SPECIAL = { disallowedSpecial: new Set<string>() };
/** gpt-tokenizer's ids: the reference (its merge is quadratic, so only on pieces of a few thousand bytes). */
const reference = (text: string) => encode(text, NO_SPECIAL);

/** CPU milliseconds `f` takes (the test machine is shared: wall time would measure the neighbours). */
function cpuMs(f: () => void): number {
  const start = process.cpuUsage();
  f();
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000;
}

function sameIds(actual: number[], expected: number[], what: string): void {
  if (actual.length === expected.length && actual.every((v, i) => v === expected[i])) return;
  let i = 0;
  while (actual[i] === expected[i]) i++;
  assert.fail(`${what}: ids differ at ${i} (lengths ${actual.length} vs ${expected.length}): ${actual.slice(i, i + 5)} vs ${expected.slice(i, i + 5)}`);
}

/** Characters that exercise every branch of the pre-tokenizer and of the byte merge. */
const ALPHABET = [
  'a', 'e', 'Z', 'the', ' ', '  ', '\n', '\r\n', '\t', ' \n', '\u00a0', '\u3000', '-', '.', '!!', '_', "'s", "'LL", "'", '1', '23', '4567',
  'é', 'e\u0301', '\u0301', 'ß', 'ı', 'Ω', 'ж', '中', '文', 'の', '한', 'ع', '😀', '👍🏽', '\u200b', '\uFEFF', '\ud800', '\udfff', '<|endoftext|>', '\u0000', '\u{10ffff}',
];

/** Random text from ALPHABET, with runs of one symbol (long pieces) mixed in. */
function adversarial(rng: ReturnType<typeof createRng>, length: number): string {
  let out = '';
  while (out.length < length) {
    const sym = ALPHABET[Math.floor(rng.uniform() * ALPHABET.length)];
    out += rng.uniform() < 0.1 ? sym.repeat(1 + Math.floor(rng.uniform() * 300)) : sym;
  }
  return out;
}

describe('linear cl100k encoder: the same ids as gpt-tokenizer', () => {
  test('on every bundled book, raw (BOM and CRLF kept), token for token', () => {
    const files = fs.readdirSync(config.CORPUS_DIR).filter((f) => f.endsWith('.txt'));
    assert.ok(files.length >= 10, files.join(', '));
    for (const f of files) {
      const text = fs.readFileSync(path.join(config.CORPUS_DIR, f), 'utf8');
      sameIds(cl100kEncoder().encode(text), reference(text), f);
    }
  });

  test('on random adversarial text (runs, marks, emoji, BOMs, lone surrogates, special-token strings)', () => {
    const rng = createRng(20);
    for (let k = 0; k < 300; k++) {
      const text = adversarial(rng, 1 + Math.floor(rng.uniform() * 1500));
      sameIds(gpt4Tokens(text), reference(text), `sample ${k}: ${JSON.stringify(text.slice(0, 60))}`);
    }
  });

  test('on runs of one symbol up to 4,000 characters (where the heap merge differs most from a scan)', () => {
    for (const sym of ['a', ' ', '\n', '-', '中', '😀', '\u0301', '\uFEFF', 'ab', ' a', 'e\u0301', '\t\n']) {
      for (const n of [1, 2, 3, 7, 64, 257, 4000]) {
        const text = sym.repeat(n);
        sameIds(gpt4Tokens(text), reference(text), `${JSON.stringify(sym)} × ${n}`);
      }
    }
    // Known values: "aaaaaaaa" is one cl100k token, so 200,000 "a"s are 25,000 of it.
    const eight = reference('a'.repeat(8));
    assert.equal(eight.length, 1);
    const ids = gpt4Tokens('a'.repeat(200_000));
    assert.equal(ids.length, 25_000);
    assert.ok(ids.every((id) => id === eight[0]));
  });

  test('a byte-order mark inside text is tokenized as gpt-tokenizer does', () => {
    // gpt-tokenizer 4.0 never produces cl100k's BOM-prefixed tokens (3305 = "\uFEFF"); counts
    // keep its behaviour so that they do not change (tiktoken itself would give [3305]).
    sameIds(gpt4Tokens('\uFEFF'), reference('\uFEFF'), 'BOM');
    sameIds(gpt4Tokens('x\uFEFFusing namespace\uFEFF//\uFEFF\n\n'), reference('x\uFEFFusing namespace\uFEFF//\uFEFF\n\n'), 'BOM words');
  });
});

describe('linear cl100k encoder: bounded work on any input', () => {
  test('200,000 identical characters are counted in under 3 s of CPU (gpt-tokenizer: 24.8 s)', () => {
    for (const ch of ['a', ' ', '-', '\n', '中']) {
      const text = ch.repeat(200_000);
      const ms = cpuMs(() => countBook(text));
      assert.ok(ms < 3000, `${JSON.stringify(ch)} × 200,000: ${ms.toFixed(0)} ms`);
    }
  });

  test('1 MiB of mixed pathological text takes at most a few seconds (gpt-tokenizer: > 90 s)', () => {
    const rng = createRng(1);
    const parts: string[] = [];
    let bytes = 0;
    const runs = ['a', ' ', '\n', '-', '中', '😀', '\u0301', '\uFEFF', '\t', 'é', '\u200b', ' \n'];
    while (bytes < 1 << 20) {
      const part = rng.uniform() < 0.5
        ? runs[Math.floor(rng.uniform() * runs.length)].repeat(1000 + Math.floor(rng.uniform() * 60_000))
        : adversarial(rng, 5000);
      parts.push(part);
      bytes += Buffer.byteLength(part);
    }
    const text = parts.join('');
    let counts: ReturnType<typeof countBook> | undefined;
    const ms = cpuMs(() => (counts = countBook(text)));
    assert.ok(ms < 6000, `${(bytes / 2 ** 20).toFixed(2)} MiB: ${ms.toFixed(0)} ms`);
    assert.equal(counts!.numChars, [...text].length);
  });

  test('the pre-tokenizer takes a 5 MB run of any one kind of character (the text_url limit) without overflowing', () => {
    const limit = 5 * 1024 * 1024;
    for (const ch of ['a', ' ', '\n', '-', '中', '😀', '\u0301', '\u00a0', '\ufffd']) {
      const text = ch.repeat(Math.floor(limit / Buffer.byteLength(ch)));
      const re = new RegExp(CL100K_TOKEN_SPLIT_REGEX.source, 'gu');
      let pieces = 0;
      for (const _ of text.matchAll(re)) pieces++;
      assert.ok(pieces >= 1 && pieces <= 2, `${JSON.stringify(ch)}: ${pieces} pieces`);
    }
  });
});
