// /rsa-words: the RSA score agrees with numpy on hand-made embedding matrices (stand-in engines
// with a 4-word vocabulary), the toy "7" correlation agrees with numpy, and on the tiny random
// BERT and GPT-2 the similarity matrices and per-word correlations agree with plain loops over
// the checkpoints' rows; every figure renders; options are rejected naming the option.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { TINY_RANDOM_BERT } from '../../models/registry.ts';
import { getAnalysis } from '../../src/analyses/index.ts';
import { rsaWordsAnalysis, type RsaWordsData } from '../../src/analyses/rsa-words.ts';
import { runAnalysis, TINY_BERT_NOTE } from '../../src/analyses/run.ts';
import { OptionError, type AnalysisContext } from '../../src/analyses/types.ts';
import { disposeBertEngines, getBertEngine } from '../../src/llm/bert/provider.ts';
import type { BertEngine } from '../../src/llm/bert/types.ts';
import { disposeEngines, getEngine } from '../../src/llm/provider.ts';
import type { Engine } from '../../src/llm/types.ts';
import { decodePng } from '../../src/render/png.ts';
import { optionErrorMessage } from './reference.ts';

let bert: BertEngine;
let gpt: Engine;
before(async () => {
  bert = await getBertEngine({ model: TINY_RANDOM_BERT, threads: 1 });
  gpt = await getEngine({ model: 'tiny-random' });
});
after(async () => {
  await disposeBertEngines();
  await disposeEngines();
});

const ctxOf = (b: unknown, g: unknown): AnalysisContext => ({ progress: () => {}, engine: async () => g as Engine, bertEngine: async () => b as BertEngine });
const compute = (raw: Record<string, unknown>, c = ctxOf(bert, gpt)): Promise<RsaWordsData> => rsaWordsAnalysis.compute(rsaWordsAnalysis.options.parse(raw), c);

function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}
const cos = (a: ArrayLike<number>, b: ArrayLike<number>) => dot(a, b) / Math.sqrt(dot(a, a) * dot(b, b));
function corr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const ma = dot(a, Array(a.length).fill(1)) / a.length;
  const mb = dot(b, Array(b.length).fill(1)) / b.length;
  return cos(Array.from(a, (x) => x - ma), Array.from(b, (x) => x - mb));
}

describe('rsa-words agrees with numpy on hand-made embeddings', () => {
  // Stand-in engines: words a, b, c, d are tokens 0–3 in both "models".
  const words = ['a', 'b', 'c', 'd'];
  const E = [[1, 0, 2], [0, 1, 1], [2, 1, 0], [1, 1, 1]];
  const F = [[0, 1, 1, 3], [1, 0, 2, 1], [2, 2, 0, 1], [1, 3, 1, 0]];
  const tensor = (m: number[][]) => ({ dims: [m.length, m[0].length], data: Float32Array.from(m.flat()) });
  const fakeBert = { name: 'fake-bert', tokenizer: { tokenIds: (w: string) => [words.indexOf(w)] }, tokenText: (id: number) => words[id], weight: () => tensor(E) };
  const fakeGpt = { name: 'fake-gpt', encode: (t: string) => [words.indexOf(t.trim())], tokenText: (id: number) => ` ${words[id]}`, weight: () => tensor(F) };

  test('RSA score of two 4-word cosine matrices; no direct comparison when the sizes differ', async () => {
    const d = await compute({ words, seed: 1 }, ctxOf(fakeBert, fakeGpt));
    // numpy: cs(M) = M@M.T/outer(norms); corrcoef(cs(E)[triu_indices(4,1)], cs(F)[triu_indices(4,1)])[0,1]
    assert.ok(Math.abs(d.rsa - 0.15775512122840257) < 1e-6, String(d.rsa));
    assert.equal(d.uniqueBert.length, 6);
    assert.equal(d.directR, null);
    const figs = await rsaWordsAnalysis.render(d, rsaWordsAnalysis.options.parse({ words }));
    assert.deepEqual(figs.map((f) => f.name), ['tokens', 'matrices', 'rsa', 'seven']);
  });

  test('the toy 7 against its transpose, without noise: r as numpy gives it', async () => {
    const d = await compute({ words, noise: 0 }, ctxOf(fakeBert, fakeGpt));
    const flatA = d.sevenA.flat();
    const flatB = d.sevenB.flat();
    assert.deepEqual(d.sevenB, d.sevenA[0].map((_, j) => d.sevenA.map((r) => r[j])));
    // numpy: corrcoef(A.flatten(), A.T.flatten())[0,1] for the notebook's 8 × 8 "7"
    assert.ok(Math.abs(corr(flatA, flatB) - 0.420814479638009) < 1e-12);
    const noisy = await compute({ words, noise: 0.4, seed: 7 }, ctxOf(fakeBert, fakeGpt));
    const diff = noisy.sevenA.flat().map((v, i) => v - flatA[i]);
    assert.ok(diff.every((x) => x >= 0 && x < 0.4));
  });
});

describe('rsa-words on the tiny random BERT and GPT-2', () => {
  let d: RsaWordsData;
  before(async () => {
    d = await compute({ seed: 3 });
  });

  test("first tokens, per-word correlations and both similarity matrices match plain loops over the models' rows", () => {
    const eb = bert.weight('embeddings.word_embeddings.weight');
    const eg = gpt.weight('wte.weight');
    const row = (t: { dims: number[]; data: Float32Array }, id: number) => Array.from(t.data.subarray(id * t.dims[1], (id + 1) * t.dims[1]));
    const n = d.words.length;
    assert.equal(n, 34);
    d.words.forEach((w, i) => {
      assert.equal(d.bertTokens[i].id, bert.tokenizer.tokenIds(w)[0]);
      assert.equal(d.gptTokens[i].id, gpt.encode(` ${w}`)[0]);
      assert.ok(Math.abs(d.directR![i] - corr(row(eb, d.bertTokens[i].id), row(eg, d.gptTokens[i].id))) < 1e-9, w);
    });
    const vb = d.bertTokens.map((t) => row(eb, t.id));
    const vg = d.gptTokens.map((t) => row(eg, t.id));
    const ub: number[] = [];
    const ug: number[] = [];
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        assert.ok(Math.abs(d.csBert[i * n + j] - cos(vb[i], vb[j])) < 1e-9);
        assert.ok(Math.abs(d.csGpt[i * n + j] - cos(vg[i], vg[j])) < 1e-9);
        if (j > i) {
          ub.push(cos(vb[i], vb[j]));
          ug.push(cos(vg[i], vg[j]));
        }
      }
    }
    assert.equal(d.uniqueBert.length, (n * (n - 1)) / 2);
    assert.ok(Math.abs(d.rsa - corr(ub, ug)) < 1e-9);
  });

  test('runAnalysis: five stamped figures, the GPT-2 fallback note, the tiny note', async () => {
    const r = await runAnalysis(getAnalysis('rsa-words'), {}, { model: TINY_RANDOM_BERT });
    assert.deepEqual(r.figures.map((f) => f.name), ['tokens', 'direct', 'matrices', 'rsa', 'seven']);
    for (const f of r.figures) {
      const img = await decodePng(f.png);
      assert.ok(img.width >= 1200 && !img.isBlank(), f.name);
      assert.ok(f.png.length < 8e6, f.name);
      assert.ok(f.title && f.alt && !/[\uE000\uE001]/.test(f.title + f.alt), f.name);
    }
    assert.deepEqual(r.model, { name: TINY_RANDOM_BERT, tinyRandom: true });
    assert.ok(r.explanation.includes(TINY_BERT_NOTE));
    assert.match(r.explanation, /gpt2-medium/);
    assert.match(r.explanation, /Try `\/rsa-words words:/);
    assert.equal(typeof r.seed, 'number');
  });
});

describe('rsa-words options', () => {
  test('limits and bad input are rejected naming the option', async () => {
    const o = rsaWordsAnalysis.options;
    assert.match(optionErrorMessage(o, { words: ['a', 'b'] }), /words/);
    assert.match(optionErrorMessage(o, { words: Array.from({ length: 61 }, (_, i) => `w${i}`) }), /words.*60/);
    assert.match(optionErrorMessage(o, { vmax: 2 }), /vmax.*1/);
    assert.match(optionErrorMessage(o, { noise: 3 }), /noise.*2/);
    assert.match(optionErrorMessage(o, { nope: 1 }), /nope/);
    const err = (option: string, re: RegExp) => (e: unknown) => e instanceof OptionError && e.option === option && re.test(e.message);
    await assert.rejects(compute({ vmin: 0.5, vmax: 0.1 }), err('vmin', /below vmax/));
    await assert.rejects(compute({ words: ['sun', 'moon', 'Sun'] }), err('words', /twice/));
  });
});
