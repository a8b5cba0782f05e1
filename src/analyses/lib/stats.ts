// Small statistics written out as their definitions, so that tests can hold them to the formulas
// in the posts and the analyses can show the numbers behind each figure.

type Vec = ArrayLike<number>;

export function mean(x: Vec): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i];
  return s / x.length;
}

/** Sum of x·y over paired entries (the dot product). */
export function dot(x: Vec, y: Vec): number {
  assertSameLength(x, y);
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i] * y[i];
  return s;
}

/**
 * Cosine similarity: Σxy / √(Σx² Σy²). NaN when either vector is all zeros (no direction).
 */
export function cosineSimilarity(x: Vec, y: Vec): number {
  return dot(x, y) / Math.sqrt(dot(x, x) * dot(y, y));
}

/**
 * Pearson correlation: the cosine similarity of the mean-centred vectors,
 * Σ(x−x̄)(y−ȳ) / √(Σ(x−x̄)² Σ(y−ȳ)²). NaN when either variable is constant.
 */
export function pearson(x: Vec, y: Vec): number {
  const { sxy, sxx, syy } = centredSums(x, y);
  return sxy / Math.sqrt(sxx * syy);
}

/** Means and the sums of centred cross-products and squares that correlation and OLS share. */
function centredSums(x: Vec, y: Vec): { mx: number; my: number; sxy: number; sxx: number; syy: number } {
  assertSameLength(x, y);
  const mx = mean(x);
  const my = mean(y);
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < x.length; i++) {
    const dx = x[i] - mx;
    const dy = y[i] - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  return { mx, my, sxy, sxx, syy };
}

export interface LinearFit {
  slope: number;
  intercept: number;
  /** Coefficient of determination of the fit (r² for one predictor). */
  r2: number;
}

/** Ordinary least-squares line y ≈ slope·x + intercept. */
export function linearFit(x: Vec, y: Vec): LinearFit {
  assertSameLength(x, y);
  if (x.length < 2) throw new Error('linearFit: need at least two points');
  const { mx, my, sxy, sxx, syy } = centredSums(x, y);
  const slope = sxy / sxx;
  return { slope, intercept: my - slope * mx, r2: syy === 0 ? 1 : (sxy * sxy) / (sxx * syy) };
}

/** n evenly spaced numbers from start to stop inclusive (numpy's linspace). */
export function linspace(start: number, stop: number, n: number): number[] {
  if (n === 1) return [start];
  const step = (stop - start) / (n - 1);
  return Array.from({ length: n }, (_, i) => (i === n - 1 ? stop : start + i * step));
}

function assertSameLength(x: Vec, y: Vec): void {
  if (x.length !== y.length) throw new Error(`vectors differ in length (${x.length} vs ${y.length})`);
}
