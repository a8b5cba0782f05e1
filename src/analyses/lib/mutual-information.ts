// Dependence between two variables beyond covariance: entropy and mutual information from
// histograms (the post's "manual" method, in bits) and from k-nearest neighbours (the
// Kraskov–Stögbauer–Grassberger estimator as scikit-learn's mutual_info_regression computes it,
// in nats), plus the permutation test that both parts of the post use for significance.
import type { Rng } from './random.ts';

type Vec = ArrayLike<number>;

// ── digamma ─────────────────────────────────────────────────────────────────────────────────

const EULER_GAMMA = 0.5772156649015329;

/**
 * ψ(x) = d/dx ln Γ(x) for x > 0: the recurrence ψ(x) = ψ(x+1) − 1/x lifts x to ≥ 10, then the
 * asymptotic series ln x − 1/(2x) − Σ B₂ₖ/(2k·x²ᵏ) (to k = 7) is accurate to about 1e-15.
 * ψ(1) = −γ exactly. NaN for x ≤ 0 or non-finite x (the estimators never need those).
 */
export function digamma(x: number): number {
  if (!(x > 0) || !Number.isFinite(x)) return NaN;
  if (x === 1) return -EULER_GAMMA;
  let shift = 0;
  while (x < 10) {
    shift -= 1 / x;
    x += 1;
  }
  const inv2 = 1 / (x * x);
  // Bernoulli numbers B₂ₖ/(2k): 1/12, −1/120, 1/252, −1/240, 1/132, −691/32760, 1/12.
  const series = inv2 * (1 / 12 - inv2 * (1 / 120 - inv2 * (1 / 252 - inv2 * (1 / 240 - inv2 * (1 / 132 - inv2 * (691 / 32760 - inv2 / 12))))));
  return shift + Math.log(x) - 0.5 / x - series;
}

let psiCache = new Float64Array(0);

/** ψ(m) for m = 0 … n (entry 0 unused), computed once and reused: the KSG sums need only integers. */
function digammaTable(n: number): Float64Array {
  if (psiCache.length <= n) {
    const size = Math.max(n + 1, 2 * psiCache.length, 1024);
    const table = new Float64Array(size);
    table.set(psiCache);
    table[0] = NaN;
    for (let m = Math.max(1, psiCache.length); m < size; m++) table[m] = digamma(m);
    psiCache = table;
  }
  return psiCache;
}

// ── k-nearest-neighbour (KSG) mutual information ────────────────────────────────────────────

/**
 * Distinct values of a sorted array, counting values closer than 1e-9 of the range as one:
 * the 1e-10 tie-breaking jitter makes every value distinct, but a walk along a coordinate whose
 * values are really tied (an hour of the day, a percentage) would still be long.
 */
function distinctCount(sorted: Float64Array): number {
  const n = sorted.length;
  if (n === 0) return 0;
  const tol = (sorted[n - 1] - sorted[0]) * 1e-9;
  let count = 1;
  for (let i = 1; i < n; i++) if (sorted[i] - sorted[i - 1] > tol) count++;
  return count;
}

/**
 * Sort `keys[lo..hi]` ascending in place and apply the same moves to `a` and `idx` (a quicksort
 * with median-of-three pivots and insertion sort for short runs: no comparator calls, which
 * matters in the permutation tests' thousands of small sorts). The order among equal keys is
 * unspecified, which does not matter here: the k-th neighbour distance is the same either way.
 */
function sortTogether(keys: Float64Array, a: Float64Array, idx: Uint32Array, lo: number, hi: number): void {
  while (hi - lo > 16) {
    const mid = (lo + hi) >>> 1;
    // Median of three into keys[mid], then use it as the pivot.
    if (keys[mid] < keys[lo]) swap3(keys, a, idx, mid, lo);
    if (keys[hi] < keys[lo]) swap3(keys, a, idx, hi, lo);
    if (keys[hi] < keys[mid]) swap3(keys, a, idx, hi, mid);
    const pivot = keys[mid];
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (keys[i] < pivot) i++;
      while (keys[j] > pivot) j--;
      if (i <= j) {
        swap3(keys, a, idx, i, j);
        i++;
        j--;
      }
    }
    // Recurse into the smaller side, loop on the larger: stack depth stays O(log n).
    if (j - lo < hi - i) {
      sortTogether(keys, a, idx, lo, j);
      lo = i;
    } else {
      sortTogether(keys, a, idx, i, hi);
      hi = j;
    }
  }
  for (let i = lo + 1; i <= hi; i++) {
    const kv = keys[i];
    const av = a[i];
    const iv = idx[i];
    let j = i - 1;
    while (j >= lo && keys[j] > kv) {
      keys[j + 1] = keys[j];
      a[j + 1] = a[j];
      idx[j + 1] = idx[j];
      j--;
    }
    keys[j + 1] = kv;
    a[j + 1] = av;
    idx[j + 1] = iv;
  }
}

function swap3(keys: Float64Array, a: Float64Array, idx: Uint32Array, i: number, j: number): void {
  const k = keys[i];
  keys[i] = keys[j];
  keys[j] = k;
  const t = a[i];
  a[i] = a[j];
  a[j] = t;
  const s = idx[i];
  idx[i] = idx[j];
  idx[j] = s;
}

/**
 * For each point, the Chebyshev (max-norm) distance to its k-th nearest other point in the
 * plane: what scikit-learn's NearestNeighbors(metric='chebyshev').kneighbors() returns in its
 * last column. Exact: points are sorted along one coordinate and each search walks outwards
 * from the point until the gap along that coordinate alone exceeds the k-th best distance so
 * far. It walks along the coordinate with more distinct values (ignoring jitter-sized gaps),
 * which keeps the walk short when the other one has many ties (hours, integer percentages).
 */
export function kthNeighborDistances(x: Vec, y: Vec, k: number, sorted?: { x: Float64Array; y: Float64Array }): Float64Array {
  const n = x.length;
  if (y.length !== n) throw new Error(`kthNeighborDistances: x has ${n} values, y has ${y.length}`);
  if (!Number.isInteger(k) || k < 1 || k >= n) throw new Error(`kthNeighborDistances: k must be an integer in 1–${n - 1} (got ${k})`);
  const sx = sorted?.x ?? new Float64Array(x).sort();
  const sy = sorted?.y ?? new Float64Array(y).sort();
  const [u, v] = distinctCount(sx) >= distinctCount(sy) ? [x, y] : [y, x];
  const us = new Float64Array(u);
  const vs = new Float64Array(v);
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  sortTogether(us, vs, order, 0, n - 1);
  const out = new Float64Array(n);
  const best = new Float64Array(k); // the k smallest distances so far, ascending
  for (let r = 0; r < n; r++) {
    const ui = us[r];
    const vi = vs[r];
    let filled = 0;
    let lo = r - 1;
    let hi = r + 1;
    for (;;) {
      const dl = lo >= 0 ? ui - us[lo] : Infinity;
      const dh = hi < n ? us[hi] - ui : Infinity;
      const gap = dl < dh ? dl : dh;
      if (gap === Infinity || (filled === k && gap >= best[k - 1])) break;
      const j = dl <= dh ? lo-- : hi++;
      const dv = Math.abs(vs[j] - vi);
      const d = gap > dv ? gap : dv;
      if (filled < k || d < best[k - 1]) {
        // Insert d into the ascending list, dropping the largest when full.
        let p = filled < k ? filled++ : k - 1;
        while (p > 0 && best[p - 1] > d) {
          best[p] = best[p - 1];
          p--;
        }
        best[p] = d;
      }
    }
    out[order[r]] = best[k - 1];
  }
  return out;
}

/**
 * How many other points lie strictly within `radius[i]` of each x[i] along one axis:
 * |x[j] − x[i]| < radius[i], or |x[j] − x[i]| = 0 where the radius is 0, by binary search in
 * the sorted values. That is scikit-learn's KDTree.query_radius(x, nextafter(radius, 0),
 * count_only=True) minus the point itself: for doubles, d ≤ nextafter(r, 0) exactly when d < r.
 */
export function countWithin(x: Vec, radius: Vec, sorted?: Float64Array): Float64Array {
  const n = x.length;
  const s = sorted ?? new Float64Array(x).sort();
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const xi = x[i];
    const r = radius[i];
    const strict = r > 0;
    // First index inside on the left: xi − s[j] < r (or ≤ 0). The differences shrink as j grows
    // and floating-point subtraction is monotone, so this is the predicate the tree evaluates.
    let a = 0;
    let b = n;
    while (a < b) {
      const m = (a + b) >>> 1;
      const d = xi - s[m];
      if (strict ? d < r : d <= 0) b = m;
      else a = m + 1;
    }
    const first = a;
    // First index outside on the right: s[j] − xi ≥ r (or > 0).
    b = n;
    while (a < b) {
      const m = (a + b) >>> 1;
      const d = s[m] - xi;
      if (strict ? d >= r : d > 0) b = m;
      else a = m + 1;
    }
    out[i] = a - first - 1;
  }
  return out;
}

export interface KsgDetail {
  /** The estimate in nats, clipped at 0 like scikit-learn's. */
  mi: number;
  /** The estimate before clipping. */
  raw: number;
  /** Per point: neighbours strictly inside the k-th joint distance along x and along y. */
  nx: Float64Array;
  ny: Float64Array;
}

/**
 * The KSG estimator (Kraskov, Stögbauer & Grassberger 2004, algorithm 1) exactly as
 * scikit-learn's `_compute_mi_cc` computes it, on the values as given (no scaling, no noise):
 * ε_i = Chebyshev distance to the k-th neighbour in (x, y); n_x(i), n_y(i) = other points with
 * |Δ| < ε_i along each axis (sklearn queries the radius nextafter(ε_i, 0) inclusively, the
 * same thing); then
 * MI = ψ(N) + ψ(k) − ⟨ψ(n_x + 1)⟩ − ⟨ψ(n_y + 1)⟩, clipped at 0.
 */
export function ksgDetail(x: Vec, y: Vec, k = 3): KsgDetail {
  const n = x.length;
  const sorted = { x: new Float64Array(x).sort(), y: new Float64Array(y).sort() };
  const eps = kthNeighborDistances(x, y, k, sorted);
  const nx = countWithin(x, eps, sorted.x);
  const ny = countWithin(y, eps, sorted.y);
  const psi = digammaTable(n);
  let sx = 0;
  let sy = 0;
  for (let i = 0; i < n; i++) {
    sx += psi[nx[i] + 1];
    sy += psi[ny[i] + 1];
  }
  const raw = psi[n] + digamma(k) - sx / n - sy / n;
  return { mi: Math.max(0, raw), raw, nx, ny };
}

/** KSG mutual information in nats (see ksgDetail). */
export function ksgMutualInformation(x: Vec, y: Vec, k = 3): number {
  return ksgDetail(x, y, k).mi;
}

/**
 * sklearn.preprocessing.scale(v, with_mean=False): divide by the population standard deviation
 * (ddof = 0); a constant variable (sd < 10·eps) is left unscaled.
 */
export function scaleToUnitStd(v: Vec): Float64Array {
  const n = v.length;
  let m = 0;
  for (let i = 0; i < n; i++) m += v[i];
  m /= n;
  let ss = 0;
  for (let i = 0; i < n; i++) ss += (v[i] - m) ** 2;
  const sd = Math.sqrt(ss / n);
  const out = new Float64Array(v);
  // sklearn's _handle_zeros_in_scale: a standard deviation below 10·eps counts as zero.
  if (sd >= 10 * Number.EPSILON) for (let i = 0; i < n; i++) out[i] /= sd;
  return out;
}

/** Add the tie-breaking jitter in place: 1e-10 · max(1, mean|v|) · N(0, 1) per value. */
function addJitter(v: Float64Array, rng: Rng): void {
  let ma = 0;
  for (let i = 0; i < v.length; i++) ma += Math.abs(v[i]);
  const amp = 1e-10 * Math.max(1, ma / v.length);
  for (let i = 0; i < v.length; i++) v[i] += amp * rng.normal();
}

export interface MutualInfoRegressionOptions {
  /** Neighbours (sklearn's n_neighbors, default 3). */
  k?: number;
  /**
   * Source of the tie-breaking noise. scikit-learn adds 1e-10·max(1, mean|v|)·N(0,1) to each
   * scaled variable (x first, then y) from its global numpy generator; here the noise comes from
   * this seeded generator instead, so values agree with sklearn's up to which noise was drawn
   * (which only matters for tied values). Omit it for no noise.
   */
  rng?: Rng;
}

/**
 * scikit-learn's `mutual_info_regression(x.reshape(-1, 1), y)[0]` for a continuous x and y:
 * both scaled to unit standard deviation (not centred), jittered (see `rng`), then the KSG
 * estimate in nats, clipped at 0.
 */
export function mutualInfoRegression(x: Vec, y: Vec, opts: MutualInfoRegressionOptions = {}): number {
  if (x.length !== y.length) throw new Error(`mutualInfoRegression: x has ${x.length} values, y has ${y.length}`);
  const xs = scaleToUnitStd(x);
  const ys = scaleToUnitStd(y);
  if (opts.rng) {
    addJitter(xs, opts.rng);
    addJitter(ys, opts.rng);
  }
  return ksgMutualInformation(xs, ys, opts.k ?? 3);
}

// ── histograms and entropy (the post's "manual" method) ────────────────────────────────────

/** numpy's bin edges for `bins` equal bins over [min, max] (±0.5 when the data are constant). */
export function binEdges(v: Vec, bins: number): Float64Array {
  if (!Number.isInteger(bins) || bins < 1) throw new Error(`binEdges: bins must be a positive integer (got ${bins})`);
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < v.length; i++) {
    if (v[i] < lo) lo = v[i];
    if (v[i] > hi) hi = v[i];
  }
  if (!(lo <= hi)) throw new Error('binEdges: no finite values');
  if (lo === hi) {
    lo -= 0.5;
    hi += 0.5;
  }
  // np.linspace: start + i·step, the last edge exactly the stop.
  const step = (hi - lo) / bins;
  const edges = new Float64Array(bins + 1);
  for (let i = 0; i < bins; i++) edges[i] = lo + i * step;
  edges[bins] = hi;
  return edges;
}

/** Bin of value v: edges[b] ≤ v < edges[b+1], the last bin closed (np.searchsorted 'right' − 1). */
export function binIndex(edges: Float64Array, v: number): number {
  const bins = edges.length - 1;
  if (!(v >= edges[0] && v <= edges[bins])) return -1;
  if (v === edges[bins]) return bins - 1;
  let a = 0;
  let b = edges.length;
  while (a < b) {
    const m = (a + b) >>> 1;
    if (edges[m] > v) b = m;
    else a = m + 1;
  }
  return a - 1;
}

export interface Histogram1D {
  edges: Float64Array;
  counts: Float64Array;
  /** counts / (N · bin width): numpy's density=True. */
  density: Float64Array;
}

/** np.histogram(v, bins=bins) with its density. */
export function histogram1d(v: Vec, bins: number): Histogram1D {
  const edges = binEdges(v, bins);
  const counts = new Float64Array(bins);
  for (let i = 0; i < v.length; i++) {
    const b = binIndex(edges, v[i]);
    if (b >= 0) counts[b]++;
  }
  let total = 0;
  for (const c of counts) total += c;
  const density = counts.map((c, b) => c / (total * (edges[b + 1] - edges[b])));
  return { edges, counts, density };
}

export interface Histogram2D {
  xEdges: Float64Array;
  yEdges: Float64Array;
  /** bins × bins counts, row-major with x along rows: counts[i·bins + j] is x-bin i, y-bin j (numpy's Z). */
  counts: Float64Array;
  bins: number;
}

/** np.histogram2d(x, y, bins=bins): equal bins spanning each variable's range. */
export function histogram2d(x: Vec, y: Vec, bins: number): Histogram2D {
  if (x.length !== y.length) throw new Error(`histogram2d: x has ${x.length} values, y has ${y.length}`);
  const xEdges = binEdges(x, bins);
  const yEdges = binEdges(y, bins);
  const counts = new Float64Array(bins * bins);
  for (let i = 0; i < x.length; i++) {
    const bx = binIndex(xEdges, x[i]);
    const by = binIndex(yEdges, y[i]);
    if (bx >= 0 && by >= 0) counts[bx * bins + by]++;
  }
  return { xEdges, yEdges, counts, bins };
}

/** The notebook's ε, added inside the logarithm so empty bins contribute 0·log(ε) = 0. */
export const ENTROPY_EPS = 1e-13;

/** −Σ p·log₂(p + ε): Shannon entropy in bits (of proportions; the post also feeds it densities). */
export function entropyBits(p: Vec, eps = ENTROPY_EPS): number {
  let h = 0;
  for (let i = 0; i < p.length; i++) h -= p[i] * Math.log2(p[i] + eps);
  return h;
}

export interface HistogramMI {
  /** Entropies of the marginals and of the joint histogram, in bits. */
  hx: number;
  hy: number;
  hxy: number;
  /** H(x) + H(y) − H(x, y), in bits. */
  mi: number;
}

/**
 * Mutual information from a bins × bins joint histogram, the post's direct translation of the
 * formula: proportions p = Z / ΣZ, marginals by summing rows and columns, entropies in bits
 * with ε = 1e-13 inside the log, MI = H(x) + H(y) − H(x, y).
 */
export function histogramMutualInformation(x: Vec, y: Vec, bins: number): HistogramMI {
  const h = histogram2d(x, y, bins);
  let total = 0;
  for (const c of h.counts) total += c;
  const pxy = h.counts.map((c) => c / total);
  const px = new Float64Array(bins);
  const py = new Float64Array(bins);
  for (let i = 0; i < bins; i++) {
    for (let j = 0; j < bins; j++) {
      px[i] += pxy[i * bins + j];
      py[j] += pxy[i * bins + j];
    }
  }
  const hx = entropyBits(px);
  const hy = entropyBits(py);
  const hxy = entropyBits(pxy);
  return { hx, hy, hxy, mi: hx + hy - hxy };
}

// ── covariance and permutation tests ────────────────────────────────────────────────────────

/** Sample covariance with N − 1 in the denominator (np.cov(x, y)[0, 1]). */
export function covariance(x: Vec, y: Vec): number {
  const n = x.length;
  if (y.length !== n) throw new Error(`covariance: x has ${n} values, y has ${y.length}`);
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) {
    mx += x[i];
    my += y[i];
  }
  mx /= n;
  my /= n;
  let s = 0;
  for (let i = 0; i < n; i++) s += (x[i] - mx) * (y[i] - my);
  return s / (n - 1);
}

/** A uniformly random permutation of 0 … n−1 (Fisher–Yates; numpy's permutation(n)). */
export function permutation(n: number, rng: Rng): Uint32Array {
  const p = new Uint32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rng.uniform() * (i + 1));
    const t = p[i];
    p[i] = p[j];
    p[j] = t;
  }
  return p;
}

export interface PermutationResult {
  observed: number;
  /** The statistic on each shuffled copy of x (the null distribution). */
  null: Float64Array;
  /** (observed − mean(null)) / std(null, ddof = 1). */
  z: number;
  /**
   * Share of shuffles beyond the observed value: null > observed ('greater'), or
   * |null| > |observed| ('two-sided', the post's covariance test on the bike data).
   */
  p: number;
}

/** z and p of an observed statistic against its null distribution, as the post computes them. */
export function permutationStats(observed: number, nulls: Float64Array, tail: 'greater' | 'two-sided' = 'greater'): PermutationResult {
  const n = nulls.length;
  let m = 0;
  for (const v of nulls) m += v;
  m /= n;
  let ss = 0;
  for (const v of nulls) ss += (v - m) ** 2;
  const sd = Math.sqrt(ss / (n - 1));
  let beyond = 0;
  for (const v of nulls) if (tail === 'greater' ? v > observed : Math.abs(v) > Math.abs(observed)) beyond++;
  return { observed, null: nulls, z: (observed - m) / sd, p: beyond / n };
}

/**
 * Shuffle x against y `iterations` times and recompute the statistic each time: the null
 * hypothesis of no dependence, with the marginal distributions kept.
 */
export function permutationTest(
  x: Vec,
  y: Vec,
  statistic: (x: Float64Array, y: Vec) => number,
  opts: { iterations: number; rng: Rng; tail?: 'greater' | 'two-sided'; observed?: number },
): PermutationResult {
  const n = x.length;
  const shuffled = new Float64Array(n);
  const nulls = new Float64Array(opts.iterations);
  for (let it = 0; it < opts.iterations; it++) {
    const p = permutation(n, opts.rng);
    for (let i = 0; i < n; i++) shuffled[i] = x[p[i]];
    nulls[it] = statistic(shuffled, y);
  }
  const observed = opts.observed ?? statistic(new Float64Array(x), y);
  return permutationStats(observed, nulls, opts.tail);
}
