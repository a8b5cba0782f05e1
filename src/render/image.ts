// Matrices as images (matplotlib's imshow + colorbar): embedding matrices, similarity matrices,
// attention patterns, per-layer histograms. Cells are coloured into an ImageData once and scaled
// with nearest-neighbour; larger-than-screen matrices are block-averaged first so no row is lost.
import { createCanvas, type SKRSContext2D } from '@napi-rs/canvas';
import { figureCanvas } from './canvas.ts';
import { colorLimits, colormapLut, contrastingText, type ColormapName } from './colormaps.ts';
import { ensureFonts } from './fonts.ts';
import { encodeCanvas } from './png.ts';
import { theme } from './theme.ts';
import { formatNumber, niceTicks } from './ticks.ts';

ensureFonts();

export interface MatrixOptions {
  /** Row-major values, rows × cols. NaN and ±Infinity (masked attention) draw as empty cells. */
  data: ArrayLike<number>;
  rows: number;
  cols: number;
  /** Default viridis, or bwr when `symmetric`. */
  colormap?: ColormapName;
  vmin?: number;
  vmax?: number;
  /** Colour limits ±max|v| around 0 (diverging maps). */
  symmetric?: boolean;
  title?: string;
  xLabel?: string;
  yLabel?: string;
  /** One label per column / row (tokens); thinned when they would overlap, rotated when long. */
  xTicks?: readonly string[];
  yTicks?: readonly string[];
  /** Numeric extent of the columns / rows (imshow's extent), e.g. histogram bin range. */
  xRange?: [number, number];
  yRange?: [number, number];
  /** Default true. */
  colorbar?: boolean;
  colorbarLabel?: string;
  /** Print each cell's value ('auto': when the cells are big enough to hold it). */
  annotate?: boolean | 'auto';
  /** Row 0 at the top (default, like imshow) or at the bottom. */
  origin?: 'upper' | 'lower';
  /** 'equal' keeps cells square; default 'equal' up to 100×100, else 'auto' (fill the area). */
  aspect?: 'auto' | 'equal';
}

export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

const tickFont = `${theme.fontSize - 2}px ${theme.fontFamily}`;
const labelFont = `${theme.fontSize + 1}px ${theme.fontFamily}`;
const titleFont = `bold ${theme.titleSize}px ${theme.fontFamily}`;
const MAX_CELLS = 50_000_000;

function validate(o: MatrixOptions): void {
  const name = 'renderMatrix';
  for (const key of ['rows', 'cols'] as const) {
    if (!Number.isInteger(o[key]) || o[key] < 1) throw new Error(`${name}: ${key} must be a positive integer (got ${o[key]})`);
  }
  if (o.rows * o.cols > MAX_CELLS) throw new Error(`${name}: rows × cols = ${o.rows * o.cols} is over the ${MAX_CELLS} cell limit`);
  if (o.data.length !== o.rows * o.cols) {
    throw new Error(`${name}: data has ${o.data.length} values, expected rows × cols = ${o.rows} × ${o.cols} = ${o.rows * o.cols}`);
  }
  if (o.xTicks && o.xTicks.length !== o.cols) throw new Error(`${name}: xTicks has ${o.xTicks.length} labels for ${o.cols} columns`);
  if (o.yTicks && o.yTicks.length !== o.rows) throw new Error(`${name}: yTicks has ${o.yTicks.length} labels for ${o.rows} rows`);
  if (o.vmin !== undefined && o.vmax !== undefined && !(o.vmax > o.vmin)) {
    throw new Error(`${name}: vmax (${o.vmax}) must be greater than vmin (${o.vmin})`);
  }
}

/** Tokens can be long or contain newlines: keep tick labels on one short line. */
function tickText(s: string): string {
  const flat = s.replace(/\n/g, '↵').replace(/\t/g, '→');
  return flat.length > 14 ? flat.slice(0, 13) + '…' : flat;
}

/**
 * Average `src` (rows × cols) down to at most maxRows × maxCols cells, ignoring non-finite
 * values (a block of only NaN stays NaN). Returns the input when it already fits.
 */
function blockMean(src: ArrayLike<number>, rows: number, cols: number, maxRows: number, maxCols: number) {
  const r2 = Math.min(rows, Math.max(1, maxRows));
  const c2 = Math.min(cols, Math.max(1, maxCols));
  if (r2 === rows && c2 === cols) return { data: src, rows, cols };
  const sum = new Float64Array(r2 * c2);
  const count = new Uint32Array(r2 * c2);
  for (let r = 0; r < rows; r++) {
    const rr = Math.floor((r * r2) / rows) * c2;
    for (let c = 0; c < cols; c++) {
      const v = src[r * cols + c];
      if (!Number.isFinite(v)) continue;
      const k = rr + Math.floor((c * c2) / cols);
      sum[k] += v;
      count[k]++;
    }
  }
  const out = new Float32Array(r2 * c2);
  for (let k = 0; k < out.length; k++) out[k] = count[k] ? sum[k] / count[k] : NaN;
  return { data: out, rows: r2, cols: c2 };
}

interface Tick {
  /** Position along the axis as a fraction of the image (0 = first edge). */
  at: number;
  text: string;
}

function axisTicks(labels: readonly string[] | undefined, range: [number, number] | undefined, n: number, spacePx: number, minGapPx: number): Tick[] {
  if (labels) {
    const step = Math.max(1, Math.ceil(minGapPx / (spacePx / n)));
    const ticks: Tick[] = [];
    for (let i = 0; i < n; i += step) ticks.push({ at: (i + 0.5) / n, text: tickText(labels[i]) });
    return ticks;
  }
  if (range) {
    const [a, b] = range;
    return niceTicks(Math.min(a, b), Math.max(a, b), Math.max(2, Math.floor(spacePx / 90))).map((v) => ({ at: (v - a) / (b - a), text: formatNumber(v) }));
  }
  // Cell indices, at cell centres, on whole numbers only.
  const values = niceTicks(0, n - 1, Math.max(2, Math.min(n, Math.floor(spacePx / 70)))).filter((v) => Number.isInteger(v));
  return values.map((v) => ({ at: (v + 0.5) / n, text: String(v) }));
}

/** Draw a matrix with its axes and colour bar into `box` (logical px) of a dpr-scaled context. */
export function drawMatrix(ctx: SKRSContext2D, o: MatrixOptions, box: Box, dpr: number = theme.pixelRatio): void {
  validate(o);
  const cmap = o.colormap ?? (o.symmetric ? 'bwr' : 'viridis');
  const [vmin, vmax] = colorLimits(o.data, { vmin: o.vmin, vmax: o.vmax, symmetric: o.symmetric ?? false });
  const lut = colormapLut(cmap);
  const showBar = o.colorbar ?? true;
  const pad = 10;
  const fs = theme.fontSize;

  // Layout, outside in: title, colour bar, y label, y ticks, x ticks, x label.
  ctx.save();
  ctx.font = tickFont;
  const yTickTexts = o.yTicks?.map(tickText) ?? [];
  const yTickWidth = Math.max(ctx.measureText(String(o.rows - 1)).width, ...yTickTexts.map((t) => ctx.measureText(t).width), o.yRange ? ctx.measureText('-0.000').width : 0) + 8;
  const xTickTexts = o.xTicks?.map(tickText) ?? [];
  const xTickMax = Math.max(0, ...xTickTexts.map((t) => ctx.measureText(t).width));
  const barTickWidth = Math.max(...niceTicks(vmin, vmax, 5).map((t) => ctx.measureText(formatNumber(t)).width), 20);
  const top = box.y + pad + (o.title ? theme.titleSize + 12 : 0);
  const left = box.x + pad + (o.yLabel ? fs + 10 : 0) + yTickWidth;
  const barSpace = showBar ? 14 + 16 + 6 + barTickWidth + (o.colorbarLabel ? fs + 12 : 0) + 4 : 0;
  let right = box.x + box.width - pad - barSpace;
  const xLabelSpace = o.xLabel ? fs + 12 : 0;
  // Column labels lie flat when each fits its cell, else stand vertically (tokens on attention maps).
  const flatFits = !o.xTicks || xTickMax + 6 <= (right - left) / o.cols;
  let xTickSpace = flatFits ? fs + 8 : xTickMax + 10;
  let bottom = box.y + box.height - pad - xLabelSpace - xTickSpace;
  let imgW = right - left;
  let imgH = bottom - top;
  if (imgW < 20 || imgH < 20) throw new Error(`renderMatrix: ${box.width}×${box.height} px is too small for the axes and colour bar`);
  let x0 = left;
  let y0 = top;
  const aspect = o.aspect ?? (o.rows <= 100 && o.cols <= 100 ? 'equal' : 'auto');
  if (aspect === 'equal') {
    const cell = Math.min(imgW / o.cols, imgH / o.rows);
    const w = cell * o.cols;
    const h = cell * o.rows;
    x0 += (imgW - w) / 2;
    y0 += (imgH - h) / 2;
    [imgW, imgH] = [w, h];
    right = x0 + imgW;
    bottom = y0 + imgH;
  }

  // The image: block-mean to the device resolution, colour via the LUT, scale up without blur.
  const fit = blockMean(o.data, o.rows, o.cols, Math.round(imgH * dpr), Math.round(imgW * dpr));
  const cells = createCanvas(fit.cols, fit.rows);
  const cellCtx = cells.getContext('2d');
  const pixels = cellCtx.createImageData(fit.cols, fit.rows);
  const px = pixels.data;
  const span = vmax - vmin;
  const surface = parseInt(theme.surface.slice(1), 16);
  const empty = [surface >> 16, (surface >> 8) & 255, surface & 255];
  for (let r = 0; r < fit.rows; r++) {
    const srcRow = (o.origin === 'lower' ? fit.rows - 1 - r : r) * fit.cols;
    for (let c = 0; c < fit.cols; c++) {
      const v = fit.data[srcRow + c];
      const o4 = (r * fit.cols + c) * 4;
      if (Number.isFinite(v)) {
        const k = Math.max(0, Math.min(255, Math.round(((v - vmin) / span) * 255))) * 3;
        px[o4] = lut[k];
        px[o4 + 1] = lut[k + 1];
        px[o4 + 2] = lut[k + 2];
      } else {
        px[o4] = empty[0];
        px[o4 + 1] = empty[1];
        px[o4 + 2] = empty[2];
      }
      px[o4 + 3] = 255;
    }
  }
  cellCtx.putImageData(pixels, 0, 0);
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(cells, x0, y0, imgW, imgH);
  ctx.imageSmoothingEnabled = true;
  ctx.strokeStyle = theme.axis;
  ctx.lineWidth = 1;
  ctx.strokeRect(x0, y0, imgW, imgH);

  const cellW = imgW / o.cols;
  const cellH = imgH / o.rows;
  const annotate = o.annotate === true || (o.annotate !== false && o.rows * o.cols <= 400 && cellW >= 40 && cellH >= 20);
  if (annotate) {
    ctx.font = `${Math.min(fs, Math.floor(cellH * 0.5))}px ${theme.fontFamily}`;
    ctx.textAlign = 'center';
    ctx.textBaseline = 'middle';
    for (let r = 0; r < o.rows; r++) {
      for (let c = 0; c < o.cols; c++) {
        const v = o.data[r * o.cols + c];
        if (!Number.isFinite(v)) continue;
        const k = Math.max(0, Math.min(255, Math.round(((v - vmin) / span) * 255))) * 3;
        ctx.fillStyle = contrastingText([lut[k], lut[k + 1], lut[k + 2]]);
        const row = o.origin === 'lower' ? o.rows - 1 - r : r;
        ctx.fillText(formatNumber(v, 2), x0 + (c + 0.5) * cellW, y0 + (row + 0.5) * cellH);
      }
    }
  }

  // Axes: ticks, labels, title.
  ctx.fillStyle = theme.foreground;
  ctx.font = tickFont;
  const xTicks = axisTicks(o.xTicks, o.xRange, o.cols, imgW, flatFits ? xTickMax + 10 : fs + 2);
  for (const t of xTicks) {
    const x = x0 + t.at * imgW;
    if (x < x0 - 0.5 || x > x0 + imgW + 0.5) continue;
    ctx.fillRect(x - 0.5, bottom, 1, 4);
    if (flatFits) {
      ctx.textAlign = 'center';
      ctx.textBaseline = 'top';
      ctx.fillText(t.text, x, bottom + 6);
    } else {
      ctx.save();
      ctx.translate(x, bottom + 6);
      ctx.rotate(-Math.PI / 2);
      ctx.textAlign = 'right';
      ctx.textBaseline = 'middle';
      ctx.fillText(t.text, 0, 0);
      ctx.restore();
    }
  }
  // With equal aspect the image may end above the reserved space: keep the label near it.
  xTickSpace = flatFits ? fs + 8 : xTickMax + 10;
  const yTicks = axisTicks(o.yTicks, o.yRange, o.rows, imgH, fs + 2);
  ctx.textAlign = 'right';
  ctx.textBaseline = 'middle';
  for (const t of yTicks) {
    const frac = o.origin === 'lower' ? 1 - t.at : t.at;
    const y = y0 + frac * imgH;
    if (y < y0 - 0.5 || y > y0 + imgH + 0.5) continue;
    ctx.fillRect(x0 - 4, y - 0.5, 4, 1);
    ctx.fillText(t.text, x0 - 6, y);
  }
  ctx.font = labelFont;
  if (o.xLabel) {
    ctx.textAlign = 'center';
    ctx.textBaseline = 'top';
    ctx.fillText(o.xLabel, x0 + imgW / 2, bottom + xTickSpace + 4);
  }
  if (o.yLabel) {
    ctx.save();
    ctx.translate(x0 - yTickWidth - 8, y0 + imgH / 2);
    ctx.rotate(-Math.PI / 2);
    ctx.textAlign = 'center';
    ctx.textBaseline = 'bottom';
    ctx.fillText(o.yLabel, 0, 0);
    ctx.restore();
  }
  if (o.title) {
    ctx.font = titleFont;
    ctx.textAlign = 'center';
    ctx.textBaseline = 'top';
    ctx.fillText(o.title, box.x + box.width / 2, box.y + pad);
  }
  if (showBar) drawColorbar(ctx, lut, vmin, vmax, { x: right + 14, y: y0, width: 16, height: imgH }, o.colorbarLabel);
  ctx.restore();
}

/** A vertical colour bar with round ticks and an optional rotated label to its right. */
export function drawColorbar(ctx: SKRSContext2D, lut: Uint8Array, vmin: number, vmax: number, bar: Box, label?: string): void {
  const strip = createCanvas(1, 256);
  const sctx = strip.getContext('2d');
  const img = sctx.createImageData(1, 256);
  for (let i = 0; i < 256; i++) {
    const k = (255 - i) * 3; // top = vmax
    img.data.set([lut[k], lut[k + 1], lut[k + 2], 255], i * 4);
  }
  sctx.putImageData(img, 0, 0);
  ctx.save();
  ctx.imageSmoothingEnabled = true;
  ctx.drawImage(strip, bar.x, bar.y, bar.width, bar.height);
  ctx.strokeStyle = theme.axis;
  ctx.lineWidth = 1;
  ctx.strokeRect(bar.x, bar.y, bar.width, bar.height);
  ctx.fillStyle = theme.foreground;
  ctx.font = tickFont;
  ctx.textAlign = 'left';
  ctx.textBaseline = 'middle';
  let widest = 0;
  for (const t of niceTicks(vmin, vmax, 5)) {
    const y = bar.y + bar.height - ((t - vmin) / (vmax - vmin)) * bar.height;
    ctx.fillRect(bar.x + bar.width, y - 0.5, 4, 1);
    const text = formatNumber(t);
    widest = Math.max(widest, ctx.measureText(text).width);
    ctx.fillText(text, bar.x + bar.width + 6, y);
  }
  if (label) {
    ctx.font = labelFont;
    ctx.translate(bar.x + bar.width + 6 + widest + 8, bar.y + bar.height / 2);
    ctx.rotate(Math.PI / 2);
    ctx.textAlign = 'center';
    ctx.textBaseline = 'bottom';
    ctx.fillText(label, 0, 0);
  }
  ctx.restore();
}

/** A matrix as a PNG figure (default 1200 × 700 logical px at 2×). */
export async function renderMatrix(o: MatrixOptions & { width?: number; height?: number }): Promise<Buffer> {
  const width = o.width ?? theme.width;
  const height = o.height ?? theme.height;
  const { canvas, ctx } = figureCanvas(width, height);
  drawMatrix(ctx, o, { x: 0, y: 0, width, height }, theme.pixelRatio);
  return encodeCanvas(canvas);
}

