// Plain-canvas axes for the figure kinds Chart.js has no chart type for (pair grids, box and strip
// plots): linear scales with matplotlib's 5% margins, round ticks, spines on the left and bottom
// (the notebooks turn the top and right ones off), axis titles and category labels. Everything is
// in logical pixels; the canvas from figureCanvas is already scaled to the theme's density.
import type { SKRSContext2D } from '@napi-rs/canvas';
import { theme } from './theme.ts';
import { formatNumber, niceTicks } from './ticks.ts';

export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface LinearScale {
  (v: number): number;
  domain: [number, number];
  range: [number, number];
}

/** Maps [d0, d1] onto [r0, r1] (r0 > r1 for a y axis, whose pixels grow downwards). */
export function linearScale(domain: [number, number], range: [number, number]): LinearScale {
  const [d0, d1] = domain;
  const [r0, r1] = range;
  const k = d1 !== d0 ? (r1 - r0) / (d1 - d0) : 0;
  const f = ((v: number) => (d1 !== d0 ? r0 + (v - d0) * k : (r0 + r1) / 2)) as LinearScale;
  f.domain = [d0, d1];
  f.range = [r0, r1];
  return f;
}

/** The finite values' [min, max] widened by `margin` of the span on each side (matplotlib's 5%). */
export function paddedExtent(values: Iterable<number>, margin = 0.05): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (!Number.isFinite(v)) continue;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (lo > hi) return [0, 1];
  if (lo === hi) return [lo - 0.5, hi + 0.5];
  const pad = (hi - lo) * margin;
  return [lo - pad, hi + pad];
}

export const tickFont = `${theme.fontSize - 2}px ${theme.fontFamily}`;
export const labelFont = `bold ${theme.fontSize}px ${theme.fontFamily}`;
export const titleFont = `bold ${theme.titleSize - 2}px ${theme.fontFamily}`;

/** Left and bottom spines of a plot area. */
export function drawSpines(ctx: SKRSContext2D, box: Box): void {
  ctx.save();
  ctx.strokeStyle = theme.axis;
  ctx.lineWidth = 1;
  ctx.beginPath();
  ctx.moveTo(box.x + 0.5, box.y);
  ctx.lineTo(box.x + 0.5, box.y + box.height - 0.5);
  ctx.lineTo(box.x + box.width, box.y + box.height - 0.5);
  ctx.stroke();
  ctx.restore();
}

export interface AxisOptions {
  /** Tick values (default: about `tickCount` round values inside the domain). */
  ticks?: number[];
  tickCount?: number;
  /** Draw the tick labels (false: tick marks only, as inner cells of a pair grid). */
  labels?: boolean;
  /** Faint grid lines across the plot area at each tick. */
  grid?: boolean;
}

/** Round ticks inside a scale's domain. */
export function ticksFor(scale: LinearScale, count = 5): number[] {
  const [a, b] = scale.domain;
  return niceTicks(Math.min(a, b), Math.max(a, b), count);
}

/** Tick marks (and labels) along the bottom of `box` for a horizontal scale. */
export function drawXTicks(ctx: SKRSContext2D, box: Box, scale: LinearScale, opts: AxisOptions = {}): void {
  const ticks = opts.ticks ?? ticksFor(scale, opts.tickCount);
  const bottom = box.y + box.height;
  ctx.save();
  ctx.strokeStyle = theme.axis;
  ctx.fillStyle = theme.foreground;
  ctx.font = tickFont;
  ctx.textAlign = 'center';
  ctx.textBaseline = 'top';
  ctx.lineWidth = 1;
  for (const t of ticks) {
    const x = Math.round(scale(t)) + 0.5;
    if (x < box.x - 0.5 || x > box.x + box.width + 0.5) continue;
    if (opts.grid) {
      ctx.strokeStyle = theme.grid;
      ctx.beginPath();
      ctx.moveTo(x, box.y);
      ctx.lineTo(x, bottom);
      ctx.stroke();
      ctx.strokeStyle = theme.axis;
    }
    ctx.beginPath();
    ctx.moveTo(x, bottom);
    ctx.lineTo(x, bottom + 4);
    ctx.stroke();
    if (opts.labels ?? true) ctx.fillText(formatNumber(t), x, bottom + 6);
  }
  ctx.restore();
}

/** Tick marks (and labels) along the left of `box` for a vertical scale. */
export function drawYTicks(ctx: SKRSContext2D, box: Box, scale: LinearScale, opts: AxisOptions = {}): void {
  const ticks = opts.ticks ?? ticksFor(scale, opts.tickCount);
  ctx.save();
  ctx.strokeStyle = theme.axis;
  ctx.fillStyle = theme.foreground;
  ctx.font = tickFont;
  ctx.textAlign = 'right';
  ctx.textBaseline = 'middle';
  ctx.lineWidth = 1;
  for (const t of ticks) {
    const y = Math.round(scale(t)) + 0.5;
    if (y < box.y - 0.5 || y > box.y + box.height + 0.5) continue;
    if (opts.grid) {
      ctx.strokeStyle = theme.grid;
      ctx.beginPath();
      ctx.moveTo(box.x, y);
      ctx.lineTo(box.x + box.width, y);
      ctx.stroke();
      ctx.strokeStyle = theme.axis;
    }
    ctx.beginPath();
    ctx.moveTo(box.x - 4, y);
    ctx.lineTo(box.x, y);
    ctx.stroke();
    if (opts.labels ?? true) ctx.fillText(formatNumber(t), box.x - 6, y);
  }
  ctx.restore();
}

/** Width of the widest tick label a vertical axis would draw (to size the left margin). */
export function yTickLabelWidth(ctx: SKRSContext2D, scale: LinearScale, count = 5): number {
  ctx.save();
  ctx.font = tickFont;
  const w = Math.max(0, ...ticksFor(scale, count).map((t) => ctx.measureText(formatNumber(t)).width));
  ctx.restore();
  return w;
}

/** Text, cut with an ellipsis to `max` logical px. */
export function fitText(ctx: SKRSContext2D, text: string, max: number): string {
  if (ctx.measureText(text).width <= max) return text;
  let lo = 0;
  let hi = text.length;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (ctx.measureText(text.slice(0, mid) + '…').width <= max) lo = mid;
    else hi = mid - 1;
  }
  return text.slice(0, lo) + '…';
}

/** An axis title centred under a box (x) at `y`. */
export function drawXLabel(ctx: SKRSContext2D, text: string, box: Box, y: number, font = labelFont): void {
  ctx.save();
  ctx.fillStyle = theme.foreground;
  ctx.font = font;
  ctx.textAlign = 'center';
  ctx.textBaseline = 'top';
  ctx.fillText(fitText(ctx, text, box.width + 20), box.x + box.width / 2, y);
  ctx.restore();
}

/** An axis title rotated along the left of a box, its baseline at `x`. */
export function drawYLabel(ctx: SKRSContext2D, text: string, box: Box, x: number, font = labelFont): void {
  ctx.save();
  ctx.fillStyle = theme.foreground;
  ctx.font = font;
  ctx.translate(x, box.y + box.height / 2);
  ctx.rotate(-Math.PI / 2);
  ctx.textAlign = 'center';
  ctx.textBaseline = 'top';
  ctx.fillText(fitText(ctx, text, box.height + 20), 0, 0);
  ctx.restore();
}

/** A title centred above a box. */
export function drawTitle(ctx: SKRSContext2D, text: string, centerX: number, y: number, maxWidth: number, font = titleFont): void {
  ctx.save();
  ctx.fillStyle = theme.foreground;
  ctx.font = font;
  ctx.textAlign = 'center';
  ctx.textBaseline = 'top';
  ctx.fillText(fitText(ctx, text, maxWidth), centerX, y);
  ctx.restore();
}

/** A horizontal reference line across a plot area (matplotlib's axhline), clipped to it. */
export function drawHLine(ctx: SKRSContext2D, box: Box, y: number, color: string, dashed = true): void {
  if (y < box.y || y > box.y + box.height) return;
  ctx.save();
  ctx.strokeStyle = color;
  ctx.lineWidth = 1.5;
  if (dashed) ctx.setLineDash([6, 4]);
  ctx.beginPath();
  ctx.moveTo(box.x, y);
  ctx.lineTo(box.x + box.width, y);
  ctx.stroke();
  ctx.restore();
}

/** A one-line legend: an optional title, then a dot and a label per item, right-aligned at (right, y). */
export function drawLegendRow(ctx: SKRSContext2D, items: { label: string; color: string }[], right: number, y: number, title?: string): void {
  ctx.save();
  ctx.font = `${theme.fontSize - 1}px ${theme.fontFamily}`;
  ctx.textBaseline = 'middle';
  ctx.textAlign = 'left';
  const widths = items.map((it) => ctx.measureText(it.label).width + 30);
  const titleW = title ? ctx.measureText(`${title}:`).width + 10 : 0;
  let x = right - widths.reduce((a, b) => a + b, 0) - titleW;
  if (title) {
    ctx.fillStyle = theme.muted;
    ctx.fillText(`${title}:`, x, y);
    x += titleW;
  }
  items.forEach((it, i) => {
    ctx.fillStyle = it.color;
    ctx.beginPath();
    ctx.arc(x + 6, y, 5, 0, Math.PI * 2);
    ctx.fill();
    ctx.fillStyle = theme.foreground;
    ctx.fillText(it.label, x + 16, y);
    x += widths[i]!;
  });
  ctx.restore();
}

/** [r, g, b, a] (0–255, alpha 0–1) of '#rrggbb', '#rgb', 'rgb(…)' or 'rgba(…)'. */
export function parseColor(css: string): [number, number, number, number] {
  const hex = /^#([0-9a-f]{3}|[0-9a-f]{6})$/i.exec(css.trim());
  if (hex) {
    const h = hex[1]!.length === 3 ? hex[1]!.replace(/./g, (c) => c + c) : hex[1]!;
    const v = parseInt(h, 16);
    return [v >> 16, (v >> 8) & 255, v & 255, 1];
  }
  const m = /^rgba?\(([^)]+)\)$/i.exec(css.trim());
  if (m) {
    const p = m[1]!.split(',').map((s) => Number(s.trim()));
    return [p[0] ?? 0, p[1] ?? 0, p[2] ?? 0, p[3] ?? 1];
  }
  throw new Error(`parseColor: unsupported colour "${css}"`);
}

export interface PointCloud {
  /** Logical coordinates of each point (already through the scales). */
  x: ArrayLike<number>;
  y: ArrayLike<number>;
  /** One colour for all, or per point (undefined skips the point). */
  color: string | ((i: number) => string | undefined);
  /** Radius in logical px. */
  radius: number;
  /** A thin outline (seaborn draws white marker edges). */
  edgeColor?: string;
}

/**
 * Many markers fast: the disks are blended into the canvas's pixels in JavaScript (source-over,
 * antialiased edge) instead of one skia path per point, which takes ~15 µs a point; a pair grid
 * of the Seoul Bike data has 175,000 of them. Each cloud changes only pixels inside its `clip`
 * (logical px); all clouds share one read and one write of the pixels.
 */
export function drawPointClouds(ctx: SKRSContext2D, clouds: { clip: Box; cloud: PointCloud }[]): void {
  if (!clouds.length) return;
  const dpr = theme.pixelRatio;
  const X0 = Math.max(0, Math.floor(Math.min(...clouds.map((c) => c.clip.x)) * dpr));
  const Y0 = Math.max(0, Math.floor(Math.min(...clouds.map((c) => c.clip.y)) * dpr));
  const X1 = Math.min(ctx.canvas.width, Math.ceil(Math.max(...clouds.map((c) => c.clip.x + c.clip.width)) * dpr));
  const Y1 = Math.min(ctx.canvas.height, Math.ceil(Math.max(...clouds.map((c) => c.clip.y + c.clip.height)) * dpr));
  const W = X1 - X0;
  const H = Y1 - Y0;
  if (W <= 0 || H <= 0) return;
  const img = ctx.getImageData(X0, Y0, W, H);
  const px = img.data;
  const colors = new Map<string, [number, number, number, number]>();
  const rgbaOf = (c: string) => {
    let v = colors.get(c);
    if (!v) {
      v = parseColor(c);
      colors.set(c, v);
    }
    return v;
  };
  const blend = (o: number, c: [number, number, number, number], a: number) => {
    px[o] = px[o]! + (c[0] - px[o]!) * a;
    px[o + 1] = px[o + 1]! + (c[1] - px[o + 1]!) * a;
    px[o + 2] = px[o + 2]! + (c[2] - px[o + 2]!) * a;
    px[o + 3] = 255;
  };
  for (const { clip, cloud } of clouds) {
    // The clip in the pixel block's coordinates.
    const cx0 = Math.max(0, Math.floor(clip.x * dpr) - X0);
    const cy0 = Math.max(0, Math.floor(clip.y * dpr) - Y0);
    const cx1 = Math.min(W, Math.ceil((clip.x + clip.width) * dpr) - X0);
    const cy1 = Math.min(H, Math.ceil((clip.y + clip.height) * dpr) - Y0);
    const R = cloud.radius * dpr;
    const reach = Math.ceil(R + 1);
    const size = 2 * reach + 1;
    // Coverage of the fill and of the outline ring, per pixel of the marker's square.
    const fill = new Float32Array(size * size);
    const ring = new Float32Array(size * size);
    const edgeW = cloud.edgeColor ? Math.max(0.75, 0.5 * dpr) : 0;
    for (let dy = -reach; dy <= reach; dy++) {
      for (let dx = -reach; dx <= reach; dx++) {
        const d = Math.hypot(dx, dy);
        const k = (dy + reach) * size + (dx + reach);
        fill[k] = Math.max(0, Math.min(1, R + 0.5 - d));
        if (edgeW) ring[k] = fill[k]! * Math.max(0, Math.min(1, d - (R - edgeW) + 0.5));
      }
    }
    const fixed = typeof cloud.color === 'string' ? rgbaOf(cloud.color) : undefined;
    const edge = cloud.edgeColor ? rgbaOf(cloud.edgeColor) : undefined;
    const n = Math.min(cloud.x.length, cloud.y.length);
    for (let i = 0; i < n; i++) {
      const lx = cloud.x[i]!;
      const ly = cloud.y[i]!;
      if (!Number.isFinite(lx) || !Number.isFinite(ly)) continue;
      let c = fixed;
      if (!c) {
        const s = (cloud.color as (i: number) => string | undefined)(i);
        if (s === undefined) continue;
        c = rgbaOf(s);
      }
      const cx = Math.round(lx * dpr - 0.5) - X0;
      const cy = Math.round(ly * dpr - 0.5) - Y0;
      for (let dy = -reach; dy <= reach; dy++) {
        const yy = cy + dy;
        if (yy < cy0 || yy >= cy1) continue;
        for (let dx = -reach; dx <= reach; dx++) {
          const xx = cx + dx;
          if (xx < cx0 || xx >= cx1) continue;
          const k = (dy + reach) * size + (dx + reach);
          const f = fill[k]!;
          if (f <= 0) continue;
          const o = (yy * W + xx) * 4;
          blend(o, c, f * c[3]);
          if (edge && ring[k]! > 0) blend(o, edge, ring[k]! * edge[3]);
        }
      }
    }
  }
  ctx.putImageData(img, X0, Y0);
}

/** One point cloud (see drawPointClouds). */
export function drawPointCloud(ctx: SKRSContext2D, clip: Box, cloud: PointCloud): void {
  drawPointClouds(ctx, [{ clip, cloud }]);
}
