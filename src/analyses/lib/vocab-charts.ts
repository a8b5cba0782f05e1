// Charts of one value per vocabulary entry (50 257 logits, probabilities) that draw in about a
// hundred milliseconds. Chart.js spends ~1.4 s on 50k scatter points (one element and one arc
// each), so the dots are painted by a small plugin as 2-px squares straight onto the canvas, and a
// monotonic relation (logits → softmax) is drawn as its curve through the sorted points, thinned
// to one point per pixel step. (src/render has no fast dense-scatter; this is the smallest one.)
import type { Chart, ChartConfiguration, Plugin } from 'chart.js';
import { lineChart, scatterChart, type Point } from '../../render/charts.ts';
import { theme } from '../../render/theme.ts';
import { formatNumber } from '../../render/ticks.ts';

export interface VocabDotsOptions {
  title: string;
  yLabel: string;
  values: ArrayLike<number>;
  /** One token marked with a ring and a label (the actual or chosen next token). */
  mark?: { id: number; label: string };
  /** Second and later marks (e.g. the top token next to the chosen one). */
  extraMarks?: { id: number; label: string; color?: string }[];
  yMin?: number;
  yMax?: number;
  color?: string;
}

/** Short tick labels ("4e-5", not Chart.js's "4.000000E-5") for probabilities near zero. */
function compactTicks(config: ChartConfiguration, axes: ('x' | 'y')[]): ChartConfiguration {
  const scales = (config.options?.scales ?? {}) as Record<string, { ticks?: Record<string, unknown> }>;
  for (const a of axes) {
    if (!scales[a]) continue;
    scales[a].ticks = { ...scales[a].ticks, callback: (v: string | number) => formatNumber(Number(v)) };
  }
  return config;
}

/** Paints every value as a small square at (index, value), before (under) the annotations. */
function dotsPlugin(values: ArrayLike<number>, color: string): Plugin {
  return {
    id: 'vocabDots',
    beforeDatasetsDraw(chart: Chart) {
      const { ctx, chartArea: a, scales } = chart;
      const x = scales.x;
      const y = scales.y;
      ctx.save();
      ctx.beginPath();
      ctx.rect(a.left, a.top, a.right - a.left, a.bottom - a.top);
      ctx.clip();
      ctx.fillStyle = color;
      // Squares snapped to whole device pixels: no anti-aliased edges, so the PNG stays small and
      // encodes fast (a 50k-dot cloud is mostly noise to deflate).
      const dpr = chart.currentDevicePixelRatio;
      const snap = (v: number) => Math.round(v * dpr) / dpr;
      const size = 3 / dpr; // 3 device pixels, starting one pixel before the point's own
      const offset = 1 / dpr;
      for (let i = 0; i < values.length; i++) {
        const v = values[i];
        if (!Number.isFinite(v)) continue;
        ctx.fillRect(snap(x.getPixelForValue(i)) - offset, snap(y.getPixelForValue(v)) - offset, size, size);
      }
      ctx.restore();
    },
  };
}

/** Values over vocabulary index as a cloud of dots (the notebook's plot(logits, 'h')), one token marked. */
export function vocabDotsChart(o: VocabDotsOptions): ChartConfiguration {
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < o.values.length; i++) {
    const v = o.values[i];
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const marks = [
    ...(o.mark ? [{ ...o.mark, color: theme.highlight }] : []),
    ...(o.extraMarks ?? []).map((m) => ({ ...m, color: m.color ?? theme.palette[5] })),
  ];
  const config = scatterChart({
    title: o.title,
    xLabel: 'Vocab index',
    yLabel: o.yLabel,
    // Two invisible points give the axes their range; the plugin paints the values.
    series: [{ label: '_range', points: [[0, min], [o.values.length, max]], pointRadius: 0 }],
    annotations: marks.map((m) => ({ kind: 'marker' as const, x: m.id, y: o.values[m.id], label: m.label, color: m.color })),
    xMin: 0,
    xMax: o.values.length,
    yMin: o.yMin,
    yMax: o.yMax,
    legend: false,
  });
  config.plugins = [...(config.plugins ?? []), dotsPlugin(o.values, o.color ?? '#8fcf8f')];
  return compactTicks(config, ['y']);
}

/**
 * Points (x[i], y[i]) sorted by x and thinned to at most one per 1/`steps` of the x range — exact
 * for a curve y = f(x) such as softmax against logits, and cheap to draw.
 */
export function curvePoints(x: ArrayLike<number>, y: ArrayLike<number>, steps = 1500): Point[] {
  const order = Array.from({ length: x.length }, (_, i) => i).sort((a, b) => x[a] - x[b]);
  if (!order.length) return [];
  const lo = x[order[0]];
  const span = x[order[order.length - 1]] - lo || 1;
  const out: Point[] = [];
  let lastBin = -1;
  order.forEach((i, k) => {
    const bin = Math.floor(((x[i] - lo) / span) * steps);
    if (bin !== lastBin || k === order.length - 1) {
      out.push({ x: x[i], y: y[i] });
      lastBin = bin;
    }
  });
  return out;
}

export interface CurveOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  x: ArrayLike<number>;
  y: ArrayLike<number>;
  color?: string;
}

/** One quantity of every token against another (softmax vs logits), drawn as their curve. */
export function vocabCurveChart(o: CurveOptions): ChartConfiguration {
  const config = lineChart({
    title: o.title,
    xLabel: o.xLabel,
    yLabel: o.yLabel,
    series: [{ label: 'All tokens', points: curvePoints(o.x, o.y), color: o.color ?? '#b3b3f2', pointRadius: 2 }],
    markers: true,
    legend: false,
  });
  return compactTicks(config, ['x', 'y']);
}
