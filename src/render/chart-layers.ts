// Layers added onto the charts that charts.ts builds, for what matplotlib draws with errorbar,
// plot([x, x], [y0, y1]), fill_between over an x range, a second hist() with its own bins, and
// category tick labels on a numeric axis. Each function takes a configuration and returns it
// with the layer appended (legend entries follow the layer's label; "_"-labels stay out).
import type { ChartConfiguration } from 'chart.js';
import { histogram, scatterChart, type CommonOptions } from './charts.ts';
import { seriesColor, theme, withAlpha } from './theme.ts';
import { formatNumber } from './ticks.ts';

export interface Segment {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

export interface LineStyle {
  /** Legend label; omitted or starting with "_" keeps it out of the legend. */
  label?: string;
  color?: string;
  /** true: dashes; 'dotted': dots (matplotlib's ':'). */
  dashed?: boolean | 'dotted';
  lineWidth?: number;
}

type Dataset = Record<string, unknown>;

function datasets(config: ChartConfiguration): Dataset[] {
  return config.data.datasets as unknown as Dataset[];
}

/**
 * Chart.js draws lower `order` last (on top), and the first dataset on top among equals;
 * matplotlib draws later calls over earlier ones. A falling order per added layer does that.
 */
function overOrder(config: ChartConfiguration): number {
  return -1 - datasets(config).length;
}

function dash(style: LineStyle['dashed'], width: number): number[] | undefined {
  if (style === 'dotted') return [Math.max(1.5, width), Math.max(3, width * 1.6)];
  return style ? [7, 5] : undefined;
}

/** Disjoint straight segments as one dataset (gaps between them), in one colour and style. */
export function withSegments<C extends ChartConfiguration>(config: C, segments: readonly Segment[], style: LineStyle = {}): C {
  const color = style.color ?? seriesColor(datasets(config).length);
  const width = style.lineWidth ?? theme.lineWidth;
  const data: { x: number; y: number | null }[] = [];
  for (const s of segments) {
    if (![s.x0, s.y0, s.x1, s.y1].every(Number.isFinite)) continue;
    if (data.length) data.push({ x: s.x0, y: null });
    data.push({ x: s.x0, y: s.y0 }, { x: s.x1, y: s.y1 });
  }
  datasets(config).push({
    type: 'line',
    label: style.label ?? '_segments',
    data,
    borderColor: color,
    backgroundColor: color,
    borderWidth: width,
    borderDash: dash(style.dashed, width),
    borderCapStyle: style.dashed === 'dotted' ? 'round' : 'butt',
    pointRadius: 0,
    pointHitRadius: 0,
    pointStyle: 'line',
    pointBorderWidth: width,
    showLine: true,
    spanGaps: false,
    fill: false,
    tension: 0,
    yAxisID: 'y',
    order: overOrder(config),
  });
  return config;
}

/** A vertical line at x from y0 to y1 (matplotlib's plot([x, x], [y0, y1]) / axvline with a legend entry). */
export function withVerticalLine<C extends ChartConfiguration>(config: C, x: number, y0: number, y1: number, style: LineStyle = {}): C {
  return withSegments(config, [{ x0: x, y0, x1: x, y1 }], style);
}

/** A filled band over [lo, hi] on x, from `bottom` to `top` on y (fill_between over an x range). */
export function withXSpan<C extends ChartConfiguration>(
  config: C,
  band: { lo: number; hi: number; top: number; bottom?: number; color?: string; label?: string; outline?: string },
): C {
  const bottom = band.bottom ?? 0;
  const fill = band.color ?? withAlpha(theme.palette[2], 0.25);
  datasets(config).push({
    type: 'line',
    label: band.label ?? '_band',
    data: [{ x: band.lo, y: band.top }, { x: band.hi, y: band.top }],
    borderColor: band.outline ?? 'rgba(0,0,0,0)',
    backgroundColor: fill,
    borderWidth: band.outline ? 1.5 : 0,
    pointRadius: 0,
    pointHitRadius: 0,
    pointStyle: 'rect',
    pointBorderWidth: 0,
    showLine: true,
    fill: { value: bottom },
    tension: 0,
    yAxisID: 'y',
    // Bands sit behind the data.
    order: 10,
  });
  return config;
}

/** Another histogram on its own bins (a second plt.hist call), drawn as a filled step outline (stepped 'before': each bin at its own height, see histogramChart). */
export function withHistogram<C extends ChartConfiguration>(
  config: C,
  values: ArrayLike<number>,
  opts: { bins: number; range?: [number, number]; label?: string; color?: string; fillAlpha?: number },
): C {
  const { edges, counts } = histogram(values, { bins: opts.bins, range: opts.range });
  const color = opts.color ?? seriesColor(datasets(config).length);
  const data = [{ x: edges[0], y: 0 }, ...counts.map((c, k) => ({ x: edges[k], y: c })), { x: edges[edges.length - 1], y: 0 }];
  datasets(config).push({
    type: 'line',
    label: opts.label ?? '_histogram',
    data,
    stepped: 'before',
    fill: 'origin',
    borderColor: color,
    backgroundColor: withAlpha(color, opts.fillAlpha ?? 0.4),
    borderWidth: 1.5,
    pointRadius: 0,
    pointHitRadius: 0,
    pointStyle: 'rect',
    pointBorderWidth: 1.5,
    tension: 0,
    yAxisID: 'y',
    order: overOrder(config),
  });
  return config;
}

/** Markers at points (plot 'o' / 's' / 'h') as an extra dataset. */
export function withMarkers<C extends ChartConfiguration>(
  config: C,
  points: readonly { x: number; y: number }[],
  style: { label?: string; color?: string; border?: string; radius?: number; shape?: 'circle' | 'rect' | 'rectRot' | 'triangle' | 'star' } = {},
): C {
  const color = style.color ?? seriesColor(datasets(config).length);
  datasets(config).push({
    type: 'line',
    label: style.label ?? '_markers',
    data: points.filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y)).map((p) => ({ x: p.x, y: p.y })),
    borderColor: style.border ?? color,
    backgroundColor: color,
    borderWidth: style.border ? 1 : 0,
    pointRadius: style.radius ?? theme.pointRadius + 1,
    pointStyle: style.shape ?? 'circle',
    pointBorderWidth: style.border ? 1 : 0,
    showLine: false,
    yAxisID: 'y',
    order: overOrder(config),
  });
  return config;
}

/** Give every dataset of a chart one marker shape (matplotlib's 's', 'h', …). */
export function markerShape<C extends ChartConfiguration>(config: C, shape: 'circle' | 'rect' | 'rectRot' | 'triangle', border?: string): C {
  for (const ds of datasets(config)) {
    if ((ds.pointRadius as number | undefined) === 0) continue;
    ds.pointStyle = shape;
    if (border) Object.assign(ds, { borderColor: border, borderWidth: 1, pointBorderWidth: 1 });
  }
  return config;
}

/** Integer x positions 0 … n−1 labelled by name (matplotlib's xticks=range(n), xticklabels=…), x limits −0.5 … n−0.5. */
export function categoryTicks<C extends ChartConfiguration>(config: C, names: readonly string[], axis: 'x' | 'y' = 'x'): C {
  const scales = config.options!.scales as Record<string, Record<string, unknown>>;
  const scale = scales[axis];
  scale.min = -0.5;
  scale.max = names.length - 0.5;
  scale.afterBuildTicks = (s: { ticks: { value: number }[] }) => {
    s.ticks = names.map((_, i) => ({ value: i }));
  };
  scale.ticks = {
    ...(scale.ticks as object | undefined),
    autoSkip: false,
    callback: (v: string | number) => names[Number(v)] ?? '',
  };
  scale.grid = { display: false };
  return config;
}

/** No tick labels on the y axis (matplotlib's yticks=[]): counts in arbitrary units. */
export function hideYTicks<C extends ChartConfiguration>(config: C): C {
  const y = (config.options!.scales as Record<string, Record<string, unknown>>).y;
  y.ticks = { ...(y.ticks as object | undefined), display: false };
  return config;
}

export interface ErrorBar {
  /** Position along the category axis (default: the bar's index). */
  at?: number;
  center: number;
  lower: number;
  upper: number;
  /** Colour of this bar (default: the chart's `color`). */
  color?: string;
}

export interface ErrorBarOptions extends CommonOptions {
  bars: readonly ErrorBar[];
  /** Bars along x with the intervals horizontal (a forest plot) instead of vertical. */
  horizontal?: boolean;
  color?: string;
  /** Marker fill at each centre. */
  markerColor?: string;
  markerShape?: 'circle' | 'rect' | 'rectRot';
  markerRadius?: number;
  /** Half-width of the end caps in axis units (0: no caps). */
  cap?: number;
  lineWidth?: number;
  label?: string;
}

/** Centres with intervals (matplotlib's errorbar with capsize), vertical or horizontal. */
export function errorBarChart(opts: ErrorBarOptions): ChartConfiguration {
  const color = opts.color ?? theme.palette[0];
  const pos = (b: ErrorBar, i: number) => b.at ?? i;
  const point = (at: number, v: number) => (opts.horizontal ? { x: v, y: at } : { x: at, y: v });
  const config = scatterChart({
    ...opts,
    legend: opts.legend ?? false,
    series: [{ label: '_centres', points: [], color }],
  });
  datasets(config).length = 0;
  const byColor = new Map<string, ErrorBar[]>();
  opts.bars.forEach((b) => {
    const c = b.color ?? color;
    if (!byColor.has(c)) byColor.set(c, []);
    byColor.get(c)!.push(b);
  });
  const index = new Map(opts.bars.map((b, i) => [b, i]));
  const cap = opts.cap ?? 0.1;
  let first = true;
  for (const [c, bars] of byColor) {
    const segs: Segment[] = [];
    for (const b of bars) {
      const at = pos(b, index.get(b)!);
      const lo = point(at, b.lower);
      const hi = point(at, b.upper);
      segs.push({ x0: lo.x, y0: lo.y, x1: hi.x, y1: hi.y });
      if (cap > 0) {
        for (const v of [b.lower, b.upper]) {
          const a = point(at - cap, v);
          const z = point(at + cap, v);
          segs.push({ x0: a.x, y0: a.y, x1: z.x, y1: z.y });
        }
      }
    }
    withSegments(config, segs, { color: c, lineWidth: opts.lineWidth ?? 1.5, label: first && opts.label ? opts.label : '_bars' });
    first = false;
  }
  if (opts.markerColor !== 'none') {
    withMarkers(config, opts.bars.map((b, i) => point(pos(b, i), b.center)), {
      color: opts.markerColor ?? color,
      border: opts.markerColor ? color : undefined,
      radius: opts.markerRadius ?? theme.pointRadius + 2,
      shape: opts.markerShape ?? 'circle',
    });
  }
  return config;
}

/**
 * Label a log axis at 1, 2 and 5 × 10ᵏ (or the given mantissas) instead of only at powers of
 * ten: for ranges under two decades, where powers of ten alone leave one label or none.
 */
export function logTickLabels<C extends ChartConfiguration>(config: C, axis: 'x' | 'y' = 'y', mantissas: readonly number[] = [1, 2, 5]): C {
  const scale = (config.options!.scales as Record<string, Record<string, unknown>>)[axis];
  scale.ticks = {
    ...(scale.ticks as object | undefined),
    callback: (v: string | number) => {
      const value = Number(v);
      if (!(value > 0)) return '';
      const m = value / 10 ** Math.floor(Math.log10(value) + 1e-9);
      return mantissas.some((k) => Math.abs(m - k) < 1e-6) ? formatNumber(value) : '';
    },
  };
  scale.grid = {
    ...(scale.grid as object | undefined),
    color: (c: { tick?: { value: number } }) => {
      const value = c.tick?.value ?? 0;
      const m = value > 0 ? value / 10 ** Math.floor(Math.log10(value) + 1e-9) : 0;
      return mantissas.some((k) => Math.abs(m - k) < 1e-6) ? theme.grid : 'rgba(255,255,255,0.05)';
    },
  };
  return config;
}
