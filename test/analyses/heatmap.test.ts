import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { heatmapAnalysis } from '../../src/analyses/heatmap.ts';
import { runAnalysis, TINY_NOTE } from '../../src/analyses/run.ts';
import { OptionError, type AnalysisResult } from '../../src/analyses/types.ts';
import { disposeEngines, getEngine } from '../../src/llm/provider.ts';
import type { Engine } from '../../src/llm/types.ts';
import { decodePng } from '../../src/render/png.ts';

/** log_softmax(row)[id] written out in float64, independent of the analysis' helpers. */
function logProbReference(row: Float32Array, id: number): number {
  let max = -Infinity;
  for (const v of row) max = Math.max(max, v);
  let sum = 0;
  for (const v of row) sum += Math.exp(v - max);
  return row[id] - max - Math.log(sum);
}

let engine: Engine;
let result: AnalysisResult;
const run = (opts: Record<string, unknown>) => runAnalysis(heatmapAnalysis, opts, { engine: async () => engine });

before(async () => {
  engine = await getEngine({ model: 'tiny-random' });
  result = await run({});
});
after(() => disposeEngines());

describe('/heatmap', () => {
  test("per-token log-probabilities equal the log-softmax of the engine's logits", async () => {
    const d = result.data['text-heatmap'] as { tokenIds: number[]; tokens: string[]; logProbs: (number | null)[]; scaled: (number | null)[] };
    assert.equal(d.tokenIds.length, 78); // the notebook's paragraph
    assert.deepEqual(d.tokenIds, engine.encode(heatmapAnalysis.options.parse({}).text));
    const { logits } = await engine.run(d.tokenIds);
    const V = logits!.dims[2];
    assert.equal(d.logProbs[0], null); // nothing predicts the first token
    for (let t = 1; t < d.tokenIds.length; t++) {
      const expected = logProbReference(logits!.data.subarray((t - 1) * V, t * V), d.tokenIds[t]);
      assert.ok(Math.abs(d.logProbs[t]! - expected) < 1e-9, `token ${t}: ${d.logProbs[t]} vs ${expected}`);
    }
    // Min–max scaling over tokens 1…T−1, as the notebook does.
    const lp = d.logProbs.slice(1) as number[];
    const [lo, hi] = [Math.min(...lp), Math.max(...lp)];
    lp.forEach((v, i) => assert.ok(Math.abs(d.scaled[i + 1]! - (v - lo) / (hi - lo)) < 1e-12));
    assert.equal(Math.min(...(d.scaled.slice(1) as number[])), 0);
    assert.equal(Math.max(...(d.scaled.slice(1) as number[])), 1);
  });

  test('the position figure shows the logits at token 48 with the actual next token marked', async () => {
    const p = result.data['position-logits'] as { position: number; nextTokenId: number; nextLogit: number; nextRank: number; logits: number[] };
    const ids = (result.data['text-heatmap'] as { tokenIds: number[] }).tokenIds;
    const { logits } = await engine.run(ids);
    const V = logits!.dims[2];
    const row = logits!.data.subarray(48 * V, 49 * V);
    assert.equal(p.position, 48);
    assert.equal(p.nextTokenId, ids[49]);
    assert.equal(p.logits.length, V);
    assert.ok(Math.abs(p.nextLogit - row[ids[49]]) < 1e-6);
    assert.equal(p.nextRank, 1 + row.filter((v) => v > row[ids[49]]).length);
  });

  test('figures: a text heatmap and the logits chart, stamped as the tiny model', async () => {
    assert.deepEqual(result.figures.map((f) => f.name), ['text-heatmap', 'position-logits']);
    for (const f of result.figures) {
      const img = await decodePng(f.png);
      assert.equal(img.width, 2400);
      assert.ok(!img.isBlank());
      assert.ok(f.png.length < 8 * 1024 * 1024);
    }
    assert.deepEqual(result.model, { name: 'tiny-random', tinyRandom: true });
    assert.ok(result.explanation.includes(TINY_NOTE));
    assert.match(result.explanation, /ranks \d+ of 50257/);
  });

  test('bad input names the option and the limit', async () => {
    const isOptionError = (option: string, pattern: RegExp) => (e: unknown) =>
      e instanceof OptionError && e.option === option && pattern.test(e.message);
    await assert.rejects(run({ text: '蓝'.repeat(400) }), isOptionError('text', /1200 tokens.*at most 1024/));
    await assert.rejects(run({ text: 'Hi' }), isOptionError('text', /at least 2 tokens/));
    await assert.rejects(run({ text: 'One two three', position: 2 }), isOptionError('position', /at most 1/));
    // Without a position, a text shorter than the notebook's uses its last predicting position.
    const short = await run({ text: 'One two three' });
    assert.equal((short.data['position-logits'] as { position: number }).position, 1);
    await assert.rejects(run({ text: '' }), isOptionError('text', /empty/));
    await assert.rejects(run({ colormap: 'bwr' }), isOptionError('colormap', /one of/));
  });
});
