// /attention — LLM breakdown 5/6: attention. The queries, keys and values each block computes,
// the scaled dot products QKᵀ/√d and what softmax makes of them, layer by layer; the clean
// log-softmax over the vocabulary at the penultimate token; the head-lesion experiment (zero one
// head's output at the penultimate token and watch the final token's log-probability); and,
// beyond the post, each head's attention pattern over the text.
//
// Two versions of QKᵀ. The notebook's (scores:full, the default) multiplies a block's q and k
// with all heads side by side — the d_model-wide halves of c_attn's output — divides by
// √d_head, masks nothing and softmaxes over every key. What the model computes (scores:per_head)
// is one QKᵀ/√d_head per head, with the causal mask hiding later keys.
import { z } from 'zod';
import { findPost } from '../catalog/posts.ts';
import type { Engine, Intervention, Tensor } from '../llm/types.ts';
import { renderChart } from '../render/chart.ts';
import { lineChart, scatterChart, twinAxesChart } from '../render/charts.ts';
import { renderPanels } from '../render/panels.ts';
import { quoted } from './lib/literal.ts';
import { fromPosition, mean, squareRows, std, variance } from './lib/activations.ts';
import { distribution, histogramMatrix, imageLimit, leftEdges, type Distribution, type HistogramMatrix } from './lib/histogram.ts';
import { blockLabels, LINE_ONLY, layerEffectChart, plasmaColor, withBlockColorbar, withPaddedCategories } from './lib/layer-charts.ts';
import { encodeText, logitsRow } from './lib/llm-input.ts';
import { modelIndex } from './lib/model-limits.ts';
import { argmax, logSoftmax, rankOf } from './lib/probability.ts';
import { vocabDotsChart } from './lib/vocab-charts.ts';
import type { Analysis, AnalysisContext, Figure } from './types.ts';

/**
 * The notebook's quote, exactly as its triple-quoted string holds it: a line break and six spaces
 * of indentation before "because" (GPT-2 reads them as seven tokens). Its ending repeats words
 * seen earlier ("… and those who matter don't mind"), so attention to earlier tokens visibly
 * helps predict the final " mind".
 */
export const DEFAULT_TEXT = "Be who you are and say what you feel,\n      because those who mind don't matter and those who matter don't mind";
const NOTEBOOK_LAYER = 5;
const NOTEBOOK_HEAD = 4;

const Options = z
  .object({
    text: z.string().min(1).max(2000).default(DEFAULT_TEXT).describe('Text to run through the model (at least 3 tokens)'),
    layer: z.number().int().min(0).max(47).optional()
      .describe('Block for the one-block figures (default as in the notebook: 5 for Q/K/V and the patterns, the last block for QKᵀ)'),
    head: z.number().int().min(0).max(24).optional()
      .describe('Head for the lesion and the per_head QKᵀ (default 4 as in the notebook, or the last)'),
    scores: z.enum(['full', 'per_head']).default('full')
      .describe("QKᵀ as the notebook computes it (all heads at once, d_model wide, no causal mask) or as the model does (per head, masked)"),
    lesion: z.enum(['one_head', 'every_head']).default('one_head')
      .describe("Lesion the chosen head in each block (the post's), or every head (block × head, ~20 s on gpt2)"),
  })
  .strict();

type Opts = z.infer<typeof Options>;

/** The notebook's common bins for the Q/K/V images: np.linspace(-5, 5, 101), density. */
export const QKV_BINS = { bins: 100, range: [-5, 5] as [number, number], density: true };
/** np.histogram(x, 20, density=True) for the per-layer score and softmax distributions. */
const SCORE_BINS = { bins: 20, density: true };
const QKV = ['q', 'k', 'v'] as const;
type Qkv = (typeof QKV)[number];

export interface AttentionData {
  tokens: string[];
  nLayers: number;
  nHeads: number;
  dModel: number;
  dHead: number;
  /** Block of the Q/K/V distribution figure and the attention patterns. */
  layer: number;
  head: number;
  /** Which QKᵀ the score figures show (see the header comment). */
  scoresMode: Opts['scores'];
  /** Block of the QKᵀ matrix. */
  qkLayer: number;
  /** Q, K, V of `layer` (tokens after the first, all heads): shared 100 bins over their range. */
  qkvLayer: Record<Qkv, Distribution>;
  /** Layer × bin densities on QKV_BINS. */
  qkvHists: Record<Qkv, HistogramMatrix>;
  qkvVariance: Record<Qkv, number[]>;
  /**
   * QKᵀ/√d_head of `qkLayer`, tokens after the first: (n−1)², row = query, column = key. Full:
   * every entry; per_head: head `head`, NaN where the causal mask hides the key.
   */
  scores: Float64Array;
  /** Per block: densities of the scores (first token left out; per_head: the unmasked ones) … */
  scoreHists: Distribution[];
  /** … and of their softmax (full: over every key; per_head: the model's attention weights). */
  softmaxHists: Distribution[];
  scoreMean: number[];
  scoreStd: number[];
  /** Attention pattern of each head of `layer`: n × n, NaN above the diagonal. */
  patterns: Float64Array[];
  /** Clean log-softmax over the vocabulary at the penultimate position. */
  penultimate: { logProbs: Float64Array; finalId: number; finalToken: string; rank: number; topId: number; topToken: string };
  lesion: {
    mode: Opts['lesion'];
    finalToken: string;
    clean: number;
    /** one_head: one value per block (head `head`); every_head: block × head, row-major. */
    values: number[];
    patches: Intervention[][];
  };
}

/** `x[0, head, q, k]` of a [1, head, pos, pos] tensor. */
const at4 = (t: Tensor, head: number, q: number, k: number) => t.data[(head * t.dims[2] + q) * t.dims[3] + k];

/** Scores with queries and keys after the first token and k ≤ q (the causal mask's −inf left out). */
function visibleScores(t: Tensor, heads: number, n: number): Float32Array {
  const out = new Float32Array(heads * ((n - 1) * n) / 2);
  let o = 0;
  for (let h = 0; h < heads; h++) for (let q = 1; q < n; q++) for (let k = 1; k <= q; k++) out[o++] = at4(t, h, q, k);
  return out;
}

/** Attention weights of queries after the first over every key they may see (each row sums to 1). */
function visibleWeights(t: Tensor, heads: number, n: number): Float32Array {
  const out = new Float32Array(heads * ((n - 1) * (n + 2)) / 2);
  let o = 0;
  for (let h = 0; h < heads; h++) for (let q = 1; q < n; q++) for (let k = 0; k <= q; k++) out[o++] = at4(t, h, q, k);
  return out;
}

function squareWithMask(t: Tensor, head: number, from: number, n: number): Float64Array {
  const m = n - from;
  const out = new Float64Array(m * m);
  for (let q = 0; q < m; q++) for (let k = 0; k < m; k++) out[q * m + k] = k <= q ? at4(t, head, q + from, k + from) : NaN;
  return out;
}

/**
 * The notebook's `q[0,1:,:] @ k[0,1:,:].T / sqrt(head_dim)`: a block's queries and keys with all
 * heads side by side (hook_q's [1, pos, head, d_head] is c_attn's q half, pos × d_model, in
 * memory), every token after the first against every other, no mask. (n−1)², row-major.
 */
export function fullWidthScores(q: Tensor, k: Tensor, dHead: number): Float64Array {
  const n = q.dims[1];
  const D = q.dims[2] * q.dims[3];
  const m = n - 1;
  const out = new Float64Array(m * m);
  const scale = 1 / Math.sqrt(dHead);
  const qd = q.data;
  const kd = k.data;
  for (let i = 0; i < m; i++) {
    const qo = (i + 1) * D;
    for (let j = 0; j < m; j++) {
      const ko = (j + 1) * D;
      // Four partial sums: about 3× faster than one (a 500-token text on gpt2 is 12 × 250k dot products).
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      let c = 0;
      for (; c + 3 < D; c += 4) {
        s0 += qd[qo + c] * kd[ko + c];
        s1 += qd[qo + c + 1] * kd[ko + c + 1];
        s2 += qd[qo + c + 2] * kd[ko + c + 2];
        s3 += qd[qo + c + 3] * kd[ko + c + 3];
      }
      for (; c < D; c++) s0 += qd[qo + c] * kd[ko + c];
      out[i * m + j] = (s0 + s1 + s2 + s3) * scale;
    }
  }
  return out;
}

/** Softmax of each row of an m × m matrix over all its columns (F.softmax(x, dim=-1)). */
function rowSoftmax(x: Float64Array, m: number): Float64Array {
  const out = new Float64Array(x.length);
  for (let i = 0; i < m; i++) {
    let max = -Infinity;
    for (let j = 0; j < m; j++) max = Math.max(max, x[i * m + j]);
    let sum = 0;
    for (let j = 0; j < m; j++) sum += (out[i * m + j] = Math.exp(x[i * m + j] - max));
    for (let j = 0; j < m; j++) out[i * m + j] /= sum;
  }
  return out;
}

async function headLesion(engine: Engine, ids: number[], mode: Opts['lesion'], head: number, ctx: AnalysisContext, cleanLogits: Tensor) {
  const n = ids.length;
  const final = ids[n - 1];
  // The notebook reads the log-softmax at the penultimate position for the final token.
  const logProb = (logits: Tensor) => logSoftmax(logitsRow(logits, n - 2))[final];
  const L = engine.config.n_layer;
  const heads = mode === 'one_head' ? [head] : Array.from({ length: engine.config.n_head }, (_, h) => h);
  const values: number[] = [];
  const patches: Intervention[][] = [];
  for (let l = 0; l < L; l++) {
    for (const h of heads) {
      ctx.progress(`lesion block ${l + 1}/${L}${heads.length > 1 ? `, head ${h + 1}/${heads.length}` : ''}`, 0.3 + (0.7 * (l * heads.length + heads.indexOf(h))) / (L * heads.length));
      // The notebook's pre-hook on attn.c_proj zeroes one head's slice of z at position −2.
      const p: Intervention[] = [{ hook: `blocks.${l}.attn.hook_z`, op: 'set', value: 0, pos: -2, head: h }];
      patches.push(p);
      values.push(logProb((await engine.run(ids, { patches: p, logits: 'all' })).logits!));
    }
  }
  return { mode, finalToken: engine.tokenText(final), clean: logProb(cleanLogits), values, patches };
}

async function compute(opts: Opts, ctx: AnalysisContext): Promise<AttentionData> {
  const engine = await ctx.engine();
  const { n_layer: L, n_head: H, n_embd } = engine.config;
  const dHead = n_embd / H;
  const ids = encodeText(engine, opts.text, 'text', 3);
  const n = ids.length;
  const layer = modelIndex(opts.layer, NOTEBOOK_LAYER, L, 'layer', 'blocks (n_layer)', engine);
  // The notebook's QKᵀ matrix uses the q and k its loop over blocks left behind: the last block's.
  const qkLayer = modelIndex(opts.layer, L - 1, L, 'layer', 'blocks (n_layer)', engine);
  const head = modelIndex(opts.head, NOTEBOOK_HEAD, H, 'head', 'heads per block (n_head)', engine);

  ctx.progress('forward pass with attention hooks', 0.05);
  const hooks = ['hook_q', 'hook_k', 'hook_v', 'hook_attn_scores', 'hook_pattern'].map((h) => `blocks.*.attn.${h}`);
  const { cache, logits } = await engine.run(ids, { hooks, logits: 'all' });
  const get = (l: number, name: string) => cache.get(`blocks.${l}.attn.${name}`)!;
  ctx.progress('Q, K, V and QKᵀ statistics per block', 0.2);

  // The notebook leaves out the first token everywhere: its q, k and v are outliers.
  const qkvValues = (l: number) => Object.fromEntries(QKV.map((x) => [x, fromPosition(get(l, `hook_${x}`), 1)])) as Record<Qkv, Float32Array>;
  const perLayer = Array.from({ length: L }, (_, l) => qkvValues(l));
  const qkvHists = Object.fromEntries(QKV.map((x) => [x, histogramMatrix(perLayer.map((v) => v[x]), QKV_BINS)])) as Record<Qkv, HistogramMatrix>;
  const qkvVariance = Object.fromEntries(QKV.map((x) => [x, perLayer.map((v) => variance(v[x]))])) as Record<Qkv, number[]>;
  const mine = perLayer[layer];
  const shared = histogramMatrix(QKV.map((x) => mine[x]), { bins: 100, density: true });
  const qkvLayer = Object.fromEntries(
    QKV.map((x, i) => [x, { edges: shared.edges, values: Array.from(shared.data.subarray(i * 100, (i + 1) * 100)) }]),
  ) as Record<Qkv, Distribution>;

  const scoreHists: Distribution[] = [];
  const softmaxHists: Distribution[] = [];
  const scoreMean: number[] = [];
  const scoreStd: number[] = [];
  let scores: Float64Array | undefined;
  for (let l = 0; l < L; l++) {
    let s: ArrayLike<number>;
    if (opts.scores === 'full') {
      const full = fullWidthScores(get(l, 'hook_q'), get(l, 'hook_k'), dHead);
      if (l === qkLayer) scores = full;
      s = full;
      softmaxHists.push(distribution(rowSoftmax(full, n - 1), SCORE_BINS));
    } else {
      s = visibleScores(get(l, 'hook_attn_scores'), H, n);
      softmaxHists.push(distribution(visibleWeights(get(l, 'hook_pattern'), H, n), SCORE_BINS));
    }
    scoreHists.push(distribution(s, SCORE_BINS));
    scoreMean.push(mean(s));
    scoreStd.push(std(s));
  }
  if (opts.scores === 'per_head') scores = squareWithMask(get(qkLayer, 'hook_attn_scores'), head, 1, n);
  const pattern = get(layer, 'hook_pattern');
  const patterns = Array.from({ length: H }, (_, h) => squareWithMask(pattern, h, 0, n));

  const logProbs = logSoftmax(logitsRow(logits!, n - 2));
  const finalId = ids[n - 1];
  const topId = argmax(logProbs);
  const penultimate = { logProbs, finalId, finalToken: engine.tokenText(finalId), rank: rankOf(logProbs, finalId), topId, topToken: engine.tokenText(topId) };

  const lesion = await headLesion(engine, ids, opts.lesion, head, ctx, logits!);
  return {
    tokens: ids.map((t) => engine.tokenText(t)),
    nLayers: L,
    nHeads: H,
    dModel: n_embd,
    dHead,
    layer,
    head,
    scoresMode: opts.scores,
    qkLayer,
    qkvLayer,
    qkvHists,
    qkvVariance,
    scores: scores!,
    scoreHists,
    softmaxHists,
    scoreMean,
    scoreStd,
    patterns,
    penultimate,
    lesion,
  };
}

// ─── Figures ────────────────────────────────────────────────────────────────────────────────

const q = (s: string) => JSON.stringify(s);
const QKV_COLORS: Record<Qkv, string> = { q: '#ff9f43', k: '#4ea1ff', v: '#5ad16a' };
const fmt = (x: number) => (Math.abs(x) >= 100 ? x.toFixed(0) : Math.abs(x) >= 1 ? x.toFixed(2) : x.toFixed(3));
const signed = (x: number) => `${x >= 0 ? '+' : '−'}${Math.abs(x).toFixed(3)}`;

/** Tokens as tick labels, with spaces-only tokens (the notebook text's indentation) shown as ␣. */
const tickLabels = (tokens: readonly string[]) => tokens.map((t) => (/^ +$/.test(t) ? '␣'.repeat(t.length) : t));

/** How the score figures' QKᵀ was computed, in a few words. */
function scoresWhat(d: AttentionData): string {
  return d.scoresMode === 'full'
    ? `all ${d.nHeads} heads together (d_model = ${d.dModel}), no causal mask`
    : `per head (d_head = ${d.dHead}), causal mask`;
}

function qkvLayerFigure(d: AttentionData): Promise<Buffer> {
  return renderChart(
    lineChart({
      title: `Distribution of block ${d.layer} attention activations`,
      subtitle: `queries, keys and values of all ${d.nHeads} heads, first token left out`,
      xLabel: 'activation value',
      yLabel: 'density',
      yMin: 0,
      series: QKV.map((x) => ({ label: x.toUpperCase(), values: d.qkvLayer[x].values, x: leftEdges(d.qkvLayer[x]), color: QKV_COLORS[x], pointRadius: LINE_ONLY })),
    }),
    { height: 480 },
  );
}

function qkvByLayerFigure(d: AttentionData): Promise<Buffer> {
  const panels = QKV.map((x) => ({
    matrix: {
      data: d.qkvHists[x].data,
      rows: d.nLayers,
      cols: QKV_BINS.bins,
      colormap: 'magma' as const,
      vmin: 0,
      vmax: imageLimit(d.qkvHists[x]),
      origin: 'lower' as const,
      aspect: 'auto' as const,
      xRange: QKV_BINS.range,
      yTicks: blockLabels(d.nLayers),
      title: `${x.toUpperCase()} activations`,
      xLabel: 'activation value',
      yLabel: 'transformer block',
      colorbarLabel: 'density',
    },
  }));
  return renderPanels(panels, { columns: 3, panelHeight: 520, title: 'Q, K and V histograms per block (block 0 at the bottom)' });
}

function varianceFigure(d: AttentionData): Promise<Buffer> {
  const config = lineChart({
    title: 'Variance of attention activations',
    xLabel: 'transformer block',
    yLabel: 'variance',
    categories: blockLabels(d.nLayers),
    series: QKV.map((x) => ({ label: x.toUpperCase(), values: d.qkvVariance[x], color: QKV_COLORS[x] })),
  });
  return renderChart(withPaddedCategories(config), { height: 460 });
}

function scoresFigure(d: AttentionData): Promise<Buffer> {
  const m = d.tokens.length - 1;
  const values = Array.from(d.scores).filter(Number.isFinite);
  const labels = tickLabels(d.tokens.slice(1));
  const full = d.scoresMode === 'full';
  return renderPanels(
    [
      {
        matrix: {
          data: d.scores,
          rows: m,
          cols: m,
          colormap: 'magma',
          xTicks: labels,
          yTicks: labels,
          title: full ? `QKᵀ/√d_head, block ${d.qkLayer}, all heads, no mask` : `QKᵀ/√d_head, block ${d.qkLayer}, head ${d.head}`,
          xLabel: 'key token',
          yLabel: 'query token',
          colorbarLabel: 'scaled dot product',
        },
      },
      scatterChart({
        title: 'Distribution of QKᵀ/√d_head',
        subtitle: full
          ? `all ${values.length} dot products, ${d.dModel}-wide q and k, ÷ √${d.dHead}`
          : `${values.length} unmasked dot products (d_head = ${d.dHead})`,
        xLabel: 'dot product index',
        yLabel: 'dot product value',
        legend: false,
        series: [{ label: 'QKᵀ/√d', values, colorValues: values }],
        colorScale: { colormap: 'magma', label: 'value' },
      }),
    ],
    { columns: 2, panelHeight: 600 },
  );
}

function distributionsFigure(d: AttentionData): Promise<Buffer> {
  const L = d.nLayers;
  const lines = (hists: Distribution[]) =>
    hists.map((h, l) => ({ label: `_L${l}`, values: h.values, x: leftEdges(h), color: plasmaColor(l, L), pointRadius: LINE_ONLY }));
  const full = d.scoresMode === 'full';
  const scores = lineChart({ title: 'Distribution of QKᵀ/√d_head', subtitle: `${scoresWhat(d)}, first token left out`, xLabel: 'activation value', yLabel: 'density', yMin: 0, series: lines(d.scoreHists), legend: false });
  const weights = withBlockColorbar(
    lineChart({
      title: 'Distribution of softmax(QKᵀ/√d_head)',
      subtitle: full ? 'softmax of each query over every key' : "the model's attention weights, queries after the first",
      xLabel: 'softmax probability',
      yLabel: 'density (log scale)',
      logY: true,
      series: lines(d.softmaxHists),
      legend: false,
    }),
    L,
  );
  return renderPanels([scores, weights], { columns: 2, panelHeight: 500 });
}

function statsFigure(d: AttentionData): Promise<Buffer> {
  return renderChart(
    withPaddedCategories(twinAxesChart({
      title: 'Mean and standard deviation of QKᵀ/√d_head per block',
      subtitle: scoresWhat(d),
      xLabel: 'transformer block',
      yLabel: 'activation mean',
      y2Label: 'activation stdev.',
      categories: blockLabels(d.nLayers),
      left: { label: 'mean', values: d.scoreMean, color: '#b3e6b3' },
      right: { label: 'stdev.', values: d.scoreStd, color: '#b3b3e6' },
    })),
    { height: 460 },
  );
}

function logSoftmaxFigure(d: AttentionData): Promise<Buffer> {
  const p = d.penultimate;
  return renderChart(
    vocabDotsChart({
      title: 'Log softmax for penultimate token',
      yLabel: 'Log probability',
      values: p.logProbs,
      color: '#b3b3e6',
      mark: { id: p.finalId, label: `Final token (${q(p.finalToken)}), rank ${p.rank + 1}` },
    }),
    { width: 1200, height: 460 },
  );
}

function patternsFigure(d: AttentionData): Promise<Buffer> {
  const columns = d.nHeads <= 4 ? 2 : 3;
  const panels = d.patterns.map((p, h) => ({
    matrix: {
      data: p,
      rows: d.tokens.length,
      cols: d.tokens.length,
      colormap: 'viridis' as const,
      vmin: 0,
      vmax: 1,
      xTicks: tickLabels(d.tokens),
      yTicks: tickLabels(d.tokens),
      title: `head ${h}`,
      colorbar: false,
    },
  }));
  return renderPanels(panels, {
    columns,
    panelHeight: 440,
    title: `Attention patterns of block ${d.layer}, ${d.nHeads} heads (row: query, column: key; weight 0 dark → 1 bright)`,
  });
}

function lesionFigure(d: AttentionData): Promise<Buffer> {
  const s = d.lesion;
  const what = `log P(${q(s.finalToken)}) at the penultimate token`;
  if (s.mode === 'one_head') {
    return renderChart(
      layerEffectChart({
        title: `Zeroing head ${d.head} at the penultimate token, one block at a time`,
        subtitle: what,
        values: s.values,
        clean: s.clean,
        color: s.values.map((_, l) => plasmaColor(l, d.nLayers)),
        cleanLabel: `clean log-prob ${s.clean.toFixed(3)}`,
      }),
      { height: 480 },
    );
  }
  const delta = s.values.map((v) => v - s.clean);
  return renderPanels(
    [
      {
        matrix: {
          data: delta,
          rows: d.nLayers,
          cols: d.nHeads,
          symmetric: true,
          colormap: 'bwr',
          // Wide cells so the printed values fit; gpt2-medium and larger are colour only.
          aspect: 'auto',
          annotate: d.nLayers * d.nHeads <= 200,
          xLabel: 'head',
          yLabel: 'transformer block',
          yTicks: blockLabels(d.nLayers),
          title: `Change in ${what} when one head is zeroed`,
          colorbarLabel: `Δ log-prob (clean ${s.clean.toFixed(3)})`,
        },
      },
    ],
    { columns: 1, panelHeight: Math.min(1400, Math.max(520, 40 * d.nLayers + 160)) },
  );
}

/**
 * The lesion that lowers log P(final token) most — or, where none lowers it, the one that raises
 * it least — and the sentence the alt text and the explanation share.
 */
function lesionSummary(d: AttentionData) {
  const s = d.lesion;
  const delta = s.values.map((v) => v - s.clean);
  const worst = delta.reduce((b, x, i) => (x < delta[b] ? i : b), 0);
  const perRow = s.mode === 'one_head' ? 1 : d.nHeads;
  const layer = Math.floor(worst / perRow);
  const head = s.mode === 'one_head' ? d.head : worst % perRow;
  const drops = delta.filter((x) => x < 0).length;
  const where = s.mode === 'one_head' ? `block ${layer}` : `block ${layer}, head ${head}`;
  const lp = `log P(${q(s.finalToken)})`;
  const sentence =
    drops > 0
      ? `${drops} of ${delta.length} lesions ${drops === 1 ? 'lowers' : 'lower'} ${lp}; the largest drop is ${where} (${s.values[worst].toFixed(3)}, ${signed(delta[worst])} from the clean ${s.clean.toFixed(3)}).`
      : `None of the ${delta.length} lesions lowers ${lp} below the clean ${s.clean.toFixed(3)}; the smallest rise is ${where} (${s.values[worst].toFixed(3)}, ${signed(delta[worst])}).`;
  return { delta, worst, layer, head, drops, sentence };
}

async function render(d: AttentionData): Promise<Figure[]> {
  const s = d.lesion;
  const les = lesionSummary(d);
  const p = d.penultimate;
  const pngs = await Promise.all([
    qkvLayerFigure(d),
    qkvByLayerFigure(d),
    varianceFigure(d),
    scoresFigure(d),
    distributionsFigure(d),
    statsFigure(d),
    logSoftmaxFigure(d),
    lesionFigure(d),
    patternsFigure(d),
  ]);
  const full = d.scoresMode === 'full';
  const meta: Omit<Figure, 'png'>[] = [
    {
      name: 'qkv-layer',
      title: `Q, K and V distributions, block ${d.layer}`,
      alt: `Density of the query, key and value activations of block ${d.layer} (all heads, first token left out); variances ${fmt(d.qkvVariance.q[d.layer])}, ${fmt(d.qkvVariance.k[d.layer])} and ${fmt(d.qkvVariance.v[d.layer])}.`,
    },
    {
      name: 'qkv-by-layer',
      title: 'Q, K and V histograms per block (3 panels)',
      alt: `Three images (Q, K, V): rows are the ${d.nLayers} blocks, columns 100 bins from −5 to 5, brightness the density of activations in that bin.`,
    },
    {
      name: 'qkv-variance',
      title: 'Variance of Q, K and V per block',
      alt: `Variance of queries, keys and values in each of the ${d.nLayers} blocks; the largest is ${maxOf(d)}.`,
    },
    {
      name: 'qk-scores',
      title: full ? `QKᵀ/√d_head, block ${d.qkLayer}, all heads` : `QKᵀ/√d_head, block ${d.qkLayer} head ${d.head}`,
      alt: full
        ? `Left: the scaled dot products between the full-width (${d.dModel}-value) query and key of every pair of tokens after the first in block ${d.qkLayer}, all heads together and no causal mask, with token labels. Right: the same ${(d.tokens.length - 1) ** 2} values in order, coloured by value, from ${fmt(minFinite(d.scores))} to ${fmt(maxFinite(d.scores))}.`
        : `Left: the scaled dot products of head ${d.head} in block ${d.qkLayer} between each query token and the key tokens it may attend to (first token left out; the masked upper triangle is empty), with token labels. Right: the same values in order, coloured by value, from ${fmt(minFinite(d.scores))} to ${fmt(maxFinite(d.scores))}.`,
    },
    {
      name: 'score-distributions',
      title: 'QKᵀ and softmax distributions per block (2 panels)',
      alt: `Left: density of QKᵀ/√d_head (${scoresWhat(d)}) per block, one line per block coloured from dark (block 0) to bright. Right: density of ${full ? 'its softmax over every key' : 'the attention weights'}, on a log scale; in block ${d.qkLayer}, ${pct(lowestBinShare(d.softmaxHists[d.qkLayer]))} of the weights fall in the lowest of 20 bins.`,
    },
    {
      name: 'score-stats',
      title: 'Mean and standard deviation of QKᵀ/√d_head',
      alt: `Mean (left axis) and standard deviation (right axis) of the scaled dot products (${scoresWhat(d)}) per block; the standard deviation ranges from ${fmt(Math.min(...d.scoreStd))} to ${fmt(Math.max(...d.scoreStd))}.`,
    },
    {
      name: 'log-softmax',
      title: 'Log softmax for the penultimate token',
      alt: `Log-probability of each of the ${p.logProbs.length} vocabulary entries at the penultimate token (${q(d.tokens[d.tokens.length - 2])}); the final token ${q(p.finalToken)} (id ${p.finalId}) is marked: ${p.logProbs[p.finalId].toFixed(3)}, rank ${p.rank + 1}. The top entry is ${q(p.topToken)} (${p.logProbs[p.topId].toFixed(3)}).`,
    },
    {
      name: 'head-lesion',
      title: 'Head lesion',
      alt:
        s.mode === 'one_head'
          ? `Log-probability of the final token ${q(s.finalToken)} at the penultimate position when head ${d.head} is zeroed there, one block at a time; dashed line: clean value ${s.clean.toFixed(3)}. ${les.sentence}`
          : `Block × head image of the change in log-probability of the final token ${q(s.finalToken)} when that one head is zeroed at the penultimate position (blue lower, red higher). ${les.sentence}`,
    },
    {
      name: 'attention-patterns',
      title: `Attention patterns of block ${d.layer} (${d.nHeads} panels)`,
      alt: `A grid of ${d.nHeads} heatmaps, one per head of block ${d.layer}: row = query token, column = key token (labelled with the text's tokens), brightness = attention weight; above the diagonal is masked.`,
    },
  ];
  return meta.map((m, i) => ({ ...m, png: pngs[i] }));
}

function maxOf(d: AttentionData): string {
  let best = { x: 'q' as Qkv, l: 0, v: -Infinity };
  for (const x of QKV) d.qkvVariance[x].forEach((v, l) => { if (v > best.v) best = { x, l, v }; });
  return `${best.x.toUpperCase()} in block ${best.l} (${fmt(best.v)})`;
}

function minFinite(a: ArrayLike<number>): number {
  let m = Infinity;
  for (let i = 0; i < a.length; i++) if (a[i] < m) m = a[i];
  return m;
}

function maxFinite(a: ArrayLike<number>): number {
  let m = -Infinity;
  for (let i = 0; i < a.length; i++) if (a[i] > m) m = a[i];
  return m;
}

/** Share of the values in the lowest bin of a density histogram. */
const lowestBinShare = (h: Distribution) => h.values[0] * (h.edges[1] - h.edges[0]);
const pct = (x: number) => `${(100 * x).toFixed(0)} %`;

/** One runnable next step that changes something about this run and is valid on its model. */
function suggestion(d: AttentionData, opts: Opts, les: ReturnType<typeof lesionSummary>): string {
  // Another block for every one-block figure: the first, or from the first the notebook's block 5 (or the last).
  const block = d.layer !== 0 || d.qkLayer !== 0 ? 0 : Math.min(NOTEBOOK_LAYER, d.nLayers - 1);
  const other = block !== d.layer || block !== d.qkLayer ? `, or \`/attention layer:${block}\` for ${block === 0 ? 'the first' : `block ${block}'s`}${block === 0 ? " block's" : ''} Q/K/V, scores and patterns` : '';
  if (opts.scores === 'full') return `Try \`/attention scores:per_head\` to see the per-head, causally masked scores the model really softmaxes${other}.`;
  if (opts.lesion === 'one_head') return `Try \`/attention lesion:every_head\` to lesion every head of every block${other}.`;
  const effect = les.drops > 0 ? 'lowered' : 'raised the least';
  return `Try \`/attention head:${les.head} layer:${les.layer} scores:per_head\` to look at the QKᵀ and patterns of block ${les.layer}, head ${les.head}, whose lesion ${effect} log P(${q(d.lesion.finalToken)})${les.drops > 0 ? ' the most' : ''}.`;
}

function explain(d: AttentionData, opts: Opts): string {
  const s = d.lesion;
  const les = lesionSummary(d);
  const p = d.penultimate;
  const sharpest = d.scoreStd.reduce((b, x, i) => (x > d.scoreStd[b] ? i : b), 0);
  const small = les.delta.filter((x) => Math.abs(x) < 0.01).length;
  const versions =
    d.scoresMode === 'full'
      ? `The QKᵀ figures follow the notebook: each block's queries and keys with all ${d.nHeads} heads side by side (${d.dModel} values per token), divided by √d_head = ${fmt(Math.sqrt(d.dHead))}, with no causal mask and softmax over every key — a summary of the block, not what the model uses, which scores each head's ${d.dHead}-value slices separately and hides later tokens.`
      : `The QKᵀ figures show what the model computes: one score matrix per head (${d.dHead}-value slices of q and k, ÷ √${d.dHead}) with the causal mask hiding later keys, so each query's softmax covers only the tokens before it (the notebook's default multiplies the full ${d.dModel}-value vectors of all heads at once, with no mask).`;
  const lesionText =
    s.mode === 'one_head'
      ? `Zeroing head ${d.head} at the penultimate token, block by block: ${les.sentence} In ${small} of ${d.nLayers} blocks it moves by less than 0.01.`
      : `Zeroing one head at a time: ${les.sentence} ${small} of the ${les.delta.length} lesions move it by less than 0.01.`;
  return [
    versions,
    `The scores spread widest in block ${sharpest} (standard deviation ${fmt(d.scoreStd[sharpest])}); after softmax, ${pct(lowestBinShare(d.softmaxHists[d.qkLayer]))} of block ${d.qkLayer}'s weights fall in the lowest of 20 bins.`,
    `Before the lesions, the model gives the final token ${quoted(p.finalToken)} a log-probability of ${p.logProbs[p.finalId].toFixed(3)} at the penultimate position (rank ${p.rank + 1} of ${p.logProbs.length}; top guess ${quoted(p.topToken)}).`,
    lesionText,
    `The pattern grid (beyond the post) shows where each head of block ${d.layer} looks; a bright first column is a head parking its attention on the first token.`,
    suggestion(d, opts, les),
  ].join(' ');
}

const DATA_TOKENS = 128;
/** One matrix per head: a smaller corner. */
const DATA_PATTERN_TOKENS = 64;

function figureData(d: AttentionData): Record<string, unknown> {
  const s = d.lesion;
  const p = d.penultimate;
  const hist = (h: Distribution) => ({ bin_edges: h.edges, density: h.values });
  const matrixRows = (m: ArrayLike<number>, rows: number, cols: number) =>
    Array.from({ length: rows }, (_, r) => Array.from({ length: cols }, (_, c) => (Number.isFinite(m[r * cols + c]) ? m[r * cols + c] : null)));
  const n = d.tokens.length;
  // Token × token matrices grow with the square of the text: long texts keep the first tokens.
  const full = d.scoresMode === 'full';
  const scoresBase = full ? 'scaled_scores_full_width_unmasked' : 'scaled_scores_null_where_masked';
  const scoresKey = n - 1 > DATA_TOKENS ? `${scoresBase}_first_${DATA_TOKENS}_tokens` : scoresBase;
  const patternKey = n > DATA_PATTERN_TOKENS ? `pattern_per_head_first_${DATA_PATTERN_TOKENS}_tokens_null_where_masked` : 'pattern_per_head_null_where_masked';
  return {
    'qkv-layer': { layer: d.layer, ...Object.fromEntries(QKV.map((x) => [x, hist(d.qkvLayer[x])])) },
    'qkv-by-layer': {
      bin_edges: d.qkvHists.q.edges,
      ...Object.fromEntries(QKV.map((x) => [`${x}_density_block_by_bin`, matrixRows(d.qkvHists[x].data, d.nLayers, QKV_BINS.bins)])),
    },
    'qkv-variance': { blocks: blockLabels(d.nLayers), ...Object.fromEntries(QKV.map((x) => [x, d.qkvVariance[x]])) },
    'qk-scores': {
      scores: d.scoresMode,
      layer: d.qkLayer,
      ...(full ? { heads: 'all', d_model: d.dModel } : { head: d.head }),
      d_head: d.dHead,
      divided_by: Math.sqrt(d.dHead),
      tokens_after_first: d.tokens.slice(1, DATA_TOKENS + 1),
      [scoresKey]: squareRows(d.scores, n - 1, DATA_TOKENS),
    },
    'score-distributions': { scores: d.scoresMode, scores_per_block: d.scoreHists.map(hist), softmax_per_block: d.softmaxHists.map(hist) },
    'score-stats': { scores: d.scoresMode, mean_per_block: d.scoreMean, std_per_block_ddof1: d.scoreStd },
    'log-softmax': {
      position: n - 2,
      token: d.tokens[n - 2],
      final_token_id: p.finalId,
      final_token: p.finalToken,
      final_log_prob: p.logProbs[p.finalId],
      final_rank: p.rank + 1,
      log_softmax: Array.from(p.logProbs, (v) => Number(v.toPrecision(6))),
    },
    'head-lesion': {
      mode: s.mode,
      tokens: d.tokens,
      final_token: s.finalToken,
      clean_log_prob: s.clean,
      ...(s.mode === 'one_head'
        ? { head: d.head, log_prob_per_block: s.values }
        : { log_prob_block_by_head: matrixRows(s.values, d.nLayers, d.nHeads) }),
      patches: s.patches,
    },
    'attention-patterns': { layer: d.layer, tokens: d.tokens.slice(0, DATA_PATTERN_TOKENS), [patternKey]: d.patterns.map((x) => squareRows(x, n, DATA_PATTERN_TOKENS)) },
  };
}

export const attentionAnalysis: Analysis<typeof Options, AttentionData> = {
  id: 'attention',
  post: findPost('attention')!,
  usesModel: true,
  preferredModel: 'gpt2-large',
  options: Options,
  compute,
  render,
  explain,
  figureData,
};
