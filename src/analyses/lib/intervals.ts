// Confidence intervals two ways — from Student's t distribution (the formula) and from the
// bootstrap (resampling the data with replacement and taking percentiles of a statistic) — plus
// the descriptive pieces they need: NaN-aware summaries, numpy's percentile and 'fd' bin rule
// and z-score cleaning. Written out as their definitions so that tests can hold them to scipy
// and numpy.
import tquantile from '@stdlib/stats-base-dists-t-quantile';
import type { Rng } from './random.ts';

type Vec = ArrayLike<number>;

/** Count, mean and sample standard deviation (ddof = 1) of the finite values; NaN are skipped (pandas' mean/std/count). */
export interface Summary {
  n: number;
  mean: number;
  sd: number;
}

export function summarize(values: Vec): Summary {
  let n = 0;
  let sum = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (Number.isFinite(v)) {
      n++;
      sum += v;
    }
  }
  const mean = n > 0 ? sum / n : NaN;
  let ss = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (Number.isFinite(v)) ss += (v - mean) ** 2;
  }
  return { n, mean, sd: n > 1 ? Math.sqrt(ss / (n - 1)) : NaN };
}

/** The two-sided critical value t* with P(|T| ≤ t*) = level for df degrees of freedom (scipy's t.isf((1 − level)/2, df)). */
export function tCritical(level: number, df: number): number {
  if (!(level > 0 && level < 1)) throw new RangeError(`confidence level must be in (0, 1), got ${level}`);
  if (!(df > 0)) throw new RangeError(`degrees of freedom must be positive, got ${df}`);
  return tquantile(1 - (1 - level) / 2, df);
}

export interface TInterval {
  lower: number;
  upper: number;
  /** t* · s/√n: the "±" of mean ± half-width. */
  halfWidth: number;
  tStar: number;
  /** Standard error of the mean, s/√n. */
  stderr: number;
}

/** mean ± t*(level, n−1) · sd/√n (scipy's t.interval(level, n−1, loc=mean, scale=sd/√n)). */
export function tInterval(mean: number, sd: number, n: number, level: number): TInterval {
  const tStar = tCritical(level, n - 1);
  const stderr = sd / Math.sqrt(n);
  const halfWidth = tStar * stderr;
  return { lower: mean - halfWidth, upper: mean + halfWidth, halfWidth, tStar, stderr };
}

/** The t interval of a sample's mean (NaN skipped). */
export function sampleTInterval(values: Vec, level: number): TInterval & Summary {
  const s = summarize(values);
  if (s.n < 2) throw new RangeError(`a t interval needs at least 2 values (got ${s.n})`);
  return { ...s, ...tInterval(s.mean, s.sd, s.n, level) };
}

/**
 * numpy.percentile(values, p) with the default 'linear' method: the value at rank
 * (p/100)·(n − 1) of the sorted values, interpolating between neighbours. `sorted` must be
 * ascending and free of NaN.
 */
export function percentileSorted(sorted: Vec, p: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  const rank = (Math.min(100, Math.max(0, p)) / 100) * (n - 1);
  const lo = Math.floor(rank);
  const hi = Math.min(n - 1, lo + 1);
  const frac = rank - lo;
  return frac === 0 ? sorted[lo] : sorted[lo] + (sorted[hi] - sorted[lo]) * frac;
}

/** Ascending copy of the finite values. */
export function sortedFinite(values: Vec): Float64Array {
  const out: number[] = [];
  for (let i = 0; i < values.length; i++) if (Number.isFinite(values[i])) out.push(values[i]);
  return Float64Array.from(out).sort();
}

/** numpy.percentile for several percentiles at once (NaN skipped, like numpy.nanpercentile). */
export function percentiles(values: Vec, ps: readonly number[]): number[] {
  const sorted = sortedFinite(values);
  return ps.map((p) => percentileSorted(sorted, p));
}

/** The percentile bootstrap interval: the (1 − level)/2 and (1 + level)/2 quantiles of the bootstrap statistics. */
export function percentileInterval(stats: Vec, level: number): [number, number] {
  const tail = ((1 - level) / 2) * 100;
  const [lo, hi] = percentiles(stats, [tail, 100 - tail]);
  return [lo, hi];
}

/** A resample of `length` row indices drawn uniformly with replacement from 0 … size − 1. */
export function resampleIndices(rng: Rng, size: number, length = size, out = new Int32Array(length)): Int32Array {
  for (let i = 0; i < length; i++) out[i] = Math.floor(rng.uniform() * size);
  return out;
}

/** `boots` bootstrap means of `data`, each over `length` draws with replacement (np.mean(np.random.choice(data, length))). */
export function bootstrapMeans(rng: Rng, data: Vec, boots: number, length = data.length): Float64Array {
  const out = new Float64Array(boots);
  const size = data.length;
  for (let b = 0; b < boots; b++) {
    let sum = 0;
    for (let i = 0; i < length; i++) sum += data[Math.floor(rng.uniform() * size)];
    out[b] = sum / length;
  }
  return out;
}

/** `boots` bootstrap standard deviations (ddof = 1) of `data`. */
export function bootstrapSds(rng: Rng, data: Vec, boots: number, length = data.length): Float64Array {
  const out = new Float64Array(boots);
  const size = data.length;
  const sample = new Float64Array(length);
  for (let b = 0; b < boots; b++) {
    let sum = 0;
    for (let i = 0; i < length; i++) {
      const v = data[Math.floor(rng.uniform() * size)];
      sample[i] = v;
      sum += v;
    }
    const m = sum / length;
    let ss = 0;
    for (let i = 0; i < length; i++) ss += (sample[i] - m) ** 2;
    out[b] = Math.sqrt(ss / (length - 1));
  }
  return out;
}

/** Pearson correlation over the pairs where both values are finite (pandas' DataFrame.corr). */
export function pearsonComplete(x: Vec, y: Vec, idx?: ArrayLike<number>): number {
  const len = idx ? idx.length : x.length;
  let n = 0;
  let sx = 0;
  let sy = 0;
  for (let k = 0; k < len; k++) {
    const i = idx ? idx[k] : k;
    const a = x[i];
    const b = y[i];
    if (Number.isFinite(a) && Number.isFinite(b)) {
      n++;
      sx += a;
      sy += b;
    }
  }
  if (n < 2) return NaN;
  const mx = sx / n;
  const my = sy / n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let k = 0; k < len; k++) {
    const i = idx ? idx[k] : k;
    const a = x[i];
    const b = y[i];
    if (Number.isFinite(a) && Number.isFinite(b)) {
      sxy += (a - mx) * (b - my);
      sxx += (a - mx) ** 2;
      syy += (b - my) ** 2;
    }
  }
  return sxy / Math.sqrt(sxx * syy);
}

/** Correlations of `boots` resamples of whole rows (pandas' df.sample(n=len(df), replace=True)). */
export function bootstrapCorrelations(rng: Rng, x: Vec, y: Vec, boots: number): Float64Array {
  const out = new Float64Array(boots);
  const idx = new Int32Array(x.length);
  for (let b = 0; b < boots; b++) out[b] = pearsonComplete(x, y, resampleIndices(rng, x.length, x.length, idx));
  return out;
}

/**
 * The number of equal-width bins numpy's bins='fd' (Freedman–Diaconis) chooses: bin width
 * 2·IQR·n^(−1/3), bins = ⌈range / width⌉; one bin when the IQR is zero. Capped at `max`.
 */
export function fdBinCount(values: Vec, max = 200): number {
  const sorted = sortedFinite(values);
  const n = sorted.length;
  if (n < 2) return 1;
  const iqr = percentileSorted(sorted, 75) - percentileSorted(sorted, 25);
  const width = 2 * iqr * n ** (-1 / 3);
  const range = sorted[n - 1] - sorted[0];
  if (!(width > 0) || !(range > 0)) return 1;
  return Math.max(1, Math.min(max, Math.ceil(range / width)));
}

/** A copy with the values whose |z-score| (mean and ddof-1 sd of the finite values) exceeds `threshold` set to NaN. */
export function removeOutliers(values: Vec, threshold: number): number[] {
  const { mean, sd } = summarize(values);
  return Array.from(values, (v) => (Number.isFinite(v) && sd > 0 && Math.abs((v - mean) / sd) > threshold ? NaN : v));
}

/** np.logspace(log10(lo), log10(hi), count).astype(int): log-spaced sizes, truncated to integers (numpy's arithmetic: 10^(i·step + start), the last exactly hi). */
export function logSpacedInts(lo: number, hi: number, count: number): number[] {
  const a = Math.log10(lo);
  const b = Math.log10(hi);
  if (count === 1) return [Math.trunc(10 ** a)];
  const step = (b - a) / (count - 1);
  return Array.from({ length: count }, (_, i) => Math.trunc(10 ** (i === count - 1 ? b : i * step + a)));
}

/** np.arange(start, stop, step) for positive integer steps. */
export function arange(start: number, stop: number, step: number): number[] {
  const out: number[] = [];
  for (let v = start; v < stop; v += step) out.push(v);
  return out;
}
