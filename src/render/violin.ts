// Violin plots (matplotlib's violinplot): for each group, a density drawn mirrored about the
// group's position, a vertical bar from the minimum to the maximum and short lines at both
// extrema. The densities come in already estimated (src/analyses/lib/kde.ts violinStats), so
// the numbers behind the figure are the analysis's; this module only draws them. Built on the
// scatter builder so axes, titles and fonts match every other chart, and composes in panels.
import type { Chart, ChartConfiguration, Plugin } from 'chart.js';
import { scatterChart, type CommonOptions } from './charts.ts';
import { seriesColor, theme, withAlpha } from './theme.ts';

export interface Violin {
  /** Centre on the x axis (matplotlib's `positions`). */
  position: number;
  /** Ascending values where the density was evaluated. */
  y: readonly number[];
  /** Density at each `y` (any scale: each violin is scaled to its own maximum). */
  density: readonly number[];
  /** Extrema of the sample: the bar runs between them, with a short line at each. */
  min: number;
  max: number;
  /** A line across the body at the median (matplotlib's showmedians). */
  median?: number;
  /** Body colour (default: the palette by index). */
  color?: string;
  /** Tick label under the violin (default: the position). */
  label?: string;
}

export interface ViolinOptions extends Pick<CommonOptions, 'title' | 'subtitle' | 'xLabel' | 'yLabel' | 'xMin' | 'xMax' | 'yMin' | 'yMax'> {
  violins: Violin[];
  /** Full width of the widest part of each body, in x units (matplotlib's `widths`, default 0.5). */
  width?: number;
  /** Body opacity (matplotlib's default is 0.3; the DS notebooks often set 1). */
  bodyAlpha?: number;
  /** Colours of the extrema bar and lines (default a light grey for all three). */
  lineColors?: { bar?: string; min?: string; max?: string; median?: string };
  /** Value-axis ticks at these values with these labels (e.g. a square-root axis labelled in squares). */
  yTicks?: readonly { value: number; label: string }[];
}

export interface ViolinOutline {
  /** Closed polygon in data coordinates: up the right side, down the left. */
  polygon: { x: number; y: number }[];
  /** Half the body's width at each y (x units). */
  halfWidths: number[];
}

function fail(message: string): never {
  throw new Error(`violinChart: ${message}`);
}

function validate(v: Violin, i: number): void {
  if (!Number.isFinite(v.position)) fail(`violin ${i} has no finite position`);
  if (!v.y.length || v.y.length !== v.density.length) fail(`violin ${i} has ${v.y.length} y values for ${v.density.length} densities`);
  for (let k = 0; k < v.y.length; k++) {
    if (!Number.isFinite(v.y[k]) || !Number.isFinite(v.density[k]) || v.density[k] < 0) fail(`violin ${i}: point ${k} is not a finite, non-negative density`);
    if (k && !(v.y[k] > v.y[k - 1])) fail(`violin ${i}: y must be strictly increasing`);
  }
  if (!(v.max >= v.min)) fail(`violin ${i}: max (${v.max}) is below min (${v.min})`);
}

/**
 * The body of one violin: half-widths proportional to the density, the widest `width / 2`
 * (matplotlib: `0.5 * widths * density / density.max()`). A flat density gives a rectangle.
 */
export function violinOutline(v: Violin, width = 0.5): ViolinOutline {
  const peak = Math.max(...v.density);
  const halfWidths = v.density.map((d) => (peak > 0 ? (0.5 * width * d) / peak : 0));
  const right = v.y.map((y, k) => ({ x: v.position + halfWidths[k], y }));
  const left = v.y.map((y, k) => ({ x: v.position - halfWidths[k], y })).reverse();
  return { polygon: [...right, ...left], halfWidths };
}

/** A violin plot as a Chart.js configuration (renderChart or renderPanels draw it). */
export function violinChart(opts: ViolinOptions): ChartConfiguration {
  if (!opts.violins.length) fail('violins must not be empty');
  opts.violins.forEach(validate);
  const width = opts.width ?? 0.5;
  if (!(width > 0)) fail(`width must be positive (got ${width})`);
  const alpha = opts.bodyAlpha ?? 0.3;
  const positions = opts.violins.map((v) => v.position);
  const lo = Math.min(...positions);
  const hi = Math.max(...positions);
  // An invisible series spans the data, so the value axis fits the violins; x has room for the bodies.
  const span = opts.violins.flatMap((v) => [
    { x: v.position, y: Math.min(v.min, v.y[0]) },
    { x: v.position, y: Math.max(v.max, v.y[v.y.length - 1]) },
  ]);
  const config = scatterChart({
    ...opts,
    xMin: opts.xMin ?? lo - Math.max(1, width),
    xMax: opts.xMax ?? hi + Math.max(1, width),
    series: [{ label: '_extent', points: span, pointRadius: 0 }],
    legend: false,
  });
  const scales = config.options!.scales as Record<string, Record<string, unknown>>;
  const labels = new Map(opts.violins.map((v) => [v.position, v.label ?? String(v.position)]));
  scales.x.afterBuildTicks = (scale: { ticks: { value: number }[] }) => {
    scale.ticks = positions.map((value) => ({ value }));
  };
  scales.x.ticks = { ...(scales.x.ticks as object), callback: (value: number | string) => labels.get(Number(value)) ?? '' };
  if (opts.yTicks?.length) {
    const yTicks = opts.yTicks;
    const yLabels = new Map(yTicks.map((t) => [t.value, t.label]));
    // The axis spans the given ticks too (a tick outside the axis would be drawn off the plot).
    const values = yTicks.map((t) => t.value);
    const lo = opts.yMin ?? Math.min(...values, ...span.map((p) => p.y));
    const hi = opts.yMax ?? Math.max(...values, ...span.map((p) => p.y));
    Object.assign(scales.y, { min: lo, max: hi });
    scales.y.afterBuildTicks = (scale: { ticks: { value: number }[] }) => {
      scale.ticks = values.filter((v) => v >= lo && v <= hi).map((value) => ({ value }));
    };
    scales.y.ticks = { ...(scales.y.ticks as object), callback: (value: number | string) => yLabels.get(Number(value)) ?? '' };
  }
  config.plugins = [...(config.plugins ?? []), violinPlugin(opts.violins, width, alpha, opts.lineColors)];
  return config;
}

function violinPlugin(violins: readonly Violin[], width: number, alpha: number, lines: ViolinOptions['lineColors'] = {}): Plugin {
  const lineColor = withAlpha('#d0d0d0', 0.8);
  return {
    id: 'labViolins',
    beforeDatasetsDraw(chart: Chart) {
      const { ctx, chartArea: a, scales } = chart;
      const px = (x: number) => scales.x.getPixelForValue(x);
      const py = (y: number) => scales.y.getPixelForValue(y);
      ctx.save();
      ctx.beginPath();
      ctx.rect(a.left, a.top, a.right - a.left, a.bottom - a.top);
      ctx.clip();
      violins.forEach((v, i) => {
        const color = v.color ?? seriesColor(i);
        const { polygon } = violinOutline(v, width);
        ctx.fillStyle = withAlpha(color, alpha);
        ctx.strokeStyle = color;
        ctx.lineWidth = 1;
        ctx.beginPath();
        polygon.forEach((p, k) => (k ? ctx.lineTo(px(p.x), py(p.y)) : ctx.moveTo(px(p.x), py(p.y))));
        ctx.closePath();
        ctx.fill();
        ctx.stroke();
      });
      // Extrema bar and lines over the bodies (matplotlib draws its line collections on top).
      ctx.lineWidth = 1.5;
      const segment = (x0: number, y0: number, x1: number, y1: number, color: string) => {
        ctx.strokeStyle = color;
        ctx.beginPath();
        ctx.moveTo(px(x0), py(y0));
        ctx.lineTo(px(x1), py(y1));
        ctx.stroke();
      };
      for (const v of violins) {
        const q = width / 4;
        segment(v.position, v.min, v.position, v.max, lines.bar ?? lineColor);
        segment(v.position - q, v.min, v.position + q, v.min, lines.min ?? lineColor);
        segment(v.position - q, v.max, v.position + q, v.max, lines.max ?? lineColor);
        if (v.median !== undefined) segment(v.position - q, v.median, v.position + q, v.median, lines.median ?? theme.foreground);
      }
      ctx.restore();
    },
  };
}
