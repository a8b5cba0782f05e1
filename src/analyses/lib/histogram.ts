// Binning for the activation distributions of /hidden, /attention and /mlp: numpy.histogram
// with fixed edges (the one-bin rule is the render library's `histogram`, reused here), and the
// layer × bin matrices the posts draw as images (one row per transformer block, shared edges so
// the rows compare).
import { histogram } from '../../render/charts.ts';

export interface HistogramSpec {
  /** Number of equal-width bins. */
  bins: number;
  /** [lo, hi] of the bins; values outside are left out (numpy's `range`). Default: the data's range. */
  range?: [number, number];
  /** Divide by (count in range × bin width) so the area is 1 (numpy's density=True). */
  density?: boolean;
}

export interface Distribution {
  /** bins + 1 edges. */
  edges: number[];
  /** Count or density per bin. */
  values: number[];
}

/** One numpy-style histogram. */
export function distribution(values: ArrayLike<number>, spec: HistogramSpec): Distribution {
  const h = histogram(values, spec);
  return { edges: h.edges, values: h.counts };
}

export interface HistogramMatrix {
  /** Row count (one per layer). */
  rows: number;
  bins: number;
  /** Shared bin edges (bins + 1). */
  edges: number[];
  /** rows × bins, row-major: row r is the histogram of `samples[r]`. */
  data: Float64Array;
}

/**
 * Histograms of several samples on the same edges, stacked into a rows × bins matrix (the notebooks'
 * `Qhist[layeri,:] = np.histogram(..., bins=binEdges)[0]`). Without a range the edges span all samples.
 */
export function histogramMatrix(samples: readonly ArrayLike<number>[], spec: HistogramSpec): HistogramMatrix {
  const range = spec.range ?? finiteRangeOf(samples);
  const data = new Float64Array(samples.length * spec.bins);
  let edges: number[] = [];
  samples.forEach((s, r) => {
    const h = histogram(s, { ...spec, range });
    data.set(h.counts, r * spec.bins);
    edges = h.edges;
  });
  if (!samples.length) edges = histogram([], { ...spec, range }).edges;
  return { rows: samples.length, bins: spec.bins, edges, data };
}

/** The finite min and max over several samples ([0, 1] when there are none). */
export function finiteRangeOf(samples: readonly ArrayLike<number>[]): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const s of samples) {
    for (let i = 0; i < s.length; i++) {
      const v = s[i];
      if (Number.isFinite(v)) {
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
    }
  }
  return lo <= hi ? [lo, hi] : [0, 1];
}

/** Left edge of each bin: the x the notebooks plot histogram lines against (`x[:-1]`). */
export function leftEdges(d: { edges: readonly number[] }): number[] {
  return d.edges.slice(0, -1);
}

/** Centre of each bin. */
export function binCenters(d: { edges: readonly number[] }): number[] {
  return d.edges.slice(0, -1).map((e, i) => (e + d.edges[i + 1]) / 2);
}

/**
 * Upper colour limit for a histogram image: the `quantile` cell (default 95th percentile), so one
 * tall spike (GELU's zero, a dominant bin) saturates instead of darkening every other row —
 * what the notebooks' fixed vmax does for their model.
 */
export function imageLimit(h: HistogramMatrix, quantile = 0.95): number {
  const sorted = Float64Array.from(h.data).sort();
  const v = sorted[Math.floor(quantile * (sorted.length - 1))];
  return v > 0 ? v : Math.max(...sorted, 1e-12);
}
