// Builders for the chart shapes the notebooks use (matplotlib's scatter, plot, stem, bar, hist,
// twinx), returning plain Chart.js configurations that renderChart or renderPanels draw.
// Generic on purpose: analyses pass numbers and labels, never Chart.js details.
import type { ChartConfiguration, ChartDataset, ScaleOptions } from 'chart.js';
import { colorbarWidth, type Annotation, type OverlayOptions } from './chart-overlays.ts';
import { colorLimits, colormap, finiteExtent, rgbCss, type ColormapName } from './colormaps.ts';
import { seriesColor, theme, withAlpha } from './theme.ts';
import { powerOfTenLabel } from './ticks.ts';

export type { Annotation } from './chart-overlays.ts';

export interface Point {
  x: number;
  y: number;
}

export interface Series {
  label: string;
  /** (x, y) pairs, as objects or tuples… */
  points?: readonly Point[] | readonly (readonly [number, number])[];
  /** …or y values, with x from `x`, the chart's shared `x`, or the index (0, 1, 2, …). */
  values?: ArrayLike<number>;
  x?: ArrayLike<number>;
  /** A palette colour by position when omitted. */
  color?: string;
  dashed?: boolean;
  /** Marker radius in logical px (0 hides markers). */
  pointRadius?: number;
  lineWidth?: number;
  /** 'right' draws the series against the second y axis (twin axes). */
  axis?: 'left' | 'right';
  /** Text beside each point (e.g. token labels on a t-SNE map). */
  pointLabels?: readonly string[];
  /** A third value per point, shown as colour on the chart's `colorScale` (with a colour bar). */
  colorValues?: ArrayLike<number>;
  /** Bars only: one colour per bar (e.g. to mark one category). */
  barColors?: readonly string[];
}

export interface CommonOptions {
  title?: string;
  subtitle?: string;
  xLabel?: string;
  yLabel?: string;
  /** Title of the right-hand y axis (twin axes). */
  y2Label?: string;
  logX?: boolean;
  logY?: boolean;
  xMin?: number;
  xMax?: number;
  yMin?: number;
  yMax?: number;
  /** Shown when more than one series is labelled, unless set. */
  legend?: boolean;
  /** Category names along x (languages, layers as words, tokens); values align with them. */
  categories?: readonly string[];
  /** Shared x for every series given as `values`. */
  x?: ArrayLike<number>;
  annotations?: Annotation[];
  /** Colour map for series with `colorValues`; limits default to the values' range. */
  colorScale?: { colormap: ColormapName; vmin?: number; vmax?: number; label?: string };
}

type Dataset = ChartDataset<'line' | 'bar' | 'scatter'> & Record<string, unknown>;

function fail(builder: string, message: string): never {
  throw new Error(`${builder}: ${message}`);
}

/** A series' points, with non-finite ones dropped and, on log axes, non-positive ones too. */
export function seriesPoints(s: Series, opts: CommonOptions, builder = 'chart'): Point[] {
  let pts: Point[];
  if (s.points) {
    pts = s.points.map((p) => (Array.isArray(p) ? { x: p[0], y: p[1] } : (p as Point)));
  } else if (s.values) {
    const xs = s.x ?? opts.x;
    if (xs && xs.length !== s.values.length) {
      fail(builder, `series "${s.label}" has ${s.values.length} values but ${xs.length} x values`);
    }
    pts = Array.from({ length: s.values.length }, (_, i) => ({ x: xs ? xs[i] : i, y: s.values![i] }));
  } else {
    fail(builder, `series "${s.label}" needs points or values`);
  }
  return pts.filter(
    (p) => Number.isFinite(p.x) && Number.isFinite(p.y) && (!opts.logX || p.x > 0) && (!opts.logY || p.y > 0),
  );
}

function axisTitle(text: string | undefined, color: string = theme.foreground) {
  return { display: Boolean(text), text: text ?? '', color, font: { size: theme.fontSize + 1 } };
}

function linearOrLog(log: boolean | undefined, min?: number, max?: number): ScaleOptions {
  if (!log) return { type: 'linear', min, max } as ScaleOptions;
  return {
    type: 'logarithmic',
    min,
    max,
    // Label only powers of ten and fade the minor grid, as matplotlib's log axes do.
    ticks: { autoSkip: false, maxRotation: 0, callback: (v: string | number) => powerOfTenLabel(Number(v)) },
    grid: {
      color: (c: { tick?: { value: number } }) =>
        c.tick && powerOfTenLabel(c.tick.value) ? theme.grid : 'rgba(255,255,255,0.05)',
    },
  } as unknown as ScaleOptions;
}

interface BuildParts {
  type: 'line' | 'scatter' | 'bar';
  datasets: Dataset[];
  overlays?: OverlayOptions;
  horizontal?: boolean;
  /** Category axis along x (bars, twin axes over languages). */
  categorical?: boolean;
  /** x axis ends at the data (lines, spectra) rather than at the next round tick (scatter). */
  tightX?: boolean;
}

/** The options every builder shares: titles, axes, legend, overlays, colour bar space. */
function build(opts: CommonOptions, parts: BuildParts): ChartConfiguration {
  const right = parts.datasets.some((d) => d.yAxisID === 'y2');
  const labelled = parts.datasets.filter((d) => d.label && !d.label.startsWith('_')).length;
  const colorbar = parts.overlays?.colorbar;
  const valueAxis = parts.horizontal ? 'x' : 'y';
  const indexAxis = parts.horizontal ? 'y' : 'x';
  const scales: Record<string, ScaleOptions> = {
    [indexAxis]: parts.categorical
      ? ({ type: 'category', ticks: { autoSkip: true, maxRotation: 60 } } as ScaleOptions)
      : linearOrLog(parts.horizontal ? opts.logY : opts.logX, opts.xMin, opts.xMax),
    [valueAxis]: linearOrLog(parts.horizontal ? opts.logX : opts.logY, opts.yMin, opts.yMax),
  };
  (scales.x as { title?: unknown }).title = axisTitle(opts.xLabel);
  if (parts.tightX && !parts.categorical) {
    // End the axis at the data, with round ticks inside and no odd end label ("50,256"), as
    // matplotlib does. (Chart.js's bounds: 'data' would start the ticks at the odd minimum.)
    const x = scales.x as { min?: number; max?: number; ticks?: Record<string, unknown> };
    let lo = Infinity;
    let hi = -Infinity;
    for (const d of parts.datasets) {
      for (const p of d.data as Point[]) {
        if (p.x < lo) lo = p.x;
        if (p.x > hi) hi = p.x;
      }
    }
    if (lo < hi) {
      x.min ??= lo;
      x.max ??= hi;
    }
    x.ticks = { ...x.ticks, includeBounds: false };
  }
  (scales.y as { title?: unknown }).title = axisTitle(opts.yLabel);
  if (right) {
    const rightColor = String(parts.datasets.find((d) => d.yAxisID === 'y2')?.borderColor ?? theme.foreground);
    scales.y2 = {
      ...linearOrLog(opts.logY),
      position: 'right',
      title: axisTitle(opts.y2Label, rightColor),
      ticks: { color: rightColor },
      grid: { drawOnChartArea: false }, // one grid only, from the left axis
    } as ScaleOptions;
    const leftColor = String(parts.datasets.find((d) => d.yAxisID !== 'y2')?.borderColor ?? theme.foreground);
    (scales.y as { title?: unknown; ticks?: unknown }).title = axisTitle(opts.yLabel, leftColor);
    (scales.y as { ticks?: unknown }).ticks = { color: leftColor };
  }
  return {
    type: parts.type,
    data: {
      labels: parts.categorical ? [...(opts.categories ?? [])] : undefined,
      datasets: parts.datasets,
    },
    options: {
      indexAxis,
      layout: { padding: { top: 4, left: 8, bottom: 4, right: colorbar ? colorbarWidth + 8 : 16 } },
      scales,
      plugins: {
        title: { display: Boolean(opts.title), text: opts.title ?? '', padding: { top: 6, bottom: 4 } },
        subtitle: { display: Boolean(opts.subtitle), text: opts.subtitle ?? '', padding: { bottom: 8 } },
        legend: {
          display: opts.legend ?? labelled > 1,
          // Names starting with "_" stay out of the legend (matplotlib's convention).
          labels: {
            usePointStyle: true,
            boxWidth: 10,
            boxHeight: 10,
            filter: (item: { text: string }) => !item.text.startsWith('_'),
            // Series order, not draw order (lines draw over bars but the left axis comes first).
            sort: (a: { datasetIndex?: number }, b: { datasetIndex?: number }) => (a.datasetIndex ?? 0) - (b.datasetIndex ?? 0),
          },
        },
        tooltip: { enabled: false },
        labOverlays: { ...parts.overlays, annotations: [...(parts.overlays?.annotations ?? []), ...(opts.annotations ?? [])] },
      },
    },
  } as ChartConfiguration;
}

/** Per-point colours from a series' third value, and the colour bar that explains them. */
function pointColors(series: readonly Series[], opts: CommonOptions, builder: string) {
  const withValues = series.filter((s) => s.colorValues);
  if (!withValues.length) return undefined;
  const scale = opts.colorScale ?? { colormap: 'viridis' as ColormapName };
  const all = withValues.flatMap((s) => Array.from(s.colorValues!));
  const [vmin, vmax] = colorLimits(all, scale);
  const map = colormap(scale.colormap);
  const colorsFor = (s: Series) => {
    if (!s.colorValues) return undefined;
    const n = s.points?.length ?? s.values?.length ?? 0;
    if (s.colorValues.length !== n) fail(builder, `series "${s.label}" has ${n} points but ${s.colorValues.length} colorValues`);
    return Array.from(s.colorValues, (v) => rgbCss(map((v - vmin) / (vmax - vmin))));
  };
  return { colorsFor, colorbar: { colormap: scale.colormap, vmin, vmax, label: scale.label } };
}

function lineDataset(s: Series, i: number, pts: Point[], defaults: { radius: number; showLine: boolean }): Dataset {
  const color = s.color ?? seriesColor(i);
  return {
    label: s.label,
    data: pts,
    borderColor: color,
    backgroundColor: color,
    borderWidth: s.lineWidth ?? theme.lineWidth,
    borderDash: s.dashed ? [7, 5] : undefined,
    pointRadius: s.pointRadius ?? defaults.radius,
    showLine: defaults.showLine,
    // Line-only series get a line swatch in the legend, not a dot; the legend strokes it with
    // the point border width, so that carries the line width.
    ...(defaults.showLine && (s.pointRadius ?? defaults.radius) === 0
      ? { pointStyle: 'line', pointBorderWidth: s.lineWidth ?? theme.lineWidth }
      : { pointStyle: 'circle', pointBorderWidth: 0 }),
    tension: 0,
    yAxisID: s.axis === 'right' ? 'y2' : 'y',
    // Sorted {x, y} numbers can skip Chart.js's parsing pass (big series, e.g. 50k logits).
    // Chart.js then assumes x is sorted (it reads the x range off the ends and binary-searches),
    // so scatter clouds must be parsed or most of their points go missing.
    ...(isStrictlyIncreasing(pts) ? { parsing: false, normalized: true } : {}),
  } as Dataset;
}

/**
 * A line through more points than the figure has pixel columns looks the same when each column
 * keeps only its first, lowest, highest and last point (Chart.js's min-max decimation, which it
 * offers for linear axes only). Zipf overlays of ten books × 20k ranks draw 10× faster.
 */
export function decimateMinMax(pts: Point[], logX = false, columns: number = theme.width): Point[] {
  if (pts.length <= 4 * columns || !isStrictlyIncreasing(pts)) return pts;
  const f = logX ? Math.log : (v: number) => v;
  const x0 = f(pts[0].x);
  const span = f(pts[pts.length - 1].x) - x0 || 1;
  const out: Point[] = [];
  let col = -1;
  let first = 0;
  let lo = 0;
  let hi = 0;
  const flush = (last: number) => {
    // Keep the four in x order, without repeats.
    const keep = [...new Set([first, lo, hi, last])].sort((a, b) => a - b);
    for (const k of keep) out.push(pts[k]);
  };
  for (let i = 0; i < pts.length; i++) {
    const c = Math.min(columns - 1, Math.floor(((f(pts[i].x) - x0) / span) * columns));
    if (c !== col) {
      if (col >= 0) flush(i - 1);
      col = c;
      first = lo = hi = i;
    } else {
      if (pts[i].y < pts[lo].y) lo = i;
      if (pts[i].y > pts[hi].y) hi = i;
    }
  }
  flush(pts.length - 1);
  return out;
}

function isStrictlyIncreasing(pts: readonly Point[]): boolean {
  for (let i = 1; i < pts.length; i++) if (!(pts[i].x > pts[i - 1].x)) return false;
  return true;
}

function labelOverlays(series: readonly Series[], offset = 0): OverlayOptions['pointLabels'] {
  return series.flatMap((s, i) => (s.pointLabels ? [{ datasetIndex: i + offset, labels: s.pointLabels }] : []));
}

export interface ScatterOptions extends CommonOptions {
  series: Series[];
  /** Dashed y = x line across the data (true, or its legend label). */
  identityLine?: boolean | string;
  /** Least-squares line per series, in the series' colour. */
  fitLine?: boolean;
}

/** Points (matplotlib's scatter / plot 'o'), optional identity and fit lines, labels, colour by value. */
export function scatterChart(opts: ScatterOptions): ChartConfiguration {
  const b = 'scatterChart';
  if (!opts.series.length) fail(b, 'series must not be empty');
  const colors = pointColors(opts.series, opts, b);
  const all: Point[] = [];
  const datasets: Dataset[] = opts.series.map((s, i) => {
    const pts = seriesPoints(s, opts, b);
    all.push(...pts);
    const radius = pts.length > 3000 ? 1.5 : theme.pointRadius + 1;
    const ds = lineDataset(s, i, pts, { radius, showLine: false });
    const perPoint = colors?.colorsFor(s);
    if (perPoint) Object.assign(ds, { backgroundColor: perPoint, borderColor: perPoint });
    return ds;
  });
  const pointLabels = labelOverlays(opts.series);
  if (opts.fitLine) {
    opts.series.forEach((s, i) => {
      const pts = seriesPoints(s, opts, b);
      const fit = linearFit(pts);
      if (!fit || pts.length < 2) return;
      const xs = pts.map((p) => p.x);
      const x0 = Math.min(...xs);
      const x1 = Math.max(...xs);
      datasets.push(
        lineDataset({ label: `_fit ${s.label}`, color: s.color ?? seriesColor(i), dashed: true }, i, [
          { x: x0, y: fit.intercept + fit.slope * x0 },
          { x: x1, y: fit.intercept + fit.slope * x1 },
        ], { radius: 0, showLine: true }),
      );
    });
  }
  if (opts.identityLine && all.length) {
    const lo = Math.min(...all.map((p) => Math.min(p.x, p.y)));
    const hi = Math.max(...all.map((p) => Math.max(p.x, p.y)));
    const label = typeof opts.identityLine === 'string' ? opts.identityLine : 'y = x';
    datasets.push(
      lineDataset({ label, color: theme.muted, dashed: true, lineWidth: 1.5 }, 0, [
        { x: lo, y: lo },
        { x: hi, y: hi },
      ], { radius: 0, showLine: true }),
    );
  }
  return build(opts, { type: 'scatter', datasets, overlays: { pointLabels, colorbar: colors?.colorbar } });
}

export interface LineOptions extends CommonOptions {
  series: Series[];
  /** Show point markers on every series (default: only when a series has ≤ 60 points). */
  markers?: boolean;
}

/** Lines (matplotlib's plot): several series, log–log, twin axes via `axis: 'right'`. */
export function lineChart(opts: LineOptions): ChartConfiguration {
  const b = 'lineChart';
  if (!opts.series.length) fail(b, 'series must not be empty');
  if (opts.categories) return categoricalChart(opts, 'line', b);
  const datasets = opts.series.map((s, i) => {
    const pts = seriesPoints(s, opts, b);
    const radius = opts.markers ?? pts.length <= 60 ? theme.pointRadius : 0;
    return lineDataset(s, i, radius ? pts : decimateMinMax(pts, opts.logX), { radius, showLine: true });
  });
  return build(opts, { type: 'line', datasets, tightX: true, overlays: { pointLabels: labelOverlays(opts.series) } });
}

export interface StemOptions extends CommonOptions {
  series: Series[];
  /** Stems start here (default 0). */
  baseline?: number;
  /** Marks one point (by index into the first series, or by x) with a ring, a line and a label. */
  mark?: { index?: number; x?: number; label?: string; color?: string };
}

/** Vertical stems with markers (matplotlib's stem): spectra, logits over the vocabulary. */
export function stemChart(opts: StemOptions): ChartConfiguration {
  const b = 'stemChart';
  if (!opts.series.length) fail(b, 'series must not be empty');
  const all = opts.series.map((s) => seriesPoints(s, opts, b));
  const datasets = opts.series.map((s, i) => {
    // Markers only while they stay distinct; 50k stems read as a filled outline.
    const radius = all[i].length <= 300 ? theme.pointRadius + 0.5 : 0;
    return lineDataset(s, i, all[i], { radius, showLine: false });
  });
  const stems = datasets.map((_, i) => ({ datasetIndex: i, baseline: opts.baseline }));
  const annotations: Annotation[] = [];
  if (opts.mark) {
    const first = all[0];
    const p =
      opts.mark.index !== undefined
        ? opts.series[0].values
          ? { x: (opts.series[0].x ?? opts.x)?.[opts.mark.index] ?? opts.mark.index, y: opts.series[0].values[opts.mark.index] }
          : first[opts.mark.index]
        : first.find((q) => q.x === opts.mark!.x);
    if (!p || !Number.isFinite(p.y)) {
      fail(b, `mark ${opts.mark.index !== undefined ? `index ${opts.mark.index}` : `x ${opts.mark.x}`} is not a point of "${opts.series[0].label}" (${first.length} points)`);
    }
    const color = opts.mark.color ?? theme.highlight;
    annotations.push({ kind: 'vline', x: p.x, color, dashed: true });
    annotations.push({ kind: 'marker', x: p.x, y: p.y, label: opts.mark.label, color });
  }
  return build(opts, {
    type: 'scatter',
    datasets,
    tightX: true,
    overlays: { stems, annotations, pointLabels: labelOverlays(opts.series) },
  });
}

export interface BarOptions extends CommonOptions {
  categories: readonly string[];
  series: Series[];
  /** Bars along y with categories down the side (long token lists, top-k tables). */
  horizontal?: boolean;
  /** Stack the series instead of grouping them. */
  stacked?: boolean;
}

/** Bars over named categories (matplotlib's bar/barh). Series give `values` in category order. */
export function barChart(opts: BarOptions): ChartConfiguration {
  const config = categoricalChart(opts, 'bar', 'barChart');
  if (opts.horizontal) (config.options as { indexAxis?: string }).indexAxis = 'y';
  if (opts.stacked) {
    const scales = config.options!.scales as Record<string, { stacked?: boolean }>;
    scales.x.stacked = true;
    scales.y.stacked = true;
  }
  return config;
}

function categoricalChart(opts: CommonOptions & { series: Series[]; horizontal?: boolean }, type: 'bar' | 'line', b: string) {
  const categories = opts.categories ?? fail(b, 'categories are required');
  if (!opts.series.length) fail(b, 'series must not be empty');
  const datasets = opts.series.map((s, i) => {
    const values = s.values ?? fail(b, `series "${s.label}" needs values (one per category)`);
    if (values.length !== categories.length) {
      fail(b, `series "${s.label}" has ${values.length} values for ${categories.length} categories`);
    }
    if (s.barColors && s.barColors.length !== categories.length) {
      fail(b, `series "${s.label}" has ${s.barColors.length} barColors for ${categories.length} categories`);
    }
    const color = s.color ?? seriesColor(i);
    const kind = s.axis === 'right' && type === 'bar' && opts.series.length > 1 ? 'line' : type;
    return {
      type: kind,
      label: s.label,
      data: Array.from(values),
      borderColor: color,
      backgroundColor: s.barColors ? [...s.barColors] : kind === 'bar' ? withAlpha(color, 0.85) : color,
      borderWidth: kind === 'bar' ? 0 : (s.lineWidth ?? theme.lineWidth),
      borderDash: s.dashed ? [7, 5] : undefined,
      pointRadius: s.pointRadius ?? (kind === 'line' ? theme.pointRadius + 1 : 0),
      yAxisID: s.axis === 'right' ? 'y2' : 'y',
      // Twin-axis bar/line mixes: draw lines above bars.
      order: kind === 'line' ? 0 : 1,
    } as Dataset;
  });
  return build(opts, { type, datasets, categorical: true, horizontal: opts.horizontal });
}

export interface HistogramOptions extends CommonOptions {
  /** Raw values per series; bins are shared so the series compare. */
  series: Series[];
  /** Number of equal-width bins (default 50). */
  bins?: number;
  /** Bin range (default: the finite values' range). */
  range?: [number, number];
  /** Divide by count × bin width so the area is 1 (matplotlib's density=True). */
  density?: boolean;
}

export interface Histogram {
  /** bins + 1 edges. */
  edges: number[];
  counts: number[];
}

/** numpy.histogram with equal bins: values outside `range` and non-finite ones are left out. */
export function histogram(values: ArrayLike<number>, opts: { bins?: number; range?: [number, number]; density?: boolean } = {}): Histogram {
  const bins = opts.bins ?? 50;
  if (!Number.isInteger(bins) || bins < 1 || bins > 10_000) fail('histogram', `bins must be an integer in 1–10000 (got ${bins})`);
  let [lo, hi] = opts.range ?? finiteExtent(values);
  if (!(hi > lo)) [lo, hi] = [lo - 0.5, hi + 0.5];
  const width = (hi - lo) / bins;
  const counts = new Array<number>(bins).fill(0);
  let total = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!(v >= lo && v <= hi)) continue; // also drops NaN
    counts[Math.min(bins - 1, Math.floor((v - lo) / width))]++;
    total++;
  }
  if (opts.density && total > 0) for (let i = 0; i < bins; i++) counts[i] /= total * width;
  return { edges: Array.from({ length: bins + 1 }, (_, i) => lo + i * width), counts };
}


/** Histograms (matplotlib's hist) as filled step outlines, so several distributions overlay. */
export function histogramChart(opts: HistogramOptions): ChartConfiguration {
  const b = 'histogramChart';
  if (!opts.series.length) fail(b, 'series must not be empty');
  const raw = opts.series.map((s) => s.values ?? fail(b, `series "${s.label}" needs raw values`));
  const range = opts.range ?? finiteExtent(raw.flatMap((v) => Array.from(v)));
  const fillAlpha = opts.series.length > 1 ? 0.3 : 0.5;
  const datasets = opts.series.map((s, i) => {
    const { edges, counts } = histogram(raw[i], { bins: opts.bins, range, density: opts.density });
    // Outline: up the first edge, across each bin, down the last edge.
    const pts: Point[] = [{ x: edges[0], y: 0 }, ...counts.map((c, k) => ({ x: edges[k], y: c })), { x: edges[edges.length - 1], y: 0 }];
    const color = s.color ?? seriesColor(i);
    return {
      ...lineDataset(s, i, opts.logY ? pts.filter((p) => p.y > 0) : pts, { radius: 0, showLine: true }),
      stepped: 'before',
      fill: 'origin',
      backgroundColor: withAlpha(color, fillAlpha),
      borderWidth: 1.5,
      pointStyle: 'rect', // legend swatch: the filled area's colour with its outline
      pointBorderWidth: 1.5,
    } as Dataset;
  });
  return build(
    { ...opts, yLabel: opts.yLabel ?? (opts.density ? 'density' : 'count') },
    { type: 'line', datasets, tightX: true },
  );
}

export interface TwinAxesOptions extends CommonOptions {
  left: Series;
  right: Series;
  /** Drawing for each side (default line, line). */
  kinds?: ['line' | 'bar', 'line' | 'bar'];
}

/** Two y scales sharing x (matplotlib's twinx); each axis is coloured like its series. */
export function twinAxesChart(opts: TwinAxesOptions): ChartConfiguration {
  const left: Series = { ...opts.left, axis: 'left', color: opts.left.color ?? seriesColor(0) };
  const right: Series = { ...opts.right, axis: 'right', color: opts.right.color ?? seriesColor(1) };
  const [lk, rk] = opts.kinds ?? ['line', 'line'];
  if (opts.categories) {
    const config = categoricalChart({ ...opts, series: [left, right] }, lk, 'twinAxesChart');
    const ds = config.data.datasets as Dataset[];
    (ds[1] as { type?: string }).type = rk;
    if (rk === 'line') Object.assign(ds[1], { backgroundColor: right.color, borderWidth: theme.lineWidth, pointRadius: theme.pointRadius + 1 });
    (config.options!.plugins!.legend as { display?: boolean }).display = opts.legend ?? true;
    return config;
  }
  if (lk === 'bar' || rk === 'bar') fail('twinAxesChart', 'bars need categories');
  return lineChart({ ...opts, series: [left, right], legend: opts.legend ?? true });
}

/** Least-squares line through points; undefined when x has no spread. */
export function linearFit(pts: readonly Point[]): { slope: number; intercept: number } | undefined {
  const n = pts.length;
  if (n < 2) return undefined;
  let mx = 0;
  let my = 0;
  for (const p of pts) {
    mx += p.x / n;
    my += p.y / n;
  }
  let sxy = 0;
  let sxx = 0;
  for (const p of pts) {
    sxy += (p.x - mx) * (p.y - my);
    sxx += (p.x - mx) ** 2;
  }
  if (sxx === 0) return undefined;
  const slope = sxy / sxx;
  return { slope, intercept: my - slope * mx };
}
