// What matplotlib does with axvline/axhline/text/annotate/stem/colorbar, as one small Chart.js
// plugin. Its options live in `options.plugins.labOverlays`; charts.ts fills them in.
import type { Chart, ChartType, Plugin } from 'chart.js';
import { colormap, rgbCss, type ColormapName } from './colormaps.ts';
import { theme } from './theme.ts';
import { formatNumber, niceTicks } from './ticks.ts';

interface LineStyle {
  label?: string;
  color?: string;
  dashed?: boolean;
}

/** Marks drawn over a chart, in data coordinates (a category axis counts 0, 1, 2, …). */
export type Annotation =
  | ({ kind: 'vline'; x: number } & LineStyle)
  | ({ kind: 'hline'; y: number } & LineStyle)
  | { kind: 'text'; x: number; y: number; text: string; color?: string; align?: 'left' | 'center' | 'right' }
  /** A highlighted point (ring) with an optional label, e.g. the actual next token's logit. */
  | { kind: 'marker'; x: number; y: number; label?: string; color?: string }
  /** A line of text in the plot's top-left corner, e.g. "r = 0.70". */
  | { kind: 'note'; text: string };

export interface OverlayOptions {
  annotations?: Annotation[];
  /** Text beside each point of a dataset (token labels on a t-SNE map). */
  pointLabels?: { datasetIndex: number; labels: readonly string[] }[];
  /** Draw a dataset as vertical stems from `baseline` (default 0) to each point. */
  stems?: { datasetIndex: number; baseline?: number }[];
  /** Colour bar at the right for points coloured by a third value; needs right layout padding. */
  colorbar?: { colormap: ColormapName; vmin: number; vmax: number; label?: string };
}

declare module 'chart.js' {
  // eslint-disable-next-line @typescript-eslint/no-unused-vars
  interface PluginOptionsByType<TType extends ChartType> {
    labOverlays?: OverlayOptions;
  }
}

/** Space the colour bar needs to the right of the plot, in logical pixels. */
export const colorbarWidth = 96;

const font = (size: number, weight = '') => `${weight} ${size}px ${theme.fontFamily}`.trim();

function optionsOf(chart: Chart): OverlayOptions {
  // The raw options: Chart.js's resolved proxies would re-resolve every label on each read.
  return (chart.config.options?.plugins?.labOverlays ?? {}) as OverlayOptions;
}

export const overlayPlugin: Plugin = {
  id: 'labOverlays',
  beforeDatasetsDraw(chart) {
    const { stems } = optionsOf(chart);
    if (stems?.length) drawStems(chart, stems);
  },
  afterDatasetsDraw(chart) {
    const opts = optionsOf(chart);
    for (const labels of opts.pointLabels ?? []) drawPointLabels(chart, labels.datasetIndex, labels.labels);
    drawAnnotations(chart, opts.annotations ?? []);
    if (opts.colorbar) drawColorbar(chart, opts.colorbar);
  },
};

function clipToChartArea(chart: Chart) {
  const { ctx, chartArea: a } = chart;
  ctx.beginPath();
  ctx.rect(a.left, a.top, a.right - a.left, a.bottom - a.top);
  ctx.clip();
}

function drawStems(chart: Chart, stems: NonNullable<OverlayOptions['stems']>) {
  const { ctx, chartArea: a } = chart;
  for (const { datasetIndex, baseline = 0 } of stems) {
    const meta = chart.getDatasetMeta(datasetIndex);
    if (meta.hidden) continue;
    const yScale = chart.scales[meta.yAxisID ?? 'y'];
    const base = Math.min(a.bottom, Math.max(a.top, yScale.getPixelForValue(baseline)));
    const dataset = chart.data.datasets[datasetIndex] as { borderColor?: unknown; stemWidth?: number };
    ctx.save();
    clipToChartArea(chart);
    ctx.strokeStyle = typeof dataset.borderColor === 'string' ? dataset.borderColor : theme.palette[0];
    const dpr = chart.currentDevicePixelRatio;
    const columns = Math.ceil((a.right - a.left) * dpr);
    if (meta.data.length > columns) {
      // More stems than device pixels (50k vocabulary logits): draw each pixel column's extent
      // once. The same picture as every stem stroked, without a 100k-segment path to rasterise.
      ctx.fillStyle = ctx.strokeStyle;
      const lo = new Float64Array(columns).fill(Infinity);
      const hi = new Float64Array(columns).fill(-Infinity);
      for (const el of meta.data) {
        const c = Math.floor((el.x - a.left) * dpr);
        if (c < 0 || c >= columns || !Number.isFinite(el.y)) continue;
        if (el.y < lo[c]) lo[c] = el.y;
        if (el.y > hi[c]) hi[c] = el.y;
      }
      for (let c = 0; c < columns; c++) {
        if (hi[c] === -Infinity) continue;
        const top = Math.min(lo[c], base);
        ctx.fillRect(a.left + c / dpr, top, 1 / dpr, Math.max(1 / dpr, Math.max(hi[c], base) - top));
      }
    } else {
      ctx.lineWidth = 1.5;
      ctx.beginPath();
      for (const el of meta.data) {
        if (!Number.isFinite(el.y)) continue;
        ctx.moveTo(el.x, base);
        ctx.lineTo(el.x, el.y);
      }
      ctx.stroke();
    }
    ctx.restore();
  }
}

function drawPointLabels(chart: Chart, datasetIndex: number, labels: readonly string[]) {
  const { ctx, chartArea: a } = chart;
  const meta = chart.getDatasetMeta(datasetIndex);
  if (meta.hidden) return;
  ctx.save();
  ctx.font = font(theme.fontSize - 3);
  ctx.fillStyle = theme.foreground;
  ctx.textBaseline = 'bottom';
  meta.data.forEach((el, i) => {
    const text = labels[i];
    if (!text || el.x < a.left || el.x > a.right || el.y < a.top || el.y > a.bottom) return;
    // Flip to the left of the point near the right edge so labels are never cut off.
    const w = ctx.measureText(text).width;
    const right = el.x + 5 + w > chart.width - 2;
    ctx.textAlign = right ? 'right' : 'left';
    ctx.fillText(text, right ? el.x - 5 : el.x + 5, el.y - 3);
  });
  ctx.restore();
}

/** A label on a dark box so it reads over grid lines and data. */
function labelBox(chart: Chart, text: string, x: number, y: number, color: string, align: 'left' | 'right') {
  const { ctx } = chart;
  ctx.font = font(theme.fontSize - 1, 'bold');
  const w = ctx.measureText(text).width;
  const h = theme.fontSize + 6;
  const left = align === 'left' ? x : x - w - 8;
  ctx.fillStyle = 'rgba(23,23,23,0.85)';
  ctx.fillRect(left, y, w + 8, h);
  ctx.fillStyle = color;
  ctx.textAlign = 'left';
  ctx.textBaseline = 'middle';
  ctx.fillText(text, left + 4, y + h / 2);
}

function drawAnnotations(chart: Chart, annotations: Annotation[]) {
  const { ctx, chartArea: a, scales } = chart;
  const x = scales.x;
  const y = scales.y;
  let notes = 0;
  for (const ann of annotations) {
    ctx.save();
    const color = ('color' in ann && ann.color) || theme.highlight;
    ctx.strokeStyle = color;
    ctx.fillStyle = color;
    ctx.lineWidth = 1.5;
    if (ann.kind === 'vline' || ann.kind === 'hline') {
      if (ann.dashed ?? true) ctx.setLineDash([6, 4]);
      const px = ann.kind === 'vline' ? x.getPixelForValue(ann.x) : 0;
      const py = ann.kind === 'hline' ? y.getPixelForValue(ann.y) : 0;
      ctx.save();
      clipToChartArea(chart);
      ctx.beginPath();
      if (ann.kind === 'vline') {
        ctx.moveTo(px, a.top);
        ctx.lineTo(px, a.bottom);
      } else {
        ctx.moveTo(a.left, py);
        ctx.lineTo(a.right, py);
      }
      ctx.stroke();
      ctx.restore();
      ctx.setLineDash([]);
      if (ann.label) {
        if (ann.kind === 'vline') {
          const nearRight = px > a.left + (a.right - a.left) * 0.7;
          labelBox(chart, ann.label, nearRight ? px - 4 : px + 4, a.top + 4, color, nearRight ? 'right' : 'left');
        } else {
          labelBox(chart, ann.label, a.right - 4, py - theme.fontSize - 8, color, 'right');
        }
      }
    } else if (ann.kind === 'marker') {
      const px = x.getPixelForValue(ann.x);
      const py = y.getPixelForValue(ann.y);
      ctx.lineWidth = 2.5;
      ctx.beginPath();
      ctx.arc(px, py, 7, 0, Math.PI * 2);
      ctx.stroke();
      if (ann.label) {
        const nearRight = px > a.left + (a.right - a.left) * 0.7;
        const top = Math.max(a.top + 2, py - theme.fontSize - 18);
        labelBox(chart, ann.label, nearRight ? px - 10 : px + 10, top, color, nearRight ? 'right' : 'left');
      }
    } else if (ann.kind === 'text') {
      ctx.fillStyle = ann.color ?? theme.foreground;
      ctx.font = font(theme.fontSize);
      ctx.textAlign = ann.align ?? 'left';
      ctx.textBaseline = 'middle';
      ctx.fillText(ann.text, x.getPixelForValue(ann.x), y.getPixelForValue(ann.y));
    } else {
      labelBox(chart, ann.text, a.left + 6, a.top + 6 + notes * (theme.fontSize + 10), theme.foreground, 'left');
      notes++;
    }
    ctx.restore();
  }
}

function drawColorbar(chart: Chart, bar: NonNullable<OverlayOptions['colorbar']>) {
  const { ctx, chartArea: a } = chart;
  const map = colormap(bar.colormap);
  const left = a.right + 18;
  const width = 14;
  ctx.save();
  const gradient = ctx.createLinearGradient(0, a.bottom, 0, a.top);
  for (let i = 0; i <= 32; i++) gradient.addColorStop(i / 32, rgbCss(map(i / 32)));
  ctx.fillStyle = gradient;
  ctx.fillRect(left, a.top, width, a.bottom - a.top);
  ctx.strokeStyle = theme.axis;
  ctx.lineWidth = 1;
  ctx.strokeRect(left, a.top, width, a.bottom - a.top);
  ctx.fillStyle = theme.foreground;
  ctx.font = font(theme.fontSize - 2);
  ctx.textAlign = 'left';
  ctx.textBaseline = 'middle';
  const span = bar.vmax - bar.vmin || 1;
  for (const t of niceTicks(bar.vmin, bar.vmax, 5)) {
    const py = a.bottom - ((t - bar.vmin) / span) * (a.bottom - a.top);
    ctx.fillRect(left + width, py - 0.5, 4, 1);
    ctx.fillText(formatNumber(t), left + width + 6, py);
  }
  if (bar.label) {
    ctx.translate(left + colorbarWidth - 24, (a.top + a.bottom) / 2);
    ctx.rotate(Math.PI / 2);
    ctx.textAlign = 'center';
    ctx.fillText(bar.label, 0, 0);
  }
  ctx.restore();
}
