// Colormaps for matrix images, text heatmaps and colour-coded points, taken from
// d3-scale-chromatic so they match matplotlib's perceptual maps (viridis, plasma, magma, …).
import * as d3 from 'd3-scale-chromatic';

export type RGB = [number, number, number];

/** Names as matplotlib users know them; `bwr` is the blue-white-red diverging map (RdBu reversed). */
export const colormapNames = [
  'viridis', 'plasma', 'magma', 'inferno', 'cividis', 'turbo',
  'Reds', 'Blues', 'Greens', 'Purples', 'Oranges', 'Greys', 'gray',
  'bwr', 'RdBu', 'coolwarm', 'PiYG',
] as const;
export type ColormapName = (typeof colormapNames)[number];

const interpolators: Record<ColormapName, (t: number) => string> = {
  viridis: d3.interpolateViridis,
  plasma: d3.interpolatePlasma,
  magma: d3.interpolateMagma,
  inferno: d3.interpolateInferno,
  cividis: d3.interpolateCividis,
  turbo: d3.interpolateTurbo,
  Reds: d3.interpolateReds,
  Blues: d3.interpolateBlues,
  Greens: d3.interpolateGreens,
  Purples: d3.interpolatePurples,
  Oranges: d3.interpolateOranges,
  Greys: d3.interpolateGreys,
  // matplotlib's gray runs black → white; d3's Greys runs white → black.
  gray: (t) => d3.interpolateGreys(1 - t),
  bwr: (t) => d3.interpolateRdBu(1 - t),
  RdBu: d3.interpolateRdBu,
  // d3 has no coolwarm; RdYlBu reversed is the closest diverging map with a light centre.
  coolwarm: (t) => d3.interpolateRdYlBu(1 - t),
  PiYG: d3.interpolatePiYG,
};

/** Diverging maps: centred on 0 when a figure is `symmetric`. */
export const divergingColormaps: ReadonlySet<ColormapName> = new Set(['bwr', 'RdBu', 'coolwarm', 'PiYG']);

export function isColormapName(name: string): name is ColormapName {
  return (colormapNames as readonly string[]).includes(name);
}

/** d3 returns "#rrggbb" (viridis family) or "rgb(r, g, b)" (ColorBrewer family). */
function parseColor(css: string): RGB {
  if (css.startsWith('#')) {
    const n = parseInt(css.slice(1, 7), 16);
    return [n >> 16, (n >> 8) & 255, n & 255];
  }
  const m = /rgb\((\d+),\s*(\d+),\s*(\d+)\)/.exec(css);
  if (!m) throw new Error(`colormap: cannot parse colour "${css}"`);
  return [Number(m[1]), Number(m[2]), Number(m[3])];
}

/** `colormap('plasma')(t)` → [r, g, b] in 0–255 for t ∈ [0, 1] (clamped; NaN → 0). */
export function colormap(name: ColormapName): (t: number) => RGB {
  const interpolate = interpolators[name];
  if (!interpolate) throw new Error(`colormap: unknown name "${name}" (one of ${colormapNames.join(', ')})`);
  return (t) => parseColor(interpolate(clamp01(t)));
}

/** 256-entry RGB lookup table for per-pixel colouring of large images. */
export function colormapLut(name: ColormapName, size = 256): Uint8Array {
  const map = colormap(name);
  const lut = new Uint8Array(size * 3);
  for (let i = 0; i < size; i++) lut.set(map(i / (size - 1)), i * 3);
  return lut;
}

export function rgbCss([r, g, b]: RGB): string {
  return `rgb(${r},${g},${b})`;
}

/** Black or white, whichever reads better on the given colour (WCAG relative luminance). */
export function contrastingText([r, g, b]: RGB): string {
  const lin = (c: number) => {
    const s = c / 255;
    return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  };
  const luminance = 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
  return luminance > 0.179 ? '#000000' : '#ffffff';
}

function clamp01(t: number): number {
  return Number.isNaN(t) ? 0 : t < 0 ? 0 : t > 1 ? 1 : t;
}

/** Finite min and max of some values (NaN/±Infinity skipped), for default colour limits. */
export function finiteExtent(values: ArrayLike<number>): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (Number.isFinite(v)) {
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
  }
  return lo <= hi ? [lo, hi] : [0, 1];
}

/** Colour limits: given ones win; `symmetric` centres on 0 (diverging maps). Never zero-width. */
export function colorLimits(
  values: ArrayLike<number>,
  opts: { vmin?: number; vmax?: number; symmetric?: boolean },
): [number, number] {
  let [lo, hi] = finiteExtent(values);
  if (opts.symmetric) {
    const m = Math.max(Math.abs(opts.vmin ?? lo), Math.abs(opts.vmax ?? hi));
    [lo, hi] = [-m, m];
  } else {
    lo = opts.vmin ?? lo;
    hi = opts.vmax ?? hi;
  }
  if (!(hi > lo)) {
    // Constant data: widen so it maps to the middle of the map rather than dividing by zero.
    const pad = Math.abs(lo) > 0 ? Math.abs(lo) * 0.5 : 0.5;
    [lo, hi] = [lo - pad, hi + pad];
  }
  return [lo, hi];
}
