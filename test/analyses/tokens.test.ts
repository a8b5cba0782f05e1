import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { decode as r50kDecode, encode as r50kEncode } from 'gpt-tokenizer/encoding/r50k_base';
import { encode as cl100kEncode } from 'gpt-tokenizer/encoding/cl100k_base';
import { encode as o200kEncode } from 'gpt-tokenizer/encoding/o200k_base';
import { getTokenizer } from '../../src/analyses/lib/tokenizers.ts';
import { runAnalysis } from '../../src/analyses/run.ts';
import { LANGUAGE_SAMPLES, randomTokenIds, tokensAnalysis, unquoteWord, type TokensData } from '../../src/analyses/tokens.ts';
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
    // The notebook's languages and sentences: Python's len() of each of its eight sentences.
    assert.deepEqual(langs.map((l) => l.language), ['English', 'Spanish', 'Arabic', 'Persian', 'Lithuanian', 'Chinese', 'Tamil', 'Esperanto']);
    assert.deepEqual(langs.map((l) => l.characters), [123, 132, 115, 123, 113, 39, 154, 146]);
    assert.ok(LANGUAGE_SAMPLES[0].sentence.startsWith('Blue towels are great because they remind you of the sea'));
    assert.ok(LANGUAGE_SAMPLES[3].sentence.includes('\u200c')); // Persian keeps its zero-width non-joiners
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

    assert.deepEqual(r.figures.map((f) => f.name), ['vocabulary', 'letter-pairs', 'token-table', 'chars-vs-tokens', 'spaces-case', 'languages']);
    for (const f of r.figures) {
      const img = await decodePng(f.png);
      assert.ok(img.width >= 2000, `${f.name} is ${img.width} px wide`);
      assert.ok(!img.isBlank(), `${f.name} is blank`);
      assert.ok(f.png.length < 8 * 1024 * 1024);
      assert.ok(f.alt.length > 20);
    }
    assert.match(r.explanation, /41 characters/);
  });

  test('vocabulary size and ten seeded random tokens, as the notebook prints them', async () => {
    const r = await runAnalysis(tokensAnalysis, { seed: 42 });
    assert.equal(r.seed, 42);
    const v = r.data.vocabulary as { seed: number; tokenizers: { name: string; vocabSize: number; randomIds: number[]; randomTokens: string[] }[] };
    assert.deepEqual(v.tokenizers.map((t) => t.vocabSize), [50257, 100264, 200006]); // gpt-tokenizer's vocabularySize; GPT-2's is the notebook's tokenizer.vocab_size
    for (const t of v.tokenizers) {
      assert.equal(t.randomIds.length, 10);
      assert.ok(t.randomIds.every((id) => Number.isInteger(id) && id >= 0 && id < t.vocabSize));
    }
    const gpt2 = v.tokenizers[0];
    gpt2.randomIds.forEach((id, k) => {
      const text = r50kDecode([id]); // whole-character tokens read as gpt-tokenizer decodes them
      if (!text.includes('\uFFFD')) assert.equal(gpt2.randomTokens[k], text, `token ${id}`);
    });
    // Seeded: the same seed draws the same ids, another seed others; each id is uniform over the vocabulary.
    const again = await runAnalysis(tokensAnalysis, { seed: 42 });
    assert.deepEqual((again.data.vocabulary as typeof v).tokenizers[0].randomIds, gpt2.randomIds);
    const other = await runAnalysis(tokensAnalysis, { seed: 43, tokenizers: 'gpt2' });
    assert.notDeepEqual((other.data.vocabulary as typeof v).tokenizers[0].randomIds, gpt2.randomIds);
    const tok = await getTokenizer('gpt2');
    const many = randomTokenIds(tok, 7, 20000);
    const mean = many.reduce((s, x) => s + x, 0) / many.length;
    assert.ok(Math.abs(mean - 50256 / 2) < 3 * 14508 / Math.sqrt(20000), `mean id ${mean}`); // sd of U{0…50256} ≈ 14508
    // cl100k_base leaves ids 100256 and 100261–100263 unassigned: never drawn.
    const gpt4 = await getTokenizer('gpt4');
    assert.ok(!randomTokenIds(gpt4, 1, 5000).some((id) => [100256, 100261, 100262, 100263].includes(id)));
    assert.match(r.figures[0].alt, /Vocabulary sizes \(GPT-2 50,257, GPT-4 100,264, GPT-4o 200,006\)/);
  });

  test("'th' vs 'tq' and ' strawberry' vs 'r'", async () => {
    const r = await runAnalysis(tokensAnalysis, {});
    const rows = r.data['letter-pairs'] as { text: string; gpt2: { ids: number[] }; gpt4: { ids: number[] }; gpt4o: { ids: number[] } }[];
    assert.deepEqual(rows.map((x) => x.text), ['th', 'tq', ' strawberry', 'r']);
    // GPT-2's ids (HF GPT2Tokenizer: encode('th') == [400], encode('tq') == [83, 80], encode(' strawberry') == [41236], encode('r') == [81]).
    assert.deepEqual(rows.map((x) => x.gpt2.ids), [[400], [83, 80], [41236], [81]]);
    for (const x of rows) {
      assert.deepEqual(x.gpt4.ids, cl100kEncode(x.text));
      assert.deepEqual(x.gpt4o.ids, o200kEncode(x.text));
    }
    assert.match(r.explanation, /"th" is 1 token but "tq" 2 tokens, and " strawberry" is 1 token \(41236\), not "r" \(81\)/);
    assert.match(r.figures[1].alt, /GPT-2: "th" 1, "tq" 2, " strawberry" 1 \(41236\), "r" 81/);
  });

  test('the Try hint is valid and never what just ran', async () => {
    const tryOf = (e: string) => /Try `\/tokens ([^`]+)`/.exec(e)?.[1];
    const dflt = await runAnalysis(tokensAnalysis, { seed: 5 });
    assert.equal(tryOf(dflt.explanation), 'text:"Tokenization is surprisingly unintuitive"');
    const own = await runAnalysis(tokensAnalysis, { seed: 5, text: 'Tokenization is surprisingly unintuitive', tokenizers: 'gpt2' });
    assert.equal(tryOf(own.explanation), 'seed:6');
    const top = await runAnalysis(tokensAnalysis, { seed: 2147483647, text: 'Hello', tokenizers: 'gpt2' });
    assert.equal(tryOf(top.explanation), 'seed:0');
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
    await assert.rejects(compute({ seed: -1 }), (e: unknown) => e instanceof OptionError && e.option === 'seed' && /at least 0/.test(e.message));
    await assert.rejects(compute({ seed: 2 ** 31 }), (e: unknown) => e instanceof OptionError && e.option === 'seed' && /at most 2147483647/.test(e.message));
  });

  test('compute is pure data (JSON-serialisable, no figures)', async () => {
    const opts = tokensAnalysis.options.parse({ tokenizers: ['gpt4o'] });
    const d: TokensData = await tokensAnalysis.compute(opts, { progress() {}, engine: () => Promise.reject(new Error('no model needed')) });
    assert.equal(d.tokenizers.length, 1);
    assert.doesNotThrow(() => JSON.stringify(tokensAnalysis.figureData(d, opts)));
  });
});
