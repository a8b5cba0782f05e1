// Gaussian kernel density estimation in one dimension, as scipy.stats.gaussian_kde (and
// matplotlib's violinplot, which uses the same estimator) compute it: the kernel is a normal
// density whose variance is the sample variance (ddof = 1) times a bandwidth factor squared,
// Scott's rule n^(-1/5) by default. Also the numbers a violin plot draws from a sample.

export type BandwidthRule = 'scott' | 'silverman';

export interface Kde {
  /** Sample size. */
  n: number;
  /** The bandwidth factor (scipy's `kde.factor`): Scott n^(-1/5), Silverman (3n/4)^(-1/5), or given. */
  factor: number;
  /** Standard deviation of each Gaussian kernel: factor × sample standard deviation (ddof = 1). */
  bandwidth: number;
  /** Density at each point (integrates to 1 over the real line). */
  evaluate(points: ArrayLike<number>): number[];
}

/** scipy's bandwidth factors for one dimension. */
export function bandwidthFactor(n: number, rule: BandwidthRule | number = 'scott'): number {
  if (typeof rule === 'number') {
    if (!(rule > 0) || !Number.isFinite(rule)) throw new Error(`gaussianKde: a numeric bandwidth factor must be positive (got ${rule})`);
    return rule;
  }
  if (rule === 'scott') return n ** (-1 / 5);
  if (rule === 'silverman') return ((n * 3) / 4) ** (-1 / 5);
  throw new Error(`gaussianKde: unknown bandwidth rule "${String(rule)}" (scott or silverman)`);
}

/**
 * A Gaussian KDE of `values`. Throws for fewer than two values or for values without spread
 * (scipy raises a singular-covariance error there too): callers draw those as a line.
 */
export function gaussianKde(values: ArrayLike<number>, rule: BandwidthRule | number = 'scott'): Kde {
  const n = values.length;
  if (n < 2) throw new Error(`gaussianKde: needs at least 2 values (got ${n})`);
  let mean = 0;
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(values[i])) throw new Error(`gaussianKde: value ${i} is not finite (${values[i]})`);
    mean += values[i] / n;
  }
  let ss = 0;
  for (let i = 0; i < n; i++) ss += (values[i] - mean) ** 2;
  const sd = Math.sqrt(ss / (n - 1));
  if (!(sd > 0)) throw new Error('gaussianKde: the values have no spread (all equal), so the kernel width would be 0');
  const factor = bandwidthFactor(n, rule);
  const bandwidth = factor * sd;
  const data = Float64Array.from(values);
  const norm = 1 / (n * bandwidth * Math.sqrt(2 * Math.PI));
  const inv2h2 = 1 / (2 * bandwidth * bandwidth);
  return {
    n,
    factor,
    bandwidth,
    evaluate(points) {
      const out = new Array<number>(points.length);
      for (let j = 0; j < points.length; j++) {
        const p = points[j];
        let s = 0;
        for (let i = 0; i < n; i++) {
          const d = p - data[i];
          s += Math.exp(-d * d * inv2h2);
        }
        out[j] = s * norm;
      }
      return out;
    },
  };
}

/** What a violin draws for one sample (matplotlib's violin_stats with a Gaussian KDE). */
export interface ViolinStats {
  n: number;
  min: number;
  max: number;
  mean: number;
  median: number;
  /** Where the density was evaluated: `points` values evenly from min to max (matplotlib's coords). */
  y: number[];
  density: number[];
  /** Kernel standard deviation; 0 when the sample has no spread (drawn as a flat line). */
  bandwidth: number;
}

/**
 * The KDE of a sample evaluated on `points` evenly spaced values from its minimum to its maximum,
 * as matplotlib's violinplot does (default 100 points, Scott's rule), with the extrema, mean and
 * median. A sample without spread gets one point of density 1.
 */
export function violinStats(values: ArrayLike<number>, points = 100, rule: BandwidthRule | number = 'scott'): ViolinStats {
  const n = values.length;
  if (n < 1) throw new Error('violinStats: the sample is empty');
  if (!Number.isInteger(points) || points < 2 || points > 10_000) throw new Error(`violinStats: points must be an integer in 2–10000 (got ${points})`);
  const sorted = Float64Array.from(values).sort();
  const min = sorted[0];
  const max = sorted[n - 1];
  let mean = 0;
  for (const v of sorted) mean += v / n;
  const median = n % 2 ? sorted[(n - 1) / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  if (!(max > min)) return { n, min, max, mean, median, y: [min], density: [1], bandwidth: 0 };
  const kde = gaussianKde(sorted, rule);
  const y = Array.from({ length: points }, (_, i) => (i === points - 1 ? max : min + ((max - min) * i) / (points - 1)));
  return { n, min, max, mean, median, y, density: kde.evaluate(y), bandwidth: kde.bandwidth };
}
