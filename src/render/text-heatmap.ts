// Text heatmaps (the /heatmap post): each token drawn as monospace text on a box coloured by its
// value, wrapped like running text, with a colour bar explaining the colours.
import { createCanvas, type SKRSContext2D } from '@napi-rs/canvas';
import { figureCanvas } from './canvas.ts';
import { colorLimits, colormap, colormapLut, contrastingText, rgbCss, type ColormapName, type RGB } from './colormaps.ts';
import { ensureFonts } from './fonts.ts';
import { encodeCanvas } from './png.ts';
import { theme } from './theme.ts';
import { formatNumber, niceTicks } from './ticks.ts';

ensureFonts();

export interface TextHeatmapOptions {
  tokens: readonly string[];
  /** One value per token; NaN means "no value" (e.g. the first token has no prediction). */
  values: ArrayLike<number>;
  /** Sequential map, default viridis. */
  colormap?: ColormapName;
  vmin?: number;
  vmax?: number;
  title?: string;
  /** Colour bar under the text (default true). */
  legend?: boolean;
  legendLabel?: string;
  /** Figure width in logical px (default theme.width); lines wrap inside it. */
  maxWidth?: number;
  /** Token text size in logical px (default 18). */
  fontSize?: number;
}

export interface TokenBox {
  index: number;
  /** What is drawn: newlines as ↵, tabs as →, other control characters escaped. */
  text: string;
  x: number;
  y: number;
  width: number;
  height: number;
  value: number;
  /** Fill colour; null when the value is not finite. */
  color: RGB | null;
}

export interface TextHeatmapLayout {
  width: number;
  height: number;
  boxes: TokenBox[];
  vmin: number;
  vmax: number;
  /** Colour bar rectangle (logical px), when shown. */
  legend?: { x: number; y: number; width: number; height: number };
}

const PAD = 20;
const BOX_PAD_X = 3;
const GAP = 2;
const MAX_TOKENS = 5000;
const MAX_HEIGHT = 4000;

function displayText(token: string): string {
  return token
    .replace(/\n/g, '↵')
    .replace(/\t/g, '→')
    .replace(/[\u0000-\u001f\u007f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

function validate(o: TextHeatmapOptions): void {
  const name = 'renderTextHeatmap';
  if (o.tokens.length === 0) throw new Error(`${name}: tokens must not be empty`);
  if (o.tokens.length > MAX_TOKENS) throw new Error(`${name}: ${o.tokens.length} tokens is over the ${MAX_TOKENS} token limit`);
  if (o.values.length !== o.tokens.length) throw new Error(`${name}: values has ${o.values.length} entries for ${o.tokens.length} tokens`);
  const w = o.maxWidth ?? theme.width;
  if (!(w >= 300 && w <= 4000)) throw new Error(`${name}: maxWidth must be in 300–4000 px (got ${w})`);
  const fs = o.fontSize ?? 18;
  if (!(fs >= 8 && fs <= 48)) throw new Error(`${name}: fontSize must be in 8–48 px (got ${fs})`);
  if (o.vmin !== undefined && o.vmax !== undefined && !(o.vmax > o.vmin)) {
    throw new Error(`${name}: vmax (${o.vmax}) must be greater than vmin (${o.vmin})`);
  }
}

/** Where every token box goes (logical px); the renderer and tests share it. */
export function layoutTextHeatmap(o: TextHeatmapOptions, ctx?: SKRSContext2D): TextHeatmapLayout {
  validate(o);
  const measure = ctx ?? createCanvas(1, 1).getContext('2d');
  const fs = o.fontSize ?? 18;
  measure.font = `${fs}px ${theme.monoFamily}`;
  const maxWidth = o.maxWidth ?? theme.width;
  const [vmin, vmax] = colorLimits(o.values, { vmin: o.vmin, vmax: o.vmax });
  const map = colormap(o.colormap ?? 'viridis');
  const boxH = Math.round(fs * 1.5);
  const lineH = boxH + 6;
  const left = PAD;
  const right = maxWidth - PAD;
  let y = PAD + (o.title ? theme.titleSize + 16 : 0);
  let x = left;
  let widest = 0;
  const boxes: TokenBox[] = [];
  o.tokens.forEach((token, index) => {
    let text = displayText(token);
    let width = Math.max(fs * 0.5, measure.measureText(text).width) + 2 * BOX_PAD_X;
    if (width > right - left) {
      // A token longer than a whole line (rare: long runs of spaces or symbols): shorten it.
      while (text.length > 1 && measure.measureText(text + '…').width + 2 * BOX_PAD_X > right - left) text = text.slice(0, -1);
      text += '…';
      width = measure.measureText(text).width + 2 * BOX_PAD_X;
    }
    if (x + width > right && x > left) {
      x = left;
      y += lineH;
    }
    const value = o.values[index];
    const color = Number.isFinite(value) ? map((value - vmin) / (vmax - vmin)) : null;
    boxes.push({ index, text, x, y, width, height: boxH, value, color });
    x += width + GAP;
    widest = Math.max(widest, x);
    // Newline tokens end the line (two at most, so "\n\n\n\n" does not open a chasm).
    const breaks = Math.min(2, (token.match(/\n/g) ?? []).length);
    for (let i = 0; i < breaks; i++) {
      x = left;
      y += lineH;
    }
  });
  const lastLineEnd = x === left ? y : y + lineH;
  let height = lastLineEnd + PAD;
  let legend: TextHeatmapLayout['legend'];
  if (o.legend ?? true) {
    const legendTop = lastLineEnd + 14 + (o.legendLabel ? theme.fontSize + 6 : 0);
    legend = { x: left, y: legendTop, width: Math.min(420, right - left), height: 14 };
    height = legendTop + 14 + 6 + theme.fontSize + PAD;
  }
  if (height > MAX_HEIGHT) {
    throw new Error(`renderTextHeatmap: ${o.tokens.length} tokens need ${Math.round(height)} px of height, over the ${MAX_HEIGHT} px limit; pass fewer tokens or a larger maxWidth`);
  }
  return { width: maxWidth, height: Math.ceil(height), boxes, vmin, vmax, legend };
}

/** A text heatmap as a PNG at 2× density. */
export async function renderTextHeatmap(o: TextHeatmapOptions): Promise<Buffer> {
  const layout = layoutTextHeatmap(o);
  const { canvas, ctx } = figureCanvas(layout.width, layout.height);
  if (o.title) {
    ctx.fillStyle = theme.foreground;
    ctx.font = `bold ${theme.titleSize}px ${theme.fontFamily}`;
    ctx.textAlign = 'left';
    ctx.textBaseline = 'top';
    ctx.fillText(o.title, PAD, PAD);
  }
  const fs = o.fontSize ?? 18;
  ctx.font = `${fs}px ${theme.monoFamily}`;
  ctx.textBaseline = 'middle';
  ctx.textAlign = 'left';
  for (const box of layout.boxes) {
    if (box.color) {
      ctx.fillStyle = rgbCss(box.color);
      ctx.fillRect(box.x, box.y, box.width, box.height);
    } else {
      ctx.strokeStyle = theme.muted;
      ctx.lineWidth = 1;
      ctx.strokeRect(box.x + 0.5, box.y + 0.5, box.width - 1, box.height - 1);
    }
    ctx.fillStyle = box.color ? contrastingText(box.color) : theme.foreground;
    ctx.fillText(box.text, box.x + BOX_PAD_X, box.y + box.height / 2 + 1);
  }
  if (layout.legend) drawHorizontalColorbar(ctx, o, layout);
  return encodeCanvas(canvas);
}

function drawHorizontalColorbar(ctx: SKRSContext2D, o: TextHeatmapOptions, layout: TextHeatmapLayout): void {
  const bar = layout.legend!;
  const lut = colormapLut(o.colormap ?? 'viridis');
  const strip = createCanvas(256, 1);
  const sctx = strip.getContext('2d');
  const img = sctx.createImageData(256, 1);
  for (let i = 0; i < 256; i++) img.data.set([lut[i * 3], lut[i * 3 + 1], lut[i * 3 + 2], 255], i * 4);
  sctx.putImageData(img, 0, 0);
  ctx.drawImage(strip, bar.x, bar.y, bar.width, bar.height);
  ctx.strokeStyle = theme.axis;
  ctx.lineWidth = 1;
  ctx.strokeRect(bar.x, bar.y, bar.width, bar.height);
  ctx.fillStyle = theme.foreground;
  ctx.font = `${theme.fontSize - 2}px ${theme.fontFamily}`;
  ctx.textAlign = 'center';
  ctx.textBaseline = 'top';
  const { vmin, vmax } = layout;
  for (const t of niceTicks(vmin, vmax, 5)) {
    const x = bar.x + ((t - vmin) / (vmax - vmin)) * bar.width;
    ctx.fillRect(x - 0.5, bar.y + bar.height, 1, 4);
    ctx.fillText(formatNumber(t), x, bar.y + bar.height + 6);
  }
  if (o.legendLabel) {
    ctx.font = `${theme.fontSize}px ${theme.fontFamily}`;
    ctx.textAlign = 'left';
    ctx.textBaseline = 'bottom';
    ctx.fillText(o.legendLabel, bar.x, bar.y - 4);
  }
}
