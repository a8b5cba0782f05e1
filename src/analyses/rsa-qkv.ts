// /rsa-qkv — "Explore LLM word representations using similarity analysis, part 2". Words of three
// categories (space, home, fruit) end the sentence "The next word is …". In every block, the
// queries, keys and values (c_attn's three outputs, all heads side by side) of the word's token
// give three word × word cosine-similarity matrices; representational similarity analysis (RSA)
// correlates their upper triangles, and Cohen's d measures how much more alike words of one
// category are than words of different categories. First, the plain correlation of the Q, K and
// V activations themselves, at the notebook's token position 1 (" next").
import { z } from 'zod';
import { findPost } from '../catalog/posts.ts';
import type { Tensor } from '../llm/types.ts';
import { renderChart } from '../render/chart.ts';
import { lineChart, scatterChart, type Series } from '../render/charts.ts';
import type { MatrixOptions } from '../render/image.ts';
import { renderPanels } from '../render/panels.ts';
import { theme } from '../render/theme.ts';
import { distribution, leftEdges, type Distribution } from './lib/histogram.ts';
import { fdBinCount } from './lib/intervals.ts';
import { LINE_ONLY, plasmaColor, withBlockColorbar, withPaddedCategories } from './lib/layer-charts.ts';
import { quoted } from './lib/literal.ts';
import { modelIndex } from './lib/model-limits.ts';
import { thinToGrid } from './lib/point-thinning.ts';
import { pearson } from './lib/stats.ts';
import { OptionError, type Analysis, type AnalysisContext, type Figure } from './types.ts';

/** The notebook's three categories, in its order (it numbers them 1, 2, 3). */
export const NOTEBOOK_WORDS =
  'space: galaxy, asteroid, comet, cosmos, space, sun, planet, moon, star, orbit; ' +
  'home: ceiling, sofa, couch, carpet, door, window, lamp, chair, table, rug, bed, floor, wall; ' +
  'fruit: pear, grape, banana, cherry, peach, apple, seed, jelly, orange, lime, fruit';
/** Each word ends this sentence ("The next word is galaxy": 5 GPT-2 tokens). */
export const TEMPLATE = 'The next word is ';
const NOTEBOOK_LAYER = 6;
const MAX_WORDS = 120;

const Options = z
  .object({
    words: z.string().min(1).max(2000).default(NOTEBOOK_WORDS)
      .describe('Categories as "name: word, word, …" joined by ";" (2–8 categories, 2+ words each, ≤ 120 words)'),
    layer: z.number().int().min(0).max(47).optional()
      .describe("Block for the one-block figures (default 6 as in the notebook, or the last)"),
    qkv_token: z.number().int().min(-5).max(4).default(1)
      .describe('Token for the Q/K/V correlation figures (the notebook\'s 1 = " next", in every sentence; -1 = the word)'),
  })
  .strict();

type Opts = z.infer<typeof Options>;

export interface Category {
  name: string;
  words: string[];
}

/** Parse "name: a, b; other: c d" (names optional: "1", "2", … as the notebook numbers them). */
export function parseCategories(text: string): Category[] {
  const parts = text.split(';').map((p) => p.trim()).filter(Boolean);
  const cats = parts.map((p, i) => {
    const m = /^([^:,]+):(.*)$/s.exec(p);
    const name = m ? m[1].trim() : String(i + 1);
    const words = (m ? m[2] : p).split(/[,\s]+/).map((w) => w.trim()).filter(Boolean);
    return { name, words };
  });
  if (cats.length < 2 || cats.length > 8) {
    throw new OptionError('words', `needs 2 to 8 categories separated by semicolons (got ${cats.length})`);
  }
  const small = cats.find((c) => c.words.length < 2);
  if (small) throw new OptionError('words', `category ${JSON.stringify(small.name)} needs at least 2 words (within-category pairs)`);
  const all = cats.flatMap((c) => c.words);
  if (all.length > MAX_WORDS) throw new OptionError('words', `has ${all.length} words; at most ${MAX_WORDS}`);
  const long = all.find((w) => w.length > 40);
  if (long) throw new OptionError('words', `${JSON.stringify(long.slice(0, 20))}… is longer than 40 characters`);
  const seen = new Set<string>();
  for (const w of all) {
    if (seen.has(w)) throw new OptionError('words', `${JSON.stringify(w)} appears twice`);
    seen.add(w);
  }
  return cats;
}

/**
 * Cohen's d of two independent samples with the pooled standard deviation (ddof 1), as
 * pingouin.compute_effsize(x, y, paired=False, eftype='cohen').
 */
export function cohensD(x: ArrayLike<number>, y: ArrayLike<number>): number {
  const nx = x.length;
  const ny = y.length;
  const mx = avg(x);
  const my = avg(y);
  let sx = 0;
  let sy = 0;
  for (let i = 0; i < nx; i++) sx += (x[i] - mx) ** 2;
  for (let i = 0; i < ny; i++) sy += (y[i] - my) ** 2;
  return (mx - my) / Math.sqrt((sx + sy) / (nx + ny - 2));
}

function avg(x: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i];
  return s / x.length;
}

/** n × n cosine similarities of the rows of an n × d matrix (rows normalised, then X Xᵀ). */
export function cosineRows(rows: Float32Array, n: number, d: number): Float64Array {
  const norms = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let k = 0; k < d; k++) s += rows[i * d + k] ** 2;
    norms[i] = Math.sqrt(s);
  }
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = i; j < n; j++) {
      let s = 0;
      for (let k = 0; k < d; k++) s += rows[i * d + k] * rows[j * d + k];
      out[i * n + j] = out[j * n + i] = s / (norms[i] * norms[j]);
    }
  }
  return out;
}

/** Pair masks over the upper triangle (i < j), in np.triu_indices order: same category or not. */
export function pairMasks(labels: readonly number[]): { pairs: [number, number][]; within: boolean[] } {
  const pairs: [number, number][] = [];
  const within: boolean[] = [];
  for (let i = 0; i < labels.length; i++) {
    for (let j = i + 1; j < labels.length; j++) {
      pairs.push([i, j]);
      within.push(labels[i] === labels[j]);
    }
  }
  return { pairs, within };
}

const QKV = ['q', 'k', 'v'] as const;
export type Qkv = (typeof QKV)[number];
const PAIRS = [['q', 'k'], ['q', 'v'], ['k', 'v']] as const;
const PAIR_NAMES = ['Q-K', 'Q-V', 'K-V'] as const;

export interface LayerResult {
  /** Pearson r of the flattened activations at qkv_token: Q-K, Q-V, K-V. */
  corr: [number, number, number];
  /** RSA: r between the upper triangles of the cosine matrices, Q-K, Q-V, K-V. */
  rsa: [number, number, number];
  /** The same over within-category pairs only, and over across-category pairs only. */
  rsaWithin: [number, number, number];
  rsaAcross: [number, number, number];
  /** Cohen's d of within- vs across-category similarities, for Q, K, V. */
  d: [number, number, number];
}

export interface RsaData {
  model: string;
  nLayers: number;
  width: number;
  categories: Category[];
  words: string[];
  labels: number[];
  /** Token position of the correlation figures, as asked (may be negative) and per sentence. */
  qkvToken: number;
  qkvTokenText: string;
  layer: number;
  layers: LayerResult[];
  /** For `layer`: Q/K/V at qkv_token (words × width each), and the cosine matrices of the words. */
  one: {
    acts: Record<Qkv, Float32Array>;
    cos: Record<Qkv, Float64Array>;
    dists: Record<Qkv, { within: Distribution; across: Distribution }>;
  };
}

/** Row `b`, position `p` of a [batch, pos, head, d_head] tensor: the d_model-wide vector of all heads. */
function headsRow(t: Tensor, b: number, p: number): Float32Array {
  const [, T, H, dh] = t.dims;
  const w = H * dh;
  return t.data.subarray((b * T + p) * w, (b * T + p + 1) * w);
}

/**
 * One block's numbers: `words` holds each word's Q, K and V (words × width, the word's last token),
 * `token` the same at qkv_token. Cosine matrices of the words, RSA over all pairs of the upper
 * triangle (np.triu_indices order) and over within- and across-category pairs, Cohen's d.
 */
export function blockSimilarities(words: Record<Qkv, Float32Array>, token: Record<Qkv, Float32Array>, labels: readonly number[], width: number): {
  result: LayerResult;
  cos: Record<Qkv, Float64Array>;
  within: Record<Qkv, number[]>;
  across: Record<Qkv, number[]>;
} {
  const n = labels.length;
  const { pairs, within: isWithin } = pairMasks(labels);
  const cos = { q: cosineRows(words.q, n, width), k: cosineRows(words.k, n, width), v: cosineRows(words.v, n, width) };
  const tri = (x: Qkv) => pairs.map(([i, j]) => cos[x][i * n + j]);
  const all = { q: tri('q'), k: tri('k'), v: tri('v') };
  const pick = (keep: boolean) => {
    const f = (x: Qkv) => all[x].filter((_, k) => isWithin[k] === keep);
    return { q: f('q'), k: f('k'), v: f('v') };
  };
  const within = pick(true);
  const across = pick(false);
  const r3 = (f: (x: Qkv, y: Qkv) => number) => PAIRS.map(([x, y]) => f(x, y)) as [number, number, number];
  return {
    result: {
      corr: r3((x, y) => pearson(token[x], token[y])),
      rsa: r3((x, y) => pearson(all[x], all[y])),
      rsaWithin: r3((x, y) => pearson(within[x], within[y])),
      rsaAcross: r3((x, y) => pearson(across[x], across[y])),
      d: QKV.map((x) => cohensD(within[x], across[x])) as [number, number, number],
    },
    cos,
    within,
    across,
  };
}

async function compute(opts: Opts, ctx: AnalysisContext): Promise<RsaData> {
  const engine = await ctx.engine();
  const categories = parseCategories(opts.words);
  const L = engine.config.n_layer;
  const layer = modelIndex(opts.layer, NOTEBOOK_LAYER, L, 'layer', 'blocks', engine);
  const words = categories.flatMap((c) => c.words);
  const labels = categories.flatMap((c, i) => c.words.map(() => i));
  const n = words.length;
  const width = engine.config.n_embd;
  const seqs = words.map((w) => engine.encode(TEMPLATE + w));

  // Sentences of one length run as one batch (the notebook's words are all one token: one batch).
  const byLength = new Map<number, number[]>();
  seqs.forEach((s, i) => byLength.set(s.length, [...(byLength.get(s.length) ?? []), i]));
  // Per block and Q/K/V: the word's last token and the qkv_token position, words × width.
  const last = QKV.map(() => Array.from({ length: L }, () => new Float32Array(n * width)));
  const atTok = QKV.map(() => Array.from({ length: L }, () => new Float32Array(n * width)));
  let done = 0;
  for (const [T, members] of byLength) {
    ctx.progress(`forward pass (${members.length} sentences of ${T} tokens)`, (0.6 * done) / n);
    const { cache } = await engine.run(members.map((i) => seqs[i]), {
      hooks: ['blocks.*.attn.hook_q', 'blocks.*.attn.hook_k', 'blocks.*.attn.hook_v'],
      logits: 'none',
    });
    const p = opts.qkv_token < 0 ? T + opts.qkv_token : opts.qkv_token;
    for (let l = 0; l < L; l++) {
      QKV.forEach((x, xi) => {
        const t = cache.get(`blocks.${l}.attn.hook_${x}`)!;
        members.forEach((w, b) => {
          last[xi][l].set(headsRow(t, b, T - 1), w * width);
          atTok[xi][l].set(headsRow(t, b, p), w * width);
        });
      });
    }
    done += members.length;
  }

  const layers: LayerResult[] = [];
  let one: RsaData['one'] | undefined;
  for (let l = 0; l < L; l++) {
    ctx.progress(`similarities of block ${l + 1}/${L}`, 0.6 + (0.4 * l) / L);
    ctx.signal?.throwIfAborted();
    const acts = (m: Float32Array[][]) => ({ q: m[0][l], k: m[1][l], v: m[2][l] });
    const r = blockSimilarities(acts(last), acts(atTok), labels, width);
    layers.push(r.result);
    if (l === layer) {
      const fd = (v: number[]) => distribution(v, { bins: fdBinCount(v), density: true });
      one = {
        acts: acts(atTok),
        cos: r.cos,
        dists: {
          q: { within: fd(r.within.q), across: fd(r.across.q) },
          k: { within: fd(r.within.k), across: fd(r.across.k) },
          v: { within: fd(r.within.v), across: fd(r.across.v) },
        },
      };
    }
  }
  const tokPos = opts.qkv_token < 0 ? seqs[0].length + opts.qkv_token : opts.qkv_token;
  return {
    model: engine.name,
    nLayers: L,
    width,
    categories,
    words,
    labels,
    qkvToken: opts.qkv_token,
    qkvTokenText: engine.tokenText(seqs[0][tokPos]),
    layer,
    layers,
    one: one!,
  };
}

// ─── Figures ────────────────────────────────────────────────────────────────────────────────

const PAIR_COLORS = ['#ff6b6b', '#5ad16a', '#4ea1ff'] as const;
/** Fixed decimals, without the minus of a value that rounds to zero ("-0.00"). */
const fmt = (x: number, digits = 3) => (Number.isFinite(x) ? x.toFixed(digits).replace(/^-(0\.0*)$/, '$1') : 'n/a');
const q = (s: string) => JSON.stringify(s);

function maskPanels(d: RsaData): { matrix: MatrixOptions }[] {
  const n = d.words.length;
  const cell = (f: (i: number, j: number) => boolean) => Float64Array.from({ length: n * n }, (_, k) => (f(Math.floor(k / n), k % n) ? 1 : 0));
  const same = (i: number, j: number) => d.labels[i] === d.labels[j];
  const masks: [string, (i: number, j: number) => boolean][] = [
    ['A) Same-category mask', same],
    ['B) Upper-triangular mask', (i, j) => j > i],
    ['C) Within-category mask', (i, j) => j > i && same(i, j)],
    ['D) Across-category mask', (i, j) => j > i && !same(i, j)],
  ];
  return masks.map(([title, f]) => ({
    matrix: { data: cell(f), rows: n, cols: n, vmin: 0, vmax: 1, colormap: 'viridis', title, xLabel: 'words', yLabel: 'words', colorbar: false, annotate: false },
  }));
}

/** Scatter of two samples with a dense cloud thinned to what the pixels can show. */
function pairScatter(x: ArrayLike<number>, y: ArrayLike<number>, o: { title: string; xLabel: string; yLabel: string; color: string }) {
  const xs = Array.from(x);
  const ys = Array.from(y);
  const ext = (v: number[]) => v.reduce(([lo, hi], a) => [Math.min(lo, a), Math.max(hi, a)], [Infinity, -Infinity]);
  const [x0, x1] = ext(xs);
  const [y0, y1] = ext(ys);
  const keep = xs.length > 4000 ? thinToGrid(xs, ys, { xMin: x0, xMax: x1, yMin: y0, yMax: y1, columns: 500, rows: 400 }) : xs.map((_, i) => i);
  return scatterChart({
    title: o.title,
    xLabel: o.xLabel,
    yLabel: o.yLabel,
    legend: false,
    series: [{ label: '_points', points: keep.map((i) => [xs[i], ys[i]] as const), color: o.color, pointRadius: xs.length > 4000 ? 2 : 4 }],
  });
}

function qkvScatterFigure(d: RsaData, rs: readonly number[]): Promise<Buffer> {
  const a = d.one.acts;
  return renderPanels(
    PAIRS.map(([x, y], i) =>
      pairScatter(a[x], a[y], { title: `${x.toUpperCase()} by ${y.toUpperCase()} (r = ${fmt(rs[i])})`, xLabel: `${x.toUpperCase()} activations`, yLabel: `${y.toUpperCase()} activations`, color: PAIR_COLORS[i] }),
    ),
    { columns: 3, panelHeight: 440 },
  );
}

/** The notebook's markers: squares, circles and triangles ('rs-', 'go-', 'b^-'). */
const MARKERS = ['rect', 'circle', 'triangle'] as const;

function layerLines(d: RsaData, pick: (r: LayerResult) => readonly number[], o: { title?: string; yLabel: string; names: readonly string[]; yMin?: number; yMax?: number }) {
  const config = withPaddedCategories(
    lineChart({
      title: o.title,
      xLabel: 'transformer layer',
      yLabel: o.yLabel,
      categories: d.layers.map((_, l) => String(l)),
      yMin: o.yMin,
      yMax: o.yMax,
      series: o.names.map((name, i) => ({ label: name, values: d.layers.map((r) => pick(r)[i]), color: PAIR_COLORS[i], pointRadius: d.nLayers > 30 ? 4 : 6 })),
    }),
  );
  config.data.datasets.forEach((ds, i) => Object.assign(ds, { pointStyle: MARKERS[i] }));
  return config;
}

/** Lower limit for similarity images and RSA axes: the notebook's, or lower for data below it (round down to a tenth). */
function lowerLimit(values: Iterable<number>, notebook: number): number {
  let min = Infinity;
  for (const v of values) if (Number.isFinite(v) && v < min) min = v;
  return Math.min(notebook, Math.max(-1, Math.floor(min * 10) / 10));
}

/** A matrix with an empty (NaN) row and column between categories: the notebook's dashed category lines. */
function withCategoryGaps(m: Float64Array, labels: readonly number[]): { data: Float64Array; size: number; index: number[] } {
  const index: number[] = [];
  labels.forEach((c, i) => {
    if (i > 0 && c !== labels[i - 1]) index.push(-1);
    index.push(i);
  });
  const size = index.length;
  const n = labels.length;
  const data = new Float64Array(size * size);
  for (let r = 0; r < size; r++) for (let c = 0; c < size; c++) data[r * size + c] = index[r] < 0 || index[c] < 0 ? NaN : m[index[r] * n + index[c]];
  return { data, size, index };
}

function cosineFigure(d: RsaData): Promise<Buffer> {
  const vmin = lowerLimit(QKV.flatMap((x) => Array.from(d.one.cos[x])), 0.3);
  const panels = QKV.map((x, i) => {
    const g = withCategoryGaps(d.one.cos[x], d.labels);
    const ticks = g.index.map((w) => (w < 0 ? '' : d.words[w]));
    return {
      matrix: {
        data: g.data,
        rows: g.size,
        cols: g.size,
        colormap: 'magma' as const,
        vmin,
        vmax: 1,
        yTicks: ticks,
        // No column numbers, as in the notebook (they would count the gaps too).
        xTicks: ticks.map(() => ''),
        title: `${'ABC'[i]}) ${x.toUpperCase()} cosine similarities`,
        yLabel: 'words',
        colorbarLabel: 'cosine similarity',
        annotate: false,
      },
    };
  });
  return renderPanels(panels, { columns: 3, panelHeight: 420, title: `Block ${d.layer}: word × word cosine similarity of Q, K and V (3 panels; gaps separate ${d.categories.map((c) => c.name).join(' | ')})` });
}

function upper(m: Float64Array, n: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) out.push(m[i * n + j]);
  return out;
}

function rsaScatterFigure(d: RsaData): Promise<Buffer> {
  const n = d.words.length;
  const tri = { q: upper(d.one.cos.q, n), k: upper(d.one.cos.k, n), v: upper(d.one.cos.v, n) };
  const rsa = d.layers[d.layer].rsa;
  return renderPanels(
    PAIRS.map(([x, y], i) =>
      pairScatter(tri[x], tri[y], { title: `${x.toUpperCase()} and ${y.toUpperCase()} (r = ${fmt(rsa[i])})`, xLabel: `${x.toUpperCase()} cossim`, yLabel: `${y.toUpperCase()} cossim`, color: PAIR_COLORS[i] }),
    ),
    { columns: 3, panelHeight: 440 },
  );
}

function distributionFigure(d: RsaData): Promise<Buffer> {
  const lr = d.layers[d.layer];
  return renderPanels(
    QKV.map((x, i) => {
      const { within, across } = d.one.dists[x];
      return lineChart({
        title: `${x.toUpperCase()} (d = ${fmt(lr.d[i], 2)})`,
        xLabel: 'cosine similarity',
        yLabel: 'density',
        yMin: 0,
        series: [
          { label: 'Within', values: within.values, x: leftEdges(within), color: theme.palette[0], pointRadius: LINE_ONLY, lineWidth: 2.5 },
          { label: 'Across', values: across.values, x: leftEdges(across), color: theme.palette[1], pointRadius: LINE_ONLY, lineWidth: 2.5 },
        ],
      });
    }),
    { columns: 3, panelHeight: 440, title: `Category-specific similarity distributions, block ${d.layer}` },
  );
}

function layerEffectsFigure(d: RsaData): Promise<Buffer> {
  const all = d.layers.flatMap((r) => [...r.rsaWithin, ...r.rsaAcross]);
  const lo = lowerLimit(all, 0.3);
  return renderPanels(
    [
      layerLines(d, (r) => r.d, { title: 'Effect size', yLabel: "Cohen's d", names: ['Q', 'K', 'V'] }),
      layerLines(d, (r) => r.rsaWithin, { title: 'Within', yLabel: 'RSA score', names: PAIR_NAMES, yMin: lo, yMax: 1 }),
      layerLines(d, (r) => r.rsaAcross, { title: 'Across', yLabel: 'RSA score', names: PAIR_NAMES, yMin: lo, yMax: 1 }),
    ],
    { columns: 3, panelHeight: 440 },
  );
}

function withinAcrossFigure(d: RsaData): Promise<Buffer> {
  const L = d.nLayers;
  const all = d.layers.flatMap((r) => [...r.rsaWithin, ...r.rsaAcross]);
  const lo = lowerLimit(all, 0.3);
  const series: Series[] = d.layers.map((r, l) => ({
    label: `_L${l}`,
    points: [0, 1, 2].map((i) => [r.rsaAcross[i], r.rsaWithin[i]] as const),
    color: plasmaColor(l, L),
    pointRadius: 7,
  }));
  return renderChart(
    withBlockColorbar(
      scatterChart({
        title: 'Within- vs across-category RSA, every block',
        subtitle: 'three points per block (Q-K, Q-V, K-V); dashed: y = x',
        xLabel: 'across-category RSA',
        yLabel: 'within-category RSA',
        xMin: lo, xMax: 1, yMin: lo, yMax: 1,
        legend: false,
        identityLine: '_y = x',
        series,
      }),
      L,
    ),
    { height: 700 },
  );
}

async function render(d: RsaData): Promise<Figure[]> {
  const L = d.nLayers;
  const lr = d.layers[d.layer];
  const n = d.words.length;
  const tok = d.qkvTokenText;
  const corrAt = lr.corr;
  const [masks, qkvScatter, corr, cosine, rsaScatter, rsaLayers, dist, effects, wa] = await Promise.all([
    renderPanels(maskPanels(d), { columns: 2, panelHeight: 420 }),
    qkvScatterFigure(d, corrAt),
    renderChart(layerLines(d, (r) => r.corr, { title: `Correlation of Q, K and V activations at token ${d.qkvToken} (${q(tok)})`, yLabel: 'correlation coefficient', names: PAIR_NAMES }), { height: 440 }),
    cosineFigure(d),
    rsaScatterFigure(d),
    renderChart(layerLines(d, (r) => r.rsa, { title: 'RSA scores per block', yLabel: 'RSA scores', names: PAIR_NAMES }), { height: 440 }),
    distributionFigure(d),
    layerEffectsFigure(d),
    withinAcrossFigure(d),
  ]);
  const pairsN = (n * (n - 1)) / 2;
  const maxBy = (f: (r: LayerResult) => number) => d.layers.reduce((b, r, l) => (f(r) > f(d.layers[b]) ? l : b), 0);
  const bestD = maxBy((r) => r.d[0]);
  const aboveDiagonal = d.layers.reduce((s, r) => s + [0, 1, 2].filter((i) => r.rsaWithin[i] > r.rsaAcross[i]).length, 0);
  return [
    {
      name: 'masks',
      title: 'Category masks over word pairs (4 panels)',
      alt: `Four ${n}×${n} binary masks over the words: same category, the upper triangle, within-category pairs (upper triangle and same category), and across-category pairs, for ${d.categories.length} categories (${d.categories.map((c) => `${c.name}: ${c.words.length}`).join(', ')}).`,
      png: masks,
      fromModel: false,
    },
    {
      name: 'qkv-scatter',
      title: `Q, K and V activations against each other, block ${d.layer} (3 panels)`,
      alt: `Scatter plots of the ${d.width} Q, K and V activations of token ${d.qkvToken} (${q(tok)}) for all ${n} sentences in block ${d.layer}: Q by K r = ${fmt(corrAt[0])}, Q by V r = ${fmt(corrAt[1])}, K by V r = ${fmt(corrAt[2])}.`,
      png: qkvScatter,
    },
    {
      name: 'qkv-correlation',
      title: 'Correlation of Q, K and V activations per block',
      alt: `Correlation coefficients Q-K, Q-V and K-V of the activations of token ${d.qkvToken} in each of the ${L} blocks; Q-K ranges from ${fmt(Math.min(...d.layers.map((r) => r.corr[0])))} to ${fmt(Math.max(...d.layers.map((r) => r.corr[0])))}.`,
      png: corr,
    },
    {
      name: 'cosine-matrices',
      title: `Word × word cosine similarity of Q, K and V, block ${d.layer} (3 panels)`,
      alt: `Three ${n}×${n} cosine-similarity matrices of the words' last-token queries, keys and values in block ${d.layer}, words grouped by category with gaps between the categories, colours from ${fmt(lowerLimit(QKV.flatMap((x) => Array.from(d.one.cos[x])), 0.3), 1)} to 1.`,
      png: cosine,
    },
    {
      name: 'rsa-scatter',
      title: `RSA of Q, K and V similarity structure, block ${d.layer} (3 panels)`,
      alt: `The ${pairsN} word-pair cosine similarities of one projection against another in block ${d.layer}: Q and K r = ${fmt(lr.rsa[0])}, Q and V r = ${fmt(lr.rsa[1])}, K and V r = ${fmt(lr.rsa[2])}.`,
      png: rsaScatter,
    },
    {
      name: 'rsa-layers',
      title: 'Laminar profile of RSA scores',
      alt: `RSA scores (correlations of the similarity matrices) Q-K, Q-V and K-V in each of the ${L} blocks; Q-K from ${fmt(d.layers[0].rsa[0])} in block 0 to ${fmt(d.layers[L - 1].rsa[0])} in block ${L - 1}.`,
      png: rsaLayers,
    },
    {
      name: 'category-distributions',
      title: `Within- and across-category similarity distributions, block ${d.layer} (3 panels)`,
      alt: `Densities (Freedman–Diaconis bins) of the cosine similarities of word pairs from the same category and from different categories, for Q, K and V in block ${d.layer}; Cohen's d = ${fmt(lr.d[0], 2)}, ${fmt(lr.d[1], 2)}, ${fmt(lr.d[2], 2)}.`,
      png: dist,
    },
    {
      name: 'layer-effects',
      title: "Cohen's d and within/across-category RSA per block (3 panels)",
      alt: `Per block: Cohen's d of within- vs across-category similarity for Q, K and V (largest for Q in block ${bestD}, d = ${fmt(d.layers[bestD].d[0], 2)}), and the RSA scores computed over within-category pairs only and over across-category pairs only.`,
      png: effects,
    },
    {
      name: 'within-vs-across',
      title: 'Within- against across-category RSA, every block',
      alt: `Each block's three RSA scores (Q-K, Q-V, K-V) as points, across-category RSA on x and within-category RSA on y, coloured by block, with the identity line; ${aboveDiagonal} of ${3 * L} points lie above it.`,
      png: wa,
    },
  ];
}

function explain(d: RsaData, opts: Opts): string {
  const lr = d.layers[d.layer];
  const L = d.nLayers;
  const names = d.categories.map((c) => c.name);
  const meanD = [0, 1, 2].map((i) => avg(d.layers.map((r) => r.d[i])));
  const strongest = meanD.indexOf(Math.max(...meanD));
  const sentences = [
    `${d.words.length} words in ${d.categories.length} categories (${names.map((n) => quoted(n)).join(', ')}) each end ${quoted(TEMPLATE + '…')}; in block ${d.layer} the similarity structures of the words' queries, keys and values correlate at r = ${fmt(lr.rsa[0])} (Q-K), ${fmt(lr.rsa[1])} (Q-V) and ${fmt(lr.rsa[2])} (K-V).`,
    `Cohen's d says how much more alike words of one category are than words of different ones: in block ${d.layer} it is ${fmt(lr.d[0], 2)} for Q, ${fmt(lr.d[1], 2)} for K and ${fmt(lr.d[2], 2)} for V, and averaged over the ${L} blocks it is largest for ${'QKV'[strongest]}.`,
  ];
  if (d.qkvToken >= 0 && d.qkvToken < TEMPLATE_TOKENS) {
    sentences.push(`The activation correlations use token ${d.qkvToken} (${quoted(d.qkvTokenText)}), which comes before the word and so is the same in every sentence, as in the notebook.`);
  }
  const tries: string[] = [];
  if (opts.qkv_token !== -1) tries.push('`/rsa-qkv qkv_token:-1` to correlate the word\'s own Q, K and V');
  else tries.push('`/rsa-qkv qkv_token:1` for the notebook\'s token, " next", shared by every sentence');
  const otherLayer = d.layer === 0 ? L - 1 : 0;
  if (otherLayer !== d.layer) tries.push(`\`/rsa-qkv layer:${otherLayer}\` for the one-block figures of block ${otherLayer}`);
  sentences.push(`Try ${tries.join(', or ')}.`);
  return sentences.join(' ');
}

/** "The next word is" is 4 GPT-2 tokens: positions 0–3 are the same in every sentence. */
const TEMPLATE_TOKENS = 4;

function figureData(d: RsaData): Record<string, unknown> {
  const n = d.words.length;
  const per = (f: (r: LayerResult) => readonly number[], names: readonly string[]) =>
    Object.fromEntries(names.map((name, i) => [name, d.layers.map((r) => f(r)[i])]));
  const square = (m: Float64Array) => Array.from({ length: n }, (_, i) => Array.from(m.subarray(i * n, (i + 1) * n)));
  const { pairs, within } = pairMasks(d.labels);
  return {
    masks: { words: d.words, categories: d.categories, labels: d.labels, upper_triangle_pairs: pairs.length, within_pairs: within.filter(Boolean).length },
    'qkv-scatter': {
      block: d.layer, token: d.qkvToken, token_text: d.qkvTokenText,
      r: Object.fromEntries(PAIR_NAMES.map((p, i) => [p, d.layers[d.layer].corr[i]])),
      [n <= dataRows(d) ? 'activations_per_word' : `activations_first_${dataRows(d)}_words`]: {
        q: square2(d.one.acts.q, Math.min(n, dataRows(d)), d.width),
        k: square2(d.one.acts.k, Math.min(n, dataRows(d)), d.width),
        v: square2(d.one.acts.v, Math.min(n, dataRows(d)), d.width),
      },
    },
    'qkv-correlation': { token: d.qkvToken, ...per((r) => r.corr, PAIR_NAMES) },
    'cosine-matrices': { block: d.layer, words: d.words, q: square(d.one.cos.q), k: square(d.one.cos.k), v: square(d.one.cos.v) },
    'rsa-scatter': { block: d.layer, ...Object.fromEntries(PAIR_NAMES.map((p, i) => [p, d.layers[d.layer].rsa[i]])) },
    'rsa-layers': per((r) => r.rsa, PAIR_NAMES),
    'category-distributions': {
      block: d.layer,
      cohens_d: Object.fromEntries(QKV.map((x, i) => [x.toUpperCase(), d.layers[d.layer].d[i]])),
      densities: Object.fromEntries(QKV.map((x) => [x.toUpperCase(), d.one.dists[x]])),
    },
    'layer-effects': {
      cohens_d: per((r) => r.d, ['Q', 'K', 'V']),
      rsa_within: per((r) => r.rsaWithin, PAIR_NAMES),
      rsa_across: per((r) => r.rsaAcross, PAIR_NAMES),
    },
    'within-vs-across': d.layers.map((r, l) => ({ block: l, across: r.rsaAcross, within: r.rsaWithin })),
  };
}

/** Words whose activations the figure data list: about 60 000 values per projection (37 words on gpt2-xl). */
const dataRows = (d: RsaData) => Math.max(1, Math.floor(60_000 / d.width));

/** The first n rows of a words × width matrix, 6 significant digits. */
function square2(m: Float32Array, n: number, w: number): number[][] {
  return Array.from({ length: n }, (_, i) => Array.from(m.subarray(i * w, (i + 1) * w), (v) => Number(v.toPrecision(6))));
}

export const rsaQkvAnalysis: Analysis<typeof Options, RsaData> = {
  id: 'rsa-qkv',
  post: findPost('rsa-qkv')!,
  usesModel: true,
  preferredModel: 'gpt2-xl',
  options: Options,
  compute,
  render,
  explain,
  figureData,
};
