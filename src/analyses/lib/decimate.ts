// Long sampled signals thinned for drawing: a panel is a few hundred pixels wide, so 3000
// samples per line only cost drawing time. Keeping each bucket's minimum and maximum (in their
// original order) preserves the envelope and every peak, unlike taking every k-th sample.

/** At most 2·buckets points of (x, y), x ascending; returns the input when it is short enough. */
export function minMaxDecimate(x: ArrayLike<number>, y: ArrayLike<number>, buckets = 600): { x: number[]; y: number[] } {
  const n = y.length;
  if (x.length !== n) throw new Error(`minMaxDecimate: ${x.length} x values for ${n} y values`);
  if (n <= 2 * buckets) return { x: Array.from(x), y: Array.from(y) };
  const outX: number[] = [];
  const outY: number[] = [];
  for (let b = 0; b < buckets; b++) {
    const start = Math.floor((b * n) / buckets);
    const end = Math.floor(((b + 1) * n) / buckets);
    let lo = start;
    let hi = start;
    for (let i = start + 1; i < end; i++) {
      if (y[i] < y[lo]) lo = i;
      if (y[i] > y[hi]) hi = i;
    }
    for (const i of lo === hi ? [lo] : lo < hi ? [lo, hi] : [hi, lo]) {
      outX.push(x[i]);
      outY.push(y[i]);
    }
  }
  return { x: outX, y: outY };
}
