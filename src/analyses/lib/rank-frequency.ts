// Rank–frequency statistics for Zipf's law: count items, sort the counts, fit the slope of the
// log–log line, and thin long tails for plotting without changing what the plot shows.
import { linearFit } from './stats.ts';

/** How often each item occurs. */
export function countItems<T>(items: Iterable<T>): Map<T, number> {
  const counts = new Map<T, number>();
  for (const item of items) counts.set(item, (counts.get(item) ?? 0) + 1);
  return counts;
}

/** How often each character (Unicode code point, as Python's str counts them) occurs. */
export function countCharacters(text: string): Map<string, number> {
  // A flat table for the Basic Multilingual Plane (every character of most books) is ~10× faster
  // than a Map; characters beyond it (emoji, surrogate pairs in UTF-16) go to a Map.
  const bmp = new Uint32Array(0x10000);
  const astral = new Map<number, number>();
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length) {
      const low = text.charCodeAt(i + 1);
      if (low >= 0xdc00 && low <= 0xdfff) {
        const point = (code - 0xd800) * 0x400 + (low - 0xdc00) + 0x10000;
        astral.set(point, (astral.get(point) ?? 0) + 1);
        i++;
        continue;
      }
    }
    bmp[code]++;
  }
  const counts = new Map<string, number>();
  for (let code = 0; code < bmp.length; code++) if (bmp[code]) counts.set(String.fromCharCode(code), bmp[code]);
  for (const [point, n] of astral) counts.set(String.fromCodePoint(point), n);
  return counts;
}

/** Entries sorted by count, most frequent first (ties keep insertion order). */
export function byFrequency<T>(counts: Map<T, number>): [T, number][] {
  return [...counts].sort((a, b) => b[1] - a[1]);
}

export interface ZipfFit {
  /** s in count ∝ rank^(−s). */
  exponent: number;
  /** log10 of the fitted count at rank 1. */
  intercept: number;
  r2: number;
  /** Ranks 1…maxRank took part (counts ≥ minCount). */
  maxRank: number;
}

/**
 * Fit count ≈ C·rank^(−s) by least squares on log10(count) vs log10(rank), over the ranks whose
 * count is at least `minCount` (the rarest items only say 1, 2, 3 and bend the line). The ranks
 * are taken evenly spaced in log rank, so that each decade weighs the same instead of the
 * thousands of tail ranks outvoting the first ten.
 */
export function fitZipf(sortedCounts: ArrayLike<number>, opts: { minCount?: number; points?: number } = {}): ZipfFit | null {
  const minCount = opts.minCount ?? 5;
  let maxRank = 0;
  while (maxRank < sortedCounts.length && sortedCounts[maxRank] >= minCount) maxRank++;
  const ranks = logSpacedRanks(maxRank, opts.points ?? 60);
  if (ranks.length < 3) return null;
  const fit = linearFit(ranks.map(Math.log10), ranks.map((r) => Math.log10(sortedCounts[r - 1])));
  return { exponent: -fit.slope, intercept: fit.intercept, r2: fit.r2, maxRank };
}

/**
 * About `points` distinct ranks from 1 to n, evenly spaced in log rank, always including 1 and n
 * (every rank when n is small).
 */
export function logSpacedRanks(n: number, points: number): number[] {
  if (n <= points) return Array.from({ length: n }, (_, i) => i + 1);
  const ranks = new Set<number>();
  for (let i = 0; i < points; i++) ranks.add(Math.round(Math.exp((Math.log(n) * i) / (points - 1))));
  return [...ranks].sort((a, b) => a - b);
}

/**
 * A sorted-count curve thinned for plotting: every rank up to `dense`, then log-spaced ranks.
 * On log–log axes this looks the same as all points, at a fraction of the drawing cost.
 */
export function thinCurve(sortedCounts: ArrayLike<number>, dense = 200, tailPoints = 400): { rank: number[]; count: number[] } {
  const n = sortedCounts.length;
  const ranks = Array.from({ length: Math.min(n, dense) }, (_, i) => i + 1);
  if (n > dense) {
    for (const r of logSpacedRanks(n, tailPoints + 1)) if (r > dense) ranks.push(r);
  }
  return { rank: ranks, count: ranks.map((r) => sortedCounts[r - 1]) };
}
