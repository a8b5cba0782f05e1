// /effdim — "Effective dimensionality analysis of LLM transformers". How many directions do a
// layer's hidden states really use? Mean-centre the activations of 1024 tokens (rows) in each
// hidden state, take their singular values, and count the components it takes to explain 95% of
// the variance: the effective dimensionality. Real text (Alice in Wonderland, from token 10 000)
// against the same tokens shuffled, which keeps every word and destroys every sentence. Two
// warm-ups on made-up data come first: a line versus a noisy line, and a rank-2 matrix.
//
// The notebook counts the real text's dimensions as `np.where(cumu_var > 95)[0][0]` and the
// shuffled text's with `+ 1`; both are counted here the same way, as the number of components
// (index + 1), which is what its demo's title prints.
import type { ChartConfiguration } from 'chart.js';
import { z } from 'zod';
import { findPost } from '../catalog/posts.ts';
import { renderChart } from '../render/chart.ts';
import { lineChart, scatterChart } from '../render/charts.ts';
import { renderPanels } from '../render/panels.ts';
import { theme } from '../render/theme.ts';
import { loadGutenbergBook, TextSourceError } from './gutenberg.ts';
import { LINE_ONLY, plasmaColor, withBlockColorbar, withPaddedCategories } from './lib/layer-charts.ts';
import { effectiveDimensionality, rankOf, singularValues, svd, varianceExplained } from './lib/linalg.ts';
import { modelIndex } from './lib/model-limits.ts';
import { createRng, type Rng } from './lib/random.ts';
import { OptionError, type Analysis, type AnalysisContext, type Figure } from './types.ts';

/** Project Gutenberg #11, Alice's Adventures in Wonderland (bundled in data/gutenberg). */
export const BOOK_ID = 11;
const NOTEBOOK_START = 10_000;
const NOTEBOOK_LAYER = 5;

const Options = z
  .object({
    start: z.number().int().min(0).max(100_000).default(NOTEBOOK_START)
      .describe('First token of the excerpt, counted over the whole Gutenberg file (the notebook\'s 10000)'),
    tokens: z.number().int().min(16).max(1024).default(1024)
      .describe("Tokens in the excerpt (the notebook's 1024, the model's context length)"),
    threshold: z.number().min(50).max(99.9).default(95)
      .describe('Percent of the variance the counted components must exceed'),
    layer: z.number().int().min(0).max(48).optional()
      .describe('Hidden state for the one-layer spectrum (0 = embeddings; default 5, or the last)'),
    seed: z.number().int().min(0).max(2147483647).optional()
      .describe('Seed for the token shuffle and the warm-up data'),
  })
  .strict();

type Opts = z.infer<typeof Options>;

export interface Spectrum {
  /** Singular values of the centred tokens × width activations, largest first. */
  s: Float64Array;
  cumulative: Float64Array;
  /** Components whose cumulative variance first exceeds the threshold. */
  dims: number;
}

export interface EffdimData {
  model: string;
  nLayers: number;
  width: number;
  /** Token ids of the excerpt and its shuffle (a permutation of the same ids). */
  ids: number[];
  shuffledIds: number[];
  excerpt: { start: number; bookTokens: number; first: string; firstShuffled: string };
  threshold: number;
  layer: number;
  /** Per hidden state (embeddings, then each block; the last after ln_f). */
  real: Spectrum[];
  shuffled: Spectrum[];
  concept: { x: number[]; noisy: number[] };
  rankDemo: { matrix: number[][]; s: number[]; rank: number; cumulative: number[]; dims: number };
}

/** torch.randperm by Fisher–Yates on the seeded generator. */
export function permutation(rng: Rng, n: number): number[] {
  const p = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rng.uniform() * (i + 1));
    [p[i], p[j]] = [p[j], p[i]];
  }
  return p;
}

/** The warm-ups: 50 points on y = x and with N(0, 0.07²) noise; a 10 × 10 matrix vvᵀ of rank 2. */
function warmUps(rng: Rng, threshold: number): Pick<EffdimData, 'concept' | 'rankDemo'> {
  const x = Array.from({ length: 50 }, () => 5 * rng.uniform());
  const noisy = x.map((v) => v + 0.07 * rng.normal());
  const v = Array.from({ length: 10 }, () => [rng.normal(), rng.normal()]);
  const matrix = v.map((a) => v.map((b) => a[0] * b[0] + a[1] * b[1]));
  const { s } = svd(matrix);
  const { cumulative } = varianceExplained(s);
  return {
    concept: { x, noisy },
    rankDemo: { matrix, s, rank: rankOf(s, 10, 10), cumulative: Array.from(cumulative), dims: effectiveDimensionality(cumulative, threshold) },
  };
}

async function compute(opts: Opts, ctx: AnalysisContext): Promise<EffdimData> {
  const engine = await ctx.engine();
  const H = engine.config.n_layer + 1;
  const layer = modelIndex(opts.layer, NOTEBOOK_LAYER, H, 'layer', 'hidden states (the embeddings and one per block)', engine);
  const max = engine.config.n_positions;
  if (opts.tokens > max) throw new OptionError('tokens', `must be at most ${max}: ${engine.name} reads at most ${max} tokens at once`);

  ctx.progress('tokenizing the book', 0);
  let text: string;
  try {
    text = (await loadGutenbergBook(BOOK_ID, { signal: ctx.signal })).text;
  } catch (err) {
    if (err instanceof TextSourceError) throw new OptionError('start', err.message);
    throw err;
  }
  const all = engine.encode(text);
  if (opts.start + opts.tokens > all.length) {
    throw new OptionError('start', `must be at most ${all.length - opts.tokens}: the book is ${all.length} tokens and the excerpt ${opts.tokens}`);
  }
  const ids = all.slice(opts.start, opts.start + opts.tokens);
  const rng = createRng(opts.seed ?? 0);
  const shuffledIds = permutation(rng, ids.length).map((i) => ids[i]);
  const warm = warmUps(rng, opts.threshold);

  // One text at a time: its hidden states (H × tokens × width floats: 320 MB for gpt2-xl) are
  // dropped once their spectra are taken.
  const spectra = async (tokens: number[], what: string, from: number): Promise<Spectrum[]> => {
    ctx.progress(`${what} text: forward pass`, from);
    const hs = await engine.hiddenStates(tokens);
    const out: Spectrum[] = [];
    for (let h = 0; h < hs.length; h++) {
      ctx.progress(`${what} text: spectrum of hidden state ${h + 1}/${hs.length}`, from + 0.05 + (0.45 * h) / hs.length);
      const [, n, d] = hs[h].dims;
      const s = singularValues(hs[h].data, n, d, { center: true });
      const { cumulative } = varianceExplained(s);
      out.push({ s, cumulative, dims: effectiveDimensionality(cumulative, opts.threshold) });
      ctx.signal?.throwIfAborted();
    }
    return out;
  };
  const real = await spectra(ids, 'real', 0);
  const shuffled = await spectra(shuffledIds, 'shuffled', 0.5);
  ctx.progress('spectra done', 1);

  const preview = (t: number[]) => engine.decode(t.slice(0, 40));
  return {
    model: engine.name,
    nLayers: engine.config.n_layer,
    width: engine.config.n_embd,
    ids,
    shuffledIds,
    excerpt: { start: opts.start, bookTokens: all.length, first: preview(ids), firstShuffled: preview(shuffledIds) },
    threshold: opts.threshold,
    layer,
    real,
    shuffled,
    ...warm,
  };
}

// ─── Figures ────────────────────────────────────────────────────────────────────────────────

const REAL_COLOR = '#5ad16a';
const SHUFFLED_COLOR = '#e6b3b3';
const pct = (v: number) => `${v.toFixed(1)}%`;
/** Components plotted in the per-layer and all-layer figures (the notebook's xlim 100 and 500). */
const SPECTRUM_COMPONENTS = 100;
const CUMULATIVE_COMPONENTS = 500;
const oneBased = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

/** No tick label at a y limit that is not a round number (the notebook's ylim top of 103). */
function roundYTicksOnly(config: ChartConfiguration): ChartConfiguration {
  const y = (config.options!.scales as Record<string, { ticks?: Record<string, unknown> }>).y;
  y.ticks = { ...y.ticks, includeBounds: false };
  return config;
}
const maxPossible = (d: EffdimData) => d.real[0].s.length;

function conceptFigure(d: EffdimData): Promise<Buffer> {
  const panel = (title: string, y: number[], color: string) =>
    scatterChart({
      title,
      xLabel: 'x',
      yLabel: 'y',
      xMin: 0, xMax: 5, yMin: -0.5, yMax: 5.5,
      series: [{ label: '_points', points: d.concept.x.map((x, i) => [x, y[i]] as const), color, pointRadius: 6 }],
      identityLine: '_y = x',
    });
  return renderPanels([panel('y = x: one dimension', d.concept.x, SHUFFLED_COLOR), panel('y = x + noise: one dimension, nearly', d.concept.noisy, '#b3e6e6')], {
    columns: 2,
    panelHeight: 520,
  });
}

function rankDemoFigure(d: EffdimData): Promise<Buffer> {
  const r = d.rankDemo;
  const m = r.matrix.length;
  const k = r.dims;
  const at = r.cumulative[k - 1];
  const ticks = Array.from({ length: m }, (_, i) => String(i));
  return renderPanels(
    [
      { matrix: { data: r.matrix.flat(), rows: m, cols: m, vmin: -3, vmax: 3, xTicks: ticks, yTicks: ticks, title: `Rank-${r.rank} ${m}×${m} matrix`, annotate: false } },
      lineChart({
        title: 'Scree plot',
        xLabel: 'component number',
        yLabel: 'singular value',
        x: oneBased(m),
        xMin: 0.5,
        xMax: m + 0.5,
        series: [{ label: '_s', values: r.s, color: REAL_COLOR, lineWidth: 0, pointRadius: 7 }],
        markers: true,
      }),
      roundYTicksOnly(lineChart({
        title: `Effective dimensionality = ${k}`,
        subtitle: `components until the cumulative variance passes ${d.threshold}%`,
        xLabel: 'component number',
        yLabel: '% total variance explained',
        x: oneBased(m),
        xMin: 0.5,
        xMax: m + 0.5,
        yMin: r.cumulative[0] - 3,
        yMax: 103,
        series: [{ label: '_cumulative', values: r.cumulative, color: SHUFFLED_COLOR, lineWidth: 0, pointRadius: 7 }],
        markers: true,
        annotations: [
          { kind: 'vline', x: k, color: theme.muted, dashed: true },
          { kind: 'hline', y: at, color: theme.muted, dashed: true, label: pct(at) },
        ],
      })),
    ],
    { columns: 3, panelHeight: 460 },
  );
}

function layerSpectrumFigure(d: EffdimData): Promise<Buffer> {
  const sp = d.real[d.layer];
  const { percent } = varianceExplained(sp.s);
  const n = Math.min(SPECTRUM_COMPONENTS, sp.s.length);
  const k80 = effectiveDimensionality(sp.cumulative, 80);
  const x = oneBased(n);
  return renderPanels(
    [
      lineChart({
        title: `Hidden state ${d.layer}: variance per component`,
        subtitle: `first ${n} of ${sp.s.length} components, real text`,
        xLabel: 'component number',
        yLabel: 'percent variance explained',
        x,
        xMin: 0,
        xMax: n + 1,
        series: [{ label: '_pct', values: percent.subarray(0, n), color: REAL_COLOR, lineWidth: 0.6, pointRadius: 4 }],
        markers: true,
      }),
      roundYTicksOnly(lineChart({
        title: `Hidden state ${d.layer}: cumulative variance`,
        subtitle: `80% is passed at component ${k80}`,
        xLabel: 'component number',
        yLabel: 'cumulative % variance explained',
        x,
        xMin: 0,
        xMax: n + 1,
        yMax: 101,
        series: [{ label: '_cum', values: sp.cumulative.subarray(0, n), color: '#b3b3e6', lineWidth: 0.6, pointRadius: 4 }],
        markers: true,
        annotations: [
          { kind: 'hline', y: 80, color: theme.muted, dashed: true, label: '80%' },
          ...(k80 <= n ? [{ kind: 'vline' as const, x: k80, color: theme.muted, dashed: true, label: String(k80) }] : []),
        ],
      })),
    ],
    { columns: 2, panelHeight: 460 },
  );
}

function cumulativeFigure(d: EffdimData): Promise<Buffer> {
  const H = d.real.length;
  const n = Math.min(CUMULATIVE_COMPONENTS, maxPossible(d));
  const x = oneBased(n);
  // The notebook's y limits (50–100.5) hide nothing on GPT-2; lower them when a curve starts below.
  const lowest = Math.min(...[...d.real, ...d.shuffled].map((s) => s.cumulative[0]));
  const yMin = Math.min(50, Math.floor(lowest / 10) * 10);
  const panel = (spectra: Spectrum[], title: string) =>
    withBlockColorbar(
      lineChart({
        title,
        subtitle: `${H} hidden states, first ${n} of ${maxPossible(d)} components`,
        xLabel: 'component number',
        yLabel: '% explained (cumulative)',
        yMin,
        yMax: 100.5,
        x,
        legend: false,
        series: spectra.map((s, h) => ({ label: `_h${h}`, values: s.cumulative.subarray(0, n), color: plasmaColor(h, H), pointRadius: LINE_ONLY, lineWidth: 1.5 })),
        annotations: [{ kind: 'hline', y: d.threshold, color: theme.muted, dashed: true, label: `${d.threshold}%` }],
      }),
      H,
      'hidden layer',
    );
  return renderPanels([panel(d.real, '(Real) variance explained'), panel(d.shuffled, '(Shuffled) variance explained')], { columns: 2, panelHeight: 500 });
}

function dimsFigure(d: EffdimData, percent: boolean): Promise<Buffer> {
  const total = maxPossible(d);
  const f = (v: number) => (percent ? (100 * v) / total : v);
  const config = withPaddedCategories(
    lineChart({
      title: `"Effective dimensionality" (${d.threshold}% variance)`,
      subtitle: `max possible = ${total} (min of ${d.ids.length} tokens and ${d.width} dimensions)`,
      xLabel: 'hidden layer (0 = embeddings)',
      yLabel: percent ? 'percent of total dimensionality' : 'number of dimensions',
      categories: d.real.map((_, h) => String(h)),
      // Real first: drawn on top, small circles inside the shuffled squares where they coincide.
      series: [
        { label: 'Real tokens', values: d.real.map((s) => f(s.dims)), color: REAL_COLOR, lineWidth: 0, pointRadius: 5 },
        { label: 'Shuffled tokens', values: d.shuffled.map((s) => f(s.dims)), color: SHUFFLED_COLOR, lineWidth: 0, pointRadius: 8 },
      ],
    }),
  );
  (config.data.datasets[1] as { pointStyle?: string }).pointStyle = 'rect';
  return renderChart(config, { height: 500 });
}

const argmax = (v: readonly number[]) => v.reduce((b, x, i) => (x > v[b] ? i : b), 0);
const argmin = (v: readonly number[]) => v.reduce((b, x, i) => (x < v[b] ? i : b), 0);

async function render(d: EffdimData): Promise<Figure[]> {
  const H = d.real.length;
  const total = maxPossible(d);
  const realDims = d.real.map((s) => s.dims);
  const shufDims = d.shuffled.map((s) => s.dims);
  const sp = d.real[d.layer];
  const k80 = effectiveDimensionality(sp.cumulative, 80);
  const [concept, rank, spectrum, cumulative, dims, dimsPct] = await Promise.all([
    conceptFigure(d), rankDemoFigure(d), layerSpectrumFigure(d), cumulativeFigure(d), dimsFigure(d, false), dimsFigure(d, true),
  ]);
  const r = d.rankDemo;
  return [
    {
      name: 'concept',
      title: 'Two variables, one dimension (2 panels)',
      alt: `Left: ${d.concept.x.length} random points on the line y = x. Right: the same points with a little noise added to y, which still lie almost on one line.`,
      png: concept,
      fromModel: false,
    },
    {
      name: 'rank-demo',
      title: `A rank-${r.rank} matrix: scree plot and effective dimensionality ${r.dims} (3 panels)`,
      alt: `A random 10×10 matrix of rank ${r.rank} as an image, its singular values (${r.s.slice(0, 3).map((v) => v.toFixed(2)).join(', ')}, …), and the cumulative variance explained, which passes ${d.threshold}% at component ${r.dims}.`,
      png: rank,
      fromModel: false,
    },
    {
      name: 'layer-spectrum',
      title: `Variance per component in hidden state ${d.layer} (2 panels)`,
      alt: `Percent and cumulative percent of the variance explained by the first ${Math.min(SPECTRUM_COMPONENTS, sp.s.length)} components of hidden state ${d.layer} over ${d.ids.length} tokens of real text; the first component explains ${pct(varianceExplained(sp.s).percent[0])}, and 80% is passed at component ${k80}.`,
      png: spectrum,
    },
    {
      name: 'cumulative-variance',
      title: `Cumulative variance explained per hidden layer, real and shuffled (2 panels)`,
      alt: `Cumulative percent variance against component number for each of the ${H} hidden states, coloured by layer, for real text (left) and the same tokens shuffled (right), with a dashed line at ${d.threshold}%.`,
      png: cumulative,
    },
    {
      name: 'effective-dimensionality',
      title: `Effective dimensionality per hidden layer (${d.threshold}% variance)`,
      alt: `Number of components needed to pass ${d.threshold}% of the variance in each of the ${H} hidden states: real text from ${realDims[0]} (embeddings) to ${realDims[H - 1]} (last), peak ${realDims[argmax(realDims)]} at layer ${argmax(realDims)}; shuffled tokens from ${shufDims[0]} to ${shufDims[H - 1]}, peak ${shufDims[argmax(shufDims)]}. At most ${total} are possible.`,
      png: dims,
    },
    {
      name: 'effective-dimensionality-percent',
      title: `Effective dimensionality as a percent of ${total} possible dimensions`,
      alt: `The same counts as percentages of the ${total} possible dimensions: real text ${pct((100 * realDims[0]) / total)} to ${pct((100 * realDims[H - 1]) / total)}, shuffled ${pct((100 * shufDims[0]) / total)} to ${pct((100 * shufDims[H - 1]) / total)}.`,
      png: dimsPct,
    },
  ];
}

function explain(d: EffdimData, opts: Opts): string {
  const H = d.real.length;
  const total = maxPossible(d);
  const realDims = d.real.map((s) => s.dims);
  const shufDims = d.shuffled.map((s) => s.dims);
  const lower = realDims.filter((v, i) => v < shufDims[i]).length;
  const lo = argmin(realDims);
  const hi = argmax(realDims);
  const sentences = [
    `Look at the effective-dimensionality figure: for ${d.ids.length} tokens of Alice in Wonderland (from token ${d.excerpt.start}), the hidden states need ${realDims[0]} of ${total} possible components to pass ${d.threshold}% of the variance in the embeddings and ${realDims[H - 1]} in the last layer, fewest (${realDims[lo]}) at layer ${lo} and most (${realDims[hi]}) at layer ${hi}.`,
    `With the same tokens shuffled the counts run from ${shufDims[0]} to ${shufDims[H - 1]}; real text uses fewer dimensions than shuffled text in ${lower} of ${H} hidden states${lower > H / 2 ? ': sentences make the activations more structured, not less' : ''}.`,
    `The embeddings (layer 0) see only each token and its position, so there the shuffle can change the count only through the positions.`,
  ];
  const tries: string[] = [];
  if (opts.threshold !== 80) tries.push('`/effdim threshold:80` to count the components for 80% of the variance instead');
  else tries.push('`/effdim threshold:99` for a stricter count');
  const otherStart = opts.start !== 20000 ? 20000 : 5000;
  if (otherStart + d.ids.length <= d.excerpt.bookTokens) tries.push(`\`/effdim start:${otherStart}\` for another passage`);
  sentences.push(`Try ${tries.join(', or ')}.`);
  return sentences.join(' ');
}

/** Singular values to 7 significant digits: the figure data stay about 1 MB for gpt2-xl. */
const sig = (a: ArrayLike<number>) => Array.from(a, (v) => Number(v.toPrecision(7)));

function figureData(d: EffdimData): Record<string, unknown> {
  const n = Math.min(CUMULATIVE_COMPONENTS, maxPossible(d));
  const sp = d.real[d.layer];
  return {
    concept: { x: d.concept.x, y_line: d.concept.x, y_noisy: d.concept.noisy },
    'rank-demo': { matrix: d.rankDemo.matrix, singular_values: d.rankDemo.s, rank: d.rankDemo.rank, cumulative_percent: d.rankDemo.cumulative, effective_dimensionality: d.rankDemo.dims },
    'layer-spectrum': {
      hidden_state: d.layer,
      percent_explained: sig(varianceExplained(sp.s).percent.subarray(0, SPECTRUM_COMPONENTS)),
      cumulative_percent: sig(sp.cumulative.subarray(0, SPECTRUM_COMPONENTS)),
      components_for_80_percent: effectiveDimensionality(sp.cumulative, 80),
    },
    'cumulative-variance': {
      threshold_percent: d.threshold,
      excerpt: { gutenberg_id: BOOK_ID, first_token: d.excerpt.start, tokens: d.ids.length, book_tokens: d.excerpt.bookTokens, text_start: d.excerpt.first, shuffled_start: d.excerpt.firstShuffled },
      token_ids: d.ids,
      shuffled_token_ids: d.shuffledIds,
      [`real_cumulative_percent_first_${n}`]: d.real.map((s) => sig(s.cumulative.subarray(0, n))),
      [`shuffled_cumulative_percent_first_${n}`]: d.shuffled.map((s) => sig(s.cumulative.subarray(0, n))),
      real_singular_values: d.real.map((s) => sig(s.s)),
      shuffled_singular_values: d.shuffled.map((s) => sig(s.s)),
    },
    'effective-dimensionality': { threshold_percent: d.threshold, max_possible: maxPossible(d), real: d.real.map((s) => s.dims), shuffled: d.shuffled.map((s) => s.dims) },
    'effective-dimensionality-percent': {
      max_possible: maxPossible(d),
      real_percent: d.real.map((s) => (100 * s.dims) / maxPossible(d)),
      shuffled_percent: d.shuffled.map((s) => (100 * s.dims) / maxPossible(d)),
    },
  };
}

export const effdimAnalysis: Analysis<typeof Options, EffdimData> = {
  id: 'effdim',
  post: findPost('effdim')!,
  usesModel: true,
  preferredModel: 'gpt2-xl',
  options: Options,
  compute,
  render,
  explain,
  figureData,
};
