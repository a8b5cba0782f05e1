// /dependence — "Two-variable dependence", parts 1–3. Covariance measures how two variables
// move together along a line; mutual information (from histograms, and from k-nearest
// neighbours as scikit-learn estimates it) measures any dependence at all. Both are computed on
// simulated data, tested against shuffled copies, and compared on the Seoul bike-sharing data:
// split-half reliability, permutation z-scores, and a subset against the full table.
import { z } from 'zod';
import { findPost } from '../catalog/posts.ts';
import { cellChart } from '../render/cell-chart.ts';
import { barChart, histogramChart, scatterChart } from '../render/charts.ts';
import type { ChartConfiguration } from 'chart.js';
import { colormap, rgbCss } from '../render/colormaps.ts';
import { pairGrid } from '../render/pair-grid.ts';
import { renderPanels, type Panel } from '../render/panels.ts';
import { theme, withAlpha } from '../render/theme.ts';
import { nonlinearExamples, simulatePair } from './correlation.ts';
import { TextSourceError } from './gutenberg.ts';
import { DATASETS, numericColumn, type DataTable } from './lib/datasets.ts';
import { loadTableSource, tableSourceOptions } from './lib/table-source.ts';
import { fixed } from './lib/format.ts';
import {
  covariance,
  entropyBits,
  histogram1d,
  histogram2d,
  histogramMutualInformation,
  mutualInfoRegression,
  permutation,
  permutationStats,
  binIndex,
} from './lib/mutual-information.ts';
import { createRng, type Rng } from './lib/random.ts';
import { linspace, mean, pearson } from './lib/stats.ts';
import { OptionError, type Analysis, type AnalysisContext, type Figure } from './types.ts';

/** The notebook's five columns (days_since_first is derived from Date). */
export const DEFAULT_COLUMNS = ['Rented Bike Count', 'Temperature(°C)', 'Wind speed (m/s)', 'days_since_first', 'Humidity(%)'];
const SHORT_LABELS: Record<string, string> = {
  'Rented Bike Count': 'Bikes',
  'Temperature(°C)': 'Temp',
  'Wind speed (m/s)': 'Wind',
  days_since_first: 'Days',
  'Humidity(%)': 'Humidity',
};
/** Most shuffled-statistic evaluations (pairs × permutations × rows) one request may ask for. */
export const MAX_PERMUTATION_WORK = 3_000_000;
/** Fewest rows a data set needs, after dropping rows with missing values. */
const MIN_ROWS = 20;

export const Options = z.object({
  example_n: z.number().int().min(10).max(2000).default(90)
    .describe('Points in each of the six example scatter plots (parts 1 and 2)'),
  posts_n: z.number().int().min(3).max(2000).default(40)
    .describe('People in the fake "posts read vs. happiness" data (part 1)'),
  n: z.number().int().min(10).max(5000).default(300)
    .describe('Sample size of the simulated covariance demo (part 1)'),
  cov_permutations: z.number().int().min(10).max(5000).default(1000)
    .describe('Shuffles in the covariance permutation test (part 1)'),
  z_thresh: z.number().min(1).max(10).default(4)
    .describe('|z| above which a point counts as an outlier (part 1)'),
  categorical_n: z.number().int().min(10).max(10000).default(200)
    .describe('Samples of the categorical variable in the entropy demo (part 2)'),
  entropy_n: z.number().int().min(20).max(2000).default(347)
    .describe('Points of the continuous y = 3cos(2x) + ln(x) + noise data (part 2)'),
  entropy_bins: z.number().int().min(2).max(200).default(30)
    .describe('Histogram bins for the entropy of the continuous variable (part 2)'),
  joint_bins: z.number().int().min(2).max(100).default(8)
    .describe('Bins per axis of the joint histogram (part 2)'),
  outlier_bins: z.number().int().min(2).max(100).default(7)
    .describe('Bins per axis of the histogram MI in the outlier demo (part 2)'),
  mi_permutations: z.number().int().min(10).max(1000).default(1000)
    .describe('Shuffles in the mutual-information permutation test (part 2)'),
  k: z.number().int().min(1).max(20).default(3)
    .describe("Neighbours of the k-nearest-neighbour MI estimator (scikit-learn's n_neighbors)"),
  sweep_n: z.number().int().min(20).max(5000).default(500)
    .describe('Sample size per population correlation in the covariance-vs-MI sweep (part 3)'),
  sweep_steps: z.number().int().min(3).max(200).default(100)
    .describe('Population correlations in the sweep, evenly spaced from -0.9 to 0.9 (part 3)'),
  columns: z.array(z.string().min(1).max(100)).min(2).max(6).default(DEFAULT_COLUMNS)
    .describe('Data columns to compare (part 3); days_since_first is derived from a dd/mm/yyyy Date column'),
  every: z.number().int().min(1).max(1000).default(55)
    .describe('Permutation tests on the data use every n-th row (part 3)'),
  data_permutations: z.number().int().min(10).max(5000).default(500)
    .describe('Shuffles per column pair in the permutation tests on the data (part 3)'),
  ...tableSourceOptions('seoul-bike'),
  seed: z.number().int().min(0).max(2147483647).optional()
    .describe('Random seed: the same seed gives the same samples, shuffles and tie-breaking noise'),
}).strict();
export type DependenceOptions = z.infer<typeof Options>;

interface XY {
  x: number[];
  y: number[];
}

export interface Example extends XY {
  name: string;
  cov: number;
  /** KSG mutual information in nats (part 2's examples only). */
  mi?: number;
}

export interface PermutationSummary {
  observed: number;
  null: number[];
  z: number;
  p: number;
}

export interface Part1 {
  examples: Example[];
  posts: { read: number[]; happiness: number[] };
  demo: XY & {
    cov: number;
    /** np.cov with one or both variables ×10, and the correlations, which do not change. */
    scaled: { covX10: number; covXY10: number; corr: number; corrX10: number; corrXY10: number };
    permutation: PermutationSummary;
  };
  outliers: {
    x: number[];
    y: number[];
    zx: number[];
    zy: number[];
    cov: number;
    covZ: number;
    covOriginal: number;
    covXOutlier: number;
    zThresh: number;
    removed: number[];
    covClean: number;
  };
}

export interface Part2 {
  examples: Example[];
  categorical: { x: number[]; p: number[]; entropy: number };
  continuous: XY & {
    edges: number[];
    density: number[];
    /** Bin of each point. */
    bin: number[];
    entropy: number;
    byBins: { bins: number[]; entropy: number[] };
  };
  joint: {
    bins: number;
    xEdges: number[];
    yEdges: number[];
    /** bins × bins counts, x along rows (numpy's Z). */
    counts: number[];
    hx: number;
    hy: number;
    hxy: number;
    mi: number;
    miKsg: number;
  };
  miByBins: { bins: number[]; mi: number[] };
  permutation: PermutationSummary;
  outliers: XY & { bins: number; cases: { name: string; histogram: number; ksg: number }[] };
}

export interface DataSummary {
  column: string;
  label: string;
  count: number;
  mean: number;
  std: number;
  min: number;
  q25: number;
  median: number;
  q75: number;
  max: number;
}

export interface Part3 {
  sweep: { rs: number[]; cov: number[]; mi: number[]; rCovMi: number; rCov2Mi: number; rAbsCovMi: number; n: number };
  data: {
    name: string;
    source: DataTable['source'];
    citation?: string;
    columns: string[];
    labels: string[];
    rows: number;
    dropped: number;
    values: number[][];
    summary: DataSummary[];
  };
  /** M × M matrices (row-major) for the even and odd rows. */
  split: { cov: [number[], number[]]; mi: [number[], number[]]; rows: [number, number] };
  relation: { pairs: string[]; logCov2: number[]; logMi: number[]; r: number; finite: number };
  significance: {
    every: number;
    rows: number;
    permutations: number;
    threshold: number;
    /** M × M, upper triangle only (NaN elsewhere): covariance then MI. */
    z: [number[], number[]];
    p: [number[], number[]];
  };
  subsetVsFull: {
    smallN: number;
    bigN: number;
    pairs: string[];
    signedLogCov: [number[], number[]];
    mi: [number[], number[]];
    rCov: number;
    rMi: number;
  };
}

export interface DependenceData {
  part1: Part1;
  part2: Part2;
  part3: Part3;
  k: number;
}

// ── helpers ────────────────────────────────────────────────────────────────────────────────

const randint = (rng: Rng, lo: number, hi: number) => lo + Math.floor(rng.uniform() * (hi - lo));
const normalArray = (rng: Rng, n: number, mu: number, sd: number) => Array.from(rng.normals(n), (v) => mu + sd * v);
const std1 = (v: readonly number[]) => {
  const m = mean(v);
  return Math.sqrt(v.reduce((s, x) => s + (x - m) ** 2, 0) / (v.length - 1));
};
const zscore = (v: readonly number[]) => {
  const m = mean(v);
  const s = std1(v);
  return v.map((x) => (x - m) / s);
};
/** Independent child generators, so that one part's options never change another part's draws. */
function childRngs(seed: number, n: number): Rng[] {
  const master = createRng(seed);
  return Array.from({ length: n }, () => createRng(Math.floor(master.uniform() * 2 ** 31)));
}

function summarize(null_: Float64Array, observed: number, tail: 'greater' | 'two-sided'): PermutationSummary {
  const s = permutationStats(observed, null_, tail);
  return { observed, null: Array.from(null_), z: s.z, p: s.p };
}

/** Shuffle x against y `iterations` times (np.random.permutation each time) and collect a statistic. */
function shuffled(x: ArrayLike<number>, y: ArrayLike<number>, iterations: number, rng: Rng, stat: (x: Float64Array, y: ArrayLike<number>) => number, signal?: AbortSignal): Float64Array {
  const n = x.length;
  const xs = new Float64Array(n);
  const out = new Float64Array(iterations);
  for (let it = 0; it < iterations; it++) {
    if ((it & 63) === 0) signal?.throwIfAborted();
    const p = permutation(n, rng);
    for (let i = 0; i < n; i++) xs[i] = x[p[i]];
    out[it] = stat(xs, y);
  }
  return out;
}

function quantile(sorted: readonly number[], q: number): number {
  // pandas' describe: linear interpolation between closest ranks.
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

export function shortLabel(column: string): string {
  if (SHORT_LABELS[column]) return SHORT_LABELS[column];
  const bare = column.replace(/\s*\(.*?\)\s*/g, ' ').trim() || column;
  return bare.length > 12 ? bare.slice(0, 11) + '…' : bare;
}

/** Days since the first row's date, from dd/mm/yyyy text (the notebook's days_since_first). */
export function daysSinceFirst(dates: readonly string[], tableName: string): number[] {
  const days = dates.map((d, i) => {
    const m = /^\s*(\d{1,2})\/(\d{1,2})\/(\d{4})\s*$/.exec(d);
    const t = m ? Date.UTC(Number(m[3]), Number(m[2]) - 1, Number(m[1])) : NaN;
    if (!m || new Date(t).getUTCDate() !== Number(m[1])) {
      throw new TextSourceError(`${tableName}, line ${i + 2}, column "Date": "${d.slice(0, 40)}" is not a dd/mm/yyyy date`);
    }
    return t / 86_400_000;
  });
  return days.map((t) => t - days[0]);
}

// ── loading ────────────────────────────────────────────────────────────────────────────────

/** The chosen columns as numbers; rows with a missing value in any of them are dropped. */
export function extractColumns(table: DataTable, columns: readonly string[]): { values: number[][]; dropped: number } {
  const seen = new Set<string>();
  for (const c of columns) {
    if (seen.has(c)) throw new OptionError('columns', `"${c}" is named twice`);
    seen.add(c);
  }
  const raw = columns.map((c) => {
    try {
      if (c === 'days_since_first' && !table.columns.includes(c)) {
        const j = table.columns.indexOf('Date');
        if (j < 0) throw new TextSourceError(`${table.name} has no "Date" column to derive days_since_first from`);
        return daysSinceFirst(table.rows.map((r) => r[j]!), table.name);
      }
      return numericColumn(table, c);
    } catch (err) {
      if (err instanceof TextSourceError) throw new OptionError('columns', err.message);
      throw err;
    }
  });
  const keep: number[] = [];
  for (let i = 0; i < table.rows.length; i++) if (raw.every((col) => Number.isFinite(col[i]))) keep.push(i);
  return { values: raw.map((col) => keep.map((i) => col[i])), dropped: table.rows.length - keep.length };
}

// ── compute ────────────────────────────────────────────────────────────────────────────────

function examples(rng: Rng, n: number, withMi: boolean, k: number): Example[] {
  const linear = [-0.7, 0, 0.7].map((r) => ({ name: `population r = ${r}`, ...simulatePair(rng, n, r) }));
  const nonlinear = nonlinearExamples(n).map((e) => ({ ...e, name: e.name }));
  return [...linear, ...nonlinear].map((e) => {
    // Scaled up and shifted so that covariance differs from correlation.
    const x = e.x.map((v) => v * 2);
    const y = e.y.map((v) => v + 5);
    return { name: e.name, x, y, cov: covariance(x, y), ...(withMi ? { mi: mutualInfoRegression(x, y, { rng, k }) } : {}) };
  });
}

function computePart1(opts: DependenceOptions, rngs: Rng[], signal?: AbortSignal): Part1 {
  const [exRng, postsRng, demoRng] = rngs;
  const read = Array.from({ length: opts.posts_n }, () => randint(postsRng, 0, 20));
  const happiness = read.map((r) => r * 3 + randint(postsRng, 0, 40));

  const x = normalArray(demoRng, opts.n, 10, 4);
  const noise = normalArray(demoRng, opts.n, 20, 11);
  const y = x.map((v, i) => v + noise[i]);
  const cov = covariance(x, y);
  const x10 = x.map((v) => v * 10);
  const y10 = y.map((v) => v * 10);
  const nulls = shuffled(x, y, opts.cov_permutations, demoRng, covariance, signal);

  const xo = x.slice();
  xo[xo.length - 1] *= 5;
  const yo = y.slice();
  yo[1] *= 5;
  const zx = zscore(xo);
  const zy = zscore(yo);
  const removed = zx.flatMap((v, i) => (Math.abs(v) > opts.z_thresh || Math.abs(zy[i]) > opts.z_thresh ? [i] : []));
  const keep = (v: number[]) => v.filter((_, i) => !removed.includes(i));
  return {
    examples: examples(exRng, opts.example_n, false, opts.k),
    posts: { read, happiness },
    demo: {
      x,
      y,
      cov,
      scaled: { covX10: covariance(x10, y), covXY10: covariance(x10, y10), corr: pearson(x, y), corrX10: pearson(x10, y), corrXY10: pearson(x10, y10) },
      permutation: summarize(nulls, cov, 'greater'),
    },
    outliers: {
      x: xo,
      y: yo,
      zx,
      zy,
      cov: covariance(xo, yo),
      covZ: covariance(zx, zy),
      covOriginal: cov,
      covXOutlier: covariance(xo, y),
      zThresh: opts.z_thresh,
      removed,
      covClean: covariance(keep(xo), keep(yo)),
    },
  };
}

function computePart2(opts: DependenceOptions, rngs: Rng[], signal?: AbortSignal): Part2 {
  const [exRng, catRng, contRng] = rngs;
  const k = opts.k;
  const cat = Array.from({ length: opts.categorical_n }, () => Math.ceil((3 * catRng.uniform()) ** 2));
  const counts = new Array<number>(Math.max(...cat) + 1).fill(0);
  for (const c of cat) counts[c]++;
  const pCat = counts.map((c) => c / cat.length);

  const N = opts.entropy_n;
  const x = linspace(0.001, 2.5, N);
  const noise = normalArray(contRng, N, 0, 0.5);
  const y = x.map((v, i) => Math.cos(2 * v) * 3 + Math.log(v) + noise[i]);
  const h = histogram1d(y, opts.entropy_bins);
  const byBins = Array.from({ length: 46 }, (_, i) => i + 5);

  const joint = histogram2d(x, y, opts.joint_bins);
  const jointMi = histogramMutualInformation(x, y, opts.joint_bins);
  const miKsg = mutualInfoRegression(x, y, { rng: contRng, k });
  const miBins = Array.from({ length: 21 }, (_, i) => i + 4);
  const nulls = shuffled(x, y, opts.mi_permutations, contRng, (xs, ys) => mutualInfoRegression(xs, ys, { rng: contRng, k }), signal);

  const xo = x.slice();
  xo[N - 1] *= 5;
  const yo = y.slice();
  yo[1] *= 5;
  const cases: [string, number[], number[]][] = [['no outliers', x, y], ['outlier in x', xo, y], ['outlier in y', x, yo], ['outliers in both', xo, yo]];
  return {
    examples: examples(exRng, opts.example_n, true, k),
    categorical: { x: cat, p: pCat, entropy: entropyBits(pCat) },
    continuous: {
      x,
      y,
      edges: Array.from(h.edges),
      density: Array.from(h.density),
      bin: y.map((v) => binIndex(h.edges, v)),
      entropy: entropyBits(h.density),
      byBins: { bins: byBins, entropy: byBins.map((b) => entropyBits(histogram1d(y, b).density)) },
    },
    joint: {
      bins: opts.joint_bins,
      xEdges: Array.from(joint.xEdges),
      yEdges: Array.from(joint.yEdges),
      counts: Array.from(joint.counts),
      ...jointMi,
      miKsg,
    },
    miByBins: { bins: miBins, mi: miBins.map((b) => histogramMutualInformation(x, y, b).mi) },
    permutation: summarize(nulls, miKsg, 'greater'),
    outliers: {
      x: xo,
      y: yo,
      bins: opts.outlier_bins,
      cases: cases.map(([name, a, b]) => ({ name, histogram: histogramMutualInformation(a, b, opts.outlier_bins).mi, ksg: mutualInfoRegression(a, b, { rng: contRng, k }) })),
    },
  };
}

const signedLog = (v: number) => Math.log(Math.abs(v)) * Math.sign(v);

function pairsOf(m: number): [number, number][] {
  const out: [number, number][] = [];
  for (let i = 0; i < m; i++) for (let j = i + 1; j < m; j++) out.push([i, j]);
  return out;
}

function finitePearson(a: readonly number[], b: readonly number[]): { r: number; finite: number } {
  const keep = a.flatMap((v, i) => (Number.isFinite(v) && Number.isFinite(b[i]) ? [i] : []));
  return { r: keep.length >= 2 ? pearson(keep.map((i) => a[i]), keep.map((i) => b[i])) : NaN, finite: keep.length };
}

async function computePart3(opts: DependenceOptions, rngs: Rng[], ctx: AnalysisContext): Promise<Part3> {
  const [sweepRng, splitRng, permRng] = rngs;
  const k = opts.k;
  const rs = linspace(-0.9, 0.9, opts.sweep_steps);
  const sweepCov: number[] = [];
  const sweepMi: number[] = [];
  for (const r of rs) {
    const { x, y } = simulatePair(sweepRng, opts.sweep_n, r);
    sweepCov.push(covariance(x, y));
    sweepMi.push(mutualInfoRegression(x, y, { rng: sweepRng, k }));
  }

  ctx.progress('loading the data', 0.3);
  const { table, option } = await loadTableSource(opts, 'seoul-bike', ctx);
  const { values, dropped } = extractColumns(table, opts.columns);
  const N = values[0].length;
  if (N < MIN_ROWS) throw new OptionError(option === 'download' ? 'columns' : option, `only ${N} complete rows in ${opts.columns.join(', ')}; at least ${MIN_ROWS} are needed`);
  const M = values.length;
  const pairs = pairsOf(M);
  const rowsSub = Math.ceil(N / opts.every);
  if (rowsSub < Math.max(10, k + 2)) {
    throw new OptionError('every', `every ${opts.every}th of ${N} rows leaves ${rowsSub}; the permutation tests need at least ${Math.max(10, k + 2)} (use every ≤ ${Math.floor(N / Math.max(10, k + 2))})`);
  }
  const work = pairs.length * opts.data_permutations * rowsSub;
  if (work > MAX_PERMUTATION_WORK) {
    throw new OptionError('data_permutations', `${pairs.length} pairs × ${opts.data_permutations} shuffles × ${rowsSub} rows = ${work.toLocaleString('en-US')} is over the limit of ${MAX_PERMUTATION_WORK.toLocaleString('en-US')}; use fewer shuffles or a larger every`);
  }
  const labels = opts.columns.map(shortLabel);

  ctx.progress('split-half covariance and mutual information', 0.4);
  const halves = [0, 1].map((start) => values.map((col) => col.filter((_, i) => i % 2 === start)));
  const split = { cov: [[], []] as [number[], number[]], mi: [[], []] as [number[], number[]] };
  for (let h = 0; h < 2; h++) {
    const cov = new Array<number>(M * M).fill(0);
    const mi = new Array<number>(M * M).fill(0);
    for (let i = 0; i < M; i++) {
      for (let j = i; j < M; j++) {
        ctx.signal?.throwIfAborted();
        cov[i * M + j] = cov[j * M + i] = covariance(halves[h][i], halves[h][j]);
        mi[i * M + j] = mi[j * M + i] = mutualInfoRegression(halves[h][i], halves[h][j], { rng: splitRng, k });
      }
    }
    split.cov[h] = cov;
    split.mi[h] = mi;
  }
  const pairNames = pairs.map(([i, j]) => `${labels[i]}–${labels[j]}`);
  const logCov2 = pairs.map(([i, j]) => (Math.log(split.cov[0][i * M + j] ** 2) + Math.log(split.cov[1][i * M + j] ** 2)) / 2);
  const logMi = pairs.map(([i, j]) => (Math.log(split.mi[0][i * M + j]) + Math.log(split.mi[1][i * M + j])) / 2);

  ctx.progress('permutation tests', 0.55);
  const sub = values.map((col) => col.filter((_, i) => i % opts.every === 0));
  const zc = new Array<number>(M * M).fill(NaN);
  const zm = new Array<number>(M * M).fill(NaN);
  const pc = new Array<number>(M * M).fill(NaN);
  const pm = new Array<number>(M * M).fill(NaN);
  pairs.forEach(([i, j], pi) => {
    ctx.progress(`permutation tests: ${labels[i]} vs ${labels[j]}`, 0.55 + (0.35 * pi) / pairs.length);
    const x = sub[i];
    const y = sub[j];
    const c = covariance(x, y);
    const covNull = shuffled(x, y, opts.data_permutations, permRng, covariance, ctx.signal);
    const sc = permutationStats(c, covNull, 'two-sided');
    const miNull = shuffled(x, y, opts.data_permutations, permRng, (xs, ys) => mutualInfoRegression(xs, ys, { rng: permRng, k }), ctx.signal);
    const mi = mutualInfoRegression(x, y, { rng: permRng, k });
    const sm = permutationStats(mi, miNull, 'greater');
    zc[i * M + j] = sc.z;
    pc[i * M + j] = sc.p;
    zm[i * M + j] = sm.z;
    pm[i * M + j] = sm.p;
  });

  ctx.progress('subset vs. full data', 0.9);
  const small = pairs.map(([i, j]) => ({ cov: covariance(sub[i], sub[j]), mi: mutualInfoRegression(sub[i], sub[j], { rng: permRng, k }) }));
  const full = pairs.map(([i, j]) => ({ cov: covariance(values[i], values[j]), mi: mutualInfoRegression(values[i], values[j], { rng: permRng, k }) }));
  const slc: [number[], number[]] = [small.map((s) => signedLog(s.cov)), full.map((s) => signedLog(s.cov))];
  const smi: [number[], number[]] = [small.map((s) => s.mi), full.map((s) => s.mi)];

  const summary = values.map((col, c) => {
    const sorted = col.slice().sort((a, b) => a - b);
    return {
      column: opts.columns[c],
      label: labels[c],
      count: col.length,
      mean: mean(col),
      std: std1(col),
      min: sorted[0],
      q25: quantile(sorted, 0.25),
      median: quantile(sorted, 0.5),
      q75: quantile(sorted, 0.75),
      max: sorted[sorted.length - 1],
    };
  });
  const rel = finitePearson(logCov2, logMi);
  const dataset = option === 'download' ? DATASETS['seoul-bike'] : undefined;
  return {
    sweep: {
      rs,
      cov: sweepCov,
      mi: sweepMi,
      n: opts.sweep_n,
      rCovMi: pearson(sweepCov, sweepMi),
      rCov2Mi: pearson(sweepCov.map((c) => c * c), sweepMi),
      rAbsCovMi: pearson(sweepCov.map(Math.abs), sweepMi),
    },
    data: { name: table.name, source: table.source, citation: dataset?.citation, columns: opts.columns, labels, rows: N, dropped, values, summary },
    split: { ...split, rows: [halves[0][0].length, halves[1][0].length] },
    relation: { pairs: pairNames, logCov2, logMi, r: rel.r, finite: rel.finite },
    significance: { every: opts.every, rows: rowsSub, permutations: opts.data_permutations, threshold: 0.05 / pairs.length, z: [zc, zm], p: [pc, pm] },
    subsetVsFull: {
      smallN: rowsSub,
      bigN: N,
      pairs: pairNames,
      signedLogCov: slc,
      mi: smi,
      rCov: finitePearson(slc[0], slc[1]).r,
      rMi: finitePearson(smi[0], smi[1]).r,
    },
  };
}

export async function computeDependence(opts: DependenceOptions, ctx: AnalysisContext): Promise<DependenceData> {
  const rngs = childRngs(opts.seed ?? 0, 9);
  ctx.progress('part 1: covariance', 0);
  const part1 = computePart1(opts, rngs.slice(0, 3), ctx.signal);
  ctx.progress('part 2: mutual information', 0.1);
  const part2 = computePart2(opts, rngs.slice(3, 6), ctx.signal);
  ctx.progress('part 3: covariance vs. mutual information', 0.25);
  const part3 = await computePart3(opts, rngs.slice(6, 9), ctx);
  return { part1, part2, part3, k: opts.k };
}

// ── render ─────────────────────────────────────────────────────────────────────────────────

const f2 = (v: number) => fixed(v, 2);
const f3 = (v: number) => fixed(v, 3);
const green = withAlpha('#b3e6b3', 0.75);
const red = withAlpha('#e6b3b3', 0.8);
const blue = withAlpha('#b3b3e6', 0.8);
const pink = withAlpha('#e6b3e6', 0.75);
const lightblue = '#add8e6';
const zeroLines = [
  { kind: 'hline' as const, y: 0, color: theme.muted },
  { kind: 'vline' as const, x: 0, color: theme.muted },
];

function examplePanels(examples: Example[]): Panel[] {
  return examples.map((e) => scatterChart({
    title: `Covariance = ${f2(e.cov)}`,
    subtitle: e.mi !== undefined ? `Mutual information = ${f2(e.mi)}` : e.name,
    xLabel: 'Data "x"',
    yLabel: 'Data "y"',
    series: [{ label: e.name, x: e.x, values: e.y, color: green, pointRadius: 5 }],
  }));
}

function permutationHistogram(p: PermutationSummary, xLabel: string, opts: { logY?: boolean; xMin?: number } = {}): ChartConfiguration {
  const lo = Math.min(...p.null, p.observed);
  const hi = Math.max(...p.null, p.observed);
  const pad = (hi - lo) * 0.05 || 0.01;
  return histogramChart({
    title: `Permutation test: z = ${f2(p.z)}, p = ${f2(p.p)}`,
    subtitle: `${p.null.length} shuffles of x against y`,
    xLabel,
    yLabel: opts.logY ? 'Count (log)' : 'Count',
    logY: opts.logY,
    // Bins span the shuffled values (plt.hist(…, bins=40)); the axis also reaches the observed value.
    xMin: opts.xMin ?? lo - pad,
    xMax: hi + pad,
    bins: 40,
    range: [Math.min(...p.null), Math.max(...p.null)],
    series: [{ label: 'Shuffled', values: p.null, color: '#e6b3b3' }],
    annotations: [{ kind: 'vline', x: p.observed, color: lightblue, label: 'Observed' }],
    legend: true,
  });
}

function matrixRows(flat: readonly number[], m: number): number[][] {
  return Array.from({ length: m }, (_, i) => flat.slice(i * m, i * m + m));
}

export async function renderDependence(d: DependenceData): Promise<Figure[]> {
  const { part1: p1, part2: p2, part3: p3 } = d;
  // Each figure is drawn at once and its PNG compressed on the libuv pool while the next one
  // draws: the two cores overlap instead of taking turns.
  const figures: Promise<Figure>[] = [];
  const add = (name: string, title: string, alt: string, png: Promise<Buffer>) => figures.push(png.then((buf) => ({ name, title, alt, png: buf })));

  // ── part 1 ──
  add('cov-examples', 'Covariance of six example data sets (2 × 3 panels)',
    `Six scatter plots of ${p1.examples[0].x.length} points each: three linear samples with population r −0.7, 0 and 0.7, then a circle, a parabola and an X; their covariances are ${p1.examples.map((e) => f2(e.cov)).join(', ')}.`,
    renderPanels(examplePanels(p1.examples), { columns: 3, panelHeight: 400 }));

  const { read, happiness } = p1.posts;
  const mr = mean(read);
  const mh = mean(happiness);
  add('centering', 'Posts read vs. happiness: raw and mean-centred (2 panels)',
    `Two scatter plots of ${read.length} fake people: posts read (0–19) against life happiness, raw and with both means (${f2(mr)} and ${f2(mh)}) subtracted so the cloud is centred on the dashed zero lines.`,
    renderPanels([
      scatterChart({ title: 'Posts read vs. happiness, raw data', xLabel: "Number of Mike's posts read", yLabel: 'Life happiness', series: [{ label: 'people', x: read, values: happiness, color: blue, pointRadius: 6 }] }),
      scatterChart({ title: 'Mean-centered data', xLabel: "Number of Mike's posts read", yLabel: 'Life happiness', series: [{ label: 'people', x: read.map((v) => v - mr), values: happiness.map((v) => v - mh), color: blue, pointRadius: 6 }], annotations: zeroLines }),
    ], { columns: 2, panelHeight: 440 }));

  const demo = p1.demo;
  add('cov-scatter', 'Simulated x and y with their covariance',
    `Scatter plot of ${demo.x.length} points, x ~ N(10, 4²) and y = x + N(20, 11²); covariance ${f2(demo.cov)}. Scaling x by 10 makes it ${f2(demo.scaled.covX10)}; the correlation stays ${f3(demo.scaled.corr)}.`,
    renderPanels([scatterChart({
      title: `Covariance = ${f2(demo.cov)}`,
      subtitle: `x×10: cov = ${f2(demo.scaled.covX10)}; x,y×10: cov = ${f2(demo.scaled.covXY10)}; correlation = ${f3(demo.scaled.corr)} in all three`,
      xLabel: 'x', yLabel: 'y',
      series: [{ label: 'data', x: demo.x, values: demo.y, color: red, pointRadius: 4 }],
    })], { columns: 1, panelHeight: 600, width: 900 }));

  add('cov-permutation', 'Permutation test of the covariance',
    `Histogram of ${demo.permutation.null.length} covariances of shuffled data, centred near 0, with the observed covariance ${f2(demo.permutation.observed)} as a dashed line: z = ${f2(demo.permutation.z)}, p = ${f2(demo.permutation.p)}.`,
    renderPanels([permutationHistogram(demo.permutation, 'Covariance value')], { columns: 1, panelHeight: 420 }));

  const out = p1.outliers;
  add('cov-outliers', 'The same data with two outliers',
    `Scatter plot of the simulated data after multiplying the last x and the second y by 5; the covariance rises from ${f2(out.covOriginal)} to ${f2(out.cov)}.`,
    renderPanels([scatterChart({
      title: `Covariance = ${f2(out.cov)}`,
      subtitle: `original ${f2(out.covOriginal)}, with the x outlier ${f2(out.covXOutlier)}, with both ${f2(out.cov)}`,
      xLabel: 'x', yLabel: 'y',
      series: [{ label: 'data', x: out.x, values: out.y, color: red, pointRadius: 4 }],
    })], { columns: 1, panelHeight: 600, width: 900 }));

  add('cov-zscored', 'Outliers on the original scale and z-scored (2 panels)',
    `Left: the data with outliers, covariance ${f2(out.cov)}. Right: both variables z-scored, covariance ${f2(out.covZ)} (the correlation), with dashed lines at z = ${out.zThresh}; ${out.removed.length} point${out.removed.length === 1 ? '' : 's'} beyond |z| > ${out.zThresh} removed gives covariance ${f2(out.covClean)} (original ${f2(out.covOriginal)}).`,
    renderPanels([
      scatterChart({ title: 'Original scale', subtitle: `Covariance = ${f2(out.cov)}`, xLabel: 'x', yLabel: 'y', series: [{ label: 'data', x: out.x, values: out.y, color: red, pointRadius: 4 }] }),
      scatterChart({
        title: 'Z-scored', subtitle: `Covariance = ${f2(out.covZ)}`, xLabel: 'z(x)', yLabel: 'z(y)',
        series: [{ label: 'data', x: out.zx, values: out.zy, color: red, pointRadius: 4 }],
        annotations: [{ kind: 'hline', y: out.zThresh, color: theme.muted }, { kind: 'vline', x: out.zThresh, color: theme.muted }],
      }),
    ], { columns: 2, panelHeight: 460, title: `Removing ${out.removed.length} point${out.removed.length === 1 ? '' : 's'} with |z| > ${out.zThresh}: covariance ${f2(out.cov)} → ${f2(out.covClean)} (original ${f2(out.covOriginal)})` }));

  // ── part 2 ──
  add('mi-examples', 'Covariance and mutual information of six example data sets (2 × 3 panels)',
    `The six example scatter plots again with fresh samples; covariances ${p2.examples.map((e) => f2(e.cov)).join(', ')} and mutual information ${p2.examples.map((e) => f2(e.mi ?? 0)).join(', ')} nats: the circle, parabola and X have near-zero covariance but clear mutual information.`,
    renderPanels(examplePanels(p2.examples), { columns: 3, panelHeight: 400 }));

  const cat = p2.categorical;
  const pMin = Math.min(...cat.p);
  const pMax = Math.max(...cat.p);
  const plasma = colormap('plasma');
  const catColor = (p: number) => rgbCss(plasma(pMax > pMin ? (p - pMin) / (pMax - pMin) : 0.5));
  const categories = cat.p.map((_, i) => String(i));
  add('entropy-categorical', 'Entropy of a categorical variable (2 panels)',
    `Left: ${cat.x.length} category labels (ceil of a squared uniform number, 1–${cat.p.length - 1}) against their index, coloured by frequency. Right: the proportion of each category; entropy ${f3(cat.entropy)} bits.`,
    renderPanels([
      scatterChart({
        title: 'Scatter plot', xLabel: 'Data index', yLabel: 'Category', legend: false,
        series: cat.p.flatMap((p, c) => {
          const idx = cat.x.flatMap((v, i) => (v === c ? [i] : []));
          return idx.length ? [{ label: `_${c}`, x: idx, values: idx.map(() => c), color: catColor(p), pointRadius: 4 }] : [];
        }),
      }),
      barChart({ title: `Distribution (entropy = ${f3(cat.entropy)})`, xLabel: 'Data values', yLabel: 'Proportion', categories, legend: false, series: [{ label: 'proportion', values: cat.p, barColors: cat.p.map(catColor) }] }),
    ], { columns: 2, panelHeight: 380 }));

  const cont = p2.continuous;
  add('entropy-data', 'Continuous data: y = 3cos(2x) + ln(x) + noise',
    `Scatter plot of ${cont.x.length} points with x evenly spaced from 0.001 to 2.5 and y = 3cos(2x) + ln(x) + N(0, 0.5²): a dip near x = 0, a rise and a fall.`,
    renderPanels([scatterChart({
      title: 'y = 3cos(2x) + ln(x) + N(0, .5)', xLabel: 'Data x', yLabel: 'Data y',
      series: [{ label: 'data', x: cont.x, values: cont.y, color: red, pointRadius: 5 }],
    })], { columns: 1, panelHeight: 460, width: 1000 }));

  const dMin = Math.min(...cont.density);
  const dMax = Math.max(...cont.density);
  const dColor = (v: number) => rgbCss(plasma(dMax > dMin ? (v - dMin) / (dMax - dMin) : 0.5));
  const binCentres = cont.density.map((_, b) => (cont.edges[b] + cont.edges[b + 1]) / 2);
  add('entropy-binned', 'Continuous data binned for entropy (2 panels)',
    `Left: y against its index, each point coloured by the density of its histogram bin. Right: the ${cont.density.length}-bin density histogram of y from ${f2(cont.edges[0])} to ${f2(cont.edges[cont.edges.length - 1])}; entropy of the densities ${f3(cont.entropy)} bits.`,
    renderPanels([
      scatterChart({
        title: 'Scatter plot', xLabel: 'Data index', yLabel: 'Data value', legend: false,
        series: cont.density.flatMap((dv, b) => {
          const idx = cont.bin.flatMap((v, i) => (v === b ? [i] : []));
          return idx.length ? [{ label: `_${b}`, x: idx, values: idx.map((i) => cont.y[i]), color: dColor(dv), pointRadius: 4 }] : [];
        }),
      }),
      barChart({
        title: `Distribution (entropy = ${f3(cont.entropy)})`, xLabel: 'Data values (bin centre)', yLabel: 'Density', legend: false,
        categories: binCentres.map((c) => fixed(c, 1)),
        series: [{ label: 'density', values: cont.density, barColors: cont.density.map(dColor) }],
      }),
    ], { columns: 2, panelHeight: 420 }));

  const bb = cont.byBins;
  add('entropy-bins', 'Entropy depends on the number of bins',
    `Entropy of the continuous variable's density histogram for ${bb.bins[0]} to ${bb.bins[bb.bins.length - 1]} bins: from ${f2(bb.entropy[0])} to ${f2(bb.entropy[bb.entropy.length - 1])} bits.`,
    renderPanels([scatterChart({
      title: 'Entropy by number of bins', xLabel: 'Number of bins', yLabel: 'Entropy',
      series: [{ label: 'entropy', x: bb.bins, values: bb.entropy, color: blue, pointRadius: 6 }],
    })], { columns: 1, panelHeight: 380, width: 1000 }));

  const j = p2.joint;
  // The notebook shows Z.T: rows along y.
  const zt = Array.from({ length: j.bins * j.bins }, (_, idx) => j.counts[(idx % j.bins) * j.bins + Math.floor(idx / j.bins)]);
  add('joint-histogram', `Full-resolution data and its ${j.bins} × ${j.bins} joint histogram (2 panels)`,
    `Left: the ${cont.x.length} points. Right: the same points over their ${j.bins} × ${j.bins} histogram (counts up to ${Math.max(...j.counts)}, colour scale capped at 70% of that). Entropies: H(x) = ${f2(j.hx)}, H(y) = ${f2(j.hy)}, H(x,y) = ${f2(j.hxy)} bits, so MI = ${f2(j.mi)} bits; the k-nearest-neighbour estimate is ${f2(j.miKsg)} nats.`,
    renderPanels([
      scatterChart({ title: 'Full resolution data', xLabel: 'x', yLabel: 'y', series: [{ label: 'data', x: cont.x, values: cont.y, color: blue, pointRadius: 4 }] }),
      cellChart({
        title: 'Discretized (binned) data',
        subtitle: `MI = ${f2(j.hx)} + ${f2(j.hy)} − ${f2(j.hxy)} = ${f2(j.mi)} bits (KSG: ${f2(j.miKsg)} nats)`,
        xLabel: 'x', yLabel: 'y',
        cells: { values: zt, rows: j.bins, cols: j.bins, xEdges: j.xEdges, yEdges: j.yEdges, colormap: 'inferno', vmin: 0, vmax: Math.max(...j.counts) * 0.7, colorbarLabel: 'Count' },
        series: [{ label: 'data', x: cont.x, values: cont.y, color: withAlpha('#666666', 0.85), pointRadius: 3 }],
      }),
    ], { columns: 2, panelHeight: 460, title: `Z, xx, yy = histogram2d(x, y, bins=${j.bins})` }));

  const mb = p2.miByBins;
  add('mi-bins', 'Histogram mutual information depends on the number of bins',
    `Histogram-based mutual information for ${mb.bins[0]} to ${mb.bins[mb.bins.length - 1]} bins rises from ${f2(mb.mi[0])} to ${f2(mb.mi[mb.mi.length - 1])} bits; the dashed line is the k-nearest-neighbour estimate, ${f2(j.miKsg)} nats.`,
    renderPanels([scatterChart({
      title: 'Mutual information by number of bins',
      subtitle: 'histogram MI in bits; the KSG line (scikit-learn\'s estimator) is in nats',
      xLabel: 'Number of bins', yLabel: 'Mutual information',
      series: [{ label: 'Histogram', x: mb.bins, values: mb.mi, color: blue, pointRadius: 6 }],
      annotations: [{ kind: 'hline', y: j.miKsg, color: '#e6b3b3', label: 'Scikit-learn (KSG)' }],
    })], { columns: 1, panelHeight: 420, width: 1000 }));

  add('mi-permutation', 'Permutation test of the mutual information',
    `Histogram (log count) of ${p2.permutation.null.length} k-nearest-neighbour MI values of shuffled data, mostly 0, with the observed ${f2(p2.permutation.observed)} nats far to the right: z = ${f2(p2.permutation.z)}, p = ${f2(p2.permutation.p)}.`,
    renderPanels([permutationHistogram(p2.permutation, 'Mutual information value', { logY: true, xMin: -0.01 })], { columns: 1, panelHeight: 420 }));

  const o2 = p2.outliers;
  add('mi-outliers', 'Data with outliers, and what they do to mutual information',
    `Scatter plot of the continuous data after multiplying the last x and the second y by 5. ${o2.cases.map((c) => `${c.name}: ${o2.bins}-bin MI ${f2(c.histogram)} bits, KSG ${f2(c.ksg)} nats`).join('; ')}.`,
    renderPanels([scatterChart({
      title: 'Data with outliers',
      subtitle: o2.cases.map((c) => `${c.name}: ${f2(c.histogram)} / ${f2(c.ksg)}`).join(' · ') + ` (${o2.bins}-bin MI / KSG)`,
      xLabel: 'Data x', yLabel: 'Data y',
      series: [{ label: 'data', x: o2.x, values: o2.y, color: pink, pointRadius: 5 }],
    })], { columns: 1, panelHeight: 420, width: 1100 }));

  // ── part 3 ──
  const s = p3.sweep;
  add('cov-vs-mi', 'Covariance and mutual information over population correlations (2 × 2 panels)',
    `For ${s.rs.length} population correlations from −0.9 to 0.9 (N = ${s.n} each): covariance grows linearly, mutual information grows with its magnitude. MI against covariance correlates at r = ${f2(s.rCovMi)}; against |covariance| at r = ${f2(s.rAbsCovMi)} and against squared covariance at r = ${f2(s.rCov2Mi)}.`,
    renderPanels([
      scatterChart({
        title: 'Covariance and mutual information', xLabel: 'Population correlation', yLabel: 'Measured c or MI', legend: true,
        series: [
          { label: 'Covariance', x: s.rs, values: s.cov, color: red, pointRadius: 4 },
          { label: 'Mutual information', x: s.rs, values: s.mi, color: blue, pointRadius: 4 },
        ],
      }),
      scatterChart({ title: `r = ${f2(s.rCovMi)}`, xLabel: 'Covariance', yLabel: 'Mutual information', series: [{ label: 'sweep', x: s.cov, values: s.mi, color: green, pointRadius: 4 }], annotations: zeroLines }),
      scatterChart({
        title: 'Squared covariance and mutual information', xLabel: 'Population correlation', yLabel: 'Measured c² or MI', legend: true,
        series: [
          { label: '(covariance)²', x: s.rs, values: s.cov.map((c) => c * c), color: red, pointRadius: 4 },
          { label: 'Mutual information', x: s.rs, values: s.mi, color: blue, pointRadius: 4 },
        ],
      }),
      scatterChart({ title: `r = ${f2(s.rAbsCovMi)}`, subtitle: `r of MI with |cov| (as in the notebook); with (cov)²: r = ${f2(s.rCov2Mi)}`, xLabel: '(cov)²', yLabel: 'Mutual information', series: [{ label: 'sweep', x: s.cov.map((c) => c * c), values: s.mi, color: green, pointRadius: 4 }] }),
    ], { columns: 2, panelHeight: 420 }));

  const data = p3.data;
  const M = data.columns.length;
  add('pairplot', `Pair plot of ${M} data columns (${M} × ${M} panels)`,
    `${M} × ${M} grid for ${data.rows} rows of ${data.name}: histograms of ${data.labels.join(', ')} on the diagonal, every pair's scatter plot off it.`,
    pairGrid({
      variables: data.values.map((values, c) => ({ name: data.columns[c], values })),
      title: `${data.name}: ${data.rows} rows`,
      subtitle: data.citation ? 'Sathishkumar V E, Park & Cho (2020); UCI Machine Learning Repository, CC BY 4.0' : undefined,
      scatterColor: withAlpha('#b3b3e6', 0.7),
      diagColor: '#e6b3b3',
      aspect: 2,
    }));

  const sp = p3.split;
  const ticks = data.labels;
  const bundled = data.source === 'bundled' || data.source === 'uci' || data.source === 'cache';
  const notebookColumns = bundled && data.columns.join('|') === DEFAULT_COLUMNS.join('|');
  // The notebook's colour range for the bike data's covariances; other data get their own range.
  const covLimits = notebookColumns ? { vmin: -1000, vmax: 10000 } : {};
  const matrix = (values: number[], title: string, limits: { vmin?: number; vmax?: number }): Panel => ({
    matrix: { data: values, rows: M, cols: M, colormap: 'bwr', ...limits, title, xTicks: ticks, yTicks: ticks, annotate: false },
  });
  const logAbsSigned = (v: number[]) => v.map(signedLog);
  add('split-half', 'Split-half reliability of covariance and mutual information (2 × 3 panels)',
    `Top: covariance matrices of the ${sp.rows[0]} even and ${sp.rows[1]} odd rows of ${data.labels.join(', ')}, and their signed log values against each other. Bottom: the same for k-nearest-neighbour mutual information (log MI); the diagonal holds each column's variance and its MI with itself.`,
    renderPanels([
      matrix(sp.cov[0], 'Covariance (even)', covLimits),
      matrix(sp.cov[1], 'Covariance (odd)', covLimits),
      scatterChart({ title: 'Covariance correspondences', xLabel: 'log(cov) (even rows)', yLabel: 'log(cov) (odd rows)', series: [{ label: 'entries', x: logAbsSigned(sp.cov[0]), values: logAbsSigned(sp.cov[1]), color: blue, pointRadius: 6 }] }),
      matrix(sp.mi[0], 'Mutual info. (even)', {}),
      matrix(sp.mi[1], 'Mutual info. (odd)', {}),
      scatterChart({ title: 'MI correspondences', xLabel: 'log(MI) (even rows)', yLabel: 'log(MI) (odd rows)', series: [{ label: 'entries', x: sp.mi[0].map(Math.log), values: sp.mi[1].map(Math.log), color: blue, pointRadius: 6 }] }),
    ], { columns: 3, panelHeight: 400 }));

  const rel = p3.relation;
  add('cov-mi-relation', 'Log squared covariance against log mutual information over column pairs',
    `${rel.finite} column pairs: log(cov²) against log(MI), each the mean over the even and odd halves; r = ${f3(rel.r)}.`,
    renderPanels([scatterChart({
      title: `r = ${f3(rel.r)}`, subtitle: `${rel.finite} column pairs, mean of even and odd rows`,
      xLabel: 'log(cov²)', yLabel: 'log(MI)',
      series: [{ label: 'pairs', x: rel.logCov2, values: rel.logMi, color: blue, pointRadius: 8, pointLabels: rel.pairs }],
    })], { columns: 1, panelHeight: 440, width: 1000 }));

  const sig = p3.significance;
  const sigPanel = (which: 0 | 1, title: string) => cellChart({
    title,
    subtitle: `(N=${sig.rows}); * p < ${sig.threshold.toPrecision(2)} (Bonferroni over ${rel.pairs.length} pairs)`,
    cells: {
      values: sig.z[which], rows: M, cols: M, colormap: 'bwr', vmin: -3, vmax: 3, colorbarLabel: 'z',
      text: sig.p[which].map((p) => (p < sig.threshold ? '*' : undefined)),
    },
    xCategories: ticks, yCategories: ticks, originUpper: true,
  });
  const nSig = (which: 0 | 1) => sig.p[which].filter((p) => p < sig.threshold).length;
  add('significance', 'Permutation z-scores of covariance and mutual information (2 panels)',
    `Upper-triangle matrices of permutation z-scores (${sig.permutations} shuffles on every ${sig.every}th row, N = ${sig.rows}) for each column pair; a star marks p below the Bonferroni threshold ${sig.threshold.toPrecision(2)}: ${nSig(0)} covariance and ${nSig(1)} mutual-information pairs are significant.`,
    renderPanels([sigPanel(0, 'Covariance z-scores'), sigPanel(1, 'Mutual info. z-scores')], { columns: 2, panelHeight: 480 }));

  const sv = p3.subsetVsFull;
  add('subset-vs-full', 'Subset vs. full data: covariance and mutual information (2 panels)',
    `For ${sv.pairs.length} column pairs, values on ${sv.smallN} rows against all ${sv.bigN}: signed log covariance (r = ${f2(sv.rCov)}) and mutual information (r = ${f2(sv.rMi)}); the dashed line is y = x.`,
    renderPanels([
      scatterChart({ title: 'Signed log(cov) correspondences', xLabel: `N = ${sv.smallN} rows`, yLabel: `N = ${sv.bigN} rows`, series: [{ label: 'pairs', x: sv.signedLogCov[0], values: sv.signedLogCov[1], color: blue, pointRadius: 6 }], identityLine: '_y = x', legend: false }),
      scatterChart({ title: 'Mutual info. correspondences', xLabel: `N = ${sv.smallN} rows`, yLabel: `N = ${sv.bigN} rows`, series: [{ label: 'pairs', x: sv.mi[0], values: sv.mi[1], color: red, pointRadius: 6 }], identityLine: '_y = x', legend: false }),
    ], { columns: 2, panelHeight: 420 }));
  return Promise.all(figures);
}

// ── explain ────────────────────────────────────────────────────────────────────────────────

/** Columns that add the hour of the day to the bike data (the suggestion when it is absent). */
export const HOUR_COLUMNS = ['Rented Bike Count', 'Hour', 'Temperature(°C)', 'Humidity(%)'];

/** One runnable next step that is valid for these data and differs from what just ran. */
function suggestion(d: DependenceData, opts: DependenceOptions): string {
  const N = d.part3.data.rows;
  const pairs = d.part3.relation.pairs.length;
  const needRows = (k: number) => Math.max(10, k + 2);
  const bikeData = d.part3.data.source !== 'url' && d.part3.data.source !== 'file';
  if (bikeData && !opts.columns.includes('Hour')) {
    return `Try \`/dependence columns:"${HOUR_COLUMNS.join(',')}"\` to add the hour of the day: rentals rise and fall through the day in a curve, not a line; compare its covariance and MI z-scores.`;
  }
  const rows20 = Math.ceil(N / 20);
  if (opts.every !== 20 && rows20 >= needRows(opts.k) && pairs * 300 * rows20 <= MAX_PERMUTATION_WORK) {
    return 'Try `/dependence every:20 data_permutations:300` to run the permutation tests on more rows.';
  }
  if (opts.k !== 10 && d.part3.significance.rows >= needRows(10)) {
    return 'Try `/dependence k:10` to see how the number of neighbours changes the mutual-information estimates.';
  }
  return `Try \`/dependence seed:${opts.seed === 1 ? 2 : 1}\` to draw new simulated data and shuffles.`;
}

export function explainDependence(d: DependenceData, opts: DependenceOptions): string {
  const circle = d.part2.examples[3];
  const sig = d.part3.significance;
  const count = (which: 0 | 1) => sig.p[which].filter((p) => p < sig.threshold).length;
  const pairs = d.part3.relation.pairs.length;
  const demo = d.part1.demo;
  const tryNext = suggestion(d, opts);
  return [
    `Covariance depends on the units (${f2(demo.cov)}, or ${f2(demo.scaled.covX10)} with x ×10) while correlation stays ${f3(demo.scaled.corr)}, and it misses curved relations: the circle has covariance ${f2(circle.cov)} but mutual information ${f2(circle.mi ?? 0)} nats.`,
    `Histogram mutual information depends on the bins (${f2(d.part2.miByBins.mi[0])} to ${f2(d.part2.miByBins.mi[d.part2.miByBins.mi.length - 1])} bits for ${d.part2.miByBins.bins[0]}–${d.part2.miByBins.bins[d.part2.miByBins.bins.length - 1]} bins), which is why the k-nearest-neighbour estimator (k = ${d.k}) is the one used on real data.`,
    `On ${d.part3.data.rows} rows of ${d.part3.data.name}, ${count(0)} of ${pairs} column pairs have significant covariance and ${count(1)} significant mutual information after Bonferroni correction (every ${sig.every}th row, ${sig.permutations} shuffles), and across pairs log(cov²) and log(MI) correlate at r = ${f2(d.part3.relation.r)}.`,
    tryNext,
  ].join(' ');
}

// ── figure data ────────────────────────────────────────────────────────────────────────────

function figureData(d: DependenceData): Record<string, unknown> {
  const { part1: p1, part2: p2, part3: p3 } = d;
  const M = p3.data.columns.length;
  const ex = (e: Example) => ({ name: e.name, covariance: e.cov, ...(e.mi !== undefined ? { mutual_information_nats: e.mi } : {}), x: e.x, y: e.y });
  const perm = (p: PermutationSummary) => ({ observed: p.observed, z: p.z, p: p.p, shuffled: p.null });
  return {
    'cov-examples': p1.examples.map(ex),
    centering: { posts_read: p1.posts.read, happiness: p1.posts.happiness },
    'cov-scatter': { x: p1.demo.x, y: p1.demo.y, covariance: p1.demo.cov, ...p1.demo.scaled },
    'cov-permutation': perm(p1.demo.permutation),
    'cov-outliers': { x: p1.outliers.x, y: p1.outliers.y, covariance_original: p1.outliers.covOriginal, covariance_x_outlier: p1.outliers.covXOutlier, covariance_both: p1.outliers.cov },
    'cov-zscored': { z_x: p1.outliers.zx, z_y: p1.outliers.zy, covariance_z: p1.outliers.covZ, z_threshold: p1.outliers.zThresh, removed_indices: p1.outliers.removed, covariance_clean: p1.outliers.covClean },
    'mi-examples': p2.examples.map(ex),
    'entropy-categorical': { labels: p2.categorical.x, proportions: p2.categorical.p, entropy_bits: p2.categorical.entropy },
    'entropy-data': { x: p2.continuous.x, y: p2.continuous.y },
    'entropy-binned': { edges: p2.continuous.edges, density: p2.continuous.density, bin_of_point: p2.continuous.bin, entropy_bits: p2.continuous.entropy },
    'entropy-bins': { bins: p2.continuous.byBins.bins, entropy_bits: p2.continuous.byBins.entropy },
    'joint-histogram': { bins: p2.joint.bins, x_edges: p2.joint.xEdges, y_edges: p2.joint.yEdges, counts_x_by_y: matrixRows(p2.joint.counts, p2.joint.bins), H_x: p2.joint.hx, H_y: p2.joint.hy, H_xy: p2.joint.hxy, mi_bits: p2.joint.mi, mi_ksg_nats: p2.joint.miKsg },
    'mi-bins': { bins: p2.miByBins.bins, mi_bits: p2.miByBins.mi, mi_ksg_nats: p2.joint.miKsg },
    'mi-permutation': perm(p2.permutation),
    'mi-outliers': { x: p2.outliers.x, y: p2.outliers.y, bins: p2.outliers.bins, cases: p2.outliers.cases.map((c) => ({ case: c.name, histogram_mi_bits: c.histogram, ksg_mi_nats: c.ksg })) },
    'cov-vs-mi': { population_r: p3.sweep.rs, covariance: p3.sweep.cov, mutual_information: p3.sweep.mi, n: p3.sweep.n, r_cov_mi: p3.sweep.rCovMi, r_cov2_mi: p3.sweep.rCov2Mi, r_abscov_mi: p3.sweep.rAbsCovMi },
    pairplot: { data: p3.data.name, source: p3.data.source, citation: p3.data.citation, rows: p3.data.rows, dropped_rows: p3.data.dropped, columns: p3.data.columns, summary: p3.data.summary },
    'split-half': {
      labels: p3.data.labels,
      rows: { even: p3.split.rows[0], odd: p3.split.rows[1] },
      covariance_even: matrixRows(p3.split.cov[0], M),
      covariance_odd: matrixRows(p3.split.cov[1], M),
      mi_even: matrixRows(p3.split.mi[0], M),
      mi_odd: matrixRows(p3.split.mi[1], M),
    },
    'cov-mi-relation': { pairs: p3.relation.pairs, log_cov2: p3.relation.logCov2, log_mi: p3.relation.logMi, r: p3.relation.r },
    significance: {
      labels: p3.data.labels,
      every: p3.significance.every,
      rows: p3.significance.rows,
      permutations: p3.significance.permutations,
      threshold: p3.significance.threshold,
      covariance_z: matrixRows(p3.significance.z[0], M),
      covariance_p: matrixRows(p3.significance.p[0], M),
      mi_z: matrixRows(p3.significance.z[1], M),
      mi_p: matrixRows(p3.significance.p[1], M),
    },
    'subset-vs-full': {
      pairs: p3.subsetVsFull.pairs,
      small_n: p3.subsetVsFull.smallN,
      full_n: p3.subsetVsFull.bigN,
      signed_log_cov_small: p3.subsetVsFull.signedLogCov[0],
      signed_log_cov_full: p3.subsetVsFull.signedLogCov[1],
      mi_small: p3.subsetVsFull.mi[0],
      mi_full: p3.subsetVsFull.mi[1],
    },
  };
}

export const dependenceAnalysis: Analysis<typeof Options, DependenceData> = {
  id: 'dependence',
  post: findPost('dependence')!,
  usesModel: false,
  options: Options,
  compute: (opts, ctx) => computeDependence(opts, ctx),
  render: async (data) => renderDependence(data),
  explain: explainDependence,
  figureData: (d) => figureData(d),
};
