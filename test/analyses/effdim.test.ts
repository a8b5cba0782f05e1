import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { Matrix, SingularValueDecomposition } from 'ml-matrix';
import { effdimAnalysis } from '../../src/analyses/effdim.ts';
import { runAnalysis, TINY_NOTE } from '../../src/analyses/run.ts';
import { OptionError, type AnalysisResult } from '../../src/analyses/types.ts';
import { disposeEngines, getEngine } from '../../src/llm/provider.ts';
import type { Engine } from '../../src/llm/types.ts';
import { decodePng } from '../../src/render/png.ts';
import { optionErrorMessage } from './reference.ts';

const close = (a: number, b: number, tol: number, what: string) => assert.ok(Math.abs(a - b) <= tol, `${what}: ${a} vs ${b}`);

/** Singular values of the column-centred rows × cols matrix by ml-matrix's full SVD (not the analysis' Gram route). */
function referenceSpectrum(data: Float32Array, rows: number, cols: number): number[] {
  const m = Array.from({ length: rows }, (_, i) => Array.from(data.subarray(i * cols, (i + 1) * cols)));
  for (let j = 0; j < cols; j++) {
    const mu = m.reduce((s, r) => s + r[j], 0) / rows;
    for (const r of m) r[j] -= mu;
  }
  return new SingularValueDecomposition(new Matrix(m), { computeLeftSingularVectors: false, computeRightSingularVectors: false }).diagonal;
}

/** The notebook's definition written out: 100·s²/Σs², cumulative, first index above the threshold, + 1. */
function referenceDims(s: number[], threshold: number): number {
  const total = s.reduce((a, v) => a + v * v, 0);
  let run = 0;
  for (let i = 0; i < s.length; i++) {
    run += (100 * s[i] * s[i]) / total;
    if (run > threshold) return i + 1;
  }
  return s.length;
}

type Dims = { real: number[]; shuffled: number[]; max_possible: number; threshold_percent: number };
type Cumulative = { token_ids: number[]; shuffled_token_ids: number[]; real_singular_values: number[][]; shuffled_singular_values: number[][]; excerpt: { book_tokens: number; first_token: number } };

let engine: Engine;
let result: AnalysisResult;
const stages: { stage: string; fraction?: number }[] = [];
const run = (opts: Record<string, unknown>) => runAnalysis(effdimAnalysis, opts, { engine: async () => engine });

before(async () => {
  engine = await getEngine({ model: 'tiny-random' });
  result = await runAnalysis(effdimAnalysis, { seed: 3 }, { engine: async () => engine, progress: (stage, fraction) => stages.push({ stage, fraction }) });
});
after(() => disposeEngines());

describe('/effdim', () => {
  test("defaults are the notebook's: tokens 10000–11023 of Alice in Wonderland (Gutenberg #11), 95%, layer 5; the notebook's model is gpt2-xl", () => {
    const o = effdimAnalysis.options.parse({});
    assert.deepEqual({ start: o.start, tokens: o.tokens, threshold: o.threshold }, { start: 10000, tokens: 1024, threshold: 95 });
    assert.equal(effdimAnalysis.preferredModel, 'gpt2-xl');
    // The bundled file, read here directly (BOM stripped, LF line ends already), tokenized whole.
    const text = fs.readFileSync(new URL('../../data/gutenberg/pg11.txt', import.meta.url), 'utf8').replace(/^\uFEFF/, '');
    const all = engine.encode(text);
    const c = result.data['cumulative-variance'] as Cumulative;
    assert.deepEqual(c.token_ids, all.slice(10000, 11024));
    assert.equal(c.excerpt.book_tokens, all.length);
    // The tiny model has 3 hidden states: layer 5 falls back to the last.
    assert.equal((result.data['layer-spectrum'] as { hidden_state: number }).hidden_state, 2);
  });

  test('the shuffle is a seeded permutation of the same tokens', async () => {
    const c = result.data['cumulative-variance'] as Cumulative;
    assert.deepEqual([...c.shuffled_token_ids].sort((a, b) => a - b), [...c.token_ids].sort((a, b) => a - b));
    assert.notDeepEqual(c.shuffled_token_ids, c.token_ids);
    const again = await run({ seed: 3, tokens: 64 });
    const other = await run({ seed: 4, tokens: 64 });
    const ids = (r: AnalysisResult) => (r.data['cumulative-variance'] as Cumulative).shuffled_token_ids;
    assert.deepEqual(ids(again), ids(await run({ seed: 3, tokens: 64 })));
    assert.notDeepEqual(ids(again), ids(other));
  });

  test('singular values per hidden state equal a full SVD of the centred activations (ml-matrix), and the dims follow the definition', async () => {
    const c = result.data['cumulative-variance'] as Cumulative;
    const dims = result.data['effective-dimensionality'] as Dims;
    const L = engine.config.n_layer;
    const hooks = ['blocks.0.hook_resid_pre', ...Array.from({ length: L - 1 }, (_, l) => `blocks.${l}.hook_resid_post`), 'unembed.hook_in'];
    for (const [which, ids, sv, counts] of [
      ['real', c.token_ids, c.real_singular_values, dims.real],
      ['shuffled', c.shuffled_token_ids, c.shuffled_singular_values, dims.shuffled],
    ] as const) {
      const { cache } = await engine.run(ids, { hooks, logits: 'none' });
      assert.equal(sv.length, L + 1);
      hooks.forEach((h, i) => {
        const t = cache.get(h)!;
        const ref = referenceSpectrum(t.data, t.dims[1], t.dims[2]);
        assert.equal(sv[i].length, 64);
        // 7 significant digits in the figure data; float32 activations.
        ref.forEach((v, k) => close(sv[i][k], v, 2e-6 * ref[0], `${which} ${h} σ${k}`));
        assert.equal(counts[i], referenceDims(ref, 95), `${which} ${h} dims`);
      });
    }
    assert.equal(dims.max_possible, 64);
    const pct = result.data['effective-dimensionality-percent'] as { real_percent: number[] };
    pct.real_percent.forEach((p, i) => close(p, (100 * dims.real[i]) / 64, 1e-12, 'percent'));
  });

  test('warm-ups: a rank-2 10 × 10 matrix has two non-zero singular values and effective dimensionality ≤ 2', () => {
    const r = result.data['rank-demo'] as { matrix: number[][]; singular_values: number[]; rank: number; effective_dimensionality: number; cumulative_percent: number[] };
    assert.equal(r.rank, 2);
    assert.equal(r.matrix.length, 10);
    close(r.matrix[2][7], r.matrix[7][2], 1e-12, 'vvᵀ is symmetric');
    assert.ok(r.singular_values[2] < 1e-10 * r.singular_values[0]);
    assert.ok(r.effective_dimensionality <= 2);
    close(r.cumulative_percent[1], 100, 1e-9, 'two components hold all the variance');
    const c = result.data.concept as { x: number[]; y_noisy: number[] };
    assert.equal(c.x.length, 50);
    assert.ok(c.x.every((v) => v >= 0 && v < 5));
    assert.ok(c.x.every((v, i) => Math.abs(c.y_noisy[i] - v) < 0.5));
  });

  test('six figures, drawn, 2400 px wide; the warm-ups carry no tiny-model stamp; titles count the panels', async () => {
    assert.deepEqual(result.figures.map((f) => f.name), ['concept', 'rank-demo', 'layer-spectrum', 'cumulative-variance', 'effective-dimensionality', 'effective-dimensionality-percent']);
    for (const f of result.figures) {
      const img = await decodePng(f.png);
      assert.equal(img.width, 2400, f.name);
      assert.ok(!img.isBlank(), f.name);
      assert.ok(f.png.length < 8 * 1024 * 1024, f.name);
      assert.ok(f.alt.length > 60, f.name);
    }
    const fig = (n: string) => result.figures.find((f) => f.name === n)!;
    assert.equal(fig('concept').fromModel, false);
    assert.equal(fig('rank-demo').fromModel, false);
    assert.match(fig('cumulative-variance').title, /\(2 panels\)/);
    assert.match(fig('rank-demo').title, /\(3 panels\)/);
    const dims = result.data['effective-dimensionality'] as Dims;
    assert.ok(fig('effective-dimensionality').alt.includes(`real text from ${dims.real[0]} (embeddings) to ${dims.real[2]} (last)`));
    assert.deepEqual(result.model, { name: 'tiny-random', tinyRandom: true });
    assert.equal(result.seed, 3);
  });

  test('progress: stages for each hidden state of both texts, fractions rising from 0 to 1', () => {
    const fr = stages.filter((s) => s.fraction !== undefined).map((s) => s.fraction!);
    assert.ok(fr.every((f, i) => f >= 0 && f <= 1 && (i === 0 || f >= fr[i - 1])), fr.join(','));
    assert.equal(fr.at(-1), 1);
    assert.ok(stages.some((s) => s.stage === 'shuffled text: spectrum of hidden state 3/3'));
  });

  test('the explanation quotes the counts and suggests runnable, different options', () => {
    const dims = result.data['effective-dimensionality'] as Dims;
    assert.ok(result.explanation.includes(`need ${dims.real[0]} of 64 possible components`));
    assert.ok(result.explanation.includes(TINY_NOTE));
    const hints = [...result.explanation.matchAll(/`\/effdim ([^`]*)`/g)].map((m) => m[1]);
    assert.ok(hints.length >= 1);
    for (const h of hints) {
      const [k, v] = h.split(':');
      const opts = effdimAnalysis.options.parse({ [k]: Number(v) });
      assert.notEqual((opts as Record<string, unknown>)[k], (result.options as Record<string, unknown>)[k]);
      if (k === 'start') assert.ok(Number(v) + 1024 <= (result.data['cumulative-variance'] as Cumulative).excerpt.book_tokens);
    }
  });

  test('other options: 80% threshold, a short excerpt, a chosen layer', async () => {
    const r = await run({ threshold: 80, tokens: 48, start: 0, layer: 1, seed: 1 });
    const dims = r.data['effective-dimensionality'] as Dims;
    assert.equal(dims.threshold_percent, 80);
    // 48 tokens × 64 dimensions: at most 48 singular values.
    assert.equal(dims.max_possible, 48);
    assert.equal((r.data['layer-spectrum'] as { hidden_state: number }).hidden_state, 1);
    assert.doesNotMatch(r.explanation, /threshold:80`/);
    assert.match(r.explanation, /`\/effdim threshold:99`/);
  });

  test('bad input names the option and the limit', async () => {
    const S = effdimAnalysis.options;
    assert.match(optionErrorMessage(S, { tokens: 1025 }), /^tokens: .*1024/);
    assert.match(optionErrorMessage(S, { tokens: 15 }), /^tokens: .*16/);
    assert.match(optionErrorMessage(S, { threshold: 100 }), /^threshold: .*99\.9/);
    assert.match(optionErrorMessage(S, { threshold: 49 }), /^threshold: .*50/);
    assert.match(optionErrorMessage(S, { start: -1 }), /^start: /);
    assert.match(optionErrorMessage(S, { layer: 49 }), /^layer: .*48/);
    const isOptionError = (option: string, pattern: RegExp) => (e: unknown) => e instanceof OptionError && e.option === option && pattern.test(e.message);
    await assert.rejects(run({ layer: 3 }), isOptionError('layer', /from 0 to 2: tiny-random has 3 hidden states/));
    const total = (result.data['cumulative-variance'] as Cumulative).excerpt.book_tokens;
    await assert.rejects(run({ start: 90000 }), isOptionError('start', new RegExp(`at most ${total - 1024}: the book is ${total} tokens`)));
  });
});
