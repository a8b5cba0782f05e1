// Marks a finished figure (e.g. "tiny random model") so the caveat travels with the image.
import { createCanvas, loadImage } from '@napi-rs/canvas';
import { ensureFonts } from './fonts.ts';
import { encodeCanvas } from './png.ts';
import { theme } from './theme.ts';

export async function stampFigure(png: Buffer, text: string): Promise<Buffer> {
  ensureFonts();
  const img = await loadImage(png);
  const canvas = createCanvas(img.width, img.height);
  const ctx = canvas.getContext('2d');
  ctx.drawImage(img, 0, 0);
  const size = Math.max(12, Math.round(img.width / 80));
  ctx.font = `bold ${size}px ${theme.fontFamily}`;
  const pad = size / 2;
  const w = ctx.measureText(text).width + 2 * pad;
  ctx.fillStyle = 'rgba(180, 40, 40, 0.85)';
  ctx.fillRect(img.width - w - pad, img.height - size - 3 * pad, w, size + 2 * pad);
  ctx.fillStyle = '#ffffff';
  ctx.textBaseline = 'top';
  ctx.fillText(text, img.width - w, img.height - size - 2 * pad);
  return encodeCanvas(canvas);
}
