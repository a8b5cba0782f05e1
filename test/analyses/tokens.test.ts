import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { decode as r50kDecode, encode as r50kEncode } from 'gpt-tokenizer/encoding/r50k_base';
import { encode as cl100kEncode } from 'gpt-tokenizer/encoding/cl100k_base';
import { encode as o200kEncode } from 'gpt-tokenizer/encoding/o200k_base';
import { getTokenizer } from '../../src/analyses/lib/tokenizers.ts';
import { runAnalysis } from '../../src/analyses/run.ts';
import { LANGUAGE_SAMPLES, tokensAnalysis, unquoteWord, type TokensData } from '../../src/analyses/tokens.ts';
import { OptionError } from '../../src/analyses/types.ts';
import { decodePng } from '../../src/render/png.ts';

const NO_SPECIAL = { disallowedSpecial: new Set<string>() };

describe('tokenizers', () => {
  test('encode like gpt-tokenizer for GPT-2, GPT-4 and GPT-4o, and decode back', async () => {
    const text = 'I like the longer-form posts on Substack. 蓝色毛巾 — naïve café';
    const reference = { gpt2: r50kEncode, gpt4: cl100kEncode, gpt4o: o200kEncode } as const;
    for (const name of ['gpt2', 'gpt4', 'gpt4o'] as const) {
      const tok = await getTokenizer(name);
      const ids = tok.encode(text);
      assert.deepEqual(ids, reference[name](text), name);
      assert.equal(tok.decode(ids), text, name);
    }
    assert.equal((await getTokenizer('gpt2')).vocabSize, 50257);
  });

  test('"<|endoftext|>" in user text is text, never the special token, and never throws', async () => {
    const gpt2 = await getTokenizer('gpt2');
    const ids = gpt2.encode('The end.<|endoftext|>Next book');
    assert.ok(!ids.includes(50256));
    assert.deepEqual(ids, r50kEncode('The end.<|endoftext|>Next book', NO_SPECIAL));
    assert.equal(gpt2.decode(ids), 'The end.<|endoftext|>Next book');
    assert.equal(gpt2.tokenText(50256), '<|endoftext|>');
  });

  test('tokens that are part of a character show their bytes, and do not leak into the next decode', async () => {
    const gpt2 = await getTokenizer('gpt2');
    const ids = gpt2.encode('蓝');
    assert.equal(ids.length, 3); // GPT-2 spends three byte tokens on this character
    assert.deepEqual(ids.map((id) => gpt2.tokenText(id)), ['<e8>', '<93>', '<9d>']);
    assert.deepEqual([...gpt2.tokenBytes(ids[0])], [0xe8]);
    // A token with a space and the first byte of a character shows both.
    const spaced = gpt2.encode(' 蓝');
    assert.equal(gpt2.tokenText(spaced[0]), ' <e8>');
    assert.deepEqual([...gpt2.tokenBytes(spaced[0])], [0x20, 0xe8]);
    // A lone partial token decodes to U+FFFD, and the next decode is unaffected.
    assert.equal(gpt2.decode([ids[0]]), '\uFFFD');
    assert.equal(gpt2.decode(gpt2.encode(' banana')), ' banana');
    assert.equal(gpt2.tokenText(25996), ' banana');
    assert.equal(r50kDecode([25996]), ' banana');
  });
});

describe('/tokens', () => {
  test('word lists keep leading spaces given as ␣ or in quotes', () => {
    assert.equal(unquoteWord('" banana"'), ' banana');
    assert.equal(unquoteWord('␣Banana'), ' Banana');
    assert.equal(unquoteWord('banana'), 'banana');
  });

  test('numbers match gpt-tokenizer: token table, words, eight languages; figures render', async () => {
    const r = await runAnalysis(tokensAnalysis, {});
    assert.equal(r.model, null); // tokenizers only: no model runs
    const table = r.data['token-table'] as { text: string; characters: number; tokenizers: { name: string; ids: number[]; tokens: string[] }[] };
    assert.equal(table.text, 'I like the longer-form posts on Substack.');
    assert.equal(table.characters, 41);
    const gpt2 = table.tokenizers.find((t) => t.name === 'gpt2')!;
    assert.deepEqual(gpt2.ids, r50kEncode(table.text));
    assert.deepEqual(gpt2.tokens, gpt2.ids.map((id) => r50kDecode([id])));
    assert.deepEqual(table.tokenizers.find((t) => t.name === 'gpt4')!.ids, cl100kEncode(table.text));
    assert.deepEqual(table.tokenizers.find((t) => t.name === 'gpt4o')!.ids, o200kEncode(table.text));

    const words = r.data['spaces-case'] as { word: string; gpt2: { ids: number[] } }[];
    assert.deepEqual(words.map((w) => w.word), ['banana', ' banana', ' Banana', 'substack', ' substack', 'like', ' like']);
    for (const w of words) assert.deepEqual(w.gpt2.ids, r50kEncode(w.word));
    assert.deepEqual(words[1].gpt2.ids, [25996]); // " banana" is one token, "banana" two

    const langs = r.data.languages as { language: string; characters: number; gpt2Tokens: number; gpt4Tokens: number; gpt4oTokens: number }[];
    assert.equal(langs.length, 8);
    for (const [i, l] of langs.entries()) {
      const s = LANGUAGE_SAMPLES[i].sentence;
      assert.equal(l.characters, [...s].length);
      assert.equal(l.gpt2Tokens, r50kEncode(s).length);
      assert.equal(l.gpt4Tokens, cl100kEncode(s).length);
      assert.equal(l.gpt4oTokens, o200kEncode(s).length);
    }
    // The post's point: non-Latin scripts cost GPT-2 far more tokens per character than English.
    const tamil = langs.find((l) => l.language === 'Tamil')!;
    const english = langs.find((l) => l.language === 'English')!;
    assert.ok(tamil.gpt2Tokens / tamil.characters > 2 * (english.gpt2Tokens / english.characters));
    assert.ok(tamil.gpt4oTokens < tamil.gpt2Tokens);

    assert.deepEqual(r.figures.map((f) => f.name), ['token-table', 'chars-vs-tokens', 'spaces-case', 'languages']);
    for (const f of r.figures) {
      const img = await decodePng(f.png);
      assert.ok(img.width >= 2000, `${f.name} is ${img.width} px wide`);
      assert.ok(!img.isBlank(), `${f.name} is blank`);
      assert.ok(f.png.length < 8 * 1024 * 1024);
      assert.ok(f.alt.length > 20);
    }
    assert.match(r.explanation, /41 characters/);
  });

  test('user options: own text and words, one tokenizer; bad input names the option', async () => {
    const r = await runAnalysis(tokensAnalysis, { text: 'strawberry', words: '"strawberry",␣strawberry', tokenizers: 'gpt2' });
    const d = r.data['spaces-case'] as { word: string; gpt2: { ids: number[] } }[];
    assert.deepEqual(d.map((w) => w.word), ['strawberry', ' strawberry']);
    assert.deepEqual(d[1].gpt2.ids, r50kEncode(' strawberry'));
    const compute = (opts: Record<string, unknown>) => runAnalysis(tokensAnalysis, opts);
    await assert.rejects(compute({ text: '' }), (e: unknown) => e instanceof OptionError && e.option === 'text');
    await assert.rejects(compute({ text: 'x'.repeat(2001) }), (e: unknown) => e instanceof OptionError && /at most 2000/.test(e.message));
    await assert.rejects(compute({ tokenizers: 'gpt5' }), (e: unknown) => e instanceof OptionError && e.option === 'tokenizers');
  });

  test('compute is pure data (JSON-serialisable, no figures)', async () => {
    const opts = tokensAnalysis.options.parse({ tokenizers: ['gpt4o'] });
    const d: TokensData = await tokensAnalysis.compute(opts, { progress() {}, engine: () => Promise.reject(new Error('no model needed')) });
    assert.equal(d.tokenizers.length, 1);
    assert.doesNotThrow(() => JSON.stringify(tokensAnalysis.figureData(d, opts)));
  });
});
