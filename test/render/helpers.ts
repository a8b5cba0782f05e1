// Shared checks for rendered figures: PNG, 2× size, not blank, the theme's background.
import assert from 'node:assert/strict';
import { assertPng, decodePng, type DecodedPng } from '../../src/render/png.ts';
import { theme } from '../../src/render/theme.ts';

export const BACKGROUND: [number, number, number] = [0x17, 0x17, 0x17];

export async function checkFigure(png: Buffer, name: string, logical: { width: number; height: number }): Promise<DecodedPng> {
  assertPng(png, name);
  assert.ok(png.length < 8 * 1024 * 1024, `${name}: ${png.length} bytes`);
  const img = await decodePng(png);
  assert.equal(img.width, logical.width * theme.pixelRatio, `${name}: width`);
  assert.equal(img.height, logical.height * theme.pixelRatio, `${name}: height`);
  assert.ok(!img.isBlank(), `${name}: blank`);
  const colours = img.distinctColors(50);
  assert.ok(colours > 5, `${name}: only ${colours} colours`);
  assert.deepEqual(img.pixel(1, 1).slice(0, 3), BACKGROUND, `${name}: background`);
  return img;
}

/** Pixels in a device-pixel rectangle that differ from the background. */
export function inkIn(img: DecodedPng, x0: number, y0: number, x1: number, y1: number): number {
  let ink = 0;
  for (let y = Math.floor(y0); y < y1; y += 2) {
    for (let x = Math.floor(x0); x < x1; x += 2) {
      const [r, g, b] = img.pixel(x, y);
      if (r !== BACKGROUND[0] || g !== BACKGROUND[1] || b !== BACKGROUND[2]) ink++;
    }
  }
  return ink;
}

/** Median wall time of `runs` calls, after one warm-up. */
export async function medianMs(f: () => Promise<unknown>, runs = 3): Promise<number> {
  await f();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await f();
    times.push(performance.now() - t);
  }
  return times.sort((a, b) => a - b)[Math.floor(runs / 2)];
}
