// /lstsq-simulation — "Least squares part 2: explorations in simulations". Simulate data whose
// true coefficients we choose (happiness from punk shows attended, then from shows and age), fit
// them back by least squares, look at observed vs predicted values and residuals, compute R² and
// adjusted R², and watch both change with the sample size.
import type { ChartConfiguration } from 'chart.js';
import { z } from 'zod';
import { findPost } from '../catalog/posts.ts';
import { histogram, histogramChart, scatterChart } from '../render/charts.ts';
import { renderChart } from '../render/chart.ts';
import { renderPanels } from '../render/panels.ts';
import { renderTableFigure, type TableSpec } from '../render/table.ts';
import { theme, withAlpha } from '../render/theme.ts';
import { fixed } from './lib/format.ts';
import { ols } from './lib/ols.ts';
import { createRng, type Rng } from './lib/random.ts';
import { pearson } from './lib/stats.ts';
import { addSegments, asLine, markers, padded, residualSegments, styleDataset } from './lstsq-theory.ts';
import { OptionError, type Analysis, type Figure } from './types.ts';

const coef = (def: number, lim: number) => z.number().min(-lim).max(lim).default(def);
const size = (def: number, min: number, max: number) => z.number().int().min(min).max(max).default(def);

export const Options = z.object({
  n: size(135, 3, 5000)
    .describe('Observations in the one-predictor simulation'),
  b0: coef(20, 1000).describe('True intercept of the one-predictor model (happiness units)'),
  b1: coef(3, 100).describe('True happiness gained per punk show, one-predictor model'),
  max_shows: size(20, 2, 1000)
    .describe('Punk shows are whole numbers from 0 to max_shows − 1 (one-predictor model)'),
  noise: z.number().min(0).max(1000).default(15)
    .describe('Standard deviation of the Gaussian noise added to happiness (every simulation)'),
  multi_n: size(88, 4, 5000)
    .describe('Observations in the two-predictor (shows and age) simulation'),
  multi_b0: coef(10, 1000).describe('True intercept of the two-predictor model'),
  multi_b1: coef(3, 100).describe('True happiness per punk show, two-predictor model and sweep'),
  multi_b2: coef(0.8, 100).describe('True happiness per year of age, two-predictor model and sweep'),
  multi_max_shows: size(15, 2, 1000)
    .describe('Punk shows from 0 to multi_max_shows − 1 in the two-predictor model and sweep'),
  age_min: z.number().min(0).max(120).default(18)
    .describe('Ages are uniform from age_min to age_max (years)'),
  age_max: z.number().min(0).max(120).default(55)
    .describe('Upper end of the uniform age range (years)'),
  sweep_min_n: size(5, 2, 10000)
    .describe('Smallest sample size of the R² sweep'),
  sweep_max_n: size(2000, 2, 10000)
    .describe('Largest sample size of the R² sweep'),
  sweep_steps: size(50, 2, 100)
    .describe('How many log-spaced sample sizes the R² sweep runs'),
  useless: size(0, 0, 20)
    .describe('Pure-noise predictors added to the sweep model, to see adjusted R² push back'),
  clip: z.boolean().default(true)
    .describe('Clip simulated happiness to the 0-100 scale, as the notebook does'),
  seed: z.number().int().min(0).max(2147483647).optional()
    .describe('Random seed: the same seed gives the same simulated people'),
}).strict();
export type LstsqSimulationOptions = z.infer<typeof Options>;

/** One simulated data set fitted by least squares, with what the figures print about it. */
export interface ModelFit {
  /** Predictor names, intercept first. */
  names: string[];
  /** The coefficients the data were simulated with (same order as names). */
  simulated: number[];
  /** Predictor columns (without the intercept). */
  columns: number[][];
  y: number[];
  yHat: number[];
  residuals: number[];
  beta: number[];
  stdErr: number[];
  t: number[];
  p: number[];
  /** 1 − SSE/SST. */
  r2: number;
  /** corr(y, ŷ)², which equals R² for a model with an intercept. */
  r2Corr: number;
  adjR2: number;
  f: number;
  fP: number;
  /** corr(observed, predicted) and corr(residuals, predicted). */
  rObsPred: number;
  rResidPred: number;
  /** Residual histogram with Freedman–Diaconis bins (numpy's bins='fd'). */
  residualHist: { edges: number[]; counts: number[] };
  /** How many simulated values fell outside 0–100 and were clipped. */
  clipped: number;
}

export interface SweepData {
  sampleSizes: number[];
  r2: number[];
  adjR2: number[];
  /** Parameters of the sweep model (intercept, shows, age, useless predictors). */
  k: number;
  useless: number;
}

export interface LstsqSimulationData {
  simple: ModelFit;
  multi: ModelFit & { ageMedian: number };
  sweep: SweepData;
}

// ---------------------------------------------------------------------------------------------
// Numbers

/** numpy.percentile with linear interpolation (its default), q in [0, 100]. */
export function percentile(values: ArrayLike<number>, q: number): number {
  const v = Array.from(values).sort((a, b) => a - b);
  if (!v.length) return NaN;
  const pos = (q / 100) * (v.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(v.length - 1, lo + 1);
  return v[lo]! + (pos - lo) * (v[hi]! - v[lo]!);
}

export function median(values: ArrayLike<number>): number {
  return percentile(values, 50);
}

/**
 * The number of bins numpy's bins='fd' chooses: the Freedman–Diaconis width 2·IQR·n^(−1/3) over
 * the data's range, rounded up; one bin when the IQR is zero. Capped at `max` bins.
 */
export function fdBinCount(values: ArrayLike<number>, max = 200): number {
  const n = values.length;
  if (n < 2) return 1;
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < n; i++) {
    lo = Math.min(lo, values[i]!);
    hi = Math.max(hi, values[i]!);
  }
  const width = (2 * (percentile(values, 75) - percentile(values, 25))) / Math.cbrt(n);
  if (!(width > 0) || !(hi > lo)) return 1;
  return Math.min(max, Math.max(1, Math.ceil((hi - lo) / width)));
}

/** numpy's logspace(log10(lo), log10(hi), steps).astype(int): truncated log-spaced sample sizes. */
export function logSpacedSizes(lo: number, hi: number, steps: number): number[] {
  const a = Math.log10(lo);
  const b = Math.log10(hi);
  return Array.from({ length: steps }, (_, i) => {
    const v = 10 ** (steps === 1 ? a : a + ((b - a) * i) / (steps - 1));
    // The nudge keeps values like 1999.9999999999998 (for 2000) on the integer numpy lands on.
    return Math.max(lo, Math.floor(v + 1e-9));
  });
}

/** Whole numbers in [0, high) like numpy's randint(0, high). */
const randint = (rng: Rng, high: number) => Math.floor(rng.uniform() * high);

/** Clip to the happiness scale, counting how many values were moved. */
function clipScale(y: number[], clip: boolean): number {
  if (!clip) return 0;
  let moved = 0;
  for (let i = 0; i < y.length; i++) {
    if (y[i]! < 0 || y[i]! > 100) moved++;
    y[i] = Math.min(100, Math.max(0, y[i]!));
  }
  return moved;
}

/** Least squares on [1, columns…] with everything the figures and tables report. */
export function fitModel(names: readonly string[], simulated: readonly number[], columns: readonly (readonly number[])[], y: readonly number[], clipped = 0): ModelFit {
  const n = y.length;
  const X = Array.from({ length: n }, (_, i) => [1, ...columns.map((c) => c[i]!)]);
  const r = ols(X, y, names);
  const rObsPred = pearson(y, r.fitted);
  // Residuals that are all zero up to rounding (constant data) get one bin around 0.
  const scale = Math.max(1, ...y.map(Math.abs));
  const flat = Math.max(...r.residuals.map(Math.abs)) <= 1e-9 * scale;
  const h = flat ? histogram(r.residuals, { bins: 1, range: [-0.5, 0.5] }) : histogram(r.residuals, { bins: fdBinCount(r.residuals) });
  return {
    names: [...names],
    simulated: [...simulated],
    columns: columns.map((c) => [...c]),
    y: [...y],
    yHat: r.fitted,
    residuals: r.residuals,
    beta: r.beta,
    stdErr: r.stdErr,
    t: r.t,
    p: r.p,
    r2: r.r2,
    r2Corr: rObsPred ** 2,
    adjR2: r.adjR2,
    f: r.f,
    fP: r.fP,
    rObsPred,
    // Rounding noise around a perfect (or constant) fit has no correlation worth printing.
    rResidPred: flat ? NaN : pearson(r.residuals, r.fitted),
    residualHist: { edges: h.edges, counts: h.counts },
    clipped,
  };
}

const MAX_REDRAWS = 20;

/**
 * Draw a data set and fit it, drawing again while its predictors are linearly dependent (a
 * handful of people can all report the same number of shows); after MAX_REDRAWS failures the
 * options cannot give a fit.
 */
export function fitFullRank<D, R>(draw: () => D, fit: (d: D) => R, option: string, hint: string): R {
  for (let attempt = 0; attempt < MAX_REDRAWS; attempt++) {
    const d = draw();
    try {
      return fit(d);
    } catch (err) {
      if (!(err instanceof Error && /rank deficient/.test(err.message))) throw err;
    }
  }
  throw new OptionError(option, `${MAX_REDRAWS} simulated data sets in a row had linearly dependent predictors; ${hint}`);
}

interface Draw {
  columns: number[][];
  y: number[];
  clipped: number;
}

function drawSimple(rng: Rng, o: LstsqSimulationOptions): Draw {
  const shows = Array.from({ length: o.n }, () => randint(rng, o.max_shows));
  const y = shows.map((s) => o.b0 + o.b1 * s + o.noise * rng.normal());
  return { columns: [shows], y, clipped: clipScale(y, o.clip) };
}

function drawMulti(rng: Rng, o: LstsqSimulationOptions, n: number, useless = 0): Draw {
  const shows = Array.from({ length: n }, () => randint(rng, o.multi_max_shows));
  const age = Array.from({ length: n }, () => o.age_min + (o.age_max - o.age_min) * rng.uniform());
  const y = shows.map((s, i) => o.multi_b0 + o.multi_b1 * s + o.multi_b2 * age[i]! + o.noise * rng.normal());
  const clipped = clipScale(y, o.clip);
  const extra = Array.from({ length: useless }, () => Array.from(rng.normals(n)));
  return { columns: [shows, age, ...extra], y, clipped };
}

export function computeLstsqSimulation(o: LstsqSimulationOptions): LstsqSimulationData {
  if (!(o.age_max > o.age_min)) throw new OptionError('age_max', `must be above age_min (${o.age_min})`);
  if (o.sweep_max_n < o.sweep_min_n) throw new OptionError('sweep_max_n', `must be at least sweep_min_n (${o.sweep_min_n})`);
  const k = 3 + o.useless;
  if (o.sweep_min_n <= k) {
    throw new OptionError('sweep_min_n', `must be above the sweep model's ${k} parameters (intercept, shows, age${o.useless ? ` and ${o.useless} useless predictors` : ''})`);
  }
  const rng = createRng(o.seed ?? 0);

  const simple = fitFullRank(() => drawSimple(rng, o),
    (s) => fitModel(['Intercept', 'PunkShows'], [o.b0, o.b1], s.columns, s.y, s.clipped),
    'n', 'use more observations or a larger max_shows');
  const multiFit = fitFullRank(() => drawMulti(rng, o, o.multi_n),
    (m) => fitModel(['Intercept', 'PunkShows', 'Age'], [o.multi_b0, o.multi_b1, o.multi_b2], m.columns, m.y, m.clipped),
    'multi_n', 'use more observations or a larger multi_max_shows');
  const multi = { ...multiFit, ageMedian: median(multiFit.columns[1]!) };

  const sampleSizes = logSpacedSizes(o.sweep_min_n, o.sweep_max_n, o.sweep_steps);
  const r2: number[] = [];
  const adjR2: number[] = [];
  for (const n of sampleSizes) {
    const { fit, d } = fitFullRank(() => drawMulti(rng, o, n, o.useless), (d) => {
      const X = Array.from({ length: n }, (_, i) => [1, ...d.columns.map((c) => c[i]!)]);
      return { fit: ols(X, d.y), d };
    }, 'sweep_min_n', 'use larger sample sizes or a larger multi_max_shows');
    // As the notebook: R² as the squared correlation of data and prediction, then adjusted.
    const r = pearson(d.y, fit.fitted) ** 2;
    r2.push(r);
    adjR2.push(1 - ((1 - r) * (n - 1)) / (n - k));
  }
  return { simple, multi, sweep: { sampleSizes, r2, adjR2, k, useless: o.useless } };
}

// ---------------------------------------------------------------------------------------------
// Figures

/** Two decimals; "n/a" where a statistic is undefined (constant data after clipping). */
const f2 = (v: number) => (Number.isFinite(v) ? fixed(v, 2) : 'n/a');
const f3 = (v: number) => (Number.isFinite(v) ? fixed(v, 3) : 'n/a');
const pValue = (p: number) => (!Number.isFinite(p) ? 'n/a' : p < 1e-4 ? p.toExponential(1) : p.toFixed(4));

const green = '#b3e6b3';
const pink = '#e6b3b3';
const lavender = '#b3b3e6';

/** x ticks every `step` (the notebook's xticks=range(0, max+4, 4)). */
function xStep(config: ChartConfiguration, step: number): ChartConfiguration {
  const x = (config.options!.scales as Record<string, { ticks?: Record<string, unknown> }>).x!;
  x.ticks = { ...x.ticks, stepSize: step };
  return config;
}

/** A tick step of 4 for the notebook's 0–19 shows, scaled up for wider ranges. */
const showsStep = (maxShows: number) => Math.max(1, Math.ceil(maxShows / 20)) * 4;

function pointSize(n: number, big: number): number {
  return n > 2000 ? 1.5 : n > 500 ? Math.max(2.5, big / 2) : big;
}

function fitPanels(fit: ModelFit, withResidualLines: boolean): ChartConfiguration[] {
  const shows = fit.columns[0]!;
  const n = fit.y.length;
  const observedPredicted = scatterChart({
    title: '1) Observed and predicted data',
    xLabel: 'Number of punk shows',
    yLabel: 'Happiness',
    series: [
      { label: 'Observed', x: shows, values: fit.y },
      ...(withResidualLines
        ? [{ label: 'Predicted', x: shows, values: fit.yHat }]
        : (() => {
          const order = shows.map((_, i) => i).sort((a, b) => shows[a]! - shows[b]!);
          return [{ label: 'Predicted', x: order.map((i) => shows[i]!), values: order.map((i) => fit.yHat[i]!) }];
        })()),
    ],
    legend: true,
  });
  markers(observedPredicted, 0, { face: withAlpha(green, 0.6), edge: '#ffffff', radius: pointSize(n, 6), shape: 'rectRot', edgeWidth: 0.8 });
  if (withResidualLines) {
    markers(observedPredicted, 1, { face: withAlpha('#b31ab3', 0.6), edge: '#ffffff', radius: pointSize(n, 4), edgeWidth: 0.8 });
    addSegments(observedPredicted, residualSegments(shows, fit.y, fit.yHat), { label: '_residual', color: theme.muted, dashed: true, width: 1 });
  } else {
    asLine(observedPredicted, 1);
    styleDataset(observedPredicted, 1, { borderColor: '#ff4dff', backgroundColor: '#ff4dff' });
  }
  const obsVsPred = scatterChart({
    title: `2) Observed vs. predicted: r = ${f2(fit.rObsPred)}`,
    xLabel: 'Observed happiness',
    yLabel: 'Predicted happiness',
    series: [{ label: 'observations', x: fit.y, values: fit.yHat }],
  });
  markers(obsVsPred, 0, { face: withAlpha(pink, 0.6), edge: '#ffffff', radius: pointSize(n, 6), edgeWidth: 0.8 });
  const residVsPred = scatterChart({
    title: `3) Resid vs pred: r = ${f2(fit.rResidPred)}`,
    xLabel: 'Residuals',
    yLabel: 'Predicted happiness',
    series: [{ label: 'observations', x: fit.residuals, values: fit.yHat }],
  });
  markers(residVsPred, 0, { face: withAlpha(lavender, 0.6), edge: '#ffffff', radius: pointSize(n, 5), shape: 'rect', edgeWidth: 0.8 });
  const edges = fit.residualHist.edges;
  const hist = histogramChart({
    title: '4) Distribution of residuals',
    subtitle: `${fit.residualHist.counts.length} Freedman–Diaconis bins`,
    xLabel: 'Residuals',
    yLabel: 'Counts',
    series: [{ label: 'residuals', values: fit.residuals, color: lavender }],
    bins: fit.residualHist.counts.length,
    range: [edges[0]!, edges[edges.length - 1]!],
  });
  // charts.ts draws its outline with stepped: 'after', which in Chart.js holds each point's
  // value over the interval before it: every bin shows its right neighbour's count and the last
  // bin none. 'before' holds the value from the bin's left edge to its right edge, as intended.
  styleDataset(hist, 0, { stepped: 'before' });
  return [padded(observedPredicted), padded(obsVsPred), padded(residVsPred), hist];
}

function coefficientTable(fit: ModelFit, heading: string): TableSpec {
  return {
    heading,
    columns: [
      { header: 'term', align: 'left' },
      { header: 'simulated', align: 'right', mono: true },
      { header: 'β (lstsq)', align: 'right', mono: true },
      { header: 'std. error', align: 'right', mono: true },
      { header: 't', align: 'right', mono: true },
      { header: 'p', align: 'right', mono: true },
    ],
    rows: [
      ...fit.names.map((name, j) => [name, String(fit.simulated[j]), f2(fit.beta[j]!), f3(fit.stdErr[j]!), f2(fit.t[j]!), pValue(fit.p[j]!)]),
      ['R² = 1 − SSE/SST', '', f3(fit.r2), '', '', ''],
      ['r(ŷ, y)²', '', f3(fit.r2Corr), '', '', ''],
      ['adjusted R²', '', f3(fit.adjR2), '', '', ''],
    ],
    footer: `N = ${fit.y.length}${fit.clipped ? `, ${fit.clipped} values clipped to 0–100` : ''}; F = ${f2(fit.f)}, p = ${pValue(fit.fP)}`,
  };
}

const sweepLabel = (sw: SweepData, what: string) => (sw.useless ? `${what} (with ${sw.useless} noise predictors)` : what);

export function sweepChart(sw: SweepData): ChartConfiguration {
  const config = scatterChart({
    title: 'R² and adjusted R² by sample size',
    subtitle: `${sw.sampleSizes.length} log-spaced sample sizes from ${sw.sampleSizes[0]} to ${sw.sampleSizes[sw.sampleSizes.length - 1]}; model with ${sw.k} parameters`,
    xLabel: 'Sample size',
    yLabel: 'R²',
    logX: true,
    series: [
      { label: sweepLabel(sw, 'R²'), x: sw.sampleSizes, values: sw.r2 },
      { label: sweepLabel(sw, 'adj. R²'), x: sw.sampleSizes, values: sw.adjR2 },
    ],
    legend: true,
  });
  markers(config, 0, { face: withAlpha(pink, 0.7), edge: '#ffffff', radius: 7, shape: 'rect', edgeWidth: 1 });
  markers(config, 1, { face: withAlpha(green, 0.7), edge: '#ffffff', radius: 5.5, edgeWidth: 1 });
  // Room for the end markers on the log axis, the data's 5% margin on the other.
  const scales = config.options!.scales as Record<string, { min?: number; max?: number; grace?: string }>;
  scales.x!.min = sw.sampleSizes[0]! / 1.15;
  scales.x!.max = sw.sampleSizes[sw.sampleSizes.length - 1]! * 1.15;
  scales.y!.grace = '5%';
  return config;
}

export async function renderLstsqSimulation(d: LstsqSimulationData, o: LstsqSimulationOptions): Promise<Figure[]> {
  const s = d.simple;
  const m = d.multi;
  const sw = d.sweep;
  const n = s.y.length;

  const scatter = scatterChart({
    title: 'Scatter plot of happiness by punk shows',
    subtitle: `${n} simulated people: happiness = ${o.b0} + ${o.b1}·shows + noise (σ = ${o.noise})`,
    xLabel: 'Punk shows attended',
    yLabel: 'Life happiness',
    series: [{ label: 'people', x: s.columns[0]!, values: s.y }],
  });
  markers(scatter, 0, { face: withAlpha('#e6e6e6', 0.85), edge: '#000000', radius: pointSize(n, 6), edgeWidth: 1 });

  // Two predictors: age as marker size and colour, then a median split by age.
  const [shows, age] = m.columns as [number[], number[]];
  const mn = m.y.length;
  const aMin = Math.min(...age);
  const aMax = Math.max(...age);
  const ageScatter = scatterChart({
    title: 'Showing age by marker size and color',
    subtitle: `${mn} simulated people`,
    xLabel: 'Punk shows attended',
    yLabel: 'Life happiness',
    series: [{ label: 'people', x: shows, values: m.y, colorValues: age }],
    colorScale: { colormap: 'plasma', vmin: aMin, vmax: aMax, label: 'Age (years)' },
  });
  // matplotlib's s=100·(min–max scaled age) is an area: radius ∝ √scaled (the youngest a dot).
  const maxRadius = pointSize(mn, 7);
  styleDataset(ageScatter, 0, {
    pointRadius: age.map((a) => Math.max(0.8, maxRadius * Math.sqrt((a - aMin) / (aMax - aMin || 1)))),
    pointBorderWidth: 0.4,
    borderColor: '#ffffff',
  });
  const younger = shows.map((_, i) => i).filter((i) => age[i]! < m.ageMedian);
  const older = shows.map((_, i) => i).filter((i) => age[i]! >= m.ageMedian);
  const split = scatterChart({
    title: 'Median split by age',
    subtitle: `median age ${f2(m.ageMedian)} years`,
    xLabel: 'Punk shows attended',
    yLabel: 'Life happiness',
    series: [
      { label: 'Younger', x: younger.map((i) => shows[i]!), values: younger.map((i) => m.y[i]!) },
      { label: 'Older', x: older.map((i) => shows[i]!), values: older.map((i) => m.y[i]!) },
    ],
    legend: true,
  });
  markers(split, 0, { face: withAlpha('#e64d4d', 0.7), edge: '#ffffff', radius: pointSize(mn, 6), edgeWidth: 0.8 });
  markers(split, 1, { face: withAlpha('#4d4de6', 0.7), edge: '#ffffff', radius: pointSize(mn, 5.5), shape: 'rect', edgeWidth: 0.8 });

  const first = sw.sampleSizes[0]!;
  const last = sw.sampleSizes[sw.sampleSizes.length - 1]!;
  const gap = sw.r2.reduce((acc, r, i) => acc + (r - sw.adjR2[i]!), 0) / sw.r2.length;
  const fitAlt = (fit: ModelFit, lines: boolean) =>
    `Four panels for ${fit.y.length} simulated people: happiness and the model's predictions against punk shows${lines ? ' with dashed residual lines' : ' (the fitted line)'}; observed against predicted happiness (r = ${f2(fit.rObsPred)}); residuals against predictions (r = ${f2(fit.rResidPred)}); and a histogram of the residuals in ${fit.residualHist.counts.length} bins.`;

  return [
    {
      name: 'simple-scatter',
      title: 'Simulated data: happiness by punk shows',
      alt: `Scatter plot of ${n} simulated people, punk shows attended (0 to ${o.max_shows - 1}) against life happiness, simulated with intercept ${o.b0}, slope ${o.b1} and noise σ = ${o.noise}.`,
      png: await renderChart(padded(xStep(scatter, showsStep(o.max_shows)))),
    },
    {
      name: 'simple-fit',
      title: 'One predictor: observed vs predicted, residuals (4 panels)',
      alt: fitAlt(s, false),
      png: await renderPanels(fitPanels(s, false), { columns: 2, panelHeight: 460 }),
    },
    {
      name: 'multi-data',
      title: 'Two predictors: age by marker size and colour, median split (2 panels)',
      alt: `Two scatter plots of ${mn} simulated people, punk shows against happiness: left, each marker sized and coloured (plasma) by age from ${f2(aMin)} to ${f2(aMax)} years; right, split at the median age ${f2(m.ageMedian)} into ${younger.length} younger and ${older.length} older people.`,
      png: await renderPanels([
        padded(xStep(ageScatter, showsStep(o.multi_max_shows))),
        padded(xStep(split, showsStep(o.multi_max_shows))),
      ], { columns: 2, panelHeight: 460 }),
    },
    {
      name: 'multi-fit',
      title: 'Two predictors: observed vs predicted, residuals (4 panels)',
      alt: fitAlt(m, true),
      png: await renderPanels(fitPanels(m, true), { columns: 2, panelHeight: 460 }),
    },
    {
      name: 'r2-sweep',
      title: 'R² and adjusted R² by sample size',
      alt: `R² and adjusted R² of the ${sw.k}-parameter model at ${sw.sampleSizes.length} sample sizes from ${first} to ${last} on a log axis: at N = ${first} R² = ${f2(sw.r2[0]!)} and adjusted R² = ${f2(sw.adjR2[0]!)}, at N = ${last} ${f2(sw.r2[sw.r2.length - 1]!)} and ${f2(sw.adjR2[sw.adjR2.length - 1]!)}; adjusted R² is lower by ${f3(gap)} on average.`,
      png: await renderChart(sweepChart(sw)),
    },
    {
      name: 'coefficients',
      title: 'Simulated vs estimated coefficients, R² and adjusted R²',
      alt: `Two tables. One predictor: simulated ${s.simulated.join(', ')}, estimated ${s.beta.map(f2).join(', ')}, R² ${f3(s.r2)}, adjusted R² ${f3(s.adjR2)}. Two predictors: simulated ${m.simulated.join(', ')}, estimated ${m.beta.map(f2).join(', ')}, R² ${f3(m.r2)}, adjusted R² ${f3(m.adjR2)}.`,
      png: await renderTableFigure({
        title: 'Simulated vs estimated coefficients',
        subtitle: 'least squares recovers the coefficients the data were made with, up to noise',
        tables: [coefficientTable(s, 'One predictor'), coefficientTable(m, 'Two predictors')],
      }),
    },
  ];
}

export function explainLstsqSimulation(d: LstsqSimulationData, o: LstsqSimulationOptions): string {
  const s = d.simple;
  const m = d.multi;
  const sw = d.sweep;
  const gap = sw.r2.reduce((acc, r, i) => acc + (r - sw.adjR2[i]!), 0) / sw.r2.length;
  const quarter = Math.max(1, Math.floor(sw.r2.length / 4));
  const early = sw.r2.slice(0, quarter);
  const late = sw.r2.slice(-quarter);
  const tryNext = o.useless === 0
    ? 'Try `/lstsq-simulation useless:10 sweep_min_n:15` to add ten pure-noise predictors to the sweep: R² climbs at small samples while adjusted R² refuses to follow.'
    : o.noise === 15
      ? 'Try `/lstsq-simulation noise:40` to bury the same coefficients in more noise and watch R² fall while the estimates stay centred on the truth.'
      : 'Try `/lstsq-simulation n:2000` to see how a large sample pins the one-predictor estimates to their simulated values.';
  if (!Number.isFinite(s.r2) || !Number.isFinite(m.r2)) {
    // Constant happiness (everything clipped to one end of the scale, or no noise and no effect).
    return [
      `Happiness came out constant in ${!Number.isFinite(s.r2) ? `the one-predictor simulation` : 'the two-predictor simulation'}${o.clip ? ` (${s.clipped} of ${s.y.length} and ${m.clipped} of ${m.y.length} values were clipped to the 0–100 scale)` : ''}, so there is no variance for the predictors to explain and R² is undefined.`,
      o.clip
        ? `Try \`/lstsq-simulation b0:${o.b0} multi_b0:${o.multi_b0} clip:false\` to fit the same simulation without the clipping.`
        : 'Try `/lstsq-simulation noise:15` to give the data some noise to explain.',
    ].join(' ');
  }
  const clipNote = s.clipped > s.y.length / 10 ? `; ${s.clipped} of the ${s.y.length} values were clipped to the 0–100 scale, which bends the straight-line relation` : '';
  return [
    `With ${s.y.length} simulated people, least squares recovers an intercept of ${f2(s.beta[0]!)} (simulated ${o.b0}) and ${f2(s.beta[1]!)} happiness points per punk show (simulated ${o.b1})${clipNote}; R² = ${f3(s.r2)}, the same as r(ŷ, y)² = ${f3(s.r2Corr)}, and adjusted R² = ${f3(s.adjR2)}.`,
    Number.isFinite(s.rResidPred)
      ? `The residuals are uncorrelated with the predictions (r = ${f2(s.rResidPred)}): that is not luck but what least squares guarantees.`
      : 'Without noise the fit is exact: the residuals are zero up to rounding.',
    `Adding age (${m.y.length} people) gives estimates ${m.beta.map(f2).join(', ')} for simulated ${m.simulated.join(', ')}, with R² = ${f3(m.r2)} and adjusted R² = ${f3(m.adjR2)}.`,
    `In the sweep, R² spans ${f2(Math.min(...early))}–${f2(Math.max(...early))} over the ${early.length} smallest samples (N ≤ ${sw.sampleSizes[early.length - 1]}) and ${f2(Math.min(...late))}–${f2(Math.max(...late))} over the ${late.length} largest (N ≥ ${sw.sampleSizes[sw.sampleSizes.length - late.length]}); adjusted R² sits ${f3(gap)} below R² on average${sw.useless ? `, most at small N where the ${sw.useless} noise predictors inflate R²` : ''}, because it charges each of the ${sw.k} parameters against the sample.`,
    tryNext,
  ].join(' ');
}

const fitData = (f: ModelFit) => ({
  names: f.names,
  simulated: f.simulated,
  beta: f.beta,
  std_err: f.stdErr,
  t: f.t,
  p: f.p,
  r2: f.r2,
  r2_corr: f.r2Corr,
  adj_r2: f.adjR2,
  f: f.f,
  f_p: f.fP,
  clipped: f.clipped,
});

const panelData = (f: ModelFit) => ({
  punk_shows: f.columns[0],
  observed: f.y,
  predicted: f.yHat,
  residuals: f.residuals,
  r_observed_predicted: f.rObsPred,
  r_residuals_predicted: f.rResidPred,
  residual_histogram: { edges: f.residualHist.edges, counts: f.residualHist.counts },
});

export const lstsqSimulationAnalysis: Analysis<typeof Options, LstsqSimulationData> = {
  id: 'lstsq-simulation',
  post: findPost('lstsq-simulation')!,
  usesModel: false,
  options: Options,
  compute: async (opts) => computeLstsqSimulation(opts),
  render: async (data, opts) => renderLstsqSimulation(data, opts),
  explain: explainLstsqSimulation,
  figureData: (d) => ({
    'simple-scatter': { punk_shows: d.simple.columns[0], happiness: d.simple.y },
    'simple-fit': panelData(d.simple),
    'multi-data': { punk_shows: d.multi.columns[0], age: d.multi.columns[1], happiness: d.multi.y, age_median: d.multi.ageMedian },
    'multi-fit': panelData(d.multi),
    'r2-sweep': { sample_sizes: d.sweep.sampleSizes, r2: d.sweep.r2, adj_r2: d.sweep.adjR2, parameters: d.sweep.k, useless_predictors: d.sweep.useless },
    'coefficients': { one_predictor: fitData(d.simple), two_predictors: fitData(d.multi) },
  }),
};
