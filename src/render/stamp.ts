// Marks a finished figure (e.g. "tiny random model") so the caveat travels with the image.
// The note goes in a strip added below the figure, so it never hides an axis label.
import { createCanvas, loadImage } from '@napi-rs/canvas';
import { ensureFonts } from './fonts.ts';
import { encodeCanvas } from './png.ts';
import { theme } from './theme.ts';

export async function stampFigure(png: Buffer, text: string): Promise<Buffer> {
  ensureFonts();
  const img = await loadImage(png);
  const size = Math.max(12, Math.round(img.width / 90));
  const strip = Math.round(size * 2);
  const canvas = createCanvas(img.width, img.height + strip);
  const ctx = canvas.getContext('2d');
  ctx.drawImage(img, 0, 0);
  ctx.fillStyle = 'rgb(150, 35, 35)';
  ctx.fillRect(0, img.height, img.width, strip);
  ctx.font = `bold ${size}px ${theme.fontFamily}`;
  ctx.fillStyle = '#ffffff';
  ctx.textBaseline = 'middle';
  ctx.textAlign = 'center';
  ctx.fillText(`⚠ ${text}`, img.width / 2, img.height + strip / 2);
  return encodeCanvas(canvas);
}
