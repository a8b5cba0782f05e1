import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { attentionAnalysis, DEFAULT_TEXT } from '../../src/analyses/attention.ts';
import { runAnalysis, TINY_NOTE } from '../../src/analyses/run.ts';
import { OptionError, type AnalysisResult } from '../../src/analyses/types.ts';
import { disposeEngines, getEngine } from '../../src/llm/provider.ts';
import type { Engine, Tensor } from '../../src/llm/types.ts';
import { decodePng } from '../../src/render/png.ts';
import { logSoftmaxAt } from './reference.ts';

// References written out here, independent of the analysis' helpers.
/** numpy.histogram(x, bins=np.linspace(lo, hi, bins + 1), density=True). */
function npDensity(x: ArrayLike<number>, lo: number, hi: number, bins: number): number[] {
  const counts = new Array<number>(bins).fill(0);
  let inRange = 0;
  for (let i = 0; i < x.length; i++) {
    if (x[i] < lo || x[i] > hi) continue;
    counts[Math.min(bins - 1, Math.floor(((x[i] - lo) / (hi - lo)) * bins))]++;
    inRange++;
  }
  return counts.map((c) => c / (inRange * ((hi - lo) / bins)));
}
const close = (a: number, b: number, tol: number, what: string) => assert.ok(Math.abs(a - b) <= tol, `${what}: ${a} vs ${b}`);
const at = (t: Tensor, idx: number[]) => t.data[idx.reduce((o, i, d) => o * t.dims[d] + i, 0)];

let engine: Engine;
let result: AnalysisResult;
let ids: number[];
let cache: Map<string, Tensor>;
const run = (opts: Record<string, unknown>) => runAnalysis(attentionAnalysis, opts, { engine: async () => engine });

before(async () => {
  engine = await getEngine({ model: 'tiny-random' });
  result = await run({});
  ids = engine.encode(DEFAULT_TEXT);
  const hooks = ['hook_q', 'hook_k', 'hook_v', 'hook_attn_scores', 'hook_pattern'].map((h) => `blocks.*.attn.${h}`);
  cache = (await engine.run(ids, { hooks })).cache;
});
after(() => disposeEngines());

describe('/attention', () => {
  test('defaults: the notebook quote; layer 5 and head 4 fall back to the last block and head of the tiny model', () => {
    assert.equal(attentionAnalysis.options.parse({}).text, "Be who you are and say what you feel, because those who mind don't matter and those who matter don't mind");
    const s = result.data['qk-scores'] as { layer: number; head: number; d_head: number };
    assert.deepEqual([s.layer, s.head, s.d_head], [1, 3, 16]); // 2 blocks, 4 heads of 16
    assert.equal((result.data['head-lesion'] as { mode: string }).mode, 'one_head');
  });

  test('Q/K/V histograms per block: numpy density on linspace(-5, 5, 101), first token left out; variances', () => {
    const h = result.data['qkv-by-layer'] as Record<string, number[][]> & { bin_edges: number[] };
    const v = result.data['qkv-variance'] as Record<'q' | 'k' | 'v', number[]>;
    assert.equal(h.bin_edges.length, 101);
    close(h.bin_edges[0], -5, 0, 'first edge');
    close(h.bin_edges[100], 5, 1e-12, 'last edge');
    for (const x of ['q', 'k', 'v'] as const) {
      for (let l = 0; l < engine.config.n_layer; l++) {
        const t = cache.get(`blocks.${l}.attn.hook_${x}`)!;
        const vals = t.data.subarray(t.dims[2] * t.dims[3]); // positions 1… of [1, pos, head, d_head]
        const want = npDensity(vals, -5, 5, 100);
        h[`${x}_density_block_by_bin`][l].forEach((d, b) => close(d, want[b], 1e-9, `${x} block ${l} bin ${b}`));
        const m = vals.reduce((s, a) => s + a, 0) / vals.length;
        close(v[x][l], vals.reduce((s, a) => s + (a - m) ** 2, 0) / (vals.length - 1), 1e-6, `${x} variance ${l}`);
      }
    }
  });

  test('QKᵀ/√d is q·k/√d_head from the hooks, masked above the diagonal; mean and std over visible entries', () => {
    const s = result.data['qk-scores'] as { scaled_scores_null_where_masked: (number | null)[][]; layer: number; head: number; d_head: number };
    const q = cache.get(`blocks.${s.layer}.attn.hook_q`)!;
    const k = cache.get(`blocks.${s.layer}.attn.hook_k`)!;
    const n = ids.length;
    assert.equal(s.scaled_scores_null_where_masked.length, n - 1);
    for (let i = 1; i < n; i++) {
      for (let j = 1; j < n; j++) {
        const got = s.scaled_scores_null_where_masked[i - 1][j - 1];
        if (j > i) {
          assert.equal(got, null);
          continue;
        }
        let dot = 0;
        for (let c = 0; c < s.d_head; c++) dot += at(q, [0, i, s.head, c]) * at(k, [0, j, s.head, c]);
        close(got!, dot / Math.sqrt(s.d_head), 1e-4, `score ${i},${j}`);
      }
    }
    const stats = result.data['score-stats'] as { mean_per_block: number[]; std_per_block: number[] };
    for (let l = 0; l < engine.config.n_layer; l++) {
      const sc = cache.get(`blocks.${l}.attn.hook_attn_scores`)!;
      const vals: number[] = [];
      for (let h = 0; h < engine.config.n_head; h++) for (let i = 1; i < n; i++) for (let j = 1; j <= i; j++) vals.push(at(sc, [0, h, i, j]));
      const m = vals.reduce((a, b) => a + b, 0) / vals.length;
      close(stats.mean_per_block[l], m, 1e-6, `mean ${l}`);
      close(stats.std_per_block[l], Math.sqrt(vals.reduce((a, b) => a + (b - m) ** 2, 0) / (vals.length - 1)), 1e-6, `std ${l}`);
    }
  });

  test('score and softmax distributions are densities (area 1); patterns are the hook_pattern rows', () => {
    const dists = result.data['score-distributions'] as Record<string, { bin_edges: number[]; density: number[] }[]>;
    for (const key of ['scores_per_block', 'softmax_per_block']) {
      for (const h of dists[key]) {
        assert.equal(h.density.length, 20);
        close(h.density.reduce((a, d, i) => a + d * (h.bin_edges[i + 1] - h.bin_edges[i]), 0), 1, 1e-9, `${key} area`);
      }
    }
    const p = result.data['attention-patterns'] as { layer: number; pattern_per_head_null_where_masked: (number | null)[][][] };
    const t = cache.get(`blocks.${p.layer}.attn.hook_pattern`)!;
    assert.equal(p.pattern_per_head_null_where_masked.length, engine.config.n_head);
    p.pattern_per_head_null_where_masked.forEach((m, h) => {
      m.forEach((r, i) => {
        close(r.reduce<number>((a, b) => a + (b ?? 0), 0), 1, 1e-5, `head ${h} row ${i} sums to 1`);
        r.forEach((v, j) => (j > i ? assert.equal(v, null) : close(v!, at(t, [0, h, i, j]), 0, 'pattern')));
      });
    });
  });

  test('head lesion: set hook_z to 0 at pos -2 for the head; log P(final token) at the penultimate position; clean = unpatched', async () => {
    const s = result.data['head-lesion'] as { head: number; clean_log_prob: number; log_prob_per_block: number[]; patches: unknown[][] };
    const n = ids.length;
    const V = engine.config.vocab_size;
    const penultimate = (logits: Tensor) => logSoftmaxAt(logits.data.subarray((n - 2) * V, (n - 1) * V), ids[n - 1]);
    // The analysis reads its clean run with hooks (per-block sessions); a plain run fuses across
    // blocks, so the two agree to float rounding, not bit for bit.
    close(s.clean_log_prob, penultimate((await engine.run(ids)).logits!), 1e-5, 'clean');
    for (let l = 0; l < engine.config.n_layer; l++) {
      const patch = { hook: `blocks.${l}.attn.hook_z`, op: 'set', value: 0, pos: -2, head: s.head } as const;
      assert.deepEqual(s.patches[l], [patch]);
      close(s.log_prob_per_block[l], penultimate((await engine.run(ids, { patches: [patch] })).logits!), 1e-9, `block ${l}`);
      assert.notEqual(s.log_prob_per_block[l], s.clean_log_prob);
    }
  });

  test('lesion:every_head gives a block × head matrix whose chosen-head column is the one-head result', async () => {
    const r = await run({ lesion: 'every_head' });
    const m = (r.data['head-lesion'] as { log_prob_block_by_head: number[][] }).log_prob_block_by_head;
    const one = (result.data['head-lesion'] as { log_prob_per_block: number[]; head: number });
    assert.equal(m.length, engine.config.n_layer);
    m.forEach((row, l) => {
      assert.equal(row.length, engine.config.n_head);
      assert.equal(row[one.head], one.log_prob_per_block[l]);
    });
    assert.equal(r.figures.find((f) => f.name === 'head-lesion')!.alt.includes('Block × head'), true);
  });

  test('figures: eight PNGs, 2400 px wide, drawn, under 8 MB; tiny-model note', async () => {
    assert.deepEqual(result.figures.map((f) => f.name), ['qkv-layer', 'qkv-by-layer', 'qkv-variance', 'qk-scores', 'score-distributions', 'score-stats', 'attention-patterns', 'head-lesion']);
    for (const f of result.figures) {
      const img = await decodePng(f.png);
      assert.equal(img.width, 2400, f.name);
      assert.ok(!img.isBlank(), f.name);
      assert.ok(f.png.length < 8 * 1024 * 1024, f.name);
    }
    assert.ok(result.explanation.includes(TINY_NOTE));
    assert.match(result.explanation, /\/attention /);
    assert.doesNotThrow(() => JSON.stringify(result.data));
  });

  test('long texts: figure data keep the first tokens of the token × token matrices', async () => {
    const r = await run({ text: 'The cat sat on the mat. '.repeat(30) });
    const s = r.data['qk-scores'] as Record<string, unknown[]>;
    assert.equal(s.scaled_scores_first_128_tokens_null_where_masked.length, 128);
    const p = r.data['attention-patterns'] as Record<string, unknown[][]>;
    assert.equal(p.pattern_per_head_first_64_tokens_null_where_masked[0].length, 64);
    assert.ok(JSON.stringify(r.data).length < 2_000_000);
  });

  test('bad input names the option and the limit from the model config', async () => {
    const isOptionError = (option: string, pattern: RegExp) => (e: unknown) =>
      e instanceof OptionError && e.option === option && pattern.test(e.message);
    await assert.rejects(run({ layer: 2 }), isOptionError('layer', /0 to 1: tiny-random has 2 blocks \(n_layer\)/));
    await assert.rejects(run({ head: 4 }), isOptionError('head', /0 to 3: tiny-random has 4 heads per block \(n_head\)/));
    await assert.rejects(run({ layer: 48 }), isOptionError('layer', /at most 47/));
    await assert.rejects(run({ text: 'Hello' }), isOptionError('text', /at least 3 tokens/));
    await assert.rejects(run({ text: '蓝'.repeat(400) }), isOptionError('text', /at most 1024/));
    await assert.rejects(run({ lesion: 'all' }), isOptionError('lesion', /one_head, every_head/));
  });
});
