import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { attentionAnalysis, DEFAULT_TEXT } from '../../src/analyses/attention.ts';
import { parseOptions } from '../../src/analyses/options.ts';
import { runAnalysis, TINY_NOTE } from '../../src/analyses/run.ts';
import { OptionError, type AnalysisContext, type AnalysisResult } from '../../src/analyses/types.ts';
import { createEngine } from '../../src/llm/engine.ts';
import { disposeEngines, getEngine } from '../../src/llm/provider.ts';
import { makeTinyCheckpoint } from '../../src/llm/tiny.ts';
import type { Engine, Tensor } from '../../src/llm/types.ts';
import { decodePng } from '../../src/render/png.ts';
import { referenceForward } from '../reference/gpt2-reference.ts';
import { logSoftmaxAt } from './reference.ts';

// References written out here, independent of the analysis' helpers.
/** numpy.histogram(x, bins, range=(lo, hi), density=True); the last bin includes hi. */
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
/** numpy.histogram(x, 20, density=True): 20 bins over the data's own range. */
const npDensity20 = (x: number[]) => npDensity(x, Math.min(...x), Math.max(...x), 20);
const meanOf = (x: number[]) => x.reduce((a, b) => a + b, 0) / x.length;
/** torch's .std(): ddof 1. */
const stdOf = (x: number[]) => {
  const m = meanOf(x);
  return Math.sqrt(x.reduce((a, b) => a + (b - m) ** 2, 0) / (x.length - 1));
};
const close = (a: number, b: number, tol: number, what: string) => assert.ok(Math.abs(a - b) <= tol, `${what}: ${a} vs ${b}`);
const at = (t: Tensor, idx: number[]) => t.data[idx.reduce((o, i, d) => o * t.dims[d] + i, 0)];

/**
 * The notebook's `q[0,1:,:] @ k[0,1:,:].T / sqrt(head_dim)` by plain loops: q and k of every
 * head laid side by side into d_model-wide rows (q_full[t][h·d_head + c] = q[0,t,h,c]), every
 * token after the first against every other, nothing masked.
 */
function fullWidthReference(qT: Tensor, kT: Tensor): number[][] {
  const [, T, H, dh] = qT.dims;
  const wide = (x: Tensor) => Array.from({ length: T }, (_, t) => {
    const row: number[] = [];
    for (let h = 0; h < H; h++) for (let c = 0; c < dh; c++) row.push(at(x, [0, t, h, c]));
    return row;
  });
  const Q = wide(qT);
  const K = wide(kT);
  const out: number[][] = [];
  for (let i = 1; i < T; i++) {
    const r: number[] = [];
    for (let j = 1; j < T; j++) {
      let s = 0;
      for (let c = 0; c < H * dh; c++) s += Q[i][c] * K[j][c];
      r.push(s / Math.sqrt(dh));
    }
    out.push(r);
  }
  return out;
}
/** F.softmax(x, dim=-1) of each row. */
const softmaxRows = (m: number[][]) => m.map((r) => {
  const mx = Math.max(...r);
  const e = r.map((v) => Math.exp(v - mx));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
});

let engine: Engine;
let result: AnalysisResult;
let ids: number[];
let cache: Map<string, Tensor>;
const run = (opts: Record<string, unknown>) => runAnalysis(attentionAnalysis, opts, { engine: async () => engine });

// An 8-block, 8-head tiny checkpoint (same generator, random weights): large enough for the
// notebook's block 5 and head 4, so the defaults are the notebook's own, and its last block (7)
// is not block 5. The reference forward pass runs on the same weights.
const deepCkpt = makeTinyCheckpoint({ n_layer: 8, n_head: 8, n_embd: 64 });
let deep: Engine;
let deepResult: AnalysisResult;
let deepIds: number[];
let ref: ReturnType<typeof referenceForward>;

before(async () => {
  engine = await getEngine({ model: 'tiny-random' });
  result = await run({});
  ids = engine.encode(DEFAULT_TEXT);
  const hooks = ['hook_q', 'hook_k', 'hook_v', 'hook_attn_scores', 'hook_pattern'].map((h) => `blocks.*.attn.${h}`);
  cache = (await engine.run(ids, { hooks })).cache;
  deep = await createEngine('tiny-deep', { ...deepCkpt, isTinyRandom: true }, { threads: 1 });
  deepResult = await runAnalysis(attentionAnalysis, {}, { engine: async () => deep });
  deepIds = deep.encode(DEFAULT_TEXT);
  ref = referenceForward(deepCkpt, [deepIds]);
});
after(async () => {
  await deep?.dispose();
  await disposeEngines();
});

describe('/attention', () => {
  test("defaults are the notebook's: its quote with the line break and indentation, full-width scores, gpt2-large preferred", () => {
    const o = attentionAnalysis.options.parse({});
    assert.equal(o.text, "Be who you are and say what you feel,\n      because those who mind don't matter and those who matter don't mind");
    assert.equal(o.scores, 'full');
    assert.equal(o.lesion, 'one_head');
    assert.equal(attentionAnalysis.preferredModel, 'gpt2-large');
    // GPT-2 reads the line break and each of the six spaces as tokens of their own.
    assert.equal(ids.length, 30);
    assert.deepEqual(ids.slice(10, 17).map((i) => engine.tokenText(i)), ['\n', ' ', ' ', ' ', ' ', ' ', ' because']);
  });

  test('on a model with enough blocks: Q/K/V from block 5, the QKᵀ matrix from the last block, head 4 lesioned', () => {
    assert.equal((deepResult.data['qkv-layer'] as { layer: number }).layer, 5);
    assert.equal((deepResult.data['attention-patterns'] as { layer: number }).layer, 5);
    const s = deepResult.data['qk-scores'] as { layer: number; scores: string; heads: string; d_model: number; d_head: number };
    assert.deepEqual([s.layer, s.scores, s.heads, s.d_model, s.d_head], [7, 'full', 'all', 64, 8]);
    assert.equal((deepResult.data['head-lesion'] as { head: number }).head, 4);
    // The tiny-random model (2 blocks, 4 heads) falls back to its last block and head.
    const t = result.data['qk-scores'] as { layer: number };
    assert.equal(t.layer, 1);
    assert.equal((result.data['qkv-layer'] as { layer: number }).layer, 1);
    assert.equal((result.data['head-lesion'] as { head: number }).head, 3);
  });

  test("scores:full — the QKᵀ matrix is the full-width, unmasked q·k/√d_head of the reference forward pass's last block", () => {
    const s = deepResult.data['qk-scores'] as { scaled_scores_full_width_unmasked: (number | null)[][]; divided_by: number };
    const want = fullWidthReference(ref.cache.get('blocks.7.attn.hook_q')!, ref.cache.get('blocks.7.attn.hook_k')!);
    const m = deepIds.length - 1;
    assert.equal(s.scaled_scores_full_width_unmasked.length, m);
    close(s.divided_by, Math.sqrt(8), 1e-12, '√d_head');
    let above = 0;
    for (let i = 0; i < m; i++) {
      assert.equal(s.scaled_scores_full_width_unmasked[i].length, m);
      for (let j = 0; j < m; j++) {
        const got = s.scaled_scores_full_width_unmasked[i][j];
        assert.ok(got !== null && Number.isFinite(got), `entry ${i},${j} is a number (no mask)`);
        close(got, want[i][j], 1e-4 * Math.max(1, Math.abs(want[i][j])), `score ${i},${j}`);
        if (j > i) above++;
      }
    }
    assert.equal(above, (m * (m - 1)) / 2);
  });

  test('scores:full — per-block distributions, mean and std (ddof 1) of the full-width scores, softmax over every key', () => {
    const dists = deepResult.data['score-distributions'] as { scores: string; scores_per_block: { bin_edges: number[]; density: number[] }[]; softmax_per_block: { bin_edges: number[]; density: number[] }[] };
    const stats = deepResult.data['score-stats'] as { mean_per_block: number[]; std_per_block_ddof1: number[] };
    assert.equal(dists.scores, 'full');
    for (let l = 0; l < 8; l++) {
      const full = fullWidthReference(ref.cache.get(`blocks.${l}.attn.hook_q`)!, ref.cache.get(`blocks.${l}.attn.hook_k`)!);
      const flat = full.flat();
      close(stats.mean_per_block[l], meanOf(flat), 1e-5, `mean ${l}`);
      close(stats.std_per_block_ddof1[l], stdOf(flat), 1e-5, `std ${l}`);
      const sc = dists.scores_per_block[l];
      close(sc.bin_edges[0], Math.min(...flat), 1e-4, `first edge ${l}`);
      close(sc.bin_edges[20], Math.max(...flat), 1e-4, `last edge ${l}`);
      npDensity20(flat).forEach((d, b) => close(sc.density[b], d, 1e-6, `scores block ${l} bin ${b}`));
      const soft = softmaxRows(full);
      soft.forEach((r, i) => close(r.reduce((a, b) => a + b, 0), 1, 1e-12, `row ${i}`));
      const sm = dists.softmax_per_block[l];
      npDensity20(soft.flat()).forEach((d, b) => close(sm.density[b], d, 1e-4 * Math.max(1, d), `softmax block ${l} bin ${b}`));
    }
  });

  test("scores:full agrees with the engine's own per-head scores: below the diagonal, full-width QKᵀ = Σ over heads of hook_attn_scores", () => {
    const s = result.data['qk-scores'] as { layer: number; scaled_scores_full_width_unmasked: number[][] };
    const sc = cache.get(`blocks.${s.layer}.attn.hook_attn_scores`)!;
    const n = ids.length;
    for (let i = 1; i < n; i++) {
      for (let j = 1; j <= i; j++) {
        let sum = 0;
        for (let h = 0; h < engine.config.n_head; h++) sum += at(sc, [0, h, i, j]);
        close(s.scaled_scores_full_width_unmasked[i - 1][j - 1], sum, 1e-4, `score ${i},${j}`);
      }
    }
  });

  test('log softmax at the penultimate token over the whole vocabulary, the final token marked (reference logits)', () => {
    const p = deepResult.data['log-softmax'] as { position: number; final_token_id: number; final_log_prob: number; final_rank: number; log_softmax: number[] };
    const n = deepIds.length;
    const V = deepCkpt.config.vocab_size;
    const row = ref.logits.data.subarray((n - 2) * V, (n - 1) * V);
    assert.equal(p.position, n - 2);
    assert.equal(p.final_token_id, deepIds[n - 1]);
    assert.equal(p.log_softmax.length, V);
    close(p.final_log_prob, logSoftmaxAt(row, deepIds[n - 1]), 1e-4, 'final token');
    for (const id of [0, 1000, 25000, V - 1]) close(p.log_softmax[id], logSoftmaxAt(row, id), 1e-4, `token ${id}`);
    assert.equal(p.final_rank, 1 + Array.from(row).filter((v) => v > row[deepIds[n - 1]]).length);
    const alt = deepResult.figures.find((f) => f.name === 'log-softmax')!.alt;
    assert.match(alt, new RegExp(`rank ${p.final_rank}\\b`));
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

  test('scores:per_head is the model\'s QKᵀ: one head, masked above the diagonal; mean and std over the visible entries', async () => {
    const r = await run({ scores: 'per_head' });
    const s = r.data['qk-scores'] as { scaled_scores_null_where_masked: (number | null)[][]; layer: number; head: number; d_head: number; scores: string };
    assert.equal(s.scores, 'per_head');
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
    const stats = r.data['score-stats'] as { mean_per_block: number[]; std_per_block_ddof1: number[] };
    for (let l = 0; l < engine.config.n_layer; l++) {
      const sc = cache.get(`blocks.${l}.attn.hook_attn_scores`)!;
      const vals: number[] = [];
      for (let h = 0; h < engine.config.n_head; h++) for (let i = 1; i < n; i++) for (let j = 1; j <= i; j++) vals.push(at(sc, [0, h, i, j]));
      close(stats.mean_per_block[l], meanOf(vals), 1e-6, `mean ${l}`);
      close(stats.std_per_block_ddof1[l], stdOf(vals), 1e-6, `std ${l}`);
    }
    const dists = r.data['score-distributions'] as Record<string, { bin_edges: number[]; density: number[] }[]>;
    for (const key of ['scores_per_block', 'softmax_per_block']) {
      for (const h of dists[key]) {
        assert.equal(h.density.length, 20);
        close(h.density.reduce((a, d, i) => a + d * (h.bin_edges[i + 1] - h.bin_edges[i]), 0), 1, 1e-9, `${key} area`);
      }
    }
    // The explanation says which version the figures show, and the suggestion moves on from it.
    assert.match(r.explanation, /what the model computes: one score matrix per head/);
    assert.doesNotMatch(r.explanation, /Try `\/attention scores:per_head/);
    assert.match(r.explanation, /Try `\/attention lesion:every_head/);
    assert.match(r.figures.find((f) => f.name === 'qk-scores')!.alt, /masked upper triangle/);
  });

  test('attention patterns are the hook_pattern rows of block `layer`', () => {
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
    close((result.data['log-softmax'] as { final_log_prob: number }).final_log_prob, s.clean_log_prob, 1e-9, 'log-softmax figure = clean');
    for (let l = 0; l < engine.config.n_layer; l++) {
      const patch = { hook: `blocks.${l}.attn.hook_z`, op: 'set', value: 0, pos: -2, head: s.head } as const;
      assert.deepEqual(s.patches[l], [patch]);
      close(s.log_prob_per_block[l], penultimate((await engine.run(ids, { patches: [patch] })).logits!), 1e-9, `block ${l}`);
      assert.notEqual(s.log_prob_per_block[l], s.clean_log_prob);
    }
  });

  test('the lesion alt text and explanation name a drop only where one happened (same numbers as the figure)', async () => {
    const check = (r: AnalysisResult) => {
      const s = r.data['head-lesion'] as { clean_log_prob: number; log_prob_per_block: number[] };
      const alt = r.figures.find((f) => f.name === 'head-lesion')!.alt;
      const min = Math.min(...s.log_prob_per_block);
      const block = s.log_prob_per_block.indexOf(min);
      if (min < s.clean_log_prob) assert.match(alt, new RegExp(`largest drop is block ${block} \\(${min.toFixed(3)}`));
      else assert.match(alt, new RegExp(`None of the \\d+ lesions lowers .* smallest rise is block ${block} \\(${min.toFixed(3)}`));
      assert.ok(r.explanation.includes(alt.slice(alt.indexOf('. ') + 2)), 'explanation and alt share the sentence');
    };
    check(result);
    check(deepResult);
    // The same data with every lesion above the clean value: the alt must not claim a drop.
    const ctx: AnalysisContext = { progress: () => {}, engine: async () => engine };
    const opts = parseOptions(attentionAnalysis.options, {}) as Parameters<typeof attentionAnalysis.compute>[0];
    const d = await attentionAnalysis.compute(opts, ctx);
    d.lesion.values = [d.lesion.clean + 0.2, d.lesion.clean + 0.05];
    const alt = (await attentionAnalysis.render(d, opts)).find((f) => f.name === 'head-lesion')!.alt;
    assert.match(alt, /None of the 2 lesions lowers .* smallest rise is block 1 \(.*\+0\.050\)/);
    assert.doesNotMatch(alt, /largest drop/);
    d.lesion.values = [d.lesion.clean - 0.3, d.lesion.clean + 0.05];
    const alt2 = (await attentionAnalysis.render(d, opts)).find((f) => f.name === 'head-lesion')!.alt;
    assert.match(alt2, /1 of 2 lesions lowers .* largest drop is block 0 \(.*−0\.300/);
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

  test('figures: nine PNGs in the notebook\'s order (patterns last), 2400 px wide, drawn, under 8 MB; tiny-model note', async () => {
    assert.deepEqual(result.figures.map((f) => f.name), ['qkv-layer', 'qkv-by-layer', 'qkv-variance', 'qk-scores', 'score-distributions', 'score-stats', 'log-softmax', 'head-lesion', 'attention-patterns']);
    for (const f of result.figures) {
      const img = await decodePng(f.png);
      assert.equal(img.width, 2400, f.name);
      assert.ok(!img.isBlank(), f.name);
      assert.ok(f.png.length < 8 * 1024 * 1024, f.name);
      assert.notEqual(f.fromModel, false, `${f.name} comes from the model (stamped)`);
    }
    assert.match(result.figures.find((f) => f.name === 'qk-scores')!.alt, /full-width \(64-value\) query and key .* no causal mask/);
    assert.ok(result.explanation.includes(TINY_NOTE));
    assert.match(result.explanation, /The QKᵀ figures follow the notebook: each block's queries and keys with all 4 heads side by side \(64 values per token\)/);
    assert.doesNotThrow(() => JSON.stringify(result.data));
  });

  test('every /attention suggestion parses, fits the model that ran and changes something', () => {
    for (const [r, eng] of [[result, engine], [deepResult, deep]] as const) {
      const tries = [...r.explanation.matchAll(/`\/attention ([^`]*)`/g)].map((m) => m[1]);
      assert.ok(tries.length >= 1, r.explanation);
      for (const t of tries) {
        const raw = Object.fromEntries(t.split(' ').map((kv) => kv.split(':')).map(([k, v]) => [k, /^\d+$/.test(v) ? Number(v) : v]));
        const o = parseOptions(attentionAnalysis.options, raw) as Record<string, unknown>;
        if (typeof o.layer === 'number') assert.ok(o.layer < eng.config.n_layer, `${t} on ${eng.name}`);
        if (typeof o.head === 'number') assert.ok(o.head < eng.config.n_head, `${t} on ${eng.name}`);
        assert.notDeepEqual(o, parseOptions(attentionAnalysis.options, {}), `${t} repeats the default run`);
      }
    }
  });

  test('long texts: figure data keep the first tokens of the token × token matrices', async () => {
    const r = await run({ text: 'The cat sat on the mat. '.repeat(30) });
    const s = r.data['qk-scores'] as Record<string, unknown[]>;
    assert.equal(s.scaled_scores_full_width_unmasked_first_128_tokens.length, 128);
    const p = r.data['attention-patterns'] as Record<string, unknown[][]>;
    assert.equal(p.pattern_per_head_first_64_tokens_null_where_masked[0].length, 64);
    assert.ok(JSON.stringify(r.data).length < 3_000_000);
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
    await assert.rejects(run({ scores: 'masked' }), isOptionError('scores', /full, per_head/));
  });
});
