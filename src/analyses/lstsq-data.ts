// /lstsq-data — "Least squares part 3: real data". A regression on the Residential Building data
// set: look at the raw variables (pair plot), transform them (log price, log floor area, interest
// rate split into low/high), z-score them and drop the rows beyond a z threshold (box and strip
// plots), then fit log-price on CPI, log floor area, the interest split and the split × CPI
// interaction and read the table statsmodels prints (coef, std err, t, P>|t|, R², F), with the
// fit and its residuals drawn four ways. Any CSV with four such columns works the same way.
import { z } from 'zod';
import { findPost } from '../catalog/posts.ts';
import { histogram, histogramChart, scatterChart } from '../render/charts.ts';
import { autoBins, boxStats, renderCategoricalPlots, type BoxStats } from '../render/distribution-plots.ts';
import { pairGrid, pairGridData, type PairVariable } from '../render/pair-grid.ts';
import { renderPanels } from '../render/panels.ts';
import { renderTableFigure } from '../render/table.ts';
import { TextSourceError } from './gutenberg.ts';
import { DATASETS, numericColumn, type DataTable } from './lib/datasets.ts';
import { loadTableSource, tableSourceOptions } from './lib/table-source.ts';
import { fixed } from './lib/format.ts';
import { olsSummary, olsSummaryText, pText, renderOlsSummary, type OlsSummary } from './lib/ols-table.ts';
import { OptionError, type Analysis, type AnalysisContext, type Figure } from './types.ts';

const column = z.string().min(1).max(200);

export const Options = z.object({
  ...tableSourceOptions('residential-building'),
  outcome: column.default('Price')
    .describe('Column to predict (the notebook: the sale price, Price)'),
  log_column: column.default('FloorArea')
    .describe('Predictor entered as its logarithm (the notebook: FloorArea)'),
  binary_column: column.default('Interest')
    .describe('Predictor split into low (0) and high (1) at `threshold` (the notebook: Interest)'),
  linear_column: column.default('CPI')
    .describe('Predictor entered as it is, and multiplied with the split one for the interaction (the notebook: CPI)'),
  log_outcome: z.boolean().default(true)
    .describe('Model the natural logarithm of the outcome (false: the outcome itself)'),
  log_predictor: z.boolean().default(true)
    .describe('Take the natural logarithm of log_column (false: enter it as it is)'),
  threshold: z.number().min(-1e12).max(1e12).default(14.5)
    .describe('binary_column values above this count as high (1), the rest as low (0)'),
  interaction: z.boolean().default(true)
    .describe('Include the split × linear_column interaction term'),
  remove_outliers: z.boolean().default(true)
    .describe('Drop the rows where any z-scored variable is beyond z_thresh before fitting'),
  z_thresh: z.number().min(1).max(10).default(3)
    .describe('Outlier threshold on the z-scored (ddof 1) outcome, log_column and linear_column'),
}).strict();
export type LstsqDataOptions = z.infer<typeof Options>;

/** The notebook's names for the four roles, and the derived columns. */
export interface VariableNames {
  outcome: string;
  log: string;
  binary: string;
  linear: string;
  /** After the transforms: log-Price, log-FloorArea, bin-Interest. */
  y: string;
  logX: string;
  bin: string;
  interaction: string;
  /** Legend labels of the split: Low int., High int. */
  low: string;
  high: string;
}

export interface ZFeature {
  name: string;
  values: number[];
  box: BoxStats;
  mean: number;
  sd: number;
}

export interface LstsqData {
  source: { name: string; origin: DataTable['source']; citation?: string; rows: number; droppedMissing: number };
  names: VariableNames;
  /** The four columns as read (rows with a missing value dropped), in the notebook's pair-plot order. */
  raw: { name: string; text: string[]; values: number[] }[];
  /** The transformed columns over the same rows. */
  transformed: { y: number[]; logX: number[]; bin: number[]; linear: number[] };
  /** z-scores (ddof 1) of y, logX and linear over all rows, and after cleaning (z-scored again). */
  zBefore: ZFeature[];
  zAfter: ZFeature[] | null;
  zThresh: number;
  keep: boolean[];
  /** Rows beyond the threshold, per feature (a row can count for several). */
  removedBy: number[];
  removed: number;
  /** The fit on the kept rows. */
  design: string[];
  summary: OlsSummary;
  summaryText: string;
  fit: { linear: number[]; y: number[]; bin: number[]; predicted: number[]; residuals: number[] };
  /** Slope of y on linear_column for low and high (β_linear, β_linear + β_interaction). */
  slopes: { low: number; high: number } | null;
  residualHistogram: { edges: number[]; low: number[]; high: number[] };
}

export async function loadTable(opts: LstsqDataOptions, ctx: Pick<AnalysisContext, 'localFiles' | 'signal'>): Promise<DataTable> {
  return (await loadTableSource(opts, 'residential-building', ctx)).table;
}

export function variableNames(opts: Pick<LstsqDataOptions, 'outcome' | 'log_column' | 'binary_column' | 'linear_column' | 'log_outcome' | 'log_predictor'>): VariableNames {
  const short = opts.binary_column.slice(0, 3);
  return {
    outcome: opts.outcome,
    log: opts.log_column,
    binary: opts.binary_column,
    linear: opts.linear_column,
    y: opts.log_outcome ? `log-${opts.outcome}` : opts.outcome,
    logX: opts.log_predictor ? `log-${opts.log_column}` : opts.log_column,
    bin: `bin-${opts.binary_column}`,
    interaction: `${short} X ${opts.linear_column}`,
    low: `Low ${short.toLowerCase()}.`,
    high: `High ${short.toLowerCase()}.`,
  };
}

const mean = (v: readonly number[]) => v.reduce((s, x) => s + x, 0) / v.length;
const sampleSd = (v: readonly number[]) => {
  const m = mean(v);
  return Math.sqrt(v.reduce((s, x) => s + (x - m) ** 2, 0) / (v.length - 1));
};

function zFeatures(features: { name: string; values: number[] }[]): ZFeature[] {
  return features.map((f) => {
    const m = mean(f.values);
    const sd = sampleSd(f.values);
    const values = f.values.map((v) => (v - m) / sd);
    return { name: f.name, values, box: boxStats(values), mean: m, sd };
  });
}

/** Transform, z-score, clean and fit: every step of the notebook, on a parsed table. */
export function computeFromTable(table: DataTable, opts: LstsqDataOptions, citation?: string): LstsqData {
  const names = variableNames(opts);
  const roles = [
    ['outcome', opts.outcome],
    ['log_column', opts.log_column],
    ['binary_column', opts.binary_column],
    ['linear_column', opts.linear_column],
  ] as const;
  const sourceOption = opts.file !== undefined ? 'file' : opts.csv_url !== undefined ? 'csv_url' : 'download';
  roles.forEach(([option, col], i) => {
    const earlier = roles.slice(0, i).find(([, c]) => c === col);
    if (earlier) throw new OptionError(option, `"${col}" is already the ${earlier[0]}; each role needs its own column`);
    if (!table.columns.includes(col)) {
      const list = table.columns.slice(0, 30).map((c) => `"${c}"`).join(', ');
      throw new OptionError(option, `${table.name} has no column "${col}" (it has ${list}${table.columns.length > 30 ? ', …' : ''})`);
    }
  });
  const columns = roles.map(([option, col]) => {
    try {
      return numericColumn(table, col);
    } catch (err) {
      if (err instanceof TextSourceError) throw new OptionError(option, err.message);
      throw err;
    }
  });
  // Rows with a missing value in any of the four columns are left out (pandas' dropna).
  const rowsKept = table.rows.map((_, i) => columns.every((c) => Number.isFinite(c[i]!)));
  const idx = rowsKept.flatMap((k, i) => (k ? [i] : []));
  const droppedMissing = table.rows.length - idx.length;
  const [outcome, logCol, binCol, linCol] = columns.map((c) => idx.map((i) => c[i]!)) as [number[], number[], number[], number[]];
  const lineOf = (k: number) => table.lines?.[idx[k]!] ?? idx[k]! + 2;
  const positive = (values: number[], col: string, option: string, flag: string) => {
    const bad = values.findIndex((v) => !(v > 0));
    if (bad >= 0) {
      const count = values.filter((v) => !(v > 0)).length;
      throw new OptionError(option, `"${col}" has ${count} value${count === 1 ? '' : 's'} ≤ 0 (the first on line ${lineOf(bad)}), and a logarithm needs positive values: set ${flag}:false`);
    }
  };
  if (opts.log_outcome) positive(outcome, opts.outcome, 'outcome', 'log_outcome');
  if (opts.log_predictor) positive(logCol, opts.log_column, 'log_column', 'log_predictor');
  const transformed = {
    y: opts.log_outcome ? outcome.map(Math.log) : outcome,
    logX: opts.log_predictor ? logCol.map(Math.log) : logCol,
    bin: binCol.map((v) => (v > opts.threshold ? 1 : 0)),
    linear: linCol,
  };
  if (idx.length < 10) throw new OptionError(sourceOption, `only ${idx.length} rows have all four columns; the regression needs at least 10`);
  const featureDefs = [
    { name: names.y, values: transformed.y, option: 'outcome' },
    { name: names.logX, values: transformed.logX, option: 'log_column' },
    { name: names.linear, values: transformed.linear, option: 'linear_column' },
  ];
  for (const f of featureDefs) {
    if (!(sampleSd(f.values) > 0)) throw new OptionError(f.option, `every row has the same "${f.name}" (${f.values[0]}); a constant cannot be z-scored or fitted`);
  }
  const zBefore = zFeatures(featureDefs);
  const keep = opts.remove_outliers
    ? idx.map((_, i) => zBefore.every((f) => Math.abs(f.values[i]!) <= opts.z_thresh))
    : idx.map(() => true);
  const removedBy = zBefore.map((f) => (opts.remove_outliers ? f.values.filter((v) => Math.abs(v) > opts.z_thresh).length : 0));
  const kept = keep.flatMap((k, i) => (k ? [i] : []));
  const removed = idx.length - kept.length;
  const pick = (v: number[]) => kept.map((i) => v[i]!);
  const y = pick(transformed.y);
  const logX = pick(transformed.logX);
  const bin = pick(transformed.bin);
  const linear = pick(transformed.linear);
  for (const [which, b] of [['', transformed.bin], ['kept ', bin]] as const) {
    const highs = b.filter((v) => v === 1).length;
    if (highs === 0 || highs === b.length) {
      throw new OptionError('threshold', `every ${which}row of "${opts.binary_column}" is ${highs ? 'above' : 'at or below'} ${opts.threshold}, so the split is constant; choose a threshold between ${Math.min(...binCol)} and ${Math.max(...binCol)}`);
    }
  }
  const k = opts.interaction ? 5 : 4;
  if (kept.length < k + 5) {
    throw new OptionError('z_thresh', `only ${kept.length} rows are left after removing outliers at |z| > ${opts.z_thresh}; raise z_thresh or set remove_outliers:false`);
  }
  const zAfter = opts.remove_outliers ? zFeatures(featureDefs.map((f) => ({ name: f.name, values: pick(f.values) }))) : null;
  // The notebook's design: the data frame's columns after dropping the raw ones, in their order.
  const design = [names.linear, names.logX, names.bin, 'Intercept', ...(opts.interaction ? [names.interaction] : [])];
  const X = kept.map((_, i) => [linear[i]!, logX[i]!, bin[i]!, 1, ...(opts.interaction ? [bin[i]! * linear[i]!] : [])]);
  let result: ReturnType<typeof olsSummary>;
  try {
    result = olsSummary(X, y, { names: design, depVar: names.y });
  } catch (err) {
    if (/linearly dependent|rank deficient/.test((err as Error).message)) {
      throw new OptionError('linear_column', `the predictors ${design.join(', ')} are linearly dependent on these rows (one is a combination of the others); choose other columns`);
    }
    throw err;
  }
  const { fit, summary } = result;
  // The notebook's residual is predicted − observed (statsmodels' resid is the opposite sign).
  const residuals = fit.fitted.map((p, i) => p - y[i]!);
  const { bins, range } = autoBins(residuals, { maxBins: 200 });
  const residualHistogram = {
    edges: histogram(residuals, { bins, range }).edges,
    low: histogram(residuals.filter((_, i) => bin[i] === 0), { bins, range }).counts,
    high: histogram(residuals.filter((_, i) => bin[i] === 1), { bins, range }).counts,
  };
  const rawOrder = [1, 3, 0, 2]; // FloorArea, CPI, Price, Interest, as the notebook's pair plot
  const jOf = (col: string) => table.columns.indexOf(col);
  return {
    source: { name: table.name, origin: table.source, citation, rows: table.rows.length, droppedMissing },
    names,
    raw: rawOrder.map((r) => ({ name: roles[r]![1], text: idx.map((i) => table.rows[i]![jOf(roles[r]![1])]!.trim()), values: [outcome, logCol, binCol, linCol][r]! })),
    transformed,
    zBefore,
    zAfter,
    zThresh: opts.z_thresh,
    keep,
    removedBy,
    removed,
    design,
    summary,
    summaryText: olsSummaryText(summary),
    fit: { linear, y, bin, predicted: fit.fitted, residuals },
    slopes: opts.interaction ? { low: fit.beta[0]!, high: fit.beta[0]! + fit.beta[4]! } : null,
    residualHistogram,
  };
}

export async function computeLstsqData(opts: LstsqDataOptions, ctx: Pick<AnalysisContext, 'localFiles' | 'signal' | 'progress'>): Promise<LstsqData> {
  ctx.progress('reading the data');
  const table = await loadTable(opts, ctx);
  const bundled = opts.csv_url === undefined && opts.file === undefined;
  return computeFromTable(table, opts, bundled ? DATASETS['residential-building'].citation : undefined);
}

// The notebook's colours: points [.7,.7,.9,.7], histograms [.7,.9,.7], low/high interest
// [.3,.3,.9,.7] / [.9,.3,.3,.7], predictions black with magenta edges, thresholds [.9,.7,.7].
const POINT = 'rgba(179,179,230,0.7)';
const DIAG = '#b3e6b3';
const LOW = 'rgba(77,77,230,0.75)';
const HIGH = 'rgba(230,77,77,0.85)';
const THRESH = '#e6b3b3';
const f3 = (v: number) => fixed(v, 3);

function sourceLine(d: LstsqData): string {
  const what = d.source.origin === 'url' || d.source.origin === 'file' ? d.source.name : `${d.source.name} (UCI, CC BY 4.0)`;
  return `${what}: ${d.source.rows} rows${d.source.droppedMissing ? `, ${d.source.droppedMissing} with missing values left out` : ''}`;
}

function pairVars(d: LstsqData, which: 'raw' | 'transformed'): PairVariable[] {
  if (which === 'raw') return d.raw.map((r) => ({ name: r.name, values: r.values }));
  return [
    { name: d.names.logX, values: d.transformed.logX },
    { name: d.names.linear, values: d.transformed.linear },
    { name: d.names.y, values: d.transformed.y },
  ];
}

function previewRows(d: LstsqData): { columns: string[]; rows: string[][]; shown: number[] } {
  const n = d.transformed.y.length;
  const shown = n <= 10 ? Array.from({ length: n }, (_, i) => i) : [0, 1, 2, 3, 4, n - 5, n - 4, n - 3, n - 2, n - 1];
  // The notebook's data frame: the four columns as read (F, V, AA, DD), then the new ones.
  const read = [d.names.log, d.names.binary, d.names.linear, d.names.outcome].map((name) => d.raw.find((r) => r.name === name)!);
  const columns = ['', ...read.map((r) => r.name), d.names.y, d.names.logX, d.names.bin];
  const rows = shown.map((i) => [
    String(i),
    ...read.map((r) => r.text[i]!),
    d.transformed.y[i]!.toFixed(6),
    d.transformed.logX[i]!.toFixed(6),
    String(d.transformed.bin[i]),
  ]);
  if (n > 10) rows.splice(5, 0, columns.map(() => '…'));
  return { columns, rows, shown };
}

function boxPanel(features: ZFeature[], title: string, zThresh: number) {
  return {
    title,
    groups: features.map((f) => ({ label: f.name, values: f.values })),
    box: { lineColor: '#ffffff' },
    strip: { jitter: 0.1, alpha: 0.5 },
    xLabel: 'Data feature',
    yLabel: 'Data value (z)',
    hlines: [{ y: zThresh, color: THRESH }, { y: -zThresh, color: THRESH }],
  };
}

type MutableDataset = Record<string, unknown>;

/** The notebook's markers: circles for low, X for high, small black dots with magenta edges for predictions. */
function styleMarkers(config: ReturnType<typeof scatterChart>, kinds: ('low' | 'high' | 'pred')[]): ReturnType<typeof scatterChart> {
  (config.data.datasets as unknown as MutableDataset[]).forEach((ds, i) => {
    const kind = kinds[i];
    if (kind === 'low') Object.assign(ds, { pointStyle: 'circle', pointRadius: 5, backgroundColor: LOW, borderColor: 'rgba(255,255,255,0.8)', pointBorderWidth: 0.75 });
    if (kind === 'high') Object.assign(ds, { pointStyle: 'crossRot', pointRadius: 5.5, backgroundColor: HIGH, borderColor: HIGH, pointBorderWidth: 2.5 });
    if (kind === 'pred') Object.assign(ds, { pointStyle: 'circle', pointRadius: 2.5, backgroundColor: '#000000', borderColor: '#ff00ff', pointBorderWidth: 0.75 });
  });
  return config;
}

function splitBy<T>(values: T[], bin: number[], level: 0 | 1): T[] {
  return values.filter((_, i) => bin[i] === level);
}

export async function renderLstsqData(d: LstsqData, opts: LstsqDataOptions): Promise<Figure[]> {
  const n = d.names;
  const raw = pairVars(d, 'raw');
  const tr = pairVars(d, 'transformed');
  const nAll = d.transformed.y.length;
  const nFit = d.fit.y.length;
  const preview = previewRows(d);
  const s = d.summary;
  const coefLine = s.coefficients.map((c) => `${c.name} ${fixed(c.coef, 4)} (t = ${fixed(c.t, 2)}, ${pText(c.p)})`).join('; ');

  const [pairRaw, dataPreview, pairTr, box, table, modelFit] = await Promise.all([
    pairGrid({ variables: raw, title: `The raw data: pair plot of ${raw.length} variables`, subtitle: sourceLine(d), scatterColor: POINT, diagColor: DIAG }),
    renderTableFigure({
      title: `The data after the transforms (${nAll} rows × ${preview.columns.length - 1} columns)`,
      subtitle: `${n.y} = ln ${n.outcome}${opts.log_outcome ? '' : ' (not logged: log_outcome is off)'} · ${n.logX}${opts.log_predictor ? ` = ln ${n.log}` : ' (not logged)'} · ${n.bin} = 1 where ${n.binary} > ${opts.threshold}`,
      tables: [{
        columns: preview.columns.map((h, j) => ({ header: h, align: 'right' as const, mono: j > 0 })),
        rows: preview.rows,
        footer: nAll > 10 ? `first and last 5 of ${nAll} rows` : undefined,
      }],
    }),
    pairGrid({ variables: tr, title: `After the transforms: pair plot of ${tr.length} variables`, subtitle: `${n.y}, ${n.logX} and ${n.linear} over all ${nAll} rows`, scatterColor: POINT, diagColor: DIAG }),
    renderCategoricalPlots(
      d.zAfter
        ? [
          boxPanel(d.zBefore, `All ${nAll} rows`, d.zThresh),
          boxPanel(d.zAfter, `The ${nFit} rows within |z| ≤ ${d.zThresh}, z-scored again`, d.zThresh),
        ]
        : [boxPanel(d.zBefore, `All ${nAll} rows (outliers kept)`, d.zThresh)],
      {
        title: d.zAfter
          ? `z-scored features with the ±${d.zThresh} outlier thresholds: before and after cleaning (2 panels)`
          : `z-scored features, ±${d.zThresh} thresholds (none removed)`,
        width: d.zAfter ? 1200 : 800,
        panelHeight: 640,
      },
    ),
    renderOlsSummary(s, { subtitle: `${n.y} on ${d.design.filter((x) => x !== 'Intercept').join(', ')} and an intercept · ${nFit} rows` }),
    renderPanels([
      styleMarkers(scatterChart({
        title: '1)  Data and predictions',
        xLabel: n.linear,
        yLabel: n.y,
        series: [
          { label: n.low, x: splitBy(d.fit.linear, d.fit.bin, 0), values: splitBy(d.fit.y, d.fit.bin, 0) },
          { label: n.high, x: splitBy(d.fit.linear, d.fit.bin, 1), values: splitBy(d.fit.y, d.fit.bin, 1) },
          { label: 'Predicted', x: d.fit.linear, values: d.fit.predicted },
        ],
        legend: true,
      }), ['low', 'high', 'pred']),
      styleMarkers(scatterChart({
        title: '2)  Data by predictions',
        xLabel: n.y,
        yLabel: 'Predicted',
        series: [
          { label: n.low, x: splitBy(d.fit.y, d.fit.bin, 0), values: splitBy(d.fit.predicted, d.fit.bin, 0) },
          { label: n.high, x: splitBy(d.fit.y, d.fit.bin, 1), values: splitBy(d.fit.predicted, d.fit.bin, 1) },
        ],
        legend: true,
      }), ['low', 'high']),
      styleMarkers(scatterChart({
        title: '3)  Residuals Plot',
        subtitle: 'residual = predicted − observed, as the notebook computes it',
        xLabel: 'Predicted',
        yLabel: 'Residuals',
        series: [
          { label: n.low, x: splitBy(d.fit.predicted, d.fit.bin, 0), values: splitBy(d.fit.residuals, d.fit.bin, 0) },
          { label: n.high, x: splitBy(d.fit.predicted, d.fit.bin, 1), values: splitBy(d.fit.residuals, d.fit.bin, 1) },
        ],
        legend: true,
      }), ['low', 'high']),
      histogramChart({
        title: '4)  Residuals histograms',
        xLabel: 'Residuals',
        yLabel: 'Count',
        bins: d.residualHistogram.low.length,
        range: [d.residualHistogram.edges[0]!, d.residualHistogram.edges[d.residualHistogram.edges.length - 1]!],
        series: [
          { label: n.low, values: splitBy(d.fit.residuals, d.fit.bin, 0), color: '#4d4de6' },
          { label: n.high, values: splitBy(d.fit.residuals, d.fit.bin, 1), color: '#e64d4d' },
        ],
        legend: true,
      }),
    ], { columns: 2, panelHeight: 420 }),
  ]);

  const lows = d.fit.bin.filter((b) => b === 0).length;
  return [
    {
      name: 'pairplot-raw',
      title: 'Pair plot of the raw data',
      alt: `A ${raw.length}×${raw.length} pair plot of ${raw.map((r) => r.name).join(', ')} over ${nAll} rows: histograms on the diagonal, scatter plots of every pair off it.`,
      png: pairRaw,
    },
    {
      name: 'data-preview',
      title: 'The data with the transformed columns',
      alt: `A table of ${preview.rows.length - (nAll > 10 ? 1 : 0)} of the ${nAll} rows with the columns ${preview.columns.slice(1).join(', ')}.`,
      png: dataPreview,
    },
    {
      name: 'pairplot-transformed',
      title: 'Pair plot after the transforms',
      alt: `A ${tr.length}×${tr.length} pair plot of ${tr.map((v) => v.name).join(', ')} over ${nAll} rows.`,
      png: pairTr,
    },
    {
      name: 'zscore-box',
      title: d.zAfter ? 'z-scored features before and after removing outliers' : 'z-scored features',
      alt: `Box plots with jittered points of the z-scored ${d.zBefore.map((f) => f.name).join(', ')} and dashed lines at ±${d.zThresh}; `
        + `${d.zBefore.map((f, i) => `${f.name} has ${d.removedBy[i]} row${d.removedBy[i] === 1 ? '' : 's'} beyond it`).join(', ')}`
        + (d.zAfter ? `; ${d.removed} rows removed, the right panel shows the ${nFit} rows left, z-scored again.` : '; no rows removed.'),
      png: box,
    },
    {
      name: 'ols-summary',
      title: 'OLS regression results',
      alt: `Regression table of ${n.y} on ${nFit} rows: R² = ${f3(s.r2)}, adjusted R² = ${f3(s.adjR2)}, F(${s.dfModel}, ${s.dfResid}) = ${fixed(s.f, 1)}, ${pText(s.fP)}. Coefficients: ${coefLine}.`,
      png: table,
    },
    {
      name: 'model-fit',
      title: 'Data, predictions and residuals (4 panels)',
      alt: `Four panels over ${nFit} rows (${lows} ${n.low}, ${nFit - lows} ${n.high}): ${n.y} and the predictions against ${n.linear}; predictions against ${n.y}; residuals against predictions; histograms of the residuals for each group.`,
      png: modelFit,
    },
  ];
}

/** The next thing worth trying that differs from this run. */
export function nextTry(opts: LstsqDataOptions): string {
  if (opts.log_outcome && opts.log_predictor) return 'log_outcome:false log_predictor:false';
  if (opts.interaction) return 'interaction:false';
  if (opts.remove_outliers && opts.z_thresh !== 2) return 'z_thresh:2';
  if (opts.remove_outliers) return 'remove_outliers:false';
  return 'log_outcome:true log_predictor:true';
}

export function explainLstsqData(d: LstsqData, opts: LstsqDataOptions): string {
  const s = d.summary;
  const n = d.names;
  const nAll = d.transformed.y.length;
  const nFit = d.fit.y.length;
  const own = d.source.origin === 'url' || d.source.origin === 'file';
  const logged = [opts.log_outcome ? n.outcome : '', opts.log_predictor ? n.log : ''].filter(Boolean);
  const steps = `${logged.length ? `taking the log of ${logged.join(' and ')} and ` : ''}splitting ${n.binary} at ${opts.threshold}`;
  const cleaning = opts.remove_outliers
    ? `removing the ${d.removed} row${d.removed === 1 ? '' : 's'} with a |z| above ${d.zThresh} left ${nFit}`
    : `all ${nFit} rows were kept (remove_outliers is off)`;
  const parts = [
    `${own ? `Your CSV (${d.source.name})` : `The ${d.source.name} data`} has ${nAll} usable rows; after ${steps}, ${cleaning}.`,
    `The model explains R² = ${f3(s.r2)} of the variance of ${n.y} (adjusted ${f3(s.adjR2)}; F(${s.dfModel}, ${s.dfResid}) = ${fixed(s.f, 1)}, ${pText(s.fP)}).`,
  ];
  const ranked = s.coefficients.filter((c) => c.name !== 'Intercept').sort((a, b) => Math.abs(b.t) - Math.abs(a.t));
  const top = ranked[0]!;
  const weakest = ranked[ranked.length - 1]!;
  parts.push(`The largest |t| belongs to ${top.name} (coef ${fixed(top.coef, 4)}, t = ${fixed(top.t, 2)}, ${pText(top.p)}), the smallest to ${weakest.name} (t = ${fixed(weakest.t, 2)}, ${pText(weakest.p)}): a t value is the coefficient in units of its standard error, so it says how sure the estimate is, not how much of the variance the predictor explains.`);
  if (d.slopes) {
    const units = opts.log_outcome ? ` (about ${fixed((Math.exp(d.slopes.low) - 1) * 100, 2)}% vs ${fixed((Math.exp(d.slopes.high) - 1) * 100, 2)}% per unit of ${n.linear})` : '';
    parts.push(`The interaction lets the ${n.linear} slope differ between the groups: ${fixed(d.slopes.low, 4)} for ${n.low} and ${fixed(d.slopes.high, 4)} for ${n.high}${units}.`);
  }
  parts.push(`Try \`/lstsq-data ${nextTry(opts)}\`${own ? ' with the same CSV' : ''} and compare R² and the residual plots.`);
  return parts.join(' ');
}

export const lstsqDataAnalysis: Analysis<typeof Options, LstsqData> = {
  id: 'lstsq-data',
  post: findPost('lstsq-data')!,
  usesModel: false,
  options: Options,
  compute: (opts, ctx) => computeLstsqData(opts, ctx),
  render: (data, opts) => renderLstsqData(data, opts),
  explain: explainLstsqData,
  figureData: (d) => {
    const histograms = (vars: PairVariable[]) => pairGridData({ variables: vars }).variables.map((v) => ({ name: v.name, bin_edges: v.histogram.edges, counts: v.histogram.counts }));
    const zData = (fs: ZFeature[]) => fs.map((f) => ({
      feature: f.name, mean_before_z: f.mean, sd_before_z: f.sd,
      q1: f.box.q1, median: f.box.median, q3: f.box.q3, whisker_low: f.box.whiskerLow, whisker_high: f.box.whiskerHigh,
      fliers: f.box.fliers, z: f.values,
    }));
    const preview = previewRows(d);
    return {
      'pairplot-raw': { source: sourceLine(d), citation: d.source.citation ?? null, variables: d.raw.map((r) => ({ name: r.name, values: r.values })), histograms: histograms(pairVars(d, 'raw')) },
      'data-preview': { columns: preview.columns.slice(1), rows_shown: preview.shown, rows: preview.rows.filter((r) => r[0] !== '…').map((r) => r.slice(1)), total_rows: d.transformed.y.length },
      'pairplot-transformed': { variables: pairVars(d, 'transformed').map((v) => ({ name: v.name, values: Array.from(v.values) })), histograms: histograms(pairVars(d, 'transformed')) },
      'zscore-box': {
        z_thresh: d.zThresh,
        removed_rows: d.removed,
        removed_by_feature: Object.fromEntries(d.zBefore.map((f, i) => [f.name, d.removedBy[i]])),
        kept: d.keep,
        before: zData(d.zBefore),
        after: d.zAfter ? zData(d.zAfter) : null,
      },
      'ols-summary': {
        dependent: d.summary.depVar,
        design_columns: d.design,
        n: d.summary.n, df_model: d.summary.dfModel, df_resid: d.summary.dfResid,
        r2: d.summary.r2, adj_r2: d.summary.adjR2, f: d.summary.f, f_p: d.summary.fP,
        log_likelihood: d.summary.logLik, aic: d.summary.aic, bic: d.summary.bic,
        coefficients: d.summary.coefficients.map((c) => ({ name: c.name, coef: c.coef, std_err: c.stdErr, t: c.t, p: c.p, ci_low: c.ciLow, ci_high: c.ciHigh })),
        omnibus: d.summary.omnibus, omnibus_p: d.summary.omnibusP, skew: d.summary.skew, kurtosis: d.summary.kurtosis,
        durbin_watson: d.summary.durbinWatson, jarque_bera: d.summary.jarqueBera, jarque_bera_p: d.summary.jarqueBeraP, cond_no: d.summary.condNo,
        text: d.summaryText,
      },
      'model-fit': {
        [d.names.linear]: d.fit.linear,
        [d.names.y]: d.fit.y,
        [d.names.bin]: d.fit.bin,
        predicted: d.fit.predicted,
        residuals_predicted_minus_observed: d.fit.residuals,
        slopes: d.slopes,
        residual_histogram: { bin_edges: d.residualHistogram.edges, [d.names.low]: d.residualHistogram.low, [d.names.high]: d.residualHistogram.high },
      },
    };
  },
};
