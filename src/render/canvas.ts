// A blank figure: a canvas at the theme's pixel density, scaled so drawing code works in
// logical pixels, filled with the theme background (chat clients would show transparency as white).
import { createCanvas, type Canvas, type SKRSContext2D } from '@napi-rs/canvas';
import { theme } from './theme.ts';

export function figureCanvas(width: number, height: number): { canvas: Canvas; ctx: SKRSContext2D } {
  const dpr = theme.pixelRatio;
  const canvas = createCanvas(Math.round(width * dpr), Math.round(height * dpr));
  const ctx = canvas.getContext('2d');
  ctx.scale(dpr, dpr);
  ctx.fillStyle = theme.background;
  ctx.fillRect(0, 0, width, height);
  return { canvas, ctx };
}
