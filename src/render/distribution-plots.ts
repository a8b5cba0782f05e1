// Distributions over named categories, as seaborn draws them on a categorical axis: box plots
// (quartiles, whiskers to the last point within 1.5·IQR, fliers beyond as diamonds) and strip
// plots (every value as a point, jittered sideways), alone or overlaid, with reference lines
// (e.g. outlier thresholds). Plus numpy's 'auto' histogram bins, the rule seaborn's histplot and
// pairplot use, for histogramChart (charts.ts) and the pair grid.
import type { SKRSContext2D } from '@napi-rs/canvas';
import { mulberry32 } from '../analyses/lib/random.ts';
import {
  drawHLine, drawPointClouds, drawSpines, drawTitle, drawXLabel, drawYLabel, drawYTicks, fitText, labelFont, linearScale, paddedExtent,
  tickFont, ticksFor, yTickLabelWidth, type Box,
} from './axes.ts';
import { figureCanvas } from './canvas.ts';
import { ensureFonts } from './fonts.ts';
import { encodeCanvas } from './png.ts';
import { seriesColor, theme, withAlpha } from './theme.ts';

ensureFonts();

/** numpy.percentile's default ('linear'): interpolate between the two nearest order statistics. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  const h = (n - 1) * (p / 100);
  const lo = Math.floor(h);
  const hi = Math.min(n - 1, lo + 1);
  return sorted[lo]! + (h - lo) * (sorted[hi]! - sorted[lo]!);
}

/** The finite values, sorted ascending. */
function sortedFinite(values: ArrayLike<number>): Float64Array {
  const out: number[] = [];
  for (let i = 0; i < values.length; i++) if (Number.isFinite(values[i])) out.push(values[i]!);
  return Float64Array.from(out).sort();
}

export interface BoxStats {
  n: number;
  mean: number;
  q1: number;
  median: number;
  q3: number;
  iqr: number;
  /** Ends of the whiskers: the most extreme values within [q1 − whis·IQR, q3 + whis·IQR]. */
  whiskerLow: number;
  whiskerHigh: number;
  /** Values beyond the whiskers, ascending. */
  fliers: number[];
}

/**
 * matplotlib's boxplot_stats (what seaborn's boxplot draws): quartiles by numpy's linear
 * percentile, whiskers to the furthest values inside whis·IQR of the box, the rest fliers.
 * Non-finite values are left out.
 */
export function boxStats(values: ArrayLike<number>, whis = 1.5): BoxStats {
  const s = sortedFinite(values);
  const n = s.length;
  if (n === 0) return { n, mean: NaN, q1: NaN, median: NaN, q3: NaN, iqr: NaN, whiskerLow: NaN, whiskerHigh: NaN, fliers: [] };
  const q1 = percentile(s, 25);
  const median = percentile(s, 50);
  const q3 = percentile(s, 75);
  const iqr = q3 - q1;
  const loFence = q1 - whis * iqr;
  const hiFence = q3 + whis * iqr;
  let whiskerLow = q1;
  for (let i = 0; i < n; i++) {
    if (s[i]! >= loFence) {
      whiskerLow = Math.min(s[i]!, q1);
      break;
    }
  }
  let whiskerHigh = q3;
  for (let i = n - 1; i >= 0; i--) {
    if (s[i]! <= hiFence) {
      whiskerHigh = Math.max(s[i]!, q3);
      break;
    }
  }
  const fliers = Array.from(s).filter((v) => v < whiskerLow || v > whiskerHigh);
  let sum = 0;
  for (const v of s) sum += v;
  return { n, mean: sum / n, q1, median, q3, iqr, whiskerLow, whiskerHigh, fliers };
}

/**
 * numpy.histogram_bin_edges(values, bins='auto') as numpy 2.4 computes it: the smaller of the
 * Freedman–Diaconis width (but at least half the √n rule's, so at most about 2·√n bins) and the
 * Sturges width; equal bins from the minimum to the maximum. `maxBins` caps the count for drawing.
 */
export function autoBinEdges(values: ArrayLike<number>, opts: { range?: [number, number]; maxBins?: number } = {}): number[] {
  const s = sortedFinite(values);
  let [lo, hi] = opts.range ?? (s.length ? [s[0]!, s[s.length - 1]!] : [0, 1]);
  if (!(hi > lo)) [lo, hi] = [lo - 0.5, hi + 0.5];
  const inRange = opts.range ? s.filter((v) => v >= lo && v <= hi) : s;
  const n = inRange.length;
  let bins = 1;
  if (n > 1) {
    // The widths come from the data's own spread (numpy's _ptp), the count from the range.
    const ptp = inRange[n - 1]! - inRange[0]!;
    const sturges = ptp / (Math.log2(n) + 1);
    const iqr = percentile(inRange, 75) - percentile(inRange, 25);
    const fd = (2 * iqr) / Math.cbrt(n);
    // numpy ≥ 2.1 keeps Freedman–Diaconis from making more than 2·√n bins (long tails).
    const width = Math.min(Math.max(fd, ptp / Math.sqrt(n) / 2), sturges);
    if (width > 0) bins = Math.max(1, Math.ceil((hi - lo) / width));
  }
  bins = Math.min(bins, opts.maxBins ?? 1000);
  return Array.from({ length: bins + 1 }, (_, i) => (i === bins ? hi : lo + ((hi - lo) * i) / bins));
}

/** 'auto' bins as histogramChart takes them: a count and the range they span. */
export function autoBins(values: ArrayLike<number>, opts: { range?: [number, number]; maxBins?: number } = {}): { bins: number; range: [number, number] } {
  const edges = autoBinEdges(values, opts);
  return { bins: edges.length - 1, range: [edges[0]!, edges[edges.length - 1]!] };
}

/**
 * Sideways offsets in [−halfWidth, halfWidth] for n points. With a seed: uniform random draws
 * (seaborn's np.random.uniform jitter), reproducible. Without: a deterministic low-discrepancy
 * sequence (golden-ratio steps), so the same data always give the same picture.
 */
export function jitterOffsets(n: number, halfWidth: number, seed?: number): number[] {
  const rand = seed === undefined ? undefined : mulberry32(seed);
  const step = (Math.sqrt(5) - 1) / 2;
  return Array.from({ length: n }, (_, i) => {
    const u = rand ? rand() : (0.5 + (i + 1) * step) % 1;
    return (2 * u - 1) * halfWidth;
  });
}

/** seaborn's `saturation`: scale a colour's HLS saturation by `prop` (0.75 for boxes). */
export function desaturate(hex: string, prop: number): string {
  const m = /^#([0-9a-f]{6})$/i.exec(hex);
  if (!m) return hex;
  const v = parseInt(m[1]!, 16);
  const [r, g, b] = [(v >> 16) / 255, ((v >> 8) & 255) / 255, (v & 255) / 255];
  const max = Math.max(r, g, b);
  const min = Math.min(r, g, b);
  const l = (max + min) / 2;
  if (max === min) return hex;
  const d = max - min;
  const s = l > 0.5 ? d / (2 - max - min) : d / (max + min);
  let h = max === r ? (g - b) / d + (g < b ? 6 : 0) : max === g ? (b - r) / d + 2 : (r - g) / d + 4;
  h /= 6;
  const s2 = s * prop;
  const q = l < 0.5 ? l * (1 + s2) : l + s2 - l * s2;
  const p = 2 * l - q;
  const hue = (t: number) => {
    let x = t;
    if (x < 0) x += 1;
    if (x > 1) x -= 1;
    if (x < 1 / 6) return p + (q - p) * 6 * x;
    if (x < 1 / 2) return q;
    if (x < 2 / 3) return p + (q - p) * (2 / 3 - x) * 6;
    return p;
  };
  const to = (x: number) => Math.round(x * 255).toString(16).padStart(2, '0');
  return `#${to(hue(h + 1 / 3))}${to(hue(h))}${to(hue(h - 1 / 3))}`;
}

export interface CategoryGroup {
  label: string;
  values: ArrayLike<number>;
  /** Default: the theme palette by position (seaborn colours wide-form columns so). */
  color?: string;
}

export interface BoxStyle {
  /** Box width as a fraction of the category spacing (seaborn: 0.8). */
  width?: number;
  /** Whisker reach in IQRs (1.5). */
  whis?: number;
  /** Median, whiskers, caps and box outline (default the theme's foreground). */
  lineColor?: string;
  /** Fill saturation relative to the group colour (seaborn: 0.75). */
  saturation?: number;
  showFliers?: boolean;
}

export interface StripStyle {
  /** Half-width of the jitter as a fraction of the category spacing (seaborn's jitter=True: 0.1). */
  jitter?: number;
  /** Random jitter from this seed; without it the jitter is deterministic. */
  seed?: number;
  alpha?: number;
  /** Marker radius in logical px. */
  radius?: number;
  edgeColor?: string;
  /** Outline width; 0 draws no outline (default 0.5). */
  edgeWidth?: number;
}

export interface ReferenceLine {
  y: number;
  color?: string;
  dashed?: boolean;
  label?: string;
}

export interface CategoricalPlotOptions {
  groups: CategoryGroup[];
  title?: string;
  subtitle?: string;
  xLabel?: string;
  yLabel?: string;
  /** Box plots (default true). */
  box?: boolean | BoxStyle;
  /** Strip plot of every value over the boxes (default false). */
  strip?: boolean | StripStyle;
  hlines?: ReferenceLine[];
  yMin?: number;
  yMax?: number;
}

/** What a categorical plot shows, per group: the box statistics and where each strip point sits. */
export interface CategoricalPlotData {
  groups: { label: string; color: string; box: BoxStats; jitter?: number[] }[];
  yDomain: [number, number];
}

function fail(message: string): never {
  throw new Error(`categoricalPlot: ${message}`);
}

/** The numbers a categorical plot draws (also what figureData reports). */
export function categoricalPlotData(opts: CategoricalPlotOptions): CategoricalPlotData {
  if (!opts.groups.length) fail('groups must not be empty');
  if (opts.groups.length > 40) fail(`at most 40 groups (got ${opts.groups.length})`);
  const boxStyle: BoxStyle = typeof opts.box === 'object' ? opts.box : {};
  const strip = opts.strip ? (typeof opts.strip === 'object' ? opts.strip : {}) : undefined;
  const all: number[] = [];
  const groups = opts.groups.map((g, i) => {
    for (let k = 0; k < g.values.length; k++) all.push(g.values[k]!);
    return {
      label: g.label,
      color: g.color ?? seriesColor(i),
      box: boxStats(g.values, boxStyle.whis ?? 1.5),
      ...(strip ? { jitter: jitterOffsets(g.values.length, strip.jitter ?? 0.1, strip.seed === undefined ? undefined : strip.seed + i) } : {}),
    };
  });
  for (const h of opts.hlines ?? []) all.push(h.y);
  const [lo, hi] = paddedExtent(all);
  return { groups, yDomain: [opts.yMin ?? lo, opts.yMax ?? hi] };
}

function diamond(ctx: SKRSContext2D, x: number, y: number, r: number): void {
  ctx.beginPath();
  ctx.moveTo(x, y - r);
  ctx.lineTo(x + r * 0.7, y);
  ctx.lineTo(x, y + r);
  ctx.lineTo(x - r * 0.7, y);
  ctx.closePath();
}

/** Draw one categorical plot into `box` (logical px) of a figure canvas. */
export function drawCategoricalPlot(ctx: SKRSContext2D, box: Box, opts: CategoricalPlotOptions, data = categoricalPlotData(opts)): void {
  const showBox = opts.box !== false;
  const boxStyle: BoxStyle = typeof opts.box === 'object' ? opts.box : {};
  const strip = opts.strip ? (typeof opts.strip === 'object' ? opts.strip : {}) : undefined;
  const m = data.groups.length;
  let top = box.y + 10;
  if (opts.title) {
    drawTitle(ctx, opts.title, box.x + box.width / 2, top, box.width - 16);
    top += theme.titleSize + 6;
  }
  if (opts.subtitle) {
    ctx.save();
    ctx.font = `${theme.fontSize - 1}px ${theme.fontFamily}`;
    ctx.fillStyle = theme.muted;
    ctx.textAlign = 'center';
    ctx.textBaseline = 'top';
    ctx.fillText(fitText(ctx, opts.subtitle, box.width - 16), box.x + box.width / 2, top);
    ctx.restore();
    top += theme.fontSize + 8;
  }
  top += 6;
  const probe = linearScale(data.yDomain, [1, 0]);
  const left = box.x + 12 + (opts.yLabel ? theme.fontSize + 10 : 0) + yTickLabelWidth(ctx, probe, 6) + 10;
  const bottom = box.y + box.height - 10 - (opts.xLabel ? theme.fontSize + 12 : 0) - (theme.fontSize + 10);
  const area: Box = { x: left, y: top, width: box.x + box.width - 16 - left, height: bottom - top };
  if (area.width < 40 || area.height < 40) fail(`the panel (${box.width}×${box.height}) is too small to draw into`);
  const y = linearScale(data.yDomain, [area.y + area.height, area.y]);
  const x = linearScale([-0.5, m - 0.5], [area.x, area.x + area.width]);
  const unit = area.width / m;

  drawYTicks(ctx, area, y, { ticks: ticksFor(y, 6), grid: true });
  ctx.save();
  ctx.beginPath();
  ctx.rect(area.x, area.y, area.width, area.height);
  ctx.clip();
  const lineColor = boxStyle.lineColor ?? theme.foreground;
  const halfBox = ((boxStyle.width ?? 0.8) * unit) / 2;
  if (showBox) {
    data.groups.forEach((g, i) => {
      const b = g.box;
      if (!b.n) return;
      const cx = x(i);
      ctx.fillStyle = desaturate(g.color, boxStyle.saturation ?? 0.75);
      const yq3 = y(b.q3);
      const yq1 = y(b.q1);
      ctx.fillRect(cx - halfBox, yq3, 2 * halfBox, Math.max(1, yq1 - yq3));
      ctx.strokeStyle = lineColor;
      ctx.lineWidth = 1.5;
      ctx.strokeRect(cx - halfBox, yq3, 2 * halfBox, Math.max(1, yq1 - yq3));
      ctx.beginPath();
      // Whiskers and caps (caps half the box width, as seaborn's).
      ctx.moveTo(cx, yq3);
      ctx.lineTo(cx, y(b.whiskerHigh));
      ctx.moveTo(cx, yq1);
      ctx.lineTo(cx, y(b.whiskerLow));
      ctx.moveTo(cx - halfBox / 2, y(b.whiskerHigh));
      ctx.lineTo(cx + halfBox / 2, y(b.whiskerHigh));
      ctx.moveTo(cx - halfBox / 2, y(b.whiskerLow));
      ctx.lineTo(cx + halfBox / 2, y(b.whiskerLow));
      ctx.stroke();
      if (boxStyle.showFliers !== false) {
        ctx.fillStyle = theme.muted;
        for (const f of b.fliers) {
          diamond(ctx, cx, y(f), 4);
          ctx.fill();
        }
      }
    });
  }
  ctx.restore();
  if (strip) {
    const alpha = strip.alpha ?? 0.5;
    drawPointClouds(ctx, opts.groups.map((g, i) => {
      const jitter = data.groups[i]!.jitter ?? [];
      return {
        clip: area,
        cloud: {
          x: Float64Array.from({ length: g.values.length }, (_, k) => x(i + jitter[k]!)),
          y: Float64Array.from({ length: g.values.length }, (_, k) => y(g.values[k]!)),
          color: withAlpha(data.groups[i]!.color, alpha),
          radius: strip.radius ?? 3.5,
          edgeColor: (strip.edgeWidth ?? 0.5) > 0 ? withAlpha(strip.edgeColor ?? '#ffffff', alpha) : undefined,
        },
      };
    }));
  }
  ctx.save();
  ctx.beginPath();
  ctx.rect(area.x, area.y, area.width, area.height);
  ctx.clip();
  if (showBox) {
    // Medians last, over the points (the notebook lifts them with zorder).
    ctx.strokeStyle = lineColor;
    ctx.lineWidth = 2.5;
    data.groups.forEach((g, i) => {
      if (!g.box.n) return;
      ctx.beginPath();
      ctx.moveTo(x(i) - halfBox, y(g.box.median));
      ctx.lineTo(x(i) + halfBox, y(g.box.median));
      ctx.stroke();
    });
  }
  ctx.restore();
  for (const h of opts.hlines ?? []) {
    const py = y(h.y);
    drawHLine(ctx, area, py, h.color ?? theme.highlight, h.dashed ?? true);
    if (h.label) {
      ctx.save();
      ctx.font = tickFont;
      ctx.fillStyle = h.color ?? theme.highlight;
      ctx.textAlign = 'right';
      ctx.textBaseline = 'bottom';
      ctx.fillText(h.label, area.x + area.width - 4, py - 3);
      ctx.restore();
    }
  }
  drawSpines(ctx, area);
  // Category labels under each position.
  ctx.save();
  ctx.font = tickFont;
  ctx.fillStyle = theme.foreground;
  ctx.textAlign = 'center';
  ctx.textBaseline = 'top';
  data.groups.forEach((g, i) => ctx.fillText(fitText(ctx, g.label, unit - 4), x(i), area.y + area.height + 6));
  ctx.restore();
  if (opts.xLabel) drawXLabel(ctx, opts.xLabel, area, area.y + area.height + theme.fontSize + 14, labelFont);
  if (opts.yLabel) drawYLabel(ctx, opts.yLabel, area, box.x + 12, labelFont);
}

export interface CategoricalLayout {
  /** Panels per row (default: all in one row, up to 4). */
  columns?: number;
  /** Logical height of each panel (default 640). */
  panelHeight?: number;
  /** Logical figure width (default theme.width). */
  width?: number;
  /** Figure title above the panels. */
  title?: string;
}

/** One PNG with one or more categorical plots side by side (plt.subplots of box/strip plots). */
export async function renderCategoricalPlots(plots: CategoricalPlotOptions[], layout: CategoricalLayout = {}): Promise<Buffer> {
  if (!plots.length || plots.length > 12) fail(`1–12 panels (got ${plots.length})`);
  const columns = layout.columns ?? Math.min(plots.length, 4);
  const width = layout.width ?? theme.width;
  const panelHeight = layout.panelHeight ?? 640;
  if (!(panelHeight >= 200 && panelHeight <= 2000)) fail(`panelHeight must be in 200–2000 px (got ${panelHeight})`);
  if (!(width >= 300 && width <= 4000)) fail(`width must be in 300–4000 px (got ${width})`);
  const titleH = layout.title ? theme.titleSize + 24 : 0;
  const rows = Math.ceil(plots.length / columns);
  const panelWidth = Math.floor(width / columns);
  const { canvas, ctx } = figureCanvas(width, titleH + rows * panelHeight);
  if (layout.title) drawTitle(ctx, layout.title, width / 2, 12, width - 24, `bold ${theme.titleSize + 2}px ${theme.fontFamily}`);
  plots.forEach((p, i) => {
    drawCategoricalPlot(ctx, {
      x: (i % columns) * panelWidth,
      y: titleH + Math.floor(i / columns) * panelHeight,
      width: panelWidth,
      height: panelHeight,
    }, p);
  });
  return encodeCanvas(canvas);
}
