// PNG in and out. Encoding is our own because skia's encoder (canvas.encode) spends ~100 ms on a
// 2400×1400 chart with its best compression; raw rows + zlib level 3 take ~20 ms, and the
// files (0.3–1 MB for charts) stay far below chat limits.
import { promisify } from 'node:util';
import { crc32, deflate } from 'node:zlib';
import { createCanvas, loadImage, type Canvas } from '@napi-rs/canvas';
import { theme } from './theme.ts';

const deflateAsync = promisify(deflate);
const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

function chunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'ascii');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(data, crc32(head.subarray(4))), 0);
  return Buffer.concat([head, data, crc]);
}

/** RGBA pixels → PNG bytes (8-bit RGBA, no row filter; deflate runs on the libuv pool). */
export async function encodeRgba(rgba: Uint8Array | Uint8ClampedArray, width: number, height: number): Promise<Buffer> {
  if (rgba.length !== width * height * 4) throw new Error(`encodeRgba: ${rgba.length} bytes for ${width}×${height} RGBA`);
  const stride = width * 4;
  const raw = Buffer.allocUnsafe((stride + 1) * height);
  const src = Buffer.from(rgba.buffer, rgba.byteOffset, rgba.byteLength);
  for (let y = 0; y < height; y++) {
    const o = y * (stride + 1);
    raw[o] = 0; // filter: none
    src.copy(raw, o + 1, y * stride, (y + 1) * stride);
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 6, 0, 0, 0], 8); // bit depth 8, colour type RGBA, deflate, adaptive, no interlace
  const idat = await deflateAsync(raw, { level: 3 });
  return Buffer.concat([SIGNATURE, chunk('IHDR', ihdr), chunk('IDAT', idat), chunk('IEND', Buffer.alloc(0))]);
}

/** A canvas's pixels as PNG (rasterises the canvas's recorded drawing once). */
export function encodeCanvas(canvas: Canvas): Promise<Buffer> {
  const { width, height } = canvas;
  const image = canvas.getContext('2d').getImageData(0, 0, width, height);
  return encodeRgba(image.data, width, height);
}

/** Throws, naming the figure, unless `png` is a PNG no larger than chat platforms accept. */
export function assertPng(png: Buffer, name = 'figure'): void {
  if (png.length < SIGNATURE.length + 25 || !png.subarray(0, 8).equals(SIGNATURE)) {
    throw new Error(`${name}: not a PNG (${png.length} bytes)`);
  }
  if (png.length > theme.maxPngBytes) {
    const mb = (n: number) => (n / 1024 / 1024).toFixed(1);
    throw new Error(`${name}: PNG is ${mb(png.length)} MB, over the ${mb(theme.maxPngBytes)} MB limit for chat uploads`);
  }
}

export interface DecodedPng {
  width: number;
  height: number;
  /** RGBA bytes, row-major. */
  data: Uint8ClampedArray;
  pixel(x: number, y: number): [number, number, number, number];
  /** Number of distinct RGB colours (capped at `cap` to stay fast). */
  distinctColors(cap?: number): number;
  /** True when (almost) every pixel has one colour: nothing was drawn. */
  isBlank(): boolean;
}

/** Decode PNG bytes for checks (tests, the web playground's previews). */
export async function decodePng(png: Buffer): Promise<DecodedPng> {
  assertPng(png);
  const image = await loadImage(png);
  const canvas = createCanvas(image.width, image.height);
  const ctx = canvas.getContext('2d');
  ctx.drawImage(image, 0, 0);
  const { data, width, height } = ctx.getImageData(0, 0, image.width, image.height);
  const distinctColors = (cap = 10_000) => {
    const seen = new Set<number>();
    for (let i = 0; i < data.length && seen.size < cap; i += 4) seen.add((data[i] << 16) | (data[i + 1] << 8) | data[i + 2]);
    return seen.size;
  };
  return {
    width,
    height,
    data,
    pixel(x, y) {
      const i = (Math.floor(y) * width + Math.floor(x)) * 4;
      return [data[i], data[i + 1], data[i + 2], data[i + 3]];
    },
    distinctColors,
    isBlank() {
      // Count pixels that differ from the first one: a figure with axes and labels has thousands.
      let differing = 0;
      const [r, g, b] = [data[0], data[1], data[2]];
      for (let i = 4; i < data.length; i += 4) {
        if (data[i] !== r || data[i + 1] !== g || data[i + 2] !== b) differing++;
      }
      return differing < width * height * 0.001;
    },
  };
}
