// Long sampled signals thinned for drawing. A panel is a few hundred pixels wide, so 3000
// samples per line cost drawing time, and Chart.js draws more than one point per pixel column
// as a vertical stroke per column (its "fast path"), which at 2× density turns smooth slopes
// into small staircases. Largest-Triangle-Three-Buckets keeps the shape and the peaks with at
// most one point per pixel.

/**
 * LTTB (Steinarsson 2013): `points` samples of (x, y), x ascending, always keeping the first and
 * last; from each bucket the sample that spans the largest triangle with its neighbours.
 * Returns the input when it is short enough.
 */
export function lttb(x: ArrayLike<number>, y: ArrayLike<number>, points: number): { x: number[]; y: number[] } {
  const n = y.length;
  if (x.length !== n) throw new Error(`lttb: ${x.length} x values for ${n} y values`);
  if (points >= n || points < 3) return { x: Array.from(x), y: Array.from(y) };
  const outX = [x[0]];
  const outY = [y[0]];
  const every = (n - 2) / (points - 2);
  let a = 0;
  for (let i = 0; i < points - 2; i++) {
    // Average of the next bucket: the third corner of the triangle.
    const nextStart = Math.floor((i + 1) * every) + 1;
    const nextEnd = Math.min(Math.floor((i + 2) * every) + 1, n);
    let avgX = 0;
    let avgY = 0;
    for (let j = nextStart; j < nextEnd; j++) {
      avgX += x[j];
      avgY += y[j];
    }
    avgX /= nextEnd - nextStart;
    avgY /= nextEnd - nextStart;
    const start = Math.floor(i * every) + 1;
    const end = Math.floor((i + 1) * every) + 1;
    let best = start;
    let bestArea = -1;
    for (let j = start; j < end; j++) {
      const area = Math.abs((x[a] - avgX) * (y[j] - y[a]) - (x[a] - x[j]) * (avgY - y[a]));
      if (area > bestArea) {
        bestArea = area;
        best = j;
      }
    }
    outX.push(x[best]);
    outY.push(y[best]);
    a = best;
  }
  outX.push(x[n - 1]);
  outY.push(y[n - 1]);
  return { x: outX, y: outY };
}
