// /slope — "Correlation vs. best-fit line (regression)". Correlation and the regression slope
// both describe a straight-line relation, but only the slope carries the data's units: shift and
// scale x and y and the slope follows the ratio of their spreads while r stays put. On data
// built to exact means and standard deviations, r, the slope and the intercept are each
// computed two or three ways, and slope = r·s_y/s_x is checked.
import { z } from 'zod';
import type { ChartConfiguration } from 'chart.js';
import { findPost } from '../catalog/posts.ts';
import { lineChart, scatterChart, type Annotation } from '../render/charts.ts';
import { renderChart } from '../render/chart.ts';
import { renderPanels } from '../render/panels.ts';
import { renderTableFigure } from '../render/table.ts';
import { theme, withAlpha } from '../render/theme.ts';
import { fixed } from './lib/format.ts';
import { ols, withIntercept } from './lib/ols.ts';
import { createRng, type Rng } from './lib/random.ts';
import { drawSeriesAsLine } from './lib/scatter-lines.ts';
import { mean } from './lib/stats.ts';
import type { Analysis, Figure } from './types.ts';

/** The notebook's four (x, y) transformations of one correlated sample (Demo 3). */
export const NOTEBOOK_TRANSFORMS = [
  { shiftX: 0, shiftY: 0, scaleX: 1, scaleY: 1 },
  { shiftX: 0, shiftY: 1, scaleX: 1, scaleY: 2 },
  { shiftX: 4, shiftY: 0, scaleX: 4, scaleY: 1 },
  { shiftX: -3, shiftY: -3, scaleX: 33, scaleY: 33 },
] as const;

/** Scale factors k of the sweep figure: 0.1 … 10, evenly spaced in log k. */
const SWEEP_STEPS = 41;

const scale = z.number().min(-1000).max(1000);
const shift = z.number().min(-1000).max(1000);
const spread = z.number().min(0.001).max(1000);

export const Options = z.object({
  n: z.number().int().min(3).max(5000).default(188)
    .describe('Sample size of the correlation, regression and scaling examples'),
  pop_r: z.array(z.number().min(-1).max(1)).min(1).max(9).default([1, 0.7, 0.2, -0.2, -0.7, -1])
    .describe('Population correlations of the example scatter plots, each in [-1, 1]'),
  b0: z.number().min(-100).max(100).default(-3)
    .describe('True intercept of the simulated regression'),
  b1: z.number().min(-100).max(100).default(1.6)
    .describe('True slope of the simulated regression'),
  noise_sd: z.number().min(0).max(100).default(1.5)
    .describe('Standard deviation of the regression noise'),
  scaling_r: z.number().min(-1).max(1).default(0.7)
    .describe('Population correlation of the scaled samples and of the equation check'),
  scale_x: scale.default(1)
    .describe('Multiply x by this in an extra panel E (drawn when a scale is not 1 or a shift not 0)'),
  scale_y: scale.default(1)
    .describe('Multiply y by this in the extra panel E'),
  shift_x: shift.default(0)
    .describe('Add this to x (after scaling) in the extra panel E'),
  shift_y: shift.default(0)
    .describe('Add this to y (after scaling) in the extra panel E'),
  check_n: z.number().int().min(3).max(5000).default(123)
    .describe('Sample size of the equation check'),
  x_mean: z.number().min(-1000).max(1000).default(0.4)
    .describe('Exact mean of x in the equation check'),
  y_mean: z.number().min(-1000).max(1000).default(1)
    .describe('Exact mean of y in the equation check'),
  x_std: spread.default(1.5)
    .describe('Exact standard deviation of x in the equation check'),
  y_std: spread.default(1.9)
    .describe('Exact standard deviation of y in the equation check'),
  seed: z.number().int().min(0).max(2147483647).optional()
    .describe('Random seed: the same seed gives the same samples'),
}).strict().superRefine((o, ctx) => {
  for (const key of ['scale_x', 'scale_y'] as const) {
    if (Math.abs(o[key]) < 0.001) {
      ctx.addIssue({ code: 'custom', path: [key], message: 'must be at least 0.001 in size (0 would make the variable constant)' });
    }
  }
  if (o.b1 === 0 && o.noise_sd === 0) {
    ctx.addIssue({ code: 'custom', path: ['noise_sd'], message: 'must be above 0 when b1 is 0 (y would be constant, with no correlation to measure)' });
  }
});
export type SlopeOptions = z.infer<typeof Options>;

export interface Sample {
  x: number[];
  y: number[];
}

/** Everything the post computes about one (x, y) sample. Standard deviations divide by N (numpy's default). */
export interface LineStats {
  meanX: number;
  meanY: number;
  sdX: number;
  sdY: number;
  r: number;
  slope: number;
  intercept: number;
  /** r · s_y / s_x: the slope from the correlation. */
  slopeFromR: number;
}

/** Means, spreads, r and the least-squares line, by the definitions in the post. */
export function lineStats(x: readonly number[], y: readonly number[]): LineStats {
  if (x.length !== y.length) throw new Error(`lineStats: ${x.length} x values but ${y.length} y values`);
  const n = x.length;
  const meanX = mean(x);
  const meanY = mean(y);
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = x[i] - meanX;
    const dy = y[i] - meanY;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  const r = sxy / (Math.sqrt(sxx) * Math.sqrt(syy));
  const slope = sxy / sxx;
  const sdX = Math.sqrt(sxx / n);
  const sdY = Math.sqrt(syy / n);
  return { meanX, meanY, sdX, sdY, r, slope, intercept: meanY - slope * meanX, slopeFromR: (r * sdY) / sdX };
}

/** n pairs with population correlation r: y = r·x + √(1−r²)·noise, x and noise standard normal. */
export function correlatedPair(rng: Rng, n: number, r: number): Sample {
  const x = Array.from(rng.normals(n));
  const noise = rng.normals(n);
  const s = Math.sqrt(1 - r * r);
  return { x, y: x.map((v, i) => v * r + noise[i] * s) };
}

/** z-score (dividing by the N-denominator standard deviation), then scale to `sd` and shift to `m`. */
export function standardizeTo(v: readonly number[], m: number, sd: number): number[] {
  const mu = mean(v);
  const s = Math.sqrt(v.reduce((a, t) => a + (t - mu) ** 2, 0) / v.length);
  return v.map((t) => ((t - mu) / s) * sd + m);
}

export interface Transform {
  shiftX: number;
  shiftY: number;
  scaleX: number;
  scaleY: number;
}

export interface SlopeData {
  examples: (Sample & { popR: number; r: number })[];
  regression: Sample & { b0: number; b1: number; noiseSd: number; intercept: number; slope: number };
  /** The same sample after each transform: panels A–D (and E for the user's own). */
  scaled: (Sample & Transform & { label: string; stats: LineStats })[];
  check: {
    n: number;
    popR: number;
    target: { xMean: number; yMean: number; xStd: number; yStd: number };
    x: number[];
    y: number[];
    stats: LineStats;
    /** r as the mean product of z-scores (a second route to the correlation). */
    rFromZ: number;
    /** Intercept and slope from a least-squares solve of [1 x]·β = y (QR). */
    ols: { intercept: number; slope: number };
  };
  sweep: {
    k: number[];
    /** Slope and r when y is multiplied by k, and when x is. */
    yScaled: { slope: number[]; r: number[] };
    xScaled: { slope: number[]; r: number[] };
  };
  /** Every sample of the run: slope against r·s_y/s_x. */
  relation: { name: string; slope: number; slopeFromR: number }[];
  maxRelationError: number;
}

export function computeSlope(opts: SlopeOptions): SlopeData {
  const rng = createRng(opts.seed ?? 0);
  const n = opts.n;

  // Demo 1: samples at chosen population correlations.
  const examples = opts.pop_r.map((popR) => {
    const s = correlatedPair(rng, n, popR);
    return { popR, ...s, r: lineStats(s.x, s.y).r };
  });

  // Demo 2: y = b0 + b1·x + noise, and the fitted line.
  const noise = Array.from(rng.normals(n), (v) => v * opts.noise_sd);
  const rx = Array.from(rng.normals(n));
  const ry = rx.map((v, i) => opts.b0 + opts.b1 * v + noise[i]);
  const fit = lineStats(rx, ry);

  // Demo 3: one sample, shifted and scaled four ways (and the user's fifth).
  const base = correlatedPair(rng, n, opts.scaling_r);
  const transforms: Transform[] = [...NOTEBOOK_TRANSFORMS];
  const own = { shiftX: opts.shift_x, shiftY: opts.shift_y, scaleX: opts.scale_x, scaleY: opts.scale_y };
  if (own.scaleX !== 1 || own.scaleY !== 1 || own.shiftX !== 0 || own.shiftY !== 0) transforms.push(own);
  const scaled = transforms.map((t, i) => {
    const x = base.x.map((v) => v * t.scaleX + t.shiftX);
    const y = base.y.map((v) => v * t.scaleY + t.shiftY);
    return { label: 'ABCDE'[i], ...t, x, y, stats: lineStats(x, y) };
  });

  // Demo 4: data with exactly the requested means and standard deviations.
  const raw = correlatedPair(rng, opts.check_n, opts.scaling_r);
  const cx = standardizeTo(raw.x, opts.x_mean, opts.x_std);
  const cy = standardizeTo(raw.y, opts.y_mean, opts.y_std);
  const stats = lineStats(cx, cy);
  const rFromZ = mean(cx.map((v, i) => ((v - stats.meanX) / stats.sdX) * ((cy[i] - stats.meanY) / stats.sdY)));
  const beta = ols(withIntercept(cx), cy).beta;

  // Sweep: multiply one variable of the Demo 3 sample by k.
  const k = Array.from({ length: SWEEP_STEPS }, (_, i) => 10 ** (-1 + (2 * i) / (SWEEP_STEPS - 1)));
  const yScaled = { slope: [] as number[], r: [] as number[] };
  const xScaled = { slope: [] as number[], r: [] as number[] };
  for (const f of k) {
    const a = lineStats(base.x, base.y.map((v) => v * f));
    yScaled.slope.push(a.slope);
    yScaled.r.push(a.r);
    const b = lineStats(base.x.map((v) => v * f), base.y);
    xScaled.slope.push(b.slope);
    xScaled.r.push(b.r);
  }

  const relation: SlopeData['relation'] = [
    ...examples.map((e, i) => {
      const s = lineStats(e.x, e.y);
      return { name: `example ${i + 1} (r = ${fixed(e.popR, 2)})`, slope: s.slope, slopeFromR: s.slopeFromR };
    }),
    { name: 'regression', slope: fit.slope, slopeFromR: fit.slopeFromR },
    ...scaled.map((s) => ({ name: `panel ${s.label}`, slope: s.stats.slope, slopeFromR: s.stats.slopeFromR })),
    { name: 'equation check', slope: stats.slope, slopeFromR: stats.slopeFromR },
  ];
  // Perfectly correlated examples are fine too; a constant variable (never produced here) would give NaN.
  const maxRelationError = Math.max(...relation.map((p) => Math.abs(p.slope - p.slopeFromR) / Math.max(1, Math.abs(p.slope))));

  return {
    examples,
    regression: { x: rx, y: ry, b0: opts.b0, b1: opts.b1, noiseSd: opts.noise_sd, intercept: fit.intercept, slope: fit.slope },
    scaled,
    check: {
      n: opts.check_n,
      popR: opts.scaling_r,
      target: { xMean: opts.x_mean, yMean: opts.y_mean, xStd: opts.x_std, yStd: opts.y_std },
      x: cx,
      y: cy,
      stats,
      rFromZ,
      ols: { intercept: beta[0], slope: beta[1] },
    },
    sweep: { k, yScaled, xScaled },
    relation,
    maxRelationError,
  };
}

const f2 = (v: number) => fixed(v, 2);
const f3 = (v: number) => fixed(v, 3);
const f5 = (v: number) => fixed(v, 5);
/** "x×4 + 4" style description of one transform. */
function describeTransform(t: Transform): string {
  const part = (name: string, k: number, s: number) => `${name}×${k < 0 ? `(${k})` : k}${s === 0 ? '' : s > 0 ? ` + ${s}` : ` − ${-s}`}`;
  return `${part('x', t.scaleX, t.shiftX)}, ${part('y', t.scaleY, t.shiftY)}`;
}

// The notebook's three light marker colours (red, green, blue), cycled over the panels.
const MARKERS = ['#e6b3b3', '#b3e6b3', '#b3b3e6'].map((c) => withAlpha(c, 0.75));
const LINE = '#ffffff';

/**
 * Points and their least-squares line: on top of the points (the notebook's scaling panels) or
 * under them (its regression plot, where the line has zorder −1).
 */
function scatterWithLine(opts: {
  title: string;
  subtitle?: string;
  x: number[];
  y: number[];
  intercept: number;
  slope: number;
  color: string;
  lineOnTop: boolean;
  lineLabel?: string;
  annotations?: Annotation[];
  legend?: boolean;
}): ChartConfiguration {
  const x0 = Math.min(...opts.x);
  const x1 = Math.max(...opts.x);
  const line = { label: opts.lineLabel ?? '_fit', x: [x0, x1], values: [opts.intercept + opts.slope * x0, opts.intercept + opts.slope * x1], color: LINE, pointRadius: 0, lineWidth: 2.5 };
  const points = { label: 'Data', x: opts.x, values: opts.y, color: opts.color, pointRadius: 4.5 };
  // Chart.js draws the first series on top.
  return drawSeriesAsLine(scatterChart({
    title: opts.title,
    subtitle: opts.subtitle,
    xLabel: 'x',
    yLabel: 'y',
    series: opts.lineOnTop ? [line, points] : [points, line],
    annotations: opts.annotations,
    legend: opts.legend ?? false,
  }), opts.lineOnTop ? 0 : 1);
}

export async function renderSlope(d: SlopeData): Promise<Figure[]> {
  const n = d.examples[0]?.x.length ?? 0;

  // 1. Correlation intuition.
  const examples = await renderPanels(
    d.examples.map((e, i) => scatterChart({
      title: `r = ${f2(e.r)}`,
      subtitle: `population r = ${f2(e.popR)}, N = ${e.x.length}`,
      xLabel: 'x',
      yLabel: 'y',
      series: [{ label: 'data', x: e.x, values: e.y, color: MARKERS[i % 3], pointRadius: 4 }],
      legend: false,
    })),
    { columns: Math.min(3, d.examples.length), panelHeight: 400, title: `Correlation: ${d.examples.length} simulated samples of ${n} points` },
  );

  // 2. Regression intuition.
  const g = d.regression;
  const lineLabel = `y = ${f2(g.intercept)} + ${f2(g.slope)}x`;
  const regression = await renderChart(scatterWithLine({
    title: `y = ${g.b0} + ${g.b1}x`,
    subtitle: `true b0 = ${fixed(g.b0, 4)}, estimated ${fixed(g.intercept, 4)}; true b1 = ${fixed(g.b1, 4)}, estimated ${fixed(g.slope, 4)} (noise sd ${g.noiseSd}, N = ${g.x.length})`,
    x: g.x,
    y: g.y,
    intercept: g.intercept,
    slope: g.slope,
    color: withAlpha('#b3e6b3', 0.6),
    lineOnTop: false,
    lineLabel,
    legend: true,
  }), { width: theme.width, height: 700 });

  // 3. Shifts and scales: the slope moves, r does not.
  const scaledPanels = d.scaled.map((s, i) => scatterWithLine({
    title: `${s.label}) β₁ = ${f3(s.stats.slope)}, r = ${f3(s.stats.r)}`,
    subtitle: `${describeTransform(s)}; std (${f2(s.stats.sdX)}, ${f2(s.stats.sdY)}); dashed: the means`,
    x: s.x,
    y: s.y,
    intercept: s.stats.intercept,
    slope: s.stats.slope,
    color: MARKERS[i % 3],
    lineOnTop: true,
    annotations: [
      { kind: 'vline', x: s.stats.meanX, color: theme.muted, dashed: true },
      { kind: 'hline', y: s.stats.meanY, color: theme.muted, dashed: true },
    ],
  }));
  const scaling = await renderPanels(scaledPanels, {
    columns: scaledPanels.length > 4 ? 3 : 2,
    panelHeight: 440,
    title: `One sample (population r = ${d.check.popR}), shifted and scaled ${scaledPanels.length} ways`,
  });

  // 4. The numbers of the equation check, as the notebook prints them.
  const c = d.check;
  const st = c.stats;
  const equations = await renderTableFigure({
    title: 'slope = r · s_y / s_x, checked',
    subtitle: `${c.n} points with population r = ${c.popR}, shifted and scaled to exact means and standard deviations (÷N)`,
    tables: [
      {
        heading: 'The data',
        columns: [{ header: '' }, { header: 'Mean', align: 'right', mono: true }, { header: 'Std', align: 'right', mono: true }],
        rows: [['x', f3(st.meanX), f3(st.sdX)], ['y', f3(st.meanY), f3(st.sdY)]],
      },
      {
        heading: 'Each number two or three ways',
        columns: [{ header: 'Quantity' }, { header: 'Route' }, { header: 'Value', align: 'right', mono: true }],
        rows: [
          ['Correlation', 'Σ(x−x̄)(y−ȳ) / √(Σ(x−x̄)² Σ(y−ȳ)²)', f5(st.r)],
          ['Correlation', 'mean of z_x · z_y', f5(c.rFromZ)],
          ['β₁ (slope)', 'Σ(x−x̄)(y−ȳ) / Σ(x−x̄)²', f5(st.slope)],
          ['β₁ (slope)', 'least squares [1 x]·β = y (QR)', f5(c.ols.slope)],
          ['β₁ (slope)', 'r · s_y / s_x', f5(st.slopeFromR)],
          ['β₀ (intercept)', 'ȳ − β₁·x̄', f5(st.intercept)],
          ['β₀ (intercept)', 'least squares [1 x]·β = y (QR)', f5(c.ols.intercept)],
        ],
      },
    ],
  });

  // 5. Project addition: the slope against a scale factor, and the relation on every sample.
  const s = d.sweep;
  const sweepChart = (title: string, part: { slope: number[]; r: number[] }, subtitle: string) => lineChart({
    title,
    subtitle,
    xLabel: 'scale factor k (log axis)',
    yLabel: 'value',
    logX: true,
    x: s.k,
    series: [
      { label: 'slope β₁', values: part.slope, color: theme.palette[1] },
      { label: 'correlation r', values: part.r, color: theme.palette[0] },
    ],
    annotations: [{ kind: 'vline', x: 1, color: theme.muted, dashed: true }],
    legend: true,
  });
  const last = s.k.length - 1;
  const rel = d.relation;
  const relation = await renderPanels([
    sweepChart('Multiply y by k', s.yScaled, `slope ${f3(s.yScaled.slope[0])} → ${f3(s.yScaled.slope[last])}, r stays ${f3(s.yScaled.r[0])}`),
    sweepChart('Multiply x by k', s.xScaled, `slope ${f3(s.xScaled.slope[0])} → ${f3(s.xScaled.slope[last])}, r stays ${f3(s.xScaled.r[0])}`),
    scatterChart({
      title: 'slope = r · s_y / s_x',
      subtitle: `${rel.length} samples of this run; largest relative gap ${d.maxRelationError.toExponential(1)}`,
      xLabel: 'r · s_y / s_x',
      yLabel: 'least-squares slope',
      series: [{ label: 'samples', x: rel.map((p) => p.slopeFromR), values: rel.map((p) => p.slope), color: withAlpha(theme.palette[2], 0.85), pointRadius: 5 }],
      identityLine: 'y = x',
      legend: false,
    }),
  ], { columns: 3, panelHeight: 480 });

  const sc = d.scaled;
  return [
    {
      name: 'correlations',
      title: `Simulated samples at ${d.examples.length} population correlations`,
      alt: `${d.examples.length} scatter plots of ${n} simulated points each; population r ${d.examples.map((e) => f2(e.popR)).join(', ')} gave sample r ${d.examples.map((e) => f2(e.r)).join(', ')}.`,
      png: examples,
    },
    {
      name: 'regression',
      title: `Simulated regression y = ${g.b0} + ${g.b1}x and its fitted line`,
      alt: `Scatter of ${g.x.length} points simulated from y = ${g.b0} + ${g.b1}x plus noise of sd ${g.noiseSd}, with the least-squares line ${lineLabel}.`,
      png: regression,
    },
    {
      name: 'scaling',
      title: `Slope and correlation of one sample under ${sc.length} shifts and scales`,
      alt: `${sc.length} scatter plots of the same ${n} points after ${sc.map((t) => `${t.label}: ${describeTransform(t)}`).join('; ')}, each with its regression line; slopes ${sc.map((t) => f3(t.stats.slope)).join(', ')}, correlations ${sc.map((t) => f3(t.stats.r)).join(', ')}.`,
      png: scaling,
    },
    {
      name: 'equations',
      title: 'Correlation, slope and intercept computed two or three ways',
      alt: `Tables: x has mean ${f3(st.meanX)} and std ${f3(st.sdX)}, y mean ${f3(st.meanY)} and std ${f3(st.sdY)}; correlation ${f5(st.r)} by its formula and ${f5(c.rFromZ)} from z-scores; slope ${f5(st.slope)} by formula, ${f5(c.ols.slope)} by least squares and ${f5(st.slopeFromR)} as r·s_y/s_x; intercept ${f5(st.intercept)} and ${f5(c.ols.intercept)}.`,
      png: equations,
    },
    {
      name: 'slope-vs-scale',
      title: 'How scaling moves the slope and not r (3 panels)',
      alt: `Left: multiplying y by k from ${s.k[0]} to ${s.k[last]} takes the slope from ${f3(s.yScaled.slope[0])} to ${f3(s.yScaled.slope[last])} while r stays ${f3(s.yScaled.r[0])}. Middle: multiplying x by k takes the slope from ${f3(s.xScaled.slope[0])} to ${f3(s.xScaled.slope[last])}, r again unchanged. Right: the least-squares slope of each of ${rel.length} samples against r·s_y/s_x lies on y = x (largest relative gap ${d.maxRelationError.toExponential(1)}).`,
      png: relation,
    },
  ];
}

export function explainSlope(d: SlopeData, opts: SlopeOptions): string {
  const sc = d.scaled;
  const c = d.check;
  const st = c.stats;
  const own = sc.length > 4 ? sc[4] : undefined;
  let tryNext = 'Try `/slope scale_x:10` to add a panel E where x is stretched tenfold: the slope drops by 10, r does not move.';
  if (own) {
    if (opts.scale_y === 1 && opts.scale_x > 0) tryNext = 'Try `/slope scale_y:-2` to flip the sign of both slope and r.';
    else if (opts.scale_y === 1) tryNext = 'Try `/slope scale_y:10` to stretch y instead: the slope grows tenfold and r stays put.';
    else if (opts.scale_x === 1) tryNext = 'Try `/slope scale_x:10` to stretch x instead and watch the slope shrink tenfold.';
    else tryNext = `Try \`/slope scaling_r:${opts.scaling_r === -0.3 ? 0.3 : -0.3}\` for a weaker relation: the slopes shrink with r, in the same ratios.`;
  }
  const notebook = sc.slice(0, 4);
  return [
    `The same ${sc[0].x.length} points, shifted and scaled the notebook's ${notebook.length} ways, keep r = ${f3(sc[0].stats.r)} while the slope goes ${notebook.map((s) => `${s.label} ${f3(s.stats.slope)}`).join(', ')}: shifts change neither, but the slope is in units of y per unit of x and follows the ratio of the spreads.`,
    own
      ? `Your panel E (${describeTransform(own)}) has slope ${f3(own.stats.slope)} and r ${f3(own.stats.r)}${Math.sign(own.stats.r) !== Math.sign(sc[0].stats.r) ? ': a negative scale flips the sign of both' : ''}.`
      : '',
    `That ratio is the whole link: slope = r·s_y/s_x, so in the check ${f5(st.r)} × ${f3(st.sdY)}/${f3(st.sdX)} = ${f5(st.slopeFromR)}, the same as the least-squares slope ${f5(c.ols.slope)}.`,
    `The regression recovered b1 = ${fixed(d.regression.slope, 2)} for a true ${d.regression.b1} and b0 = ${fixed(d.regression.intercept, 2)} for ${d.regression.b0}.`,
    tryNext,
  ].filter(Boolean).join(' ');
}

export const slopeAnalysis: Analysis<typeof Options, SlopeData> = {
  id: 'slope',
  post: findPost('slope')!,
  usesModel: false,
  options: Options,
  compute: async (opts) => computeSlope(opts),
  render: async (data) => renderSlope(data),
  explain: explainSlope,
  figureData: (d) => ({
    'correlations': d.examples.map((e) => ({ population_r: e.popR, sample_r: e.r, x: e.x, y: e.y })),
    'regression': { true_intercept: d.regression.b0, true_slope: d.regression.b1, noise_sd: d.regression.noiseSd, intercept: d.regression.intercept, slope: d.regression.slope, x: d.regression.x, y: d.regression.y },
    'scaling': d.scaled.map((s) => ({
      panel: s.label,
      scale_x: s.scaleX, scale_y: s.scaleY, shift_x: s.shiftX, shift_y: s.shiftY,
      mean_x: s.stats.meanX, mean_y: s.stats.meanY, std_x: s.stats.sdX, std_y: s.stats.sdY,
      r: s.stats.r, slope: s.stats.slope, intercept: s.stats.intercept,
      x: s.x, y: s.y,
    })),
    'equations': {
      n: d.check.n,
      mean_x: d.check.stats.meanX, mean_y: d.check.stats.meanY, std_x: d.check.stats.sdX, std_y: d.check.stats.sdY,
      r_formula: d.check.stats.r, r_from_z_scores: d.check.rFromZ,
      slope_formula: d.check.stats.slope, slope_least_squares: d.check.ols.slope, slope_from_r: d.check.stats.slopeFromR,
      intercept_formula: d.check.stats.intercept, intercept_least_squares: d.check.ols.intercept,
      x: d.check.x, y: d.check.y,
    },
    'slope-vs-scale': {
      k: d.sweep.k,
      y_scaled: d.sweep.yScaled,
      x_scaled: d.sweep.xScaled,
      samples: d.relation.map((p) => ({ sample: p.name, slope: p.slope, r_sy_over_sx: p.slopeFromR })),
      max_relative_gap: d.maxRelationError,
    },
  }),
};
