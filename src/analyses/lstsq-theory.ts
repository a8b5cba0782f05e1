// /lstsq-theory — "Least squares part 1: theory, math, code". The picture and the vocabulary of
// a regression (observations, best-fit line, intercept, predictions, residuals) on simulated
// points, then the post's small example solved twice: by the normal equations β = (XᵀX)⁻¹Xᵀy
// and by a least-squares solver (SVD, as numpy's lstsq), with the residuals left over.
import type { ChartConfiguration } from 'chart.js';
import { z } from 'zod';
import { findPost } from '../catalog/posts.ts';
import { scatterChart, type Series } from '../render/charts.ts';
import { renderChart } from '../render/chart.ts';
import { renderTableFigure } from '../render/table.ts';
import { theme, withAlpha } from '../render/theme.ts';
import { fixed } from './lib/format.ts';
import { lstsqSvd, matrixRank, normalEquations, ols, withIntercept } from './lib/ols.ts';
import { createRng } from './lib/random.ts';
import { linspace } from './lib/stats.ts';
import { OptionError, type Analysis, type Figure } from './types.ts';

/** The post's example: Hungarian punk concerts attended and overall life happiness (1–10). */
export const PUNK_CONCERTS = [1, 2, 4, 5, 7];
export const PUNK_HAPPINESS = [5, 6.5, 6, 8, 9];
/** The regression picture's x: evenly spaced over [-1, 4], like the notebook. */
export const PICTURE_X_RANGE: [number, number] = [-1, 4];

const value = z.number().min(-1e6).max(1e6);

export const Options = z.object({
  n: z.number().int().min(3).max(200).default(9)
    .describe('Points in the regression picture (x evenly spaced from -1 to 4)'),
  b0: z.number().min(-100).max(100).default(1)
    .describe('True intercept of the regression picture\'s simulated data'),
  b1: z.number().min(-100).max(100).default(1)
    .describe('True slope of the regression picture\'s simulated data'),
  noise: z.number().min(0).max(100).default(1)
    .describe('Standard deviation of the Gaussian noise added to the simulated y'),
  x: z.array(value).min(3).max(100).default(PUNK_CONCERTS)
    .describe('The example\'s x: Hungarian punk concerts attended, one per person'),
  y: z.array(value).min(3).max(100).default(PUNK_HAPPINESS)
    .describe('The example\'s y: life happiness (1-10) per person, in x\'s order'),
  seed: z.number().int().min(0).max(2147483647).optional()
    .describe('Random seed for the regression picture: the same seed gives the same points'),
}).strict();
export type LstsqTheoryOptions = z.infer<typeof Options>;

export interface PictureData {
  x: number[];
  y: number[];
  yHat: number[];
  /** Fitted [intercept, slope] (least squares). */
  beta: number[];
  /** The simulation's true [intercept, slope]. */
  trueBeta: number[];
  noise: number;
}

export interface ExampleData {
  x: number[];
  y: number[];
  /** Design matrix: a column of ones and x. */
  design: number[][];
  /** β by the normal equations, (XᵀX)⁻¹Xᵀy. */
  betaNormal: number[];
  /** β by the SVD least-squares solver (numpy's lstsq). */
  betaLstsq: number[];
  /** max |normal − lstsq| over the coefficients. */
  maxDiff: number;
  predictions: number[];
  residuals: number[];
  residualSum: number;
  /** Xᵀe: each design column's dot product with the residuals (0 = at right angles). */
  xtResiduals: number[];
  r2: number;
}

export interface LstsqTheoryData {
  picture: PictureData;
  example: ExampleData;
}

export function computePicture(opts: Pick<LstsqTheoryOptions, 'n' | 'b0' | 'b1' | 'noise' | 'seed'>): PictureData {
  const rng = createRng(opts.seed ?? 0);
  const x = linspace(PICTURE_X_RANGE[0], PICTURE_X_RANGE[1], opts.n);
  const y = x.map((v) => opts.b0 + opts.b1 * v + opts.noise * rng.normal());
  const X = withIntercept(x);
  const beta = lstsqSvd(X, y);
  return { x, y, yHat: x.map((v) => beta[0]! + beta[1]! * v), beta, trueBeta: [opts.b0, opts.b1], noise: opts.noise };
}

/** The example regression, solved by the normal equations and by lstsq. */
export function computeExample(x: readonly number[], y: readonly number[]): ExampleData {
  if (x.length !== y.length) throw new OptionError('y', `needs one value per x (x has ${x.length} values, y has ${y.length})`);
  const design = withIntercept(x);
  if (matrixRank(design) < 2) {
    throw new OptionError('x', 'needs at least two different values: no single line fits points that all share one x');
  }
  const betaNormal = normalEquations(design, y);
  const betaLstsq = lstsqSvd(design, y);
  const predictions = design.map((r) => r[0]! * betaNormal[0]! + r[1]! * betaNormal[1]!);
  const residuals = y.map((v, i) => v - predictions[i]!);
  const xtResiduals = [0, 1].map((j) => design.reduce((s, r, i) => s + r[j]! * residuals[i]!, 0));
  return {
    x: [...x],
    y: [...y],
    design,
    betaNormal,
    betaLstsq,
    maxDiff: Math.max(...betaNormal.map((b, j) => Math.abs(b - betaLstsq[j]!))),
    predictions,
    residuals,
    residualSum: residuals.reduce((s, v) => s + v, 0),
    xtResiduals,
    r2: ols(design, y).r2,
  };
}

export function computeLstsqTheory(opts: LstsqTheoryOptions): LstsqTheoryData {
  return { picture: computePicture(opts), example: computeExample(opts.x, opts.y) };
}

// ---------------------------------------------------------------------------------------------
// Chart helpers shared with /lstsq-simulation: marker shapes and line segments on scatter charts.

export interface Segment {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

type MutableDataset = Record<string, unknown>;

/** Restyle one dataset of a built chart (marker shape, edges, a line through its points). */
export function styleDataset(config: ChartConfiguration, index: number, patch: MutableDataset): ChartConfiguration {
  Object.assign(config.data.datasets[index] as unknown as MutableDataset, patch);
  return config;
}

/** A scatter series drawn as a line without markers (a fitted line), with a line legend swatch. */
export function asLine(config: ChartConfiguration, index: number, width = 2.5): ChartConfiguration {
  return styleDataset(config, index, { showLine: true, pointRadius: 0, borderWidth: width, pointStyle: 'line', pointBorderWidth: width });
}

/** Markers with a face colour and an edge (matplotlib's markerfacecolor + the marker's colour). */
export function markers(config: ChartConfiguration, index: number, m: { face: string; edge: string; radius: number; shape?: string; rotation?: number; edgeWidth?: number }): ChartConfiguration {
  return styleDataset(config, index, {
    backgroundColor: m.face,
    borderColor: m.edge,
    pointRadius: m.radius,
    pointBorderWidth: m.edgeWidth ?? 1.2,
    borderWidth: m.edgeWidth ?? 1.2,
    pointStyle: m.shape ?? 'circle',
    pointRotation: m.rotation ?? 0,
  });
}

/**
 * Line segments (residual and projection lines) as one dataset drawn beneath the others: each
 * segment's two ends, then a gap point (y NaN) so Chart.js lifts the pen.
 */
export function addSegments(
  config: ChartConfiguration,
  segments: readonly Segment[],
  style: { label: string; color: string; dashed?: boolean; width?: number },
): ChartConfiguration {
  const data: { x: number; y: number }[] = [];
  for (const s of segments) data.push({ x: s.x0, y: s.y0 }, { x: s.x1, y: s.y1 }, { x: s.x1, y: NaN });
  const width = style.width ?? 1.5;
  (config.data.datasets as unknown as MutableDataset[]).push({
    label: style.label,
    data,
    showLine: true,
    spanGaps: false,
    borderColor: style.color,
    backgroundColor: style.color,
    borderWidth: width,
    borderDash: style.dashed ? [6, 4] : undefined,
    pointRadius: 0,
    pointStyle: 'line',
    pointBorderWidth: width,
    // Higher order draws first: the segments sit under the markers.
    order: 1,
  });
  return config;
}

/**
 * Room around the data on both axes, like matplotlib's 5% margins: the axes end just past the
 * data (edge markers are not cut in half) and the ticks stay on round numbers inside.
 */
export function padded(config: ChartConfiguration, margin = 0.05): ChartConfiguration {
  const scales = config.options!.scales as Record<string, { min?: number; max?: number; ticks?: Record<string, unknown> }>;
  for (const axis of ['x', 'y'] as const) {
    let lo = Infinity;
    let hi = -Infinity;
    for (const ds of config.data.datasets) {
      for (const p of ds.data as { x: number; y: number }[]) {
        const v = p[axis];
        if (!Number.isFinite(v)) continue;
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
    }
    if (!(hi >= lo)) continue;
    // Values equal up to rounding (1e-13 wobble around a constant) get a constant's axis.
    const flat = hi - lo <= 1e-9 * Math.max(1, Math.abs(lo), Math.abs(hi));
    const mid = (lo + hi) / 2;
    const pad = flat ? Math.max(Math.abs(mid) * margin, 0.5) : (hi - lo) * margin;
    const scale = scales[axis]!;
    scale.min ??= (flat ? mid : lo) - pad;
    scale.max ??= (flat ? mid : hi) + pad;
    scale.ticks = { ...scale.ticks, includeBounds: false };
  }
  return config;
}

/** Vertical segments from each observation to its prediction: the residuals. */
export function residualSegments(x: readonly number[], y: readonly number[], yHat: readonly number[]): Segment[] {
  return x.map((xi, i) => ({ x0: xi, y0: y[i]!, x1: xi, y1: yHat[i]! }));
}

// ---------------------------------------------------------------------------------------------

const f2 = (v: number) => fixed(v, 2);
const f3 = (v: number) => fixed(v, 3);
/** A coefficient to many digits, for comparing two solvers. */
const digits = (v: number) => v.toPrecision(12);
const sci = (v: number) => (v === 0 ? '0' : v.toExponential(1));
const signed = (v: number) => (v < 0 ? `− ${f3(-v)}` : `+ ${f3(v)}`);
const equation = (beta: readonly number[]) => `ŷ = ${f3(beta[0]!)} ${signed(beta[1]!)}·x`;

const lavender = '#b3b3e6';
const pink = '#e6b3b3';
const MAX_TABLE_ROWS = 20;

export function pictureChart(p: PictureData): ChartConfiguration {
  const big = p.x.length > 40 ? 5 : 9;
  const series: Series[] = [
    { label: 'Observations (y)', x: p.x, values: p.y },
    { label: 'Best-fit line', x: p.x, values: p.yHat },
    { label: 'Intercept', points: [[0, p.beta[0]!]] },
    { label: 'Predicted (ŷ)', x: p.x, values: p.yHat },
  ];
  const config = scatterChart({
    title: 'The regression picture',
    subtitle: `${p.x.length} simulated points, y = ${f2(p.trueBeta[0]!)} + ${f2(p.trueBeta[1]!)}·x + noise (σ = ${f2(p.noise)}); best fit ${equation(p.beta)}`,
    xLabel: 'X (regressor)',
    yLabel: 'Y (DV)',
    series,
    legend: true,
  });
  markers(config, 0, { face: withAlpha(lavender, 0.5), edge: withAlpha(lavender, 0.9), radius: big });
  asLine(config, 1);
  styleDataset(config, 1, { borderColor: theme.palette[0], backgroundColor: theme.palette[0] });
  markers(config, 2, { face: '#4db34d', edge: '#e6e6e6', radius: 11, shape: 'triangle', rotation: 180 });
  markers(config, 3, { face: '#b34d4d', edge: '#ff5c5c', radius: big > 5 ? 5.5 : 3.5, shape: 'rect' });
  // The intercept triangle above every other marker, as the notebook's zorder=10.
  styleDataset(config, 2, { order: -1 });
  return padded(addSegments(config, residualSegments(p.x, p.y, p.yHat), { label: '_projection', color: theme.muted, dashed: true }));
}

const punkAxes = { xLabel: 'Hungarian punk band concerts', yLabel: 'Overall life happiness (1-10)' };

export function exampleDataChart(e: ExampleData): ChartConfiguration {
  const config = scatterChart({
    title: 'A fun example: punk concerts and happiness',
    subtitle: `${e.x.length} people`,
    ...punkAxes,
    series: [{ label: 'Observed data', x: e.x, values: e.y }],
    legend: false,
  });
  return padded(markers(config, 0, { face: withAlpha(pink, 0.95), edge: '#ffffff', radius: 8 }));
}

export function exampleFitChart(e: ExampleData): ChartConfiguration {
  const order = e.x.map((_, i) => i).sort((a, b) => e.x[a]! - e.x[b]!);
  const config = scatterChart({
    title: 'Observed data, model predictions and residuals',
    subtitle: `${equation(e.betaNormal)} by the normal equations; R² = ${f3(e.r2)}`,
    ...punkAxes,
    series: [
      { label: 'Observed data', x: e.x, values: e.y },
      { label: 'Model-predicted values', x: order.map((i) => e.x[i]!), values: order.map((i) => e.predictions[i]!) },
    ],
    legend: true,
  });
  markers(config, 0, { face: withAlpha(pink, 0.95), edge: '#ffffff', radius: 8 });
  markers(config, 1, { face: '#4d4db3', edge: '#ffffff', radius: 5.5, shape: 'rect' });
  styleDataset(config, 1, { showLine: true, borderWidth: 2 });
  return padded(addSegments(config, residualSegments(e.x, e.y, e.predictions), { label: 'Residuals', color: theme.muted, dashed: true }));
}

export async function renderLstsqTheory(d: LstsqTheoryData): Promise<Figure[]> {
  const p = d.picture;
  const e = d.example;
  const shown = Math.min(e.x.length, MAX_TABLE_ROWS);
  const solutions = await renderTableFigure({
    title: 'Two routes to the same coefficients',
    subtitle: `normal equations (XᵀX)⁻¹Xᵀy and the least-squares solver agree to ${sci(e.maxDiff)}; the residuals sum to ${sci(e.residualSum)}`,
    tables: [
      {
        heading: 'Design matrix X, data and model',
        columns: [
          { header: 'ones', align: 'right', mono: true },
          { header: 'x', align: 'right', mono: true },
          { header: 'y', align: 'right', mono: true },
          { header: 'ŷ = Xβ', align: 'right', mono: true },
          { header: 'residual y − ŷ', align: 'right', mono: true },
        ],
        rows: e.design.slice(0, shown).map((r, i) => [String(r[0]), String(r[1]), String(e.y[i]), f3(e.predictions[i]!), f3(e.residuals[i]!)]),
        footer: e.x.length > shown ? `… ${e.x.length - shown} more rows` : undefined,
      },
      {
        heading: 'Coefficients β',
        columns: [
          { header: '', align: 'left' },
          { header: 'normal equations', align: 'right', mono: true },
          { header: 'lstsq (SVD)', align: 'right', mono: true },
          { header: '|difference|', align: 'right', mono: true },
        ],
        rows: [
          ...['Intercept', 'Slope'].map((name, j) => [name, digits(e.betaNormal[j]!), digits(e.betaLstsq[j]!), sci(Math.abs(e.betaNormal[j]! - e.betaLstsq[j]!))]),
          ['Σ residuals (ones · residuals)', sci(e.xtResiduals[0]!), '', ''],
          ['x · residuals', sci(e.xtResiduals[1]!), '', ''],
        ],
      },
    ],
  });
  return [
    {
      name: 'regression-picture',
      title: 'The regression picture: observations, best-fit line, intercept, predictions',
      alt: `Scatter plot of ${p.x.length} simulated observations with x from ${PICTURE_X_RANGE[0]} to ${PICTURE_X_RANGE[1]}, the least-squares line ${equation(p.beta)}, a triangle marking the intercept at (0, ${f2(p.beta[0]!)}), a square for each predicted value on the line and dashed vertical lines from each observation to its prediction.`,
      png: await renderChart(pictureChart(p)),
    },
    {
      name: 'example-data',
      title: 'The example data: punk concerts and life happiness',
      alt: `Scatter plot of ${e.x.length} people: Hungarian punk band concerts attended (${e.x.join(', ')}) against overall life happiness (${e.y.join(', ')}).`,
      png: await renderChart(exampleDataChart(e)),
    },
    {
      name: 'example-fit',
      title: 'The example fit: observed data, model predictions, residuals',
      alt: `The ${e.x.length} observations with the model's predictions ${equation(e.betaNormal)} drawn as a line of squares, and dashed residual lines between them; the residuals are ${e.residuals.map(f2).join(', ')} and R² = ${f3(e.r2)}.`,
      png: await renderChart(exampleFitChart(e)),
    },
    {
      name: 'solutions',
      title: 'Normal equations vs least-squares solver',
      alt: `Tables: the design matrix (a column of ones and x) with y, the predictions and residuals; and the coefficients by the normal equations (${e.betaNormal.map(digits).join(', ')}) and by lstsq (${e.betaLstsq.map(digits).join(', ')}), which differ by at most ${sci(e.maxDiff)}. The residuals sum to ${sci(e.residualSum)} and their dot products with the design columns are ${e.xtResiduals.map(sci).join(' and ')}.`,
      png: solutions,
    },
  ];
}

const isDefault = (v: readonly number[], d: readonly number[]) => v.length === d.length && v.every((x, i) => x === d[i]);

export function explainLstsqTheory(d: LstsqTheoryData, opts: LstsqTheoryOptions): string {
  const p = d.picture;
  const e = d.example;
  const tryNext = opts.noise === 1
    ? 'Try `/lstsq-theory noise:3` to see the best-fit line wander away from the true one and the residual lines grow.'
    : isDefault(opts.y, PUNK_HAPPINESS)
      ? 'Try `/lstsq-theory y:5,6.5,6,8,2` to give the last person an unhappy outlier and watch the whole line tilt towards it.'
      : 'Try `/lstsq-theory n:60` to put more points under the regression picture.';
  return [
    `In the regression picture the least-squares line is ${equation(p.beta)} (the data were made with intercept ${f2(p.trueBeta[0]!)} and slope ${f2(p.trueBeta[1]!)}); each dashed line runs from an observation to its prediction on the line, and those vertical gaps are what least squares makes as small as possible (in summed squares).`,
    `For the ${e.x.length}-person example, the normal equations give an intercept of ${f3(e.betaNormal[0]!)} and a slope of ${f3(e.betaNormal[1]!)} happiness points per concert, and the SVD least-squares solver agrees to within ${sci(e.maxDiff)}.`,
    `The residuals sum to ${sci(e.residualSum)} and their dot products with both columns of the design matrix are ${sci(Math.max(...e.xtResiduals.map(Math.abs)))} or less, zero up to rounding: the residuals are at right angles to the predictors, which is exactly the condition the normal equations solve.`,
    tryNext,
  ].join(' ');
}

export const lstsqTheoryAnalysis: Analysis<typeof Options, LstsqTheoryData> = {
  id: 'lstsq-theory',
  post: findPost('lstsq-theory')!,
  usesModel: false,
  options: Options,
  compute: async (opts) => computeLstsqTheory(opts),
  render: async (data) => renderLstsqTheory(data),
  explain: explainLstsqTheory,
  figureData: (d) => ({
    'regression-picture': {
      x: d.picture.x,
      y: d.picture.y,
      predicted: d.picture.yHat,
      intercept: d.picture.beta[0],
      slope: d.picture.beta[1],
      true_intercept: d.picture.trueBeta[0],
      true_slope: d.picture.trueBeta[1],
      noise_sd: d.picture.noise,
    },
    'example-data': { x: d.example.x, y: d.example.y },
    'example-fit': {
      x: d.example.x,
      y: d.example.y,
      predicted: d.example.predictions,
      residuals: d.example.residuals,
      r2: d.example.r2,
    },
    'solutions': {
      design_matrix: d.example.design,
      beta_normal_equations: d.example.betaNormal,
      beta_lstsq: d.example.betaLstsq,
      max_abs_difference: d.example.maxDiff,
      residual_sum: d.example.residualSum,
      design_columns_dot_residuals: d.example.xtResiduals,
    },
  }),
};
