// /ci — "Confidence intervals (parts 1–3)". Part 1: the t-based interval, how it differs from the
// standard deviation at two sample sizes and across many, and what "95%" promises (the share of
// repeated experiments whose interval covers the true mean). Part 2: bootstrap percentile
// intervals for a lognormal sample's mean and standard deviation, and how many resamples they
// need. Part 3: the same tools on the UCI Arrhythmia data (or a user's CSV): intervals before and
// after removing outliers, and a bootstrap interval for a correlation.
import { z } from 'zod';
import { findPost } from '../catalog/posts.ts';
import { TextSourceError } from './gutenberg.ts';
import {
  categoryTicks,
  errorBarChart,
  hideYTicks,
  logTickLabels,
  markerShape,
  withHistogram,
  withMarkers,
  withSegments,
  withVerticalLine,
  withXSpan,
} from '../render/chart-layers.ts';
import { renderChart } from '../render/chart.ts';
import { boxStats, renderCategoricalPlots, type BoxStats } from '../render/distribution-plots.ts';
import { histogram, histogramChart, lineChart, scatterChart } from '../render/charts.ts';
import { renderPanels } from '../render/panels.ts';
import { theme, withAlpha } from '../render/theme.ts';
import { DATASETS, numericColumn, type DataTable } from './lib/datasets.ts';
import { loadTableSource, tableSourceOptions } from './lib/table-source.ts';
import { fixed, grouped } from './lib/format.ts';
import {
  arange,
  bootstrapCorrelations,
  bootstrapMeans,
  bootstrapSds,
  fdBinCount,
  logSpacedInts,
  pearsonComplete,
  percentileInterval,
  removeOutliers,
  resampleIndices,
  sampleTInterval,
  summarize,
  tInterval,
} from './lib/intervals.ts';
import { createRng, type Rng } from './lib/random.ts';
import { OptionError, type Analysis, type AnalysisContext, type Figure } from './types.ts';

/** The notebook's five Arrhythmia columns, and the pair it correlates. */
export const NOTEBOOK_COLUMNS = ['age', 'sex', 'height', 'weight', 'qrs'] as const;
const NOTEBOOK_X = 'weight';
const NOTEBOOK_Y = 'qrs';
/** Part 1's illustration: four conditions' means and error bars. */
export const CONDITIONS = { names: ['A', 'B', 'C', 'D'], means: [6.6, 7, 5, 0], errors: [6, 1, 6, 1] } as const;
/** The analytic example (mean 2.3, sd 3.2) that the coverage simulation samples from. */
export const POPULATION = { mean: 2.3, sd: 3.2 } as const;
/** The resampling demo's tiny sample. */
export const TINY_SAMPLE = [1, 2, 3, 4] as const;
/** Intervals drawn in the coverage figure (all runs count towards the rate). */
const COVERAGE_DRAWN = 100;
/** Most numbers any one part may draw: keeps every allowed request within seconds. */
export const LIMITS = {
  sweepDraws: 20_000_000,
  sweepSizes: 500,
  coverageDraws: 20_000_000,
  bootDraws: 100_000_000,
  bootSweepDraws: 500_000_000,
  dataBootDraws: 100_000_000,
  columns: 8,
} as const;

const csvColumn = z.string().min(1).max(200);

export const Options = z.object({
  part: z.enum(['all', '1', '2', '3']).default('all')
    .describe('Which part of the post to run: 1 (t intervals), 2 (bootstrap), 3 (real data) or all'),
  conf_level: z.number().min(0.5).max(0.999).default(0.95)
    .describe('Confidence level of every interval, t-based and bootstrap (0.95 = 95%)'),
  sd: z.number().min(0.01).max(1000).default(2)
    .describe('Part 1: standard deviation of the simulated normal population (mean 0)'),
  sample_sizes: z.array(z.number().int().min(3).max(100_000)).min(1).max(4).default([50, 2000])
    .describe('Part 1: sample sizes of the histograms with mean, ±1 SD and CI'),
  sweep_start: z.number().int().min(2).max(100_000).default(5)
    .describe('Part 1: smallest sample size of the width-vs-N sweep'),
  sweep_stop: z.number().int().min(3).max(100_000).default(2000)
    .describe('Part 1: the sweep runs up to (not including) this sample size'),
  sweep_step: z.number().int().min(1).max(100_000).default(42)
    .describe('Part 1: step between the sweep\'s sample sizes (at most 500 sizes)'),
  coverage_n: z.number().int().min(2).max(10_000).default(48)
    .describe('Part 1: sample size of each repeated experiment in the coverage simulation'),
  coverage_runs: z.number().int().min(10).max(20_000).default(1000)
    .describe('Part 1: repeated experiments in the coverage simulation (the first 100 are drawn)'),
  boot_n: z.number().int().min(5).max(20_000).default(500)
    .describe('Part 2: size of the lognormal sample that is bootstrapped'),
  lognormal_sigma: z.number().min(0.01).max(2).default(0.2)
    .describe('Part 2: sigma of the lognormal distribution (mu = 0); larger is more skewed'),
  boots: z.number().int().min(100).max(20_000).default(1000)
    .describe('Parts 2 and 3: bootstrap resamples per interval'),
  boot_sweep_max: z.number().int().min(20).max(20_000).default(10_000)
    .describe('Part 2: largest resample count in the resample-count sweep (from 10, log-spaced)'),
  boot_sweep_points: z.number().int().min(2).max(200).default(100)
    .describe('Part 2: how many resample counts the sweep tries'),
  ...tableSourceOptions('arrhythmia', 'Part 3: '),
  columns: z.array(csvColumn).min(1).max(LIMITS.columns).default([...NOTEBOOK_COLUMNS])
    .describe('Part 3: columns to summarise (your own CSV without them: its numeric columns)'),
  x: csvColumn.default(NOTEBOOK_X)
    .describe('Part 3: first variable of the correlation (your CSV without it: the first column)'),
  y: csvColumn.default(NOTEBOOK_Y)
    .describe('Part 3: second variable of the correlation (your CSV without it: the second column)'),
  z_thresh: z.number().min(1).max(10).default(3.29)
    .describe('Part 3: values with |z| above this are removed as outliers (3.29 ↔ p < .001)'),
  seed: z.number().int().min(0).max(2147483647).optional()
    .describe('Random seed: the same seed gives the same samples and resamples'),
}).strict();
export type CiOptions = z.infer<typeof Options>;

export interface IntervalSummary {
  n: number;
  mean: number;
  sd: number;
  lower: number;
  upper: number;
  halfWidth: number;
  tStar: number;
}

export interface SampleDemo extends IntervalSummary {
  values: Float64Array;
  bins: number;
}

export interface Part1 {
  samples: SampleDemo[];
  sweep: { sizes: number[]; twoSd: number[]; ciWidth: number[] };
  coverage: {
    n: number;
    runs: number;
    lower: Float64Array;
    upper: Float64Array;
    covered: boolean[];
    /** Share of runs whose interval contains the population mean. */
    rate: number;
    /** Coverage after each run. */
    running: Float64Array;
    /** The formula on the population's own mean and sd (the notebook's analytic example). */
    formula: { mean: number; sd: number; n: number; tStar: number; lower: number; upper: number };
  };
  /** Which of the four illustrated conditions' error bars cross zero. */
  crossZero: string[];
}

export interface Part2 {
  resamples: { sample: number[]; mean: number }[];
  data: Float64Array;
  bins: number;
  sigma: number;
  expectedMean: number;
  sampleMean: number;
  sampleSd: number;
  boots: number;
  bootMeans: Float64Array;
  bootBins: number;
  meanCi: [number, number];
  /** The t interval of the mean at the same level, for comparison. */
  tCi: [number, number];
  sweep: { sizes: number[]; widths: number[] };
  bootSds: Float64Array;
  sdBins: number;
  sdCi: [number, number];
}

export interface ColumnResult {
  name: string;
  raw: number[];
  clean: number[];
  /** Binary columns (like sex) are never cleaned. */
  binary: boolean;
  removed: number;
  before: IntervalSummary;
  after: IntervalSummary;
  rawBox: BoxStats;
  cleanBox: BoxStats;
}

export interface Part3 {
  source: { name: string; kind: DataTable['source']; rows: number; citation?: string };
  columns: ColumnResult[];
  zThresh: number;
  corr: {
    x: string;
    y: string;
    xs: number[];
    ys: number[];
    r: number;
    pairs: number;
    boots: Float64Array;
    bins: number;
    ci: [number, number];
  };
}

export interface CiData {
  level: number;
  part1?: Part1;
  part2?: Part2;
  part3?: Part3;
}

const runs = (opts: CiOptions, part: '1' | '2' | '3') => opts.part === 'all' || opts.part === part;

/** One independent generator per part, so changing one part's options leaves the others' samples alone. */
function partRng(seed: number, part: number): Rng {
  return createRng((seed ^ Math.imul(part, 0x9e3779b9)) >>> 0);
}

function interval(values: ArrayLike<number>, level: number): IntervalSummary {
  const t = sampleTInterval(values, level);
  return { n: t.n, mean: t.mean, sd: t.sd, lower: t.lower, upper: t.upper, halfWidth: t.halfWidth, tStar: t.tStar };
}

/** Reject requests whose simulations would run too long, naming the option to lower. */
export function checkBudget(opts: CiOptions): void {
  if (runs(opts, '1')) {
    if (opts.sweep_stop <= opts.sweep_start) {
      throw new OptionError('sweep_stop', `must be larger than sweep_start (${opts.sweep_start}); got ${opts.sweep_stop}`);
    }
    const sizes = arange(opts.sweep_start, opts.sweep_stop, opts.sweep_step);
    if (sizes.length > LIMITS.sweepSizes) {
      throw new OptionError('sweep_step', `the sweep would try ${grouped(sizes.length)} sample sizes; the limit is ${LIMITS.sweepSizes}: raise sweep_step or narrow sweep_start…sweep_stop`);
    }
    const draws = sizes.reduce((a, b) => a + b, 0);
    if (draws > LIMITS.sweepDraws) {
      throw new OptionError('sweep_stop', `the sweep would draw ${grouped(draws)} numbers; the limit is ${grouped(LIMITS.sweepDraws)}: lower sweep_stop or raise sweep_step`);
    }
    if (opts.coverage_n * opts.coverage_runs > LIMITS.coverageDraws) {
      throw new OptionError('coverage_runs', `coverage_n × coverage_runs = ${grouped(opts.coverage_n * opts.coverage_runs)}; the limit is ${grouped(LIMITS.coverageDraws)}`);
    }
  }
  if (runs(opts, '2')) {
    if (2 * opts.boot_n * opts.boots > LIMITS.bootDraws) {
      throw new OptionError('boots', `2 × boot_n × boots = ${grouped(2 * opts.boot_n * opts.boots)} draws; the limit is ${grouped(LIMITS.bootDraws)}: lower boots or boot_n`);
    }
    const total = logSpacedInts(10, opts.boot_sweep_max, opts.boot_sweep_points).reduce((a, b) => a + b, 0);
    if (opts.boot_n * total > LIMITS.bootSweepDraws) {
      throw new OptionError('boot_sweep_max', `the resample-count sweep would draw ${grouped(opts.boot_n * total)} numbers (boot_n × ${grouped(total)} resamples); the limit is ${grouped(LIMITS.bootSweepDraws)}: lower boot_sweep_max, boot_sweep_points or boot_n`);
    }
  }
}

export function computePart1(opts: CiOptions, rng: Rng): Part1 {
  const level = opts.conf_level;
  const samples = opts.sample_sizes.map((n) => {
    const values = rng.normals(n).map((z) => z * opts.sd);
    return { ...interval(values, level), values, bins: fdBinCount(values) };
  });
  const sizes = arange(opts.sweep_start, opts.sweep_stop, opts.sweep_step);
  const twoSd: number[] = [];
  const ciWidth: number[] = [];
  for (const n of sizes) {
    const s = interval(rng.normals(n).map((z) => z * opts.sd), level);
    twoSd.push(2 * s.sd);
    ciWidth.push(s.upper - s.lower);
  }
  const { mean, sd } = POPULATION;
  const n = opts.coverage_n;
  const lower = new Float64Array(opts.coverage_runs);
  const upper = new Float64Array(opts.coverage_runs);
  const running = new Float64Array(opts.coverage_runs);
  const covered: boolean[] = [];
  let hits = 0;
  for (let r = 0; r < opts.coverage_runs; r++) {
    const s = interval(rng.normals(n).map((z) => mean + z * sd), level);
    lower[r] = s.lower;
    upper[r] = s.upper;
    const hit = s.lower <= mean && mean <= s.upper;
    covered.push(hit);
    if (hit) hits++;
    running[r] = hits / (r + 1);
  }
  const f = tInterval(mean, sd, n, level);
  return {
    samples,
    sweep: { sizes, twoSd, ciWidth },
    coverage: {
      n, runs: opts.coverage_runs, lower, upper, covered, rate: hits / opts.coverage_runs, running,
      formula: { mean, sd, n, tStar: f.tStar, lower: f.lower, upper: f.upper },
    },
    crossZero: CONDITIONS.names.filter((_, i) => CONDITIONS.means[i] - CONDITIONS.errors[i] <= 0 && CONDITIONS.means[i] + CONDITIONS.errors[i] >= 0),
  };
}

export function computePart2(opts: CiOptions, rng: Rng): Part2 {
  const level = opts.conf_level;
  const resamples = Array.from({ length: 5 }, () => {
    const sample = Array.from(resampleIndices(rng, TINY_SAMPLE.length), (i) => TINY_SAMPLE[i]).sort((a, b) => a - b);
    return { sample, mean: sample.reduce((a, b) => a + b, 0) / sample.length };
  });
  const sigma = opts.lognormal_sigma;
  const data = rng.normals(opts.boot_n).map((z) => Math.exp(sigma * z));
  const s = summarize(data);
  const bootMeans = bootstrapMeans(rng, data, opts.boots);
  const t = tInterval(s.mean, s.sd, s.n, level);
  const sizes = logSpacedInts(10, opts.boot_sweep_max, opts.boot_sweep_points);
  const widths = sizes.map((b) => {
    const [lo, hi] = percentileInterval(bootstrapMeans(rng, data, b), level);
    return hi - lo;
  });
  const bootSds = bootstrapSds(rng, data, opts.boots);
  return {
    resamples,
    data,
    bins: fdBinCount(data),
    sigma,
    expectedMean: Math.exp(sigma ** 2 / 2),
    sampleMean: s.mean,
    sampleSd: s.sd,
    boots: opts.boots,
    bootMeans,
    bootBins: fdBinCount(bootMeans),
    meanCi: percentileInterval(bootMeans, level),
    tCi: [t.lower, t.upper],
    sweep: { sizes, widths },
    bootSds,
    sdBins: fdBinCount(bootSds),
    sdCi: percentileInterval(bootSds, level),
  };
}

export async function loadTable(opts: CiOptions, ctx: Pick<AnalysisContext, 'localFiles' | 'signal'>): Promise<DataTable> {
  return (await loadTableSource(opts, 'arrhythmia', ctx)).table;
}

const sameList = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((v, i) => v === b[i]);

function columnValues(table: DataTable, name: string, option: string): number[] {
  if (!table.columns.includes(name)) {
    throw new OptionError(option, `${table.name} has no column "${name}" (it has ${table.columns.slice(0, 30).map((c) => `"${c}"`).join(', ')}${table.columns.length > 30 ? ', …' : ''})`);
  }
  const values = (() => {
    try {
      return numericColumn(table, name);
    } catch (err) {
      if (err instanceof TextSourceError) throw new OptionError(option, err.message);
      throw err;
    }
  })();
  const finite = values.filter(Number.isFinite).length;
  if (finite < 3) throw new OptionError(option, `column "${name}" of ${table.name} has ${finite} numeric value${finite === 1 ? '' : 's'}; an interval needs at least 3`);
  return values;
}

/** The numeric columns of a table (at least 3 numbers each), in order. */
function numericColumns(table: DataTable): string[] {
  return table.columns.filter((c) => {
    try {
      return numericColumn(table, c).filter(Number.isFinite).length >= 3;
    } catch {
      return false;
    }
  });
}

export function computePart3(opts: CiOptions, table: DataTable, rng: Rng): Part3 {
  const level = opts.conf_level;
  const userData = table.source === 'url' || table.source === 'file';
  let names = [...opts.columns];
  if (userData && sameList(names, NOTEBOOK_COLUMNS) && !names.every((c) => table.columns.includes(c))) {
    names = numericColumns(table).slice(0, LIMITS.columns);
    if (!names.length) throw new OptionError('columns', `${table.name} has no numeric column with at least 3 numbers`);
  }
  if (new Set(names).size !== names.length) throw new OptionError('columns', 'names a column twice');
  const columns: ColumnResult[] = names.map((name) => {
    const raw = columnValues(table, name, 'columns');
    const binary = new Set(raw.filter(Number.isFinite)).size <= 2;
    const clean = binary ? raw.slice() : removeOutliers(raw, opts.z_thresh);
    const removed = raw.filter(Number.isFinite).length - clean.filter(Number.isFinite).length;
    return { name, raw, clean, binary, removed, before: interval(raw, level), after: interval(clean, level), rawBox: boxStats(raw), cleanBox: boxStats(clean) };
  });
  let x = opts.x;
  let y = opts.y;
  if (userData && x === NOTEBOOK_X && y === NOTEBOOK_Y && !(table.columns.includes(x) && table.columns.includes(y))) {
    if (names.length < 2) throw new OptionError('x', `name two numeric columns of ${table.name} with x and y for the correlation`);
    [x, y] = [names[0]!, names[1]!];
  }
  if (x === y) throw new OptionError('y', `must differ from x ("${x}")`);
  const xs = columnValues(table, x, 'x');
  const ys = columnValues(table, y, 'y');
  if (xs.length * opts.boots > LIMITS.dataBootDraws) {
    throw new OptionError('boots', `${grouped(xs.length)} rows × ${grouped(opts.boots)} resamples is over the limit of ${grouped(LIMITS.dataBootDraws)}: lower boots`);
  }
  const pairs = xs.filter((v, i) => Number.isFinite(v) && Number.isFinite(ys[i])).length;
  const r = pearsonComplete(xs, ys);
  if (pairs < 3 || !Number.isFinite(r)) throw new OptionError('y', `"${x}" and "${y}" need at least 3 complete rows with some spread to correlate (found ${pairs})`);
  const boots = bootstrapCorrelations(rng, xs, ys, opts.boots);
  const info = table.source === 'bundled' || table.source === 'uci' || table.source === 'cache' ? DATASETS.arrhythmia : undefined;
  return {
    source: { name: table.name, kind: table.source, rows: table.rows.length, citation: info?.citation },
    columns,
    zThresh: opts.z_thresh,
    corr: { x, y, xs, ys, r, pairs, boots, bins: fdBinCount(boots), ci: percentileInterval(boots, level) },
  };
}

export async function computeCi(opts: CiOptions, ctx: Pick<AnalysisContext, 'localFiles' | 'signal' | 'progress'>): Promise<CiData> {
  checkBudget(opts);
  const seed = opts.seed ?? 0;
  const out: CiData = { level: opts.conf_level };
  // Load first, so a bad file fails before any simulation runs.
  const table = runs(opts, '3') ? await loadTable(opts, ctx) : undefined;
  if (runs(opts, '1')) {
    ctx.progress('part 1: t intervals', 0);
    out.part1 = computePart1(opts, partRng(seed, 1));
  }
  if (runs(opts, '2')) {
    ctx.progress('part 2: bootstrap', 0.3);
    out.part2 = computePart2(opts, partRng(seed, 2));
  }
  if (table) {
    ctx.progress('part 3: data', 0.8);
    out.part3 = computePart3(opts, table, partRng(seed, 3));
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Figures

const f2 = (v: number) => fixed(v, 2);
const f3 = (v: number) => fixed(v, 3);
const pct = (level: number) => `${Number((level * 100).toFixed(1))}%`;
/** "[lo, hi]" of an interval given as a pair or as lower/upper. */
function range(a: readonly [number, number] | { lower: number; upper: number }, digits = 2): string {
  const [lo, hi] = 'lower' in a ? [a.lower, a.upper] : a;
  return `[${fixed(lo, digits)}, ${fixed(hi, digits)}]`;
}

// The notebook's colours, as on its dark background.
const lavender = '#b3b3e6';
const pink = '#e6b3b3';
const mint = '#b3e6b3';
const purple = '#b34db3';
const red = '#e64d4d';
const ciFill = withAlpha(mint, 0.28);

/** A round axis top a little above v, so the top tick label is a round number. */
function niceTop(v: number): number {
  const raw = v * 1.05;
  const mag = 10 ** Math.floor(Math.log10(raw));
  return ([1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10].find((m) => m * mag >= raw) ?? 10) * mag;
}

function peak(values: ArrayLike<number>, bins: number, rangeOf?: [number, number]): number {
  return Math.max(1, ...histogram(values, { bins, range: rangeOf }).counts);
}

async function renderPart1(p: Part1, level: number, popSd: number): Promise<Figure[]> {
  const L = pct(level);
  const bars = CONDITIONS.names.map((_, i) => ({ center: CONDITIONS.means[i], lower: CONDITIONS.means[i] - CONDITIONS.errors[i], upper: CONDITIONS.means[i] + CONDITIONS.errors[i] }));
  const errorBars = categoryTicks(errorBarChart({
    title: 'Four conditions: means with error bars',
    subtitle: p.crossZero.length ? `error bars that reach zero: ${p.crossZero.join(', ')}` : 'no error bar reaches zero',
    xLabel: 'Condition',
    yLabel: 'Data value',
    bars,
    color: pink,
    markerColor: '#e6b3e6',
    markerShape: 'rect',
    markerRadius: 6,
    cap: 0.08,
    annotations: [{ kind: 'hline', y: 0, color: theme.muted }],
  }), CONDITIONS.names);

  // ±3 population SDs: the notebook's xlim [−6, 6] at SD 2.
  const pop = popSd;
  const histPanels = p.samples.map((s) => {
    const top = niceTop(peak(s.values, s.bins));
    const config = histogramChart({
      title: `Sample size = ${grouped(s.n)}`,
      subtitle: `mean ${f2(s.mean)}, SD ${f2(s.sd)}, ${L} CI ${range(s)} (±${f3(s.halfWidth)})`,
      xLabel: 'Data value',
      yLabel: 'Count',
      series: [{ label: '_data', values: s.values, color: lavender }],
      bins: s.bins,
      xMin: -3 * pop,
      xMax: 3 * pop,
      yMin: 0,
      yMax: top,
      legend: true,
    });
    withVerticalLine(config, s.mean, 0, top, { label: 'Mean', color: '#ffffff', lineWidth: 3 });
    withSegments(config, [{ x0: s.mean - s.sd, y0: 0, x1: s.mean - s.sd, y1: top }, { x0: s.mean + s.sd, y0: 0, x1: s.mean + s.sd, y1: top }], { label: '1 std', color: mint, dashed: 'dotted', lineWidth: 2.5 });
    withSegments(config, [{ x0: s.lower, y0: 0, x1: s.lower, y1: top }, { x0: s.upper, y0: 0, x1: s.upper, y1: top }], { label: `${L} CI`, color: red, dashed: true, lineWidth: 2 });
    return config;
  });

  const sw = p.sweep;
  const sweep = logTickLabels(markerShape(lineChart({
    title: 'Standard deviation vs confidence interval over sample size',
    subtitle: `the SD settles near ${f2(sw.twoSd[sw.twoSd.length - 1]! / 2)}; the ${L} CI keeps shrinking like 1/√N`,
    xLabel: 'Sample size',
    yLabel: 'Stdev or C.I. (log)',
    logY: true,
    markers: true,
    legend: true,
    // Headroom so the first (widest) interval's marker is not cut by the frame.
    yMax: Math.max(...sw.twoSd, ...sw.ciWidth) * 1.3,
    yMin: Math.min(...sw.twoSd, ...sw.ciWidth) / 1.3,
    series: [
      { label: '2 × standard deviation', x: sw.sizes, values: sw.twoSd, color: mint, lineWidth: 1, pointRadius: 5 },
      { label: `${L} confidence interval width`, x: sw.sizes, values: sw.ciWidth, color: pink, lineWidth: 1, pointRadius: 5 },
    ],
    xMin: 0,
  }), 'circle', '#ffffff'));
  // The interval series as squares (the notebook's 's').
  (sweep.data.datasets[1] as { pointStyle?: string }).pointStyle = 'rect';

  const c = p.coverage;
  const drawn = Math.min(COVERAGE_DRAWN, c.runs);
  const drawnHits = c.covered.slice(0, drawn).filter(Boolean).length;
  const forest = errorBarChart({
    title: `${drawnHits} of the first ${drawn} intervals cover μ = ${c.formula.mean}`,
    subtitle: `${L} t intervals, N = ${grouped(c.n)} per experiment; misses in red`,
    xLabel: 'Data value',
    yLabel: 'Experiment',
    horizontal: true,
    bars: Array.from({ length: drawn }, (_, i) => ({ at: i + 1, center: (c.lower[i]! + c.upper[i]!) / 2, lower: c.lower[i]!, upper: c.upper[i]!, color: c.covered[i] ? mint : red })),
    markerColor: 'none',
    cap: 0,
    lineWidth: drawn > 60 ? 2 : 3,
    yMin: 0,
    // Room above the last interval for the μ label.
    yMax: Math.ceil((drawn + 1) / 10) * 10 + (drawn >= 50 ? 10 : 0),
    annotations: [{ kind: 'vline', x: c.formula.mean, color: '#ffffff', label: `μ = ${c.formula.mean}` }],
  });
  const runsX = Array.from({ length: c.runs }, (_, i) => i + 1);
  const minRate = Math.min(level, ...Array.from(c.running).slice(Math.min(9, c.runs - 1)));
  const runningChart = lineChart({
    title: `Coverage after ${grouped(c.runs)} experiments: ${pct(c.rate)}`,
    subtitle: `share of intervals containing μ so far; the promise is ${L} in the long run`,
    xLabel: 'Experiments',
    yLabel: 'Coverage',
    series: [{ label: 'coverage so far', x: runsX, values: c.running, color: mint }],
    yMin: Math.max(0, Math.floor((minRate - 0.02) * 50) / 50),
    yMax: 1,
    annotations: [{ kind: 'hline', y: level, color: red, label: `${L} promised` }],
  });

  const f = c.formula;
  return [
    {
      name: 'error-bars',
      title: 'Means and error bars of four conditions',
      alt: `Error-bar plot of conditions ${CONDITIONS.names.join(', ')} with means ${CONDITIONS.means.join(', ')} and error bars ±${CONDITIONS.errors.join(', ±')}; ${p.crossZero.length ? `the bars of ${p.crossZero.join(' and ')} reach the dashed zero line` : 'no bar reaches zero'}.`,
      png: await renderPanels([errorBars], { columns: 1, panelHeight: 520, width: 900 }),
    },
    {
      name: 'ci-vs-sd',
      title: `Histograms at ${p.samples.length} sample size${p.samples.length === 1 ? '' : 's'}: SD vs ${L} CI`,
      alt: p.samples.map((s) => `N = ${s.n}: mean ${f2(s.mean)}, ±1 SD at ${f2(s.mean - s.sd)} and ${f2(s.mean + s.sd)}, ${L} confidence interval ${range(s)}`).join('; ') + '. The SD lines stay put while the interval tightens around the mean as N grows.',
      png: await renderPanels(histPanels, { columns: 1, panelHeight: 330 }),
    },
    {
      name: 'ci-width-by-n',
      title: 'Standard deviation and confidence-interval width over sample size',
      alt: `Log-scale plot over ${sw.sizes.length} sample sizes from ${sw.sizes[0]} to ${sw.sizes[sw.sizes.length - 1]}: twice the SD stays near ${f2(sw.twoSd[sw.twoSd.length - 1]!)} while the ${L} CI width falls from ${f2(sw.ciWidth[0]!)} to ${f3(sw.ciWidth[sw.ciWidth.length - 1]!)}.`,
      png: await renderChart(sweep, { width: 1200, height: 520 }),
    },
    {
      name: 'coverage',
      title: `Coverage of ${L} intervals over ${grouped(c.runs)} repeated experiments`,
      alt: `Left: the first ${drawn} of ${c.runs} simulated ${L} t intervals (N = ${c.n}, population mean ${f.mean}, SD ${f.sd}); ${drawn - drawnHits} miss the mean. Right: the running share of intervals covering the mean ends at ${pct(c.rate)}. The formula on the population values gives t* = ${f3(f.tStar)} and ${range([f.lower, f.upper], 3)}.`,
      png: await renderPanels([forest, runningChart], { columns: 2, panelHeight: 640 }),
    },
  ];
}

async function renderPart2(p: Part2, level: number): Promise<Figure[]> {
  const L = pct(level);
  const dataTop = peak(p.data, p.bins);
  const logTop = niceTop(dataTop);
  const lognormal = histogramChart({
    title: `Data histogram (N = ${grouped(p.data.length)})`,
    subtitle: `lognormal, μ = 0, σ = ${p.sigma}: sample mean ${f3(p.sampleMean)}, expected mean ${f3(p.expectedMean)}`,
    xLabel: 'Data value',
    yLabel: 'Count',
    series: [{ label: 'Data histogram', values: p.data, color: lavender }],
    bins: p.bins,
    yMin: 0,
    yMax: logTop,
    legend: true,
  });
  withVerticalLine(lognormal, p.sampleMean, 0, logTop, { label: 'Sample mean', color: theme.palette[2], lineWidth: 3 });
  withVerticalLine(lognormal, p.expectedMean, 0, logTop, { label: 'Expected mean', color: red, dashed: true, lineWidth: 3 });

  const zoom = (ci: [number, number]): [number, number] => [ci[0] - (ci[1] - ci[0]), ci[1] + (ci[1] - ci[0])];
  const meanPanel = (zoomed: boolean) => {
    const bootTop = peak(p.bootMeans, p.bootBins);
    const top = zoomed ? bootTop : dataTop;
    const [lo, hi] = zoomed ? zoom(p.meanCi) : [undefined, undefined];
    const config = zoomed
      ? histogramChart({ series: [{ label: 'Bootstrap means', values: p.bootMeans, color: purple }], bins: p.bootBins, xMin: lo, xMax: hi })
      : histogramChart({ series: [{ label: 'Data histogram', values: p.data, color: lavender }], bins: p.bins });
    if (!zoomed) withHistogram(config, p.bootMeans, { bins: p.bootBins, label: 'Bootstrap means', color: purple, fillAlpha: 0.5 });
    withXSpan(config, { lo: p.meanCi[0], hi: p.meanCi[1], top, color: ciFill, label: `${L} CI region` });
    withVerticalLine(config, p.expectedMean, 0, top * 1.1, { label: 'Expected mean', color: red, dashed: true });
    withVerticalLine(config, p.sampleMean, 0, top, { label: 'Sample mean', color: theme.palette[2] });
    const opts = config.options as { plugins: { title: object; subtitle: object; legend: { display: boolean } }; scales: { x: { title: object }; y: { title: object; min?: number; max?: number } } };
    opts.plugins.title = { display: true, text: zoomed ? 'Bootstrap means (zoomed in)' : 'Data and bootstrap means' };
    opts.plugins.subtitle = { display: true, text: zoomed ? `${L} bootstrap CI ${range(p.meanCi, 3)}` : `${grouped(p.boots)} resamples of the ${grouped(p.data.length)} values` };
    opts.plugins.legend.display = true;
    opts.scales.x.title = { display: true, text: 'Data values' };
    opts.scales.y.title = { display: true, text: 'Count (a.u.)' };
    opts.scales.y.min = 0;
    opts.scales.y.max = Math.max(top * 1.15, bootTop * 1.05);
    return hideYTicks(config);
  };

  const sweep = p.sweep;
  const last = sweep.widths[sweep.widths.length - 1]!;
  const dist = sweep.widths.map((w) => Math.abs(w - last));
  const bootCount = scatterChart({
    title: 'Impact of bootstrap size on confidence interval',
    subtitle: `width with ${grouped(sweep.sizes[sweep.sizes.length - 1]!)} resamples: ${f3(last)} (dashed); colour: distance from it`,
    xLabel: 'Number of bootstrap samples',
    yLabel: 'Confidence interval width',
    logX: true,
    series: [{ label: 'CI width', x: sweep.sizes, values: sweep.widths, colorValues: dist, pointRadius: 7 }],
    colorScale: { colormap: 'plasma', label: '|width − final width|' },
    annotations: [{ kind: 'hline', y: last, color: theme.muted }],
  });

  const sdTop = peak(p.bootSds, p.sdBins);
  const [sdLo, sdHi] = zoom(p.sdCi);
  const bootSd = histogramChart({
    title: `Bootstrap standard deviations (${grouped(p.boots)} resamples)`,
    subtitle: `sample SD ${f3(p.sampleSd)}, ${L} bootstrap CI ${range(p.sdCi, 3)}`,
    xLabel: 'Standard deviation values',
    yLabel: 'Count (a.u.)',
    series: [{ label: 'Bootstrap stdevs', values: p.bootSds, color: purple }],
    bins: p.sdBins,
    xMin: sdLo,
    xMax: sdHi,
    yMin: 0,
    yMax: sdTop * 1.1,
    legend: true,
  });
  withXSpan(bootSd, { lo: p.sdCi[0], hi: p.sdCi[1], top: sdTop, color: ciFill, label: `${L} CI region` });
  withVerticalLine(bootSd, p.sampleSd, 0, sdTop, { label: 'Sample stdev.', color: theme.palette[2] });
  hideYTicks(bootSd);

  return [
    {
      name: 'lognormal-data',
      title: `Lognormal sample of ${grouped(p.data.length)} values`,
      alt: `Histogram of ${p.data.length} lognormal values (sigma ${p.sigma}) with the sample mean ${f3(p.sampleMean)} and the expected mean ${f3(p.expectedMean)} marked.`,
      png: await renderChart(lognormal, { width: 1200, height: 420 }),
    },
    {
      name: 'bootstrap-mean',
      title: `Bootstrap ${L} CI of the mean (2 panels)`,
      alt: `Left: the data histogram with the much narrower histogram of ${p.boots} bootstrap means on top. Right: the bootstrap means zoomed in, with the ${L} percentile interval ${range(p.meanCi, 3)} shaded; the t interval at the same level is ${range(p.tCi, 3)}; expected mean ${f3(p.expectedMean)}, sample mean ${f3(p.sampleMean)}.`,
      png: await renderPanels([meanPanel(false), meanPanel(true)], { columns: 2, panelHeight: 440 }),
    },
    {
      name: 'bootstrap-count',
      title: 'Confidence-interval width over the number of resamples',
      alt: `Scatter of the bootstrap ${L} CI width of the mean for ${sweep.sizes.length} resample counts from ${sweep.sizes[0]} to ${sweep.sizes[sweep.sizes.length - 1]} (log axis): the widths vary from ${f3(Math.min(...sweep.widths))} to ${f3(Math.max(...sweep.widths))} and settle near ${f3(last)} as the count grows.`,
      png: await renderChart(bootCount, { width: 1200, height: 460 }),
    },
    {
      name: 'bootstrap-sd',
      title: `Bootstrap ${L} CI of the standard deviation`,
      alt: `Histogram of ${p.boots} bootstrap standard deviations with the ${L} percentile interval ${range(p.sdCi, 3)} shaded and the sample SD ${f3(p.sampleSd)} marked.`,
      png: await renderChart(bootSd, { width: 1000, height: 500 }),
    },
  ];
}

async function renderPart3(p: Part3, level: number): Promise<Figure[]> {
  const L = pct(level);
  const cols = p.columns;
  const removedTotal = cols.reduce((a, c) => a + c.removed, 0);
  const boxes = await renderCategoricalPlots([
    { groups: cols.map((c) => ({ label: c.name, values: c.raw })), title: 'Box plots of raw data', subtitle: `${p.source.name}: ${grouped(p.source.rows)} rows`, xLabel: 'Variable', yLabel: 'Value' },
    { groups: cols.map((c) => ({ label: c.name, values: c.clean })), title: 'Box plots of cleaned data', subtitle: `${removedTotal} value${removedTotal === 1 ? '' : 's'} with |z| > ${p.zThresh} removed`, xLabel: 'Variable', yLabel: 'Value' },
  ], { columns: 2, panelHeight: 460 });

  const names = cols.map((c) => c.name);
  const cleaning = errorBarChart({
    title: 'Impact of cleaning on confidence interval',
    subtitle: `${L} CI half-width (t* · s/√n), before and after removing |z| > ${p.zThresh}`,
    xLabel: 'Variable',
    yLabel: 'Confidence interval',
    bars: cols.map((c) => ({ center: NaN, lower: c.before.halfWidth, upper: c.after.halfWidth })),
    color: '#ffffff',
    markerColor: 'none',
    cap: 0,
    lineWidth: 1,
    legend: true,
  });
  // The connecting lines dashed, as the notebook's 'w--'.
  (cleaning.data.datasets[0] as { borderDash?: number[] }).borderDash = [5, 4];
  withMarkers(cleaning, cols.map((c, i) => ({ x: i, y: c.before.halfWidth })), { label: 'Pre-clean', color: pink, border: '#000000', radius: 8, shape: 'rect' });
  withMarkers(cleaning, cols.map((c, i) => ({ x: i, y: c.after.halfWidth })), { label: 'Post-clean', color: lavender, border: '#000000', radius: 8, shape: 'circle' });
  categoryTicks(cleaning, names);

  const k = p.corr;
  const scatter = scatterChart({
    title: `Correlation = ${f3(k.r)}`,
    subtitle: `${grouped(k.pairs)} complete rows of ${p.source.name}`,
    xLabel: k.x === NOTEBOOK_X ? 'Weight' : k.x,
    yLabel: k.y === NOTEBOOK_Y ? 'QRS duration (ms)' : k.y,
    series: [{ label: `${k.y} vs ${k.x}`, x: k.xs, values: k.ys, color: withAlpha(mint, 0.5), pointRadius: 5 }],
  });

  const top = peak(k.boots, k.bins);
  const hist = extent(k.boots);
  const pad = (hist[1] - hist[0]) * 0.1;
  const xMin = Math.max(-1, Math.min(-0.3, hist[0] - pad));
  const xMax = Math.min(1, Math.max(0.5, hist[1] + pad));
  const bootR = histogramChart({
    title: `Bootstrap ${L} CI of the correlation: ${range(k.ci, 3)}`,
    subtitle: `${grouped(k.boots.length)} resamples of the rows; ${k.ci[0] > 0 || k.ci[1] < 0 ? 'the interval excludes 0' : 'the interval includes 0'}`,
    xLabel: `Bootstrap r (${k.x}, ${k.y})`,
    yLabel: 'Count (a.u.)',
    series: [{ label: 'Bootstrap r', values: k.boots, color: purple }],
    bins: k.bins,
    xMin,
    xMax,
    yMin: 0,
    yMax: top * 1.15,
    legend: true,
  });
  withXSpan(bootR, { lo: k.ci[0], hi: k.ci[1], top, color: ciFill, label: `${L} CI region` });
  withVerticalLine(bootR, 0, 0, top * 1.1, { label: 'H₀ value', color: red, dashed: 'dotted', lineWidth: 2.5 });
  withVerticalLine(bootR, k.r, 0, top, { label: 'Observed correlation', color: '#ffffff', dashed: true });
  hideYTicks(bootR);

  const biggest = mostNarrowed(cols);
  return [
    {
      name: 'boxplots',
      title: 'Box plots of the raw and cleaned data (2 panels)',
      alt: `Box plots of ${names.join(', ')} from ${p.source.name}, raw (left) and with values beyond |z| > ${p.zThresh} removed (right); ${cols.map((c) => `${c.name}: ${c.removed} removed`).join(', ')}.`,
      png: boxes,
    },
    {
      name: 'cleaning-ci',
      title: `${L} CI half-widths before and after cleaning`,
      alt: `For each of ${names.join(', ')}, the ${L} confidence-interval half-width before and after removing outliers: ${cols.map((c) => `${c.name} ±${f2(c.before.halfWidth)} → ±${f2(c.after.halfWidth)}`).join(', ')}; ${biggest.name} narrows most.`,
      png: await renderChart(cleaning, { width: 900, height: 520 }),
    },
    {
      name: 'weight-qrs',
      title: `${k.y} against ${k.x}`,
      alt: `Scatter plot of ${k.y} against ${k.x} for ${k.pairs} rows of ${p.source.name}; Pearson correlation ${f3(k.r)}.`,
      png: await renderChart(scatter, { width: 1000, height: 520 }),
    },
    {
      name: 'bootstrap-r',
      title: `Bootstrap ${L} CI of the ${k.x}–${k.y} correlation`,
      alt: `Histogram of ${k.boots.length} bootstrap correlations between ${k.x} and ${k.y}, with the ${L} percentile interval ${range(k.ci, 3)} shaded, the observed r = ${f3(k.r)} dashed and zero dotted; the interval ${k.ci[0] > 0 || k.ci[1] < 0 ? 'excludes' : 'includes'} 0.`,
      png: await renderChart(bootR, { width: 1000, height: 500 }),
    },
  ];
}

/** The column whose interval cleaning narrowed most, relative to its width before. */
function mostNarrowed(cols: readonly ColumnResult[]): ColumnResult {
  const shrink = (c: ColumnResult) => (c.before.halfWidth > 0 ? (c.before.halfWidth - c.after.halfWidth) / c.before.halfWidth : 0);
  return [...cols].sort((a, b) => shrink(b) - shrink(a))[0]!;
}

/** Min and max. */
function extent(v: ArrayLike<number>): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < v.length; i++) {
    if (v[i]! < lo) lo = v[i]!;
    if (v[i]! > hi) hi = v[i]!;
  }
  return [lo, hi];
}

export async function renderCi(d: CiData, opts: CiOptions): Promise<Figure[]> {
  return [
    ...(d.part1 ? await renderPart1(d.part1, d.level, opts.sd) : []),
    ...(d.part2 ? await renderPart2(d.part2, d.level) : []),
    ...(d.part3 ? await renderPart3(d.part3, d.level) : []),
  ];
}

export function explainCi(d: CiData, opts: CiOptions): string {
  const L = pct(d.level);
  const parts: string[] = [];
  if (d.part1) {
    const [a, b] = [d.part1.samples[0]!, d.part1.samples[d.part1.samples.length - 1]!];
    const c = d.part1.coverage;
    parts.push(a === b
      ? `With N = ${grouped(a.n)} the ${L} interval of the mean is ${range(a)}, far narrower than the ±1 SD band (SD ${f2(a.sd)}): it says where the mean is, not where the data are.`
      : `The SD barely changes with sample size (${f2(a.sd)} at N = ${grouped(a.n)}, ${f2(b.sd)} at N = ${grouped(b.n)}), but the ${L} interval of the mean tightens from ±${f3(a.halfWidth)} to ±${f3(b.halfWidth)}: it says where the mean is, not where the data are.`);
    parts.push(`"${L}" is a promise about the procedure: of ${grouped(c.runs)} repeated experiments with N = ${grouped(c.n)}, ${pct(c.rate)} of the intervals covered the true mean ${c.formula.mean}, and any one interval either contains it or not.`);
  }
  if (d.part2) {
    const p = d.part2;
    parts.push(`Bootstrapping the lognormal sample's mean ${grouped(p.boots)} times gives the ${L} percentile interval ${range(p.meanCi, 3)}, close to the t interval ${range(p.tCi, 3)}; beyond a few hundred resamples the width hardly changes.`);
  }
  if (d.part3) {
    const p = d.part3;
    const most = mostNarrowed(p.columns);
    const k = p.corr;
    parts.push(`In ${p.source.name}, removing values with |z| > ${p.zThresh} narrows the ${most.name} interval most (±${f2(most.before.halfWidth)} → ±${f2(most.after.halfWidth)}, ${most.removed} value${most.removed === 1 ? '' : 's'} removed); the bootstrap ${L} interval of the ${k.x}–${k.y} correlation r = ${f3(k.r)} is ${range(k.ci, 3)}, which ${k.ci[0] > 0 || k.ci[1] < 0 ? 'excludes' : 'includes'} 0.`);
  }
  const next = opts.conf_level !== 0.99
    ? 'Try `/ci conf_level:0.99` and watch every interval widen and the coverage climb towards 99%.'
    : 'Try `/ci conf_level:0.8` and watch every interval narrow and about one in five miss.';
  parts.push(next);
  return parts.join(' ');
}

const list = (v: ArrayLike<number>) => Array.from(v);
const histData = (values: ArrayLike<number>, bins: number, rangeOf?: [number, number]) => {
  const h = histogram(values, { bins, range: rangeOf });
  return { bin_edges: h.edges, counts: h.counts };
};
const summaryData = (s: IntervalSummary) => ({ n: s.n, mean: s.mean, sd: s.sd, t_star: s.tStar, half_width: s.halfWidth, ci: [s.lower, s.upper] });
const boxData = (b: BoxStats) => ({ n: b.n, q1: b.q1, median: b.median, q3: b.q3, whisker_low: b.whiskerLow, whisker_high: b.whiskerHigh, fliers: b.fliers });

export function ciFigureData(d: CiData): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const level = d.level;
  if (d.part1) {
    const p = d.part1;
    out['error-bars'] = { conditions: CONDITIONS.names, means: CONDITIONS.means, error_sizes: CONDITIONS.errors, reach_zero: p.crossZero };
    out['ci-vs-sd'] = p.samples.map((s) => ({ ...summaryData(s), confidence_level: level, histogram: histData(s.values, s.bins) }));
    out['ci-width-by-n'] = { sample_sizes: p.sweep.sizes, two_sd: p.sweep.twoSd, ci_width: p.sweep.ciWidth, confidence_level: level };
    const c = p.coverage;
    out['coverage'] = {
      population_mean: c.formula.mean,
      population_sd: c.formula.sd,
      n: c.n,
      runs: c.runs,
      confidence_level: level,
      coverage: c.rate,
      lower: list(c.lower),
      upper: list(c.upper),
      covered: c.covered,
      formula: { t_star: c.formula.tStar, ci: [c.formula.lower, c.formula.upper] },
    };
  }
  if (d.part2) {
    const p = d.part2;
    out['lognormal-data'] = {
      n: p.data.length, mu: 0, sigma: p.sigma, sample_mean: p.sampleMean, sample_sd: p.sampleSd, expected_mean: p.expectedMean,
      histogram: histData(p.data, p.bins),
      resampling_demo: { sample: TINY_SAMPLE, mean: 2.5, resamples: p.resamples },
    };
    out['bootstrap-mean'] = {
      resamples: p.boots, confidence_level: level, bootstrap_ci: p.meanCi, t_ci: p.tCi,
      bootstrap_means: histData(p.bootMeans, p.bootBins),
    };
    out['bootstrap-count'] = { resample_counts: p.sweep.sizes, ci_width: p.sweep.widths, confidence_level: level };
    out['bootstrap-sd'] = { resamples: p.boots, sample_sd: p.sampleSd, bootstrap_ci: p.sdCi, bootstrap_sds: histData(p.bootSds, p.sdBins) };
  }
  if (d.part3) {
    const p = d.part3;
    out['boxplots'] = {
      source: p.source, z_threshold: p.zThresh,
      columns: p.columns.map((c) => ({ name: c.name, binary: c.binary, removed: c.removed, raw: boxData(c.rawBox), cleaned: boxData(c.cleanBox) })),
    };
    out['cleaning-ci'] = { confidence_level: level, columns: p.columns.map((c) => ({ name: c.name, before: summaryData(c.before), after: summaryData(c.after) })) };
    out['weight-qrs'] = { x: p.corr.x, y: p.corr.y, r: p.corr.r, complete_rows: p.corr.pairs, x_values: p.corr.xs, y_values: p.corr.ys };
    out['bootstrap-r'] = { resamples: p.corr.boots.length, confidence_level: level, observed_r: p.corr.r, bootstrap_ci: p.corr.ci, bootstrap_r: histData(p.corr.boots, p.corr.bins) };
  }
  return out;
}

export const ciAnalysis: Analysis<typeof Options, CiData> = {
  id: 'ci',
  post: findPost('ci')!,
  usesModel: false,
  options: Options,
  compute: (opts, ctx) => computeCi(opts, ctx),
  render: (data, opts) => renderCi(data, opts),
  explain: explainCi,
  figureData: (d) => ciFigureData(d),
};
