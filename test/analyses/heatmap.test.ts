import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { heatmapAnalysis, LOREM_IPSUM } from '../../src/analyses/heatmap.ts';
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

/** The tiny-model strip (src/render/stamp.ts) paints the bottom rows rgb(150, 35, 35). */
const stamped = async (png: Buffer) => {
  const img = await decodePng(png);
  const [r, g, b] = img.pixel(5, img.height - 3);
  return r === 150 && g === 35 && b === 35;
};

// The notebook's warm-up, computed with numpy (python3): words = text.split();
// lens = np.array([len(w) for w in words]); (lens - lens.min()) / (lens.max() - lens.min()).
const NOTEBOOK_WORD_LENGTHS = [5, 5, 5, 3, 5, 11, 10, 5, 3, 2, 7, 6, 10, 2, 6, 2, 6, 5, 7, 2, 4, 2, 5, 7, 4, 7, 12, 7, 7, 4, 2, 7, 2, 2, 7, 10, 4, 4, 5, 5, 2, 13, 2, 9, 5, 4, 6, 6, 2, 6, 5, 9, 9, 4, 8, 9, 3, 9, 4, 2, 5, 3, 7, 8, 6, 4, 2, 3, 8];
const NOTEBOOK_SCALED_FIRST8 = [0.2727272727272727, 0.2727272727272727, 0.2727272727272727, 0.09090909090909091, 0.2727272727272727, 0.8181818181818182, 0.7272727272727273, 0.2727272727272727];

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

  test("the Lorem-ipsum warm-up: the notebook's 69 words, their lengths and min–max scaled lengths (numpy)", () => {
    assert.ok(LOREM_IPSUM.startsWith('Lorem ipsum dolor sit amet, consectetur') && LOREM_IPSUM.endsWith('id est laborum.'));
    const raw = result.data['word-lengths'] as { words: string[]; lengths: number[] };
    const scaled = result.data['word-lengths-scaled'] as { scaled: number[]; min: number; max: number };
    assert.equal(raw.words.length, 69);
    assert.deepEqual(raw.words.slice(0, 5), ['Lorem', 'ipsum', 'dolor', 'sit', 'amet,']);
    assert.deepEqual(raw.lengths, NOTEBOOK_WORD_LENGTHS);
    assert.deepEqual([scaled.min, scaled.max], [2, 13]);
    NOTEBOOK_SCALED_FIRST8.forEach((v, i) => assert.ok(Math.abs(scaled.scaled[i] - v) < 1e-12, `scaled ${i}`));
    assert.equal(scaled.scaled[41], 1); // "reprehenderit"
    assert.deepEqual((result.data['word-heatmap'] as { scaled: number[] }).scaled, scaled.scaled);
    const alt = result.figures.find((f) => f.name === 'word-heatmap')!.alt;
    assert.match(alt, /from 2 characters \("do"\) to 13 \("reprehenderit"\)/);
  });

  test('figures: the model figures (stamped as the tiny model), then the three warm-up figures (no stamp: no model drew them)', async () => {
    assert.deepEqual(result.figures.map((f) => f.name), ['text-heatmap', 'position-logits', 'word-lengths', 'word-lengths-scaled', 'word-heatmap']);
    for (const f of result.figures) {
      const img = await decodePng(f.png);
      assert.equal(img.width, 2400);
      assert.ok(!img.isBlank());
      assert.ok(f.png.length < 8 * 1024 * 1024);
      const warmup = f.name.startsWith('word-');
      assert.equal(f.fromModel ?? true, !warmup, f.name);
      assert.equal(await stamped(f.png), !warmup, `${f.name} stamp`);
    }
    assert.match(result.explanation, /warm-up on Lorem ipsum, drawn from the text alone \(no model\): 69 words/);
    const off = await run({ warmup: false });
    assert.deepEqual(off.figures.map((f) => f.name), ['text-heatmap', 'position-logits']);
    assert.equal(off.data['word-lengths'], undefined);
    assert.doesNotMatch(off.explanation, /Lorem/);
    assert.deepEqual(result.model, { name: 'tiny-random', tinyRandom: true });
    assert.ok(result.explanation.includes(TINY_NOTE));
    assert.match(result.explanation, /ranks \d+ of 50257/);
  });

  test('the suggestion changes something and fits the text: a position inside it, never the one that ran', async () => {
    assert.match(result.explanation, /Try `\/heatmap text:"It was the best of times, it was the worst of times"`/);
    const text = 'It was the best of times, it was the worst of times';
    const r = await run({ text });
    const m = /Try `\/heatmap position:(\d+)`/.exec(r.explanation);
    assert.ok(m, r.explanation);
    const pos = Number(m[1]);
    const n = engine.encode(text).length;
    assert.ok(pos >= 0 && pos <= n - 2, `position ${pos} of ${n} tokens`);
    assert.notEqual(pos, (r.data['position-logits'] as { position: number }).position);
    const again = await run({ text, position: pos });
    assert.doesNotMatch(again.explanation, new RegExp(`position:${pos}\``));
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
    await assert.rejects(run({ warmup: 'maybe' }), isOptionError('warmup', /expected true or false, got "maybe"/));
  });
});
