import assert from 'node:assert/strict';
import { plainText } from '../../src/analyses/lib/literal.ts';
import { after, before, describe, test } from 'node:test';
import { logitsAnalysis, type LogitsData } from '../../src/analyses/logits.ts';
import { argmax, logSoftmax, logSumExp, minMaxScale, rankOf, softmax, topK } from '../../src/analyses/lib/probability.ts';
import { runAnalysis } from '../../src/analyses/run.ts';
import { OptionError, type AnalysisContext } from '../../src/analyses/types.ts';
import { disposeEngines, getEngine } from '../../src/llm/provider.ts';
import type { Engine } from '../../src/llm/types.ts';
import { decodePng } from '../../src/render/png.ts';
import { maxRelDiff } from '../llm/fixtures.ts';

let engine: Engine;
let d: LogitsData;
const ctx = (): AnalysisContext => ({ progress() {}, engine: async () => engine });
const opts = (raw: Record<string, unknown> = {}) => logitsAnalysis.options.parse({ seed: 11, ...raw });

before(async () => {
  engine = await getEngine({ model: 'tiny-random' });
  d = await logitsAnalysis.compute(opts(), ctx());
});
after(() => disposeEngines());

/** Last-position logits of an unpatched run, computed with logits for every position. */
async function cleanLast(ids: number[]): Promise<Float32Array> {
  const { logits } = await engine.run(ids, { logits: 'all' });
  const V = logits!.dims[2];
  return logits!.data.slice((ids.length - 1) * V, ids.length * V);
}

describe('probability helpers', () => {
  test('softmax, log-softmax, top-k and rank follow their definitions', () => {
    const x = [2, -1, 0.5, 2, 1000];
    const p = softmax(x);
    assert.ok(Math.abs(p.reduce((a, b) => a + b, 0) - 1) < 1e-12);
    assert.ok(p[4] > 0.999999); // no overflow from exp(1000)
    const ref = (i: number) => x[i] - (1000 + Math.log(x.reduce((s, v) => s + Math.exp(v - 1000), 0)));
    logSoftmax(x).forEach((v, i) => assert.ok(Math.abs(v - ref(i)) < 1e-12));
    assert.equal(logSumExp([0, 0]), Math.log(2));
    assert.deepEqual(topK(x, 3), [4, 0, 3]); // ties keep the lower index first
    assert.equal(rankOf(x, 4), 0);
    assert.equal(rankOf(x, 3), 2);
    assert.equal(argmax(x), 4);
    assert.deepEqual(Array.from(minMaxScale([1, 3, 2])), [0, 1, 0.5]);
  });
});

describe('/logits', () => {
  test('logits at a position, their softmax and log-softmax match the engine', async () => {
    const ids = engine.encode('I think more people would eat turmeric if it were purple.');
    const { logits } = await engine.run(ids);
    const V = logits!.dims[2];
    const row = logits!.data.slice(4 * V, 5 * V);
    assert.equal(d.position, 4);
    assert.deepEqual(d.positionLogits, row);
    assert.equal(d.nextId, ids[5]);
    assert.equal(d.nextToken, ' eat');
    assert.equal(d.nextRank, row.filter((v) => v > row[ids[5]]).length);
    let max = -Infinity;
    for (const v of row) max = Math.max(max, v);
    let sum = 0;
    for (const v of row) sum += Math.exp(v - max);
    for (const i of [0, ids[5], 1234, V - 1]) {
      assert.ok(Math.abs(d.positionLogSoftmax[i] - (row[i] - max - Math.log(sum))) < 1e-9);
      assert.ok(Math.abs(d.positionSoftmax[i] - Math.exp(row[i] - max) / sum) < 1e-15);
    }
  });

  test('top-10 and the rank of " coffee" after the prompt; the clean baseline equals an unpatched run', async () => {
    const prompt = engine.encode('I like oat milk in my');
    // The analysis asks for the last position only, whose last block computes that row alone:
    // the same logits to float rounding.
    const clean = await cleanLast(prompt);
    assert.ok(maxRelDiff(d.finalLogits, clean) < 1e-5);
    assert.equal(d.word, ' coffee');
    assert.equal(d.wordId, 6891);
    const final = d.finalLogits;
    const sorted = Array.from(final.keys()).sort((a, b) => final[b] - final[a] || a - b);
    assert.deepEqual(d.top.map((t) => t.id), sorted.slice(0, 10));
    assert.equal(d.wordRank, sorted.indexOf(6891));
    assert.ok(Math.abs(d.top.reduce((s, t) => s + t.prob, 0) - d.top.reduce((s, t) => s + d.finalProbs[t.id], 0)) < 1e-15);
  });

  test("the logit boost is the engine's logit_boost patch: only the word changes, to max + margin", async () => {
    assert.deepEqual(d.boostPatch, { hook: 'logits', op: 'logit_boost', pos: -1, token: 6891, margin: 10 });
    const clean = d.finalLogits;
    let max = -Infinity;
    for (const v of clean) max = Math.max(max, v);
    for (let i = 0; i < clean.length; i++) {
      if (i === d.wordId) assert.ok(Math.abs(d.boostedLogits[i] - (max + 10)) < 1e-4);
      else assert.equal(d.boostedLogits[i], clean[i]);
    }
    assert.equal(d.boostedTopId, d.wordId);
    assert.ok(d.boostedProbs[d.wordId] > d.wordProb);
  });

  test('generation: seeded samples reproduce, greedy is engine.generate, the boosted one starts with the word', async () => {
    const prompt = engine.encode('I like oat milk in my');
    const sampled = d.continuations.filter((c) => c.kind === 'sampled');
    assert.equal(sampled.length, 5);
    assert.deepEqual(sampled.map((c) => c.seed), [11, 12, 13, 14, 15]);
    assert.deepEqual(sampled[2].ids, await engine.generate(prompt, { maxNewTokens: 10, temperature: 1, seed: 13 }));
    const greedy = d.continuations.find((c) => c.kind === 'greedy')!;
    assert.deepEqual(greedy.ids, await engine.generate(prompt, { maxNewTokens: 10, greedy: true }));
    const boosted = d.continuations.find((c) => c.kind === 'boosted')!;
    assert.equal(boosted.ids.length, 10);
    assert.equal(boosted.ids[0], 6891);
    assert.deepEqual(boosted.ids.slice(1), await engine.generate([...prompt, 6891], { maxNewTokens: 9, greedy: true }));
    assert.equal(boosted.text, engine.decode(boosted.ids));
    const again = await logitsAnalysis.compute(opts(), ctx());
    assert.deepEqual(again.continuations, d.continuations);
    // Temperature 0 samples greedily, top-k limits the candidates, as engine.generate does.
    const cold = await logitsAnalysis.compute(opts({ temperature: 0, samples: 2, max_new_tokens: 3 }), ctx());
    const coldGreedy = cold.continuations.find((c) => c.kind === 'greedy')!.ids;
    for (const c of cold.continuations.filter((c) => c.kind === 'sampled')) assert.deepEqual(c.ids, coldGreedy);
    const topk = await logitsAnalysis.compute(opts({ top_k: 5, samples: 1, max_new_tokens: 4, temperature: 2 }), ctx());
    assert.deepEqual(topk.continuations[0].ids, await engine.generate(prompt, { maxNewTokens: 4, temperature: 2, topK: 5, seed: 11 }));
  });

  test('figures, data and explanation', async () => {
    const o = opts();
    const figures = await logitsAnalysis.render(d, o);
    assert.deepEqual(figures.map((f) => f.name), ['position-logits', 'softmax', 'log-softmax', 'final-logits', 'top-tokens', 'generations', 'logit-boost']);
    for (const f of figures) {
      const img = await decodePng(f.png);
      assert.ok(img.width >= 2400 && !img.isBlank(), f.name);
      assert.ok(f.png.length < 8 * 1024 * 1024, f.name);
    }
    const data = logitsAnalysis.figureData(d, o);
    assert.deepEqual(Object.keys(data), figures.map((f) => f.name));
    assert.doesNotThrow(() => JSON.stringify(data));
    const text = plainText(logitsAnalysis.explain(d, o));
    assert.match(text, /" coffee" ranks \d+/);
    assert.match(text, /Try `\/logits/);
  });

  test('bad input names the option: multi-token words say what they split into, limits are stated', async () => {
    const fails = (raw: Record<string, unknown>, option: string, pattern: RegExp) =>
      assert.rejects(logitsAnalysis.compute(opts(raw), ctx()), (e: unknown) => e instanceof OptionError && e.option === option && pattern.test(e.message));
    await fails({ word: 'turmeric' }, 'word', /" turmeric" is 2 tokens \(" tur" \+ "meric"\)/);
    await fails({ position: 12 }, 'position', /at most 11/);
    await fails({ prompt: '蓝'.repeat(340), max_new_tokens: 10 }, 'max_new_tokens', /1020 tokens.*1024/);
    await assert.rejects(runAnalysis(logitsAnalysis, { temperature: 9 }, { engine: async () => engine }), (e: unknown) => e instanceof OptionError && e.option === 'temperature');
    // A quoted word keeps its exact form (no leading space added).
    const quoted = await logitsAnalysis.compute(opts({ word: '"the"', samples: 1, max_new_tokens: 2 }), ctx());
    assert.equal(quoted.word, 'the');
    assert.deepEqual([quoted.wordId], engine.encode('the'));
  });
});
