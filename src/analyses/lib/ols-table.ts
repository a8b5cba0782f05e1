// The regression table statsmodels prints for an OLS fit (its `summary()`), for every post that
// fits a linear model: model and fit statistics (R², adjusted R², the F test, log-likelihood, AIC,
// BIC), the coefficient table (coef, std err, t, P>|t|, confidence interval) and the residual
// diagnostics (omnibus and Jarque–Bera normality tests, skew, kurtosis, Durbin–Watson, condition
// number), as numbers, as a PNG table figure and as monospace text. Numbers are formatted the way
// statsmodels formats them, so the figure reads like the notebooks' printout.
import { loadImage } from '@napi-rs/canvas';
import fcdf from '@stdlib/stats-base-dists-f-cdf';
import tquantile from '@stdlib/stats-base-dists-t-quantile';
import { Matrix, SingularValueDecomposition } from 'ml-matrix';
import { figureCanvas } from '../../render/canvas.ts';
import { encodeCanvas } from '../../render/png.ts';
import { renderTableFigure, type TableSpec } from '../../render/table.ts';
import { theme } from '../../render/theme.ts';
import { ols, type OlsResult } from './ols.ts';

type Design = readonly (readonly number[])[];

export interface OlsCoefficient {
  name: string;
  coef: number;
  stdErr: number;
  t: number;
  /** Two-sided p value of t. */
  p: number;
  /** The (1 − alpha) confidence interval. */
  ciLow: number;
  ciHigh: number;
}

export interface OlsSummary {
  depVar: string;
  n: number;
  /** Parameters other than the constant (statsmodels' df_model), and n − parameters. */
  dfModel: number;
  dfResid: number;
  /** Whether a column of the design is constant (the intercept), wherever it sits. */
  hasConstant: boolean;
  /** R² against the mean with a constant; uncentred (against zero) without one, as statsmodels. */
  r2: number;
  adjR2: number;
  f: number;
  fP: number;
  logLik: number;
  aic: number;
  bic: number;
  coefficients: OlsCoefficient[];
  alpha: number;
  /** D'Agostino–Pearson K² test of the residuals' normality (scipy.stats.normaltest). */
  omnibus: number;
  omnibusP: number;
  /** Residual skewness and (non-excess) kurtosis, biased moments as scipy's defaults. */
  skew: number;
  kurtosis: number;
  durbinWatson: number;
  jarqueBera: number;
  jarqueBeraP: number;
  /** Ratio of the largest to the smallest singular value of the design matrix. */
  condNo: number;
  notes: string[];
}

/** P(F > f) for F(d1, d2), accurate far into the tail: 1/F follows F(d2, d1), so no 1 − cdf cancels. */
export function fUpperTail(f: number, d1: number, d2: number): number {
  if (!Number.isFinite(f)) return f === Infinity ? 0 : NaN;
  if (f <= 0) return 1;
  return fcdf(1 / f, d2, d1);
}

function moments(e: readonly number[]): { skew: number; kurtosis: number } {
  const n = e.length;
  const m = e.reduce((s, v) => s + v, 0) / n;
  let m2 = 0;
  let m3 = 0;
  let m4 = 0;
  for (const v of e) {
    const d = v - m;
    m2 += d * d;
    m3 += d * d * d;
    m4 += d * d * d * d;
  }
  m2 /= n;
  m3 /= n;
  m4 /= n;
  return { skew: m3 / m2 ** 1.5, kurtosis: m4 / (m2 * m2) };
}

/**
 * D'Agostino's skewness test and Anscombe–Glynn's kurtosis test combined into K² (chi² with 2
 * df), as scipy.stats.normaltest; needs at least 8 values (NaN otherwise).
 */
export function normalTest(values: readonly number[]): { statistic: number; p: number; zSkew: number; zKurtosis: number } {
  const n = values.length;
  if (n < 8) return { statistic: NaN, p: NaN, zSkew: NaN, zKurtosis: NaN };
  const { skew: b1, kurtosis: b2 } = moments(values);
  // Skewness test.
  let y = b1 * Math.sqrt(((n + 1) * (n + 3)) / (6 * (n - 2)));
  const beta2 = (3 * (n * n + 27 * n - 70) * (n + 1) * (n + 3)) / ((n - 2) * (n + 5) * (n + 7) * (n + 9));
  const w2 = -1 + Math.sqrt(2 * (beta2 - 1));
  const delta = 1 / Math.sqrt(0.5 * Math.log(w2));
  const alpha = Math.sqrt(2 / (w2 - 1));
  if (y === 0) y = 1;
  const zSkew = delta * Math.log(y / alpha + Math.sqrt((y / alpha) ** 2 + 1));
  // Kurtosis test.
  const e = (3 * (n - 1)) / (n + 1);
  const varb2 = (24 * n * (n - 2) * (n - 3)) / ((n + 1) * (n + 1) * (n + 3) * (n + 5));
  const x = (b2 - e) / Math.sqrt(varb2);
  const sqrtbeta1 = ((6 * (n * n - 5 * n + 2)) / ((n + 7) * (n + 9))) * Math.sqrt((6 * (n + 3) * (n + 5)) / (n * (n - 2) * (n - 3)));
  const a = 6 + (8 / sqrtbeta1) * (2 / sqrtbeta1 + Math.sqrt(1 + 4 / (sqrtbeta1 * sqrtbeta1)));
  const term1 = 1 - 2 / (9 * a);
  const denom = 1 + x * Math.sqrt(2 / (a - 4));
  const term2 = denom === 0 ? NaN : Math.sign(denom) * Math.cbrt((1 - 2 / a) / Math.abs(denom));
  const zKurtosis = (term1 - term2) / Math.sqrt(2 / (9 * a));
  const statistic = zSkew * zSkew + zKurtosis * zKurtosis;
  return { statistic, p: Math.exp(-statistic / 2), zSkew, zKurtosis };
}

/** Index of the first constant, non-zero column (statsmodels' const_idx), or −1. */
function constantColumn(X: Design): number {
  const k = X[0]?.length ?? 0;
  for (let j = 0; j < k; j++) {
    const v = X[0]![j]!;
    if (v !== 0 && X.every((r) => r[j] === v)) return j;
  }
  return -1;
}

/** The summary of a fit of y on X (rows are observations; `fit` from ols(X, y)). */
export function summarizeOls(fit: OlsResult, X: Design, y: readonly number[], opts: { depVar: string; alpha?: number }): OlsSummary {
  const alpha = opts.alpha ?? 0.05;
  const { n, k, dfResid, sse } = fit;
  const hasConstant = constantColumn(X) >= 0;
  const yMean = y.reduce((s, v) => s + v, 0) / n;
  const sst = hasConstant ? y.reduce((s, v) => s + (v - yMean) ** 2, 0) : y.reduce((s, v) => s + v * v, 0);
  const dfModel = hasConstant ? k - 1 : k;
  const r2 = 1 - sse / sst;
  const adjR2 = 1 - ((n - (hasConstant ? 1 : 0)) / dfResid) * (1 - r2);
  const sigma2 = sse / dfResid;
  const f = dfModel > 0 ? (sst - sse) / dfModel / sigma2 : NaN;
  const fP = dfModel > 0 ? fUpperTail(f, dfModel, dfResid) : NaN;
  const logLik = (-n / 2) * (Math.log(2 * Math.PI) + Math.log(sse / n) + 1);
  const tq = tquantile(1 - alpha / 2, dfResid);
  const coefficients = fit.beta.map((b, j) => ({
    name: fit.names[j]!,
    coef: b,
    stdErr: fit.stdErr[j]!,
    t: fit.t[j]!,
    p: fit.p[j]!,
    ciLow: b - tq * fit.stdErr[j]!,
    ciHigh: b + tq * fit.stdErr[j]!,
  }));
  const e = fit.residuals;
  let dw = 0;
  for (let i = 1; i < n; i++) dw += (e[i]! - e[i - 1]!) ** 2;
  const { skew, kurtosis } = moments(e);
  const jb = (n / 6) * (skew * skew + (kurtosis - 3) ** 2 / 4);
  const omni = normalTest(e);
  const sv = new SingularValueDecomposition(new Matrix(X.map((r) => [...r])), { autoTranspose: true }).diagonal;
  const condNo = Math.max(...sv) / Math.min(...sv);
  const notes = ['Standard errors assume that the covariance matrix of the errors is correctly specified.'];
  if (condNo > 1000) {
    notes.push(`The condition number is large (${pyG(condNo, 3)}): the predictors may be strongly collinear, or there are numerical problems.`);
  }
  return {
    depVar: opts.depVar, n, dfModel, dfResid, hasConstant, r2, adjR2, f, fP, logLik,
    aic: -2 * logLik + 2 * k,
    bic: -2 * logLik + Math.log(n) * k,
    coefficients, alpha,
    omnibus: omni.statistic, omnibusP: omni.p, skew, kurtosis,
    durbinWatson: dw / sse,
    jarqueBera: jb, jarqueBeraP: Math.exp(-jb / 2),
    condNo, notes,
  };
}

/** Fit y on X by least squares and summarise it (column names in design order). */
export function olsSummary(X: Design, y: readonly number[], opts: { names: readonly string[]; depVar: string; alpha?: number }): { fit: OlsResult; summary: OlsSummary } {
  const fit = ols(X, y, opts.names);
  return { fit, summary: summarizeOls(fit, X, y, opts) };
}

/** Python's "%#.{digits}g": significant digits, trailing zeros kept, exponent below 1e-4 or at 10^digits. */
export function pyG(v: number, digits: number): string {
  if (!Number.isFinite(v)) return Number.isNaN(v) ? 'nan' : v > 0 ? 'inf' : '-inf';
  if (v === 0) return (0).toFixed(Math.max(0, digits - 1));
  const exp = Number(v.toExponential(digits - 1).split('e')[1]);
  if (exp < -4 || exp >= digits) {
    const [m, e] = v.toExponential(digits - 1).split('e');
    const en = Number(e);
    return `${m}e${en < 0 ? '-' : '+'}${String(Math.abs(en)).padStart(2, '0')}`;
  }
  return v.toFixed(Math.max(0, digits - 1 - exp));
}

/** statsmodels' forg: fixed decimals for ordinary magnitudes, else 3-digit scientific. */
export function forg(v: number, prec = 3): string {
  if (!Number.isFinite(v)) return Number.isNaN(v) ? 'nan' : v > 0 ? 'inf' : '-inf';
  const a = Math.abs(v);
  if (a >= 1e4 || (a < 1e-4 && a !== 0)) {
    const [m, e] = v.toExponential(3).split('e');
    const en = Number(e);
    return `${m}e${en < 0 ? '-' : '+'}${String(Math.abs(en)).padStart(2, '0')}`;
  }
  return v.toFixed(prec);
}

const fmt3 = (v: number) => (Number.isFinite(v) ? v.toFixed(3) : 'nan');

/** The fit statistics, statsmodels' top block: [label, value] pairs for the left and right halves. */
export function fitRows(s: OlsSummary): { left: [string, string][]; right: [string, string][] } {
  const r2Label = s.hasConstant ? 'R-squared' : 'R-squared (uncentered)';
  return {
    left: [
      ['Dep. Variable:', s.depVar],
      ['Model:', 'OLS'],
      ['Method:', 'Least Squares'],
      ['No. Observations:', String(s.n)],
      ['Df Residuals:', String(s.dfResid)],
      ['Df Model:', String(s.dfModel)],
      ['Covariance Type:', 'nonrobust'],
    ],
    right: [
      [`${r2Label}:`, fmt3(s.r2)],
      [`Adj. ${r2Label}:`, fmt3(s.adjR2)],
      ['F-statistic:', pyG(s.f, 4)],
      ['Prob (F-statistic):', pyG(s.fP, 3)],
      ['Log-Likelihood:', pyG(s.logLik, 5)],
      ['AIC:', pyG(s.aic, 4)],
      ['BIC:', pyG(s.bic, 4)],
    ],
  };
}

/**
 * Residual diagnostics, statsmodels' bottom block. `grouped` puts both normality tests on the
 * left and the moments, Durbin–Watson and the condition number on the right (the figure's
 * headings); otherwise the rows are in statsmodels' order.
 */
export function diagnosticRows(s: OlsSummary, grouped = false): { left: [string, string][]; right: [string, string][] } {
  const omnibus: [string, string][] = [['Omnibus:', fmt3(s.omnibus)], ['Prob(Omnibus):', fmt3(s.omnibusP)]];
  const jb: [string, string][] = [['Jarque-Bera (JB):', fmt3(s.jarqueBera)], ['Prob(JB):', pyG(s.jarqueBeraP, 3)]];
  const moments: [string, string][] = [['Skew:', fmt3(s.skew)], ['Kurtosis:', fmt3(s.kurtosis)]];
  const dw: [string, string] = ['Durbin-Watson:', fmt3(s.durbinWatson)];
  const cond: [string, string] = ['Cond. No.:', pyG(s.condNo, 3)];
  return grouped
    ? { left: [...omnibus, ...jb], right: [...moments, dw, cond] }
    : { left: [...omnibus, ...moments], right: [dw, ...jb, cond] };
}

/** The coefficient table's header and rows, formatted as statsmodels prints them. */
export function coefficientRows(s: OlsSummary): { header: string[]; rows: string[][] } {
  const lo = `[${(s.alpha / 2).toFixed(3)}`;
  const hi = `${(1 - s.alpha / 2).toFixed(3)}]`;
  return {
    header: ['', 'coef', 'std err', 't', 'P>|t|', lo, hi],
    rows: s.coefficients.map((c) => [c.name, forg(c.coef, 4), forg(c.stdErr), forg(c.t), fmt3(c.p), forg(c.ciLow), forg(c.ciHigh)]),
  };
}

function pairTable(headings: [string, string], rows: { left: [string, string][]; right: [string, string][] }, footer?: string): TableSpec {
  const m = Math.max(rows.left.length, rows.right.length);
  return {
    columns: [
      { header: headings[0], align: 'left' },
      { header: '', align: 'right', mono: true },
      { header: headings[1], align: 'left' },
      { header: '', align: 'right', mono: true },
    ],
    rows: Array.from({ length: m }, (_, i) => [...(rows.left[i] ?? ['', '']), ...(rows.right[i] ?? ['', ''])]),
    footer,
  };
}

/** The three blocks of the summary as table specs (model and fit, coefficients, diagnostics). */
export function olsSummaryTables(s: OlsSummary): { fit: TableSpec; coefficients: TableSpec; diagnostics: TableSpec } {
  const coef = coefficientRows(s);
  return {
    fit: pairTable(['Model', 'Fit'], fitRows(s)),
    coefficients: {
      columns: coef.header.map((h, j) => ({ header: h, align: j === 0 ? 'left' : 'right', mono: j > 0 })),
      rows: coef.rows,
    },
    diagnostics: pairTable(['Normality of the residuals', 'Shape, order, conditioning'], diagnosticRows(s, true)),
  };
}

/**
 * The summary as one PNG: the fit block, the coefficient table and the diagnostics stacked
 * like statsmodels' printout, each drawn by renderTableFigure, with the notes underneath.
 */
export async function renderOlsSummary(s: OlsSummary, opts: { title?: string; subtitle?: string } = {}): Promise<Buffer> {
  const t = olsSummaryTables(s);
  const notes = s.notes.map((n, i) => `[${i + 1}] ${n}`);
  const parts = await Promise.all([
    renderTableFigure({ title: opts.title ?? 'OLS Regression Results', subtitle: opts.subtitle, tables: [t.fit] }),
    renderTableFigure({ title: `Coefficients (${Math.round((1 - s.alpha) * 100)}% confidence intervals)`, tables: [t.coefficients] }),
    renderTableFigure({ title: 'Residual diagnostics', tables: [t.diagnostics] }),
  ]);
  const images = await Promise.all(parts.map((p) => loadImage(p)));
  const dpr = theme.pixelRatio;
  const width = Math.max(...images.map((im) => im.width)) / dpr;
  // Each part keeps empty room under its last row (for corner stamps): trim it, the notes follow.
  const trim = 30;
  const heights = images.map((im) => im.height / dpr - trim);
  const lineH = theme.fontSize + 8;
  const notesH = 12 + notes.length * lineH + 36;
  const { canvas, ctx } = figureCanvas(width, heights.reduce((a, b) => a + b, 0) + notesH);
  let y = 0;
  images.forEach((im, i) => {
    const h = heights[i]!;
    const w = im.width / dpr;
    ctx.drawImage(im, 0, 0, im.width, h * dpr, (width - w) / 2, y, w, h);
    y += h;
  });
  ctx.fillStyle = theme.muted;
  ctx.font = `${theme.fontSize - 1}px ${theme.fontFamily}`;
  ctx.textAlign = 'left';
  ctx.textBaseline = 'top';
  const noteW = Math.max(...notes.map((n) => ctx.measureText(n).width));
  const nx = Math.max(24, (width - noteW) / 2);
  notes.forEach((line, i) => ctx.fillText(line, nx, y + 12 + i * lineH));
  return encodeCanvas(canvas);
}

/** The summary as monospace text in statsmodels' layout (for result files and logs). */
export function olsSummaryText(s: OlsSummary): string {
  const W = 78;
  const rule = (c: string) => c.repeat(W);
  const half = (rows: { left: [string, string][]; right: [string, string][] }) => {
    const m = Math.max(rows.left.length, rows.right.length);
    return Array.from({ length: m }, (_, i) => {
      const [a, b] = rows.left[i] ?? ['', ''];
      const [c, d] = rows.right[i] ?? ['', ''];
      return `${a.padEnd(20)}${b.padStart(18)}   ${c.padEnd(22)}${d.padStart(15)}`.trimEnd();
    });
  };
  const coef = coefficientRows(s);
  const nameW = Math.max(14, ...coef.rows.map((r) => r[0]!.length + 1));
  const colW = Math.floor((W - nameW) / 6);
  const line = (cells: string[]) => cells[0]!.padEnd(nameW) + cells.slice(1).map((c) => c.padStart(colW)).join('');
  return [
    'OLS Regression Results'.padStart((W + 22) / 2),
    rule('='),
    ...half(fitRows(s)),
    rule('='),
    line(coef.header),
    rule('-'),
    ...coef.rows.map(line),
    rule('='),
    ...half(diagnosticRows(s)),
    rule('='),
    '',
    'Notes:',
    ...s.notes.map((n, i) => `[${i + 1}] ${n}`),
  ].join('\n');
}

/** A p value for prose: "p = 0.0035", "p = 4.0e-22", "p < 1e-300". */
export function pText(p: number): string {
  if (!Number.isFinite(p)) return 'p = n/a';
  if (p === 0) return 'p < 1e-300';
  if (p >= 0.001) return `p = ${p.toPrecision(2)}`;
  return `p = ${p.toExponential(1)}`;
}
