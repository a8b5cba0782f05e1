// Text needs a real font file: @napi-rs/canvas draws nothing legible with an unknown family.
// Prefer the system's DejaVu (full Unicode coverage); on machines without it (slim Docker
// images) register the Latin subset that the @fontsource packages ship (OFL-1.1).
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { GlobalFonts } from '@napi-rs/canvas';

const require = createRequire(import.meta.url);

const bundled = [
  { family: 'DejaVu Sans', pkg: '@fontsource/dejavu-sans', stem: 'dejavu-sans-latin' },
  { family: 'DejaVu Sans Mono', pkg: '@fontsource/dejavu-mono', stem: 'dejavu-mono-latin' },
] as const;

let sources: Record<string, 'system' | 'bundled'> | undefined;

/** Make sure the theme's families exist; returns where each came from. Idempotent. */
export function ensureFonts(): Record<string, 'system' | 'bundled'> {
  if (sources) return sources;
  sources = {};
  for (const { family, pkg, stem } of bundled) {
    if (GlobalFonts.has(family)) {
      sources[family] = 'system';
    } else {
      registerBundled(family, pkg, stem);
      sources[family] = 'bundled';
    }
  }
  return sources;
}

/** Register the npm-shipped font files under `family` (also usable to force them in tests). */
export function registerBundled(family: string, pkg: string, stem: string): void {
  const dir = join(dirname(require.resolve(`${pkg}/package.json`)), 'files');
  for (const variant of ['400-normal', '700-normal', '400-italic']) {
    const key = GlobalFonts.registerFromPath(join(dir, `${stem}-${variant}.woff2`), family);
    if (!key) throw new Error(`fonts: could not register ${pkg} ${variant} as "${family}"`);
  }
}

export const bundledFonts = bundled;
