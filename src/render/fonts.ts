// Text needs a real font file: @napi-rs/canvas draws nothing legible with an unknown family.
// Prefer the system's DejaVu; on machines without it (slim Docker images) register the Latin
// subset that the @fontsource packages ship (OFL-1.1).
//
// DejaVu has no CJK, Tamil or colour-less emoji glyphs (and the bundled Latin subset no Arabic
// either), so the theme's font strings are CSS lists — "DejaVu Sans, Noto Sans SC, Noto Sans
// Arabic, Noto Sans Tamil, Noto Emoji" — and Skia takes each glyph from the first family in the
// list that has it. The Noto families come from @fontsource (OFL-1.1). Noto Sans SC ships as
// ~100 unicode-range slices; all of them are registered under the one family, which covers the
// whole font (simplified and traditional Han, kana, CJK punctuation).
//
// Cost, measured on this machine: registering all fallbacks takes ~0.1 s once per process
// (Noto Sans SC ~55 ms, Noto Emoji ~20 ms, Arabic and Tamil ~3 ms) and ~6–10 MB of memory; a font
// string that lists a family of ~100 files makes each text call ~0.3 ms slower, which is lost
// in the noise of a chart (a few dozen text calls). Only the 400 weight is registered: bold
// titles in these scripts are drawn from the regular face.
import { readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { GlobalFonts } from '@napi-rs/canvas';

const require = createRequire(import.meta.url);

const bundled = [
  { family: 'DejaVu Sans', pkg: '@fontsource/dejavu-sans', stem: 'dejavu-sans-latin' },
  { family: 'DejaVu Sans Mono', pkg: '@fontsource/dejavu-mono', stem: 'dejavu-mono-latin' },
] as const;

/** Script fallbacks, in the order the theme's font lists name them. */
export const FALLBACK_FONTS = [
  // The ~100 numbered unicode-range slices cover the whole font; its "chinese-simplified" file
  // only repeats a part of them (1.1 MB), so it is skipped.
  { family: 'Noto Sans SC', pkg: '@fontsource/noto-sans-sc', scripts: 'Chinese (simplified and traditional), Japanese kana', skip: /-chinese-simplified-/ },
  { family: 'Noto Sans Arabic', pkg: '@fontsource/noto-sans-arabic', scripts: 'Arabic, Persian' },
  { family: 'Noto Sans Tamil', pkg: '@fontsource/noto-sans-tamil', scripts: 'Tamil' },
  { family: 'Noto Emoji', pkg: '@fontsource/noto-emoji', scripts: 'emoji (monochrome)' },
] as const;

/** A CSS font-family list: the primary family, then every script fallback. */
export function fontStack(primary: string): string {
  return [primary, ...FALLBACK_FONTS.map((f) => f.family)].join(', ');
}

/** The family names in a CSS font-family list ("A, B" → ["A", "B"]). */
export function familiesOf(list: string): string[] {
  return list.split(',').map((f) => f.trim().replace(/^["']|["']$/g, '')).filter(Boolean);
}

export type FontSource = 'system' | 'bundled';

let sources: Record<string, FontSource> | undefined;
let fallbackFiles = 0;

/** Make sure the theme's families exist; returns where each came from. Idempotent. */
export function ensureFonts(): Record<string, FontSource> {
  if (sources) return sources;
  const found: Record<string, FontSource> = {};
  for (const { family, pkg, stem } of bundled) {
    if (GlobalFonts.has(family)) {
      found[family] = 'system';
    } else {
      registerBundled(family, pkg, stem);
      found[family] = 'bundled';
    }
  }
  for (const font of FALLBACK_FONTS) {
    const { family, pkg } = font;
    if (GlobalFonts.has(family)) {
      found[family] = 'system';
    } else {
      fallbackFiles += registerAllSubsets(family, pkg, 'skip' in font ? font.skip : undefined);
      found[family] = 'bundled';
    }
  }
  sources = found;
  return sources;
}

/** How many fallback font files ensureFonts registered (0 when the system has them all). */
export function registeredFallbackFiles(): number {
  return fallbackFiles;
}

/** Register the npm-shipped font files under `family` (also usable to force them in tests). */
export function registerBundled(family: string, pkg: string, stem: string): void {
  const dir = join(dirname(require.resolve(`${pkg}/package.json`)), 'files');
  for (const variant of ['400-normal', '700-normal', '400-italic']) {
    const key = GlobalFonts.registerFromPath(join(dir, `${stem}-${variant}.woff2`), family);
    if (!key) throw new Error(`fonts: could not register ${pkg} ${variant} as "${family}"`);
  }
}

/**
 * Register every 400-weight upright subset file of a @fontsource package (but those matching
 * `skip`) under one family: Skia then finds a glyph in whichever file has it. Returns the count.
 */
export function registerAllSubsets(family: string, pkg: string, skip?: RegExp): number {
  const dir = join(dirname(require.resolve(`${pkg}/package.json`)), 'files');
  const files = readdirSync(dir).filter((f) => f.endsWith('-400-normal.woff2') && !skip?.test(f)).sort();
  if (files.length === 0) throw new Error(`fonts: ${pkg} has no 400-normal woff2 files in ${dir}`);
  for (const f of files) {
    if (!GlobalFonts.registerFromPath(join(dir, f), family)) throw new Error(`fonts: could not register ${f} as "${family}"`);
  }
  return files.length;
}

export const bundledFonts = bundled;
