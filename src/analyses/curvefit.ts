// /curvefit — "Nonlinear curve-fitting to data and distributions". Levenberg–Marquardt least
// squares (scipy's curve_fit in the post) fits a line, a sigmoid, a rotated ellipse and a
// Gaussian to a histogram; each fit reports standard errors from the covariance s²·(JᵀJ)⁻¹.
// The line fit is checked against ordinary least squares, and the sigmoid is fitted twice, from
// data-driven and from random starting values, because a nonlinear fit depends on where it starts.
import { z } from 'zod';
import { findPost } from '../catalog/posts.ts';
import { histogramChart, scatterChart, type ScatterOptions, type Series } from '../render/charts.ts';
import { renderChart } from '../render/chart.ts';
import { renderPanels } from '../render/panels.ts';
import { renderTableFigure, type TableSpec } from '../render/table.ts';
import { withAlpha } from '../render/theme.ts';
import { fixed } from './lib/format.ts';
import { distribution } from './lib/histogram.ts';
import { curveFit, ellipseModel, gaussModel, lineModel, predict, sigmoidModel, type CurveFitResult, type NonlinearModel } from './lib/nonlinear-fit.ts';
import { ols, withIntercept, type OlsResult } from './lib/ols.ts';
import { createRng } from './lib/random.ts';
import { linspace, mean } from './lib/stats.ts';
import { drawSeriesAsLine } from './lib/scatter-lines.ts';
import type { Analysis, Figure } from './types.ts';

export const Options = z.object({
  n: z.number().int().min(5).max(5000).default(50)
    .describe('Points in the simulated line and sigmoid data'),
  noise: z.number().min(0).max(100).default(2)
    .describe('Standard deviation of the Gaussian noise added to the line and the sigmoid'),
  random_start: z.boolean().default(true)
    .describe('Also fit the sigmoid from random starting values (the notebook\'s second fit)'),
  ellipse_n: z.number().int().min(6).max(5000).default(100)
    .describe('Points on the simulated ellipse'),
  theta: z.number().min(-10).max(10).default(4 / Math.PI)
    .describe('Rotation of the simulated ellipse in radians (the notebook\'s 4/π ≈ 1.273)'),
  sample_size: z.number().int().min(10).max(20000).default(80)
    .describe('Samples drawn for the histogram fit'),
  peak_center: z.number().min(-100).max(100).default(1)
    .describe('Mean of the normal samples in the histogram fit'),
  noise_level: z.number().min(0.01).max(100).default(2)
    .describe('Standard deviation of the normal samples in the histogram fit'),
  seed: z.number().int().min(0).max(2147483647).optional()
    .describe('Random seed: the same seed gives the same data and random starting values'),
}).strict();
export type CurvefitOptions = z.infer<typeof Options>;

/** The notebook's true parameters. */
export const TRUTH = {
  line: [10, 2],
  sigmoid: [10, 1, 1, 2],
  ellipse: { x0: 2, y0: -1, a: 5, b: 3 },
} as const;
const ELLIPSE_NOISE = { x: 0.5, y: 0.1 };
/** The prediction of the histogram fit extends this far beyond the outer bin centres (data units). */
const EXTRAPOLATE = 10;

export interface Fit {
  model: string;
  names: readonly string[];
  truth?: readonly number[];
  start: number[];
  result: CurveFitResult;
}

export interface CurvefitData {
  line: { x: number[]; y: number[]; fit: Fit; ols: OlsResult };
  sigmoid: { x: number[]; y: number[]; fits: Fit[] };
  ellipse: { t: number[]; x: number[]; y: number[]; fit: Fit; truth: number[] };
  histogram: {
    samples: number[];
    edges: number[];
    centers: number[];
    density: number[];
    fit: Fit;
    /** The fitted Gaussian over the bins and 10 units beyond (notebook: 101 points). */
    curve: { x: number[]; y: number[] };
    binWidth: number;
  };
}

/** numpy's percentile with linear interpolation. */
export function percentile(values: ArrayLike<number>, q: number): number {
  const s = Float64Array.from(values).sort();
  const pos = (q / 100) * (s.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, s.length - 1);
  return s[lo] + (s[hi] - s[lo]) * (pos - lo);
}

/**
 * Histogram bin edges by the Freedman–Diaconis rule (numpy's bins='fd'): width 2·IQR·n^(−1/3),
 * ceil(range / width) equal bins from the minimum to the maximum (one bin when the IQR is 0).
 */
export function freedmanDiaconisEdges(values: ArrayLike<number>): number[] {
  const n = values.length;
  if (!n) throw new Error('freedmanDiaconisEdges: no values');
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < n; i++) {
    lo = Math.min(lo, values[i]);
    hi = Math.max(hi, values[i]);
  }
  if (!(hi > lo)) return [lo - 0.5, hi + 0.5];
  const width = (2 * (percentile(values, 75) - percentile(values, 25))) / Math.cbrt(n);
  const bins = width > 0 ? Math.ceil((hi - lo) / width) : 1;
  return linspace(lo, hi, bins + 1);
}

const median = (v: readonly number[]) => percentile(v, 50);

function fitOf(model: NonlinearModel, x: ArrayLike<number>, y: ArrayLike<number>, start: number[], truth?: readonly number[]): Fit {
  return { model: model.name, names: model.params, truth, start, result: curveFit(model, x, y, start) };
}

export function computeCurvefit(opts: CurvefitOptions): CurvefitData {
  const rng = createRng(opts.seed ?? 0);

  // Demo 1: a line, fitted nonlinearly and by OLS.
  const lx = linspace(0, 5, opts.n);
  const ly = lx.map((x) => lineModel.f(TRUTH.line, x) + opts.noise * rng.normal());
  const line = { x: lx, y: ly, fit: fitOf(lineModel, lx, ly, [0, 1], TRUTH.line), ols: ols(withIntercept(lx), ly, ['b0', 'b1']) };

  // Demo 2: a sigmoid, from data-driven and from random starting values.
  const sx = linspace(-10, 10, opts.n);
  const sy = sx.map((x) => sigmoidModel.f(TRUTH.sigmoid, x) + opts.noise * rng.normal());
  const guided = [Math.max(...sy) - Math.min(...sy), median(sx), 1, mean(sy)];
  const fits = [fitOf(sigmoidModel, sx, sy, guided, TRUTH.sigmoid)];
  if (opts.random_start) fits.push(fitOf(sigmoidModel, sx, sy, Array.from(rng.normals(4)), TRUTH.sigmoid));

  // Demo 3: a rotated ellipse; x and y coordinates fitted as one vector of 2n values.
  const { x0, y0, a, b } = TRUTH.ellipse;
  const th = opts.theta;
  const t = linspace(0, 2 * Math.PI, opts.ellipse_n);
  const ex = t.map((v) => x0 + a * Math.cos(v) * Math.cos(th) - b * Math.sin(v) * Math.sin(th) + ELLIPSE_NOISE.x * rng.normal());
  const ey = t.map((v) => y0 + a * Math.cos(v) * Math.sin(th) + b * Math.sin(v) * Math.cos(th) + ELLIPSE_NOISE.y * rng.normal());
  const ellipseTruth = [x0, y0, a, b, th];
  const index = Array.from({ length: 2 * t.length }, (_, i) => i);
  const ellipse = { t, x: ex, y: ey, truth: ellipseTruth, fit: fitOf(ellipseModel(t), index, [...ex, ...ey], [0, 0, 1, 1, 0], ellipseTruth) };

  // Demo 4: a Gaussian fitted to a density histogram, then inter- and extrapolated.
  const samples = Array.from({ length: opts.sample_size }, () => opts.peak_center + opts.noise_level * rng.normal());
  const edges = freedmanDiaconisEdges(samples);
  const hist = distribution(samples, { bins: edges.length - 1, range: [edges[0], edges[edges.length - 1]], density: true });
  const centers = edges.slice(0, -1).map((e, i) => (e + edges[i + 1]) / 2);
  const start = [Math.max(...hist.values), median(samples), (centers[centers.length - 1] - centers[0]) / 2 || 1];
  const gfit = fitOf(gaussModel, centers, hist.values, start);
  const cx = linspace(centers[0] - EXTRAPOLATE, centers[centers.length - 1] + EXTRAPOLATE, 101);
  return {
    line,
    sigmoid: { x: sx, y: sy, fits },
    ellipse,
    histogram: {
      samples,
      edges,
      centers,
      density: hist.values,
      fit: gfit,
      curve: { x: cx, y: predict(gaussModel, gfit.result.params, cx) },
      binWidth: edges[1] - edges[0],
    },
  };
}

// Rendering.

const dataColor = withAlpha('#e6b3e6', 0.9);
const modelColors = ['#5ad16a', '#ffd24d'];
const se = (v: number, digits = 3) => (Number.isFinite(v) ? fixed(v, digits) : '∞');
const pm = (v: number, e: number, digits = 2) => `${fixed(v, digits)} ± ${se(e, digits)}`;

function dataSeries(x: number[], y: number[]): Series {
  return { label: 'Data', x, values: y, color: dataColor, pointRadius: 6 };
}

/** Points and model curves on one scatter chart, the curves drawn as lines over the points. */
function fitChart(opts: Omit<ScatterOptions, 'series'>, data: Series, models: Series[]): ReturnType<typeof scatterChart> {
  const config = scatterChart({ ...opts, series: [...models.map((m) => ({ ...m, pointRadius: 0 })), data], legend: true });
  models.forEach((_, i) => drawSeriesAsLine(config, i));
  (config.data.datasets as unknown as Record<string, unknown>[]).forEach((ds, i) => {
    // A tiny tension keeps Chart.js off its fast line path, which merges the points that share a
    // pixel column and so draws vertical strokes on curves that turn back in x (the ellipse).
    if (i < models.length) Object.assign(ds, { borderWidth: 2.5, tension: 1e-6 });
    else Object.assign(ds, { pointBorderColor: '#000000', pointBorderWidth: 1 });
  });
  // No tick labels at odd axis ends (the extrapolation range), as matplotlib.
  const x = (config.options!.scales as Record<string, { ticks?: Record<string, unknown> }>).x;
  x.ticks = { ...x.ticks, includeBounds: false };
  return config;
}

function paramTable(fit: Fit, heading: string, digits = 2): TableSpec {
  const r = fit.result;
  return {
    heading,
    columns: [
      { header: 'Parameter' },
      ...(fit.truth ? [{ header: 'Truth', align: 'right' as const }] : []),
      { header: 'Start', align: 'right' },
      { header: 'Estimate', align: 'right' },
      { header: 'Std. error', align: 'right' },
    ],
    rows: fit.names.map((name, j) => [
      name,
      ...(fit.truth ? [fixed(fit.truth[j], digits)] : []),
      fixed(fit.start[j], digits),
      fixed(r.params[j], digits),
      se(r.stdErr[j], digits),
    ]),
    footer: `SSE ${fixed(r.sse, 2)}, ${r.n} points, ${r.iterations} iterations${r.converged ? '' : ', not converged'}${r.rank < fit.names.length ? ', singular Jacobian' : ''}`,
  };
}

export async function renderCurvefit(d: CurvefitData): Promise<Figure[]> {
  const L = d.line;
  const lf = L.fit.result;
  const lineCurve = predict(lineModel, lf.params, L.x);
  const linePng = await renderPanels([
    scatterChart({ title: 'Simulated data', subtitle: `y = ${TRUTH.line[0]} + ${TRUTH.line[1]}x + noise, N = ${L.x.length}`, xLabel: 'x', yLabel: 'y', series: [dataSeries(L.x, L.y)] }),
    fitChart({ title: 'Line fit to data', subtitle: `b0 = ${pm(lf.params[0], lf.stdErr[0])}, b1 = ${pm(lf.params[1], lf.stdErr[1])}`, xLabel: 'x', yLabel: 'y' },
      dataSeries(L.x, L.y), [{ label: 'Model', x: L.x, values: lineCurve, color: modelColors[0] }]),
  ], { columns: 2, panelHeight: 440 });

  const o = L.ols;
  const maxDiff = Math.max(...lf.params.map((v, j) => Math.abs(v - o.beta[j])), ...lf.stdErr.map((v, j) => Math.abs(v - o.stdErr[j])));
  const lineTable = await renderTableFigure({
    title: 'Line: nonlinear least squares vs ordinary least squares',
    subtitle: `Levenberg–Marquardt with s²(JᵀJ)⁻¹ standard errors, and OLS; the largest difference is ${maxDiff.toExponential(1)}`,
    tables: [{
      columns: [
        { header: 'Parameter' },
        { header: 'Truth', align: 'right' },
        { header: 'LM estimate', align: 'right' },
        { header: 'LM std. error', align: 'right' },
        { header: 'OLS estimate', align: 'right' },
        { header: 'OLS std. error', align: 'right' },
        { header: 't', align: 'right' },
        { header: 'p', align: 'right' },
      ],
      rows: L.fit.names.map((name, j) => [
        name,
        fixed(TRUTH.line[j], 0),
        fixed(lf.params[j], 4),
        se(lf.stdErr[j], 4),
        fixed(o.beta[j], 4),
        se(o.stdErr[j], 4),
        fixed(o.t[j], 2),
        o.p[j] < 1e-4 ? o.p[j].toExponential(1) : fixed(o.p[j], 4),
      ]),
      footer: `OLS: R² = ${fixed(o.r2, 3)}, adjusted R² = ${fixed(o.adjR2, 3)}, F(${o.k - 1}, ${o.dfResid}) = ${fixed(o.f, 1)}, residual SE = ${fixed(o.sigma, 3)}`,
    }],
  });

  const S = d.sigmoid;
  const sigmoidModels = S.fits.map((f, i) => ({
    label: i === 0 ? 'Model (data-driven start)' : 'Model (random start)',
    x: S.x,
    values: predict(sigmoidModel, f.result.params, S.x),
    color: modelColors[i],
    dashed: i > 0,
  }));
  const sf = S.fits[0].result;
  const sigmoidPng = await renderPanels([
    scatterChart({ title: 'Simulated data', subtitle: `sigmoid A = 10, x0 = 1, k = 1, b = 2, plus noise; N = ${S.x.length}`, xLabel: 'x', yLabel: 'y', series: [dataSeries(S.x, S.y)] }),
    fitChart({ title: 'Sigmoid fit to data', subtitle: `A = ${fixed(sf.params[0], 2)}, x0 = ${fixed(sf.params[1], 2)}, k = ${fixed(sf.params[2], 2)}, b = ${fixed(sf.params[3], 2)}`, xLabel: 'x', yLabel: 'y' },
      dataSeries(S.x, S.y), sigmoidModels),
  ], { columns: 2, panelHeight: 440 });
  const sigmoidTable = await renderTableFigure({
    title: S.fits.length > 1 ? 'Sigmoid fits from two starting points' : 'Sigmoid fit',
    subtitle: 'A: maximum above the floor, x0: midpoint, k: steepness, b: floor',
    tables: S.fits.map((f, i) => paramTable(f, i === 0 ? 'Start from the data (range, median x, 1, mean y)' : 'Start from random normal values')),
  });

  const E = d.ellipse;
  const ef = E.fit.result;
  const n = E.t.length;
  const dense = linspace(0, 2 * Math.PI, 200);
  const em = ellipseModel(dense);
  const curve = predict(em, ef.params, Array.from({ length: 400 }, (_, i) => i));
  const ellipseConfig = fitChart({ title: 'Ellipse fit to data', subtitle: `a = ${pm(ef.params[2], ef.stdErr[2])}, b = ${pm(ef.params[3], ef.stdErr[3])}, θ = ${pm(ef.params[4], ef.stdErr[4], 3)} rad`, xLabel: 'x', yLabel: 'y' },
    { label: 'Data', points: E.x.map((x, i) => [x, E.y[i]] as const), color: dataColor, pointRadius: 6 },
    [{ label: 'Model', points: curve.slice(0, 200).map((x, i) => [x, curve[200 + i]] as const), color: modelColors[0] }]);
  const ellipsePng = await renderChart(ellipseConfig, { width: 900, height: 620 });
  const ellipseTable = await renderTableFigure({
    title: 'Ellipse fit: centre, semi-axes and rotation',
    subtitle: `x and y of ${n} points fitted together as one vector of ${2 * n} values`,
    tables: [paramTable(E.fit, 'Levenberg–Marquardt from (0, 0, 1, 1, 0)', 2)],
  });

  const H = d.histogram;
  const hf = H.fit.result;
  const xlim = { xMin: H.curve.x[0], xMax: H.curve.x[H.curve.x.length - 1] };
  const histPng = await renderPanels([
    scatterChart({ title: 'Raw data', subtitle: `${H.samples.length} normal samples`, xLabel: 'Data index', yLabel: 'Data value', series: [{ label: 'samples', values: H.samples, color: withAlpha('#e6b3e6', 0.7), pointRadius: 5 }] }),
    histogramChart({ title: 'Data histogram', subtitle: `${H.centers.length} bins (Freedman–Diaconis)`, xLabel: 'Data value', yLabel: 'Density', ...xlim,
      series: [{ label: 'data', values: H.samples, color: '#e6b3e6' }], bins: H.centers.length, range: [H.edges[0], H.edges[H.edges.length - 1]], density: true }),
    fitChart({ title: 'Histogram and Gaussian fit', subtitle: `x0 = ${pm(hf.params[1], hf.stdErr[1])}, s = ${pm(Math.abs(hf.params[2]), hf.stdErr[2])}`, xLabel: 'Data value', yLabel: 'Density', ...xlim },
      { label: 'Data', x: H.centers, values: H.density, color: dataColor, pointRadius: 6 },
      [{ label: 'Model', x: H.curve.x, values: H.curve.y, color: modelColors[0] }]),
  ], { columns: 3, panelHeight: 400 });

  const rnd = S.fits[1];
  return [
    {
      name: 'line',
      title: 'Line: simulated data and fit (2 panels)',
      alt: `Left: ${L.x.length} points around the line y = 10 + 2x. Right: the fitted line, b0 = ${pm(lf.params[0], lf.stdErr[0])} and b1 = ${pm(lf.params[1], lf.stdErr[1])}.`,
      png: linePng,
    },
    {
      name: 'line-table',
      title: 'Line fit vs OLS',
      alt: `Table: Levenberg–Marquardt b0 = ${fixed(lf.params[0], 4)} (SE ${se(lf.stdErr[0], 4)}), b1 = ${fixed(lf.params[1], 4)} (SE ${se(lf.stdErr[1], 4)}); OLS b0 = ${fixed(o.beta[0], 4)} (SE ${se(o.stdErr[0], 4)}), b1 = ${fixed(o.beta[1], 4)} (SE ${se(o.stdErr[1], 4)}), R² = ${fixed(o.r2, 3)}.`,
      png: lineTable,
    },
    {
      name: 'sigmoid',
      title: 'Sigmoid: simulated data and fit (2 panels)',
      alt: `Left: ${S.x.length} noisy points of a sigmoid. Right: the fit from data-driven starting values (A = ${fixed(sf.params[0], 2)}, x0 = ${fixed(sf.params[1], 2)}, k = ${fixed(sf.params[2], 2)}, b = ${fixed(sf.params[3], 2)}, SSE ${fixed(sf.sse, 1)})${rnd ? ` and from random starting values (SSE ${fixed(rnd.result.sse, 1)})` : ''}.`,
      png: sigmoidPng,
    },
    {
      name: 'sigmoid-table',
      title: 'Sigmoid parameters and standard errors',
      alt: `Table${S.fits.length > 1 ? 's' : ''} of truth, start, estimate and standard error for A, x0, k and b: ${S.fits.map((f, i) => `${i ? 'random start' : 'data-driven start'} ${f.result.params.map((v) => fixed(v, 2)).join(', ')}`).join('; ')}.`,
      png: sigmoidTable,
    },
    {
      name: 'ellipse',
      title: 'Ellipse fit to data',
      alt: `${n} noisy points on a rotated ellipse and the fitted ellipse: centre (${fixed(ef.params[0], 2)}, ${fixed(ef.params[1], 2)}), semi-axes ${fixed(ef.params[2], 2)} and ${fixed(ef.params[3], 2)}, rotation ${fixed(ef.params[4], 3)} rad.`,
      png: ellipsePng,
    },
    {
      name: 'ellipse-table',
      title: 'Ellipse parameters and standard errors',
      alt: `Table of truth, start, estimate and standard error for x0, y0, a, b and theta: ${ef.params.map((v, j) => `${E.fit.names[j]} ${fixed(v, 2)} ± ${se(ef.stdErr[j], 2)}`).join(', ')}.`,
      png: ellipseTable,
    },
    {
      name: 'histogram-fit',
      title: 'Gaussian fit to a data histogram (3 panels)',
      alt: `Left: ${H.samples.length} samples by index. Middle: their density histogram in ${H.centers.length} bins. Right: the bin heights and the fitted Gaussian, A = ${fixed(hf.params[0], 3)}, x0 = ${fixed(hf.params[1], 2)}, s = ${fixed(Math.abs(hf.params[2]), 2)}, drawn ${EXTRAPOLATE} units beyond the outer bins.`,
      png: histPng,
    },
  ];
}

/** Angles equal up to whole turns. */
const sameAngle = (a: number, b: number) => Math.abs(Math.atan2(Math.sin(a - b), Math.cos(a - b))) < 1e-3;

export function explainCurvefit(d: CurvefitData, opts: CurvefitOptions): string {
  const lf = d.line.fit.result;
  const o = d.line.ols;
  const agree = Math.max(...lf.params.map((v, j) => Math.abs(v - o.beta[j]) / Math.max(1e-12, Math.abs(o.beta[j]))),
    // Noise-free data have standard errors near 0: compare those against the coefficient's size.
    ...lf.stdErr.map((v, j) => Math.abs(v - o.stdErr[j]) / Math.max(o.stdErr[j], 1e-9 * Math.max(1, Math.abs(o.beta[j])))));
  const [guided, random] = d.sigmoid.fits;
  const g = guided.result;
  let startText = '';
  if (random) {
    const r = random.result;
    const same = Math.abs(r.sse - g.sse) <= 1e-6 * Math.max(1, g.sse);
    startText = same
      ? ` From random starting values it lands on the same minimum (SSE ${fixed(r.sse, 2)}), but that is luck, not a guarantee.`
      : ` From random starting values it ${r.sse > g.sse ? `ends somewhere worse (SSE ${fixed(r.sse, 2)} against ${fixed(g.sse, 2)})` : `finds a lower minimum (SSE ${fixed(r.sse, 2)} against ${fixed(g.sse, 2)})`}: a nonlinear fit only finds the minimum nearest to where it starts.`;
  }
  const ef = d.ellipse.fit.result;
  const [, , ea, eb, eth] = ef.params;
  // (a, b, θ), (a, b, θ + 2π) and (−a, −b, θ + π) draw the same ellipse: say so when the fit lands there.
  const halfTurns = Math.round((eth - opts.theta) / Math.PI);
  const flipped = ea < 0 && eb < 0 && halfTurns % 2 !== 0;
  const turns = flipped ? (halfTurns - 1) / 2 : halfTurns / 2;
  const wrapped = eth - (flipped ? Math.PI : 0) - 2 * Math.PI * Math.round(turns);
  const angleNote = flipped
    ? `; both semi-axes came out negative with the angle shifted by π${Math.round(turns) ? ' and whole turns' : ''}, which draws the same ellipse (equivalent angle ${fixed(wrapped, 3)})`
    : Math.round(turns) && sameAngle(eth, wrapped)
      ? `, ${fixed(wrapped, 3)} after removing ${Math.abs(Math.round(turns))} full turn${Math.abs(Math.round(turns)) === 1 ? '' : 's'}`
      : '';
  const H = d.histogram.fit.result;
  const tryNext = opts.noise === 2
    ? 'Try `/curvefit noise:0.5` and watch every standard error shrink with the noise.'
    : opts.sample_size === 80
      ? 'Try `/curvefit sample_size:2000` for a smoother histogram and a tighter Gaussian fit.'
      : 'Try `/curvefit noise:2` to go back to the post\'s noise level.';
  return [
    `For the line, Levenberg–Marquardt and OLS agree (relative difference ${agree.toExponential(0)}): b0 = ${pm(lf.params[0], lf.stdErr[0])}, b1 = ${pm(lf.params[1], lf.stdErr[1])} (truth 10 and 2), because for a model that is linear in its parameters s²(JᵀJ)⁻¹ is exactly the OLS covariance.`,
    `The sigmoid fit from data-driven starting values gives A = ${pm(g.params[0], g.stdErr[0])}, x0 = ${pm(g.params[1], g.stdErr[1])}, k = ${pm(g.params[2], g.stdErr[2])}, b = ${pm(g.params[3], g.stdErr[3])} (truth 10, 1, 1, 2).${startText}`,
    `The ellipse is fitted as one vector of x and y coordinates: semi-axes ${fixed(ea, 2)} and ${fixed(eb, 2)} (truth 5 and 3), rotation ${fixed(eth, 3)} rad${angleNote} (truth ${fixed(opts.theta, 3)}).`,
    `A Gaussian fitted to the ${d.histogram.samples.length}-sample histogram puts the peak at ${pm(H.params[1], H.stdErr[1])} and the width at ${pm(Math.abs(H.params[2]), H.stdErr[2])} (truth ${fixed(opts.peak_center, 2)} and ${fixed(opts.noise_level, 2)}), and the fitted curve extends the histogram beyond the data.`,
    tryNext,
  ].join(' ');
}

export const curvefitAnalysis: Analysis<typeof Options, CurvefitData> = {
  id: 'curvefit',
  post: findPost('curvefit')!,
  usesModel: false,
  options: Options,
  compute: async (opts) => computeCurvefit(opts),
  render: async (data) => renderCurvefit(data),
  explain: explainCurvefit,
  figureData: (d) => {
    const fit = (f: Fit) => ({
      model: f.model,
      parameters: f.names,
      truth: f.truth ?? null,
      start: f.start,
      estimate: f.result.params,
      std_error: f.result.stdErr.map((v) => (Number.isFinite(v) ? v : null)),
      covariance: f.result.covariance.map((r) => r.map((v) => (Number.isFinite(v) ? v : null))),
      sse: f.result.sse,
      n: f.result.n,
      iterations: f.result.iterations,
      converged: f.result.converged,
    });
    const o = d.line.ols;
    return {
      line: { x: d.line.x, y: d.line.y, fit: fit(d.line.fit) },
      'line-table': { lm: fit(d.line.fit), ols: { estimate: o.beta, std_error: o.stdErr, t: o.t, p: o.p, r2: o.r2, adj_r2: o.adjR2, f: o.f, f_p: o.fP } },
      sigmoid: { x: d.sigmoid.x, y: d.sigmoid.y, fits: d.sigmoid.fits.map(fit) },
      'sigmoid-table': d.sigmoid.fits.map(fit),
      ellipse: { t: d.ellipse.t, x: d.ellipse.x, y: d.ellipse.y, fit: fit(d.ellipse.fit) },
      'ellipse-table': fit(d.ellipse.fit),
      'histogram-fit': {
        samples: d.histogram.samples,
        bin_edges: d.histogram.edges,
        bin_centers: d.histogram.centers,
        density: d.histogram.density,
        fit: fit(d.histogram.fit),
        curve: d.histogram.curve,
      },
    };
  },
};
