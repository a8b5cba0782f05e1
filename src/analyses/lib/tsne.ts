// Exact t-SNE (van der Maaten & Hinton 2008), with the optimiser settings of scikit-learn's
// TSNE(method='exact'): perplexity-calibrated Gaussian affinities, early exaggeration 12 for the
// first 250 iterations, momentum 0.5 → 0.8, per-coordinate adaptive gains, learning rate
// max(N / 12 / 4, 50). O(N²) per iteration: meant for the few hundred token embeddings a chart can
// label (N ≤ 1000). Seeded, so the same seed gives the same map.
// (The npm t-SNE packages draw their start from Math.random, which cannot be seeded.)
import { createRng } from './random.ts';

export interface TsneOptions {
  perplexity?: number;
  iterations?: number;
  seed?: number;
  /** Called every 50 iterations with the fraction done. */
  onProgress?: (fraction: number) => void;
}

export interface TsneResult {
  /** N × 2 coordinates, row-major. */
  coords: Float64Array;
  /** KL(P‖Q) of the final map: lower is a more faithful map. */
  klDivergence: number;
  /** KL(P‖Q) of the random starting map, for comparison. */
  initialKl: number;
}

const EARLY_EXAGGERATION = 12;
const EXAGGERATION_ITERS = 250;
const MIN_GAIN = 0.01;
export const TSNE_MAX_POINTS = 1000;

/** Squared Euclidean distances between the rows of an N × D matrix. */
export function squaredDistances(x: ArrayLike<number>, n: number, d: number): Float64Array {
  const norms = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let k = 0; k < d; k++) s += x[i * d + k] * x[i * d + k];
    norms[i] = s;
  }
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      let dotp = 0;
      for (let k = 0; k < d; k++) dotp += x[i * d + k] * x[j * d + k];
      const v = Math.max(0, norms[i] + norms[j] - 2 * dotp);
      out[i * n + j] = v;
      out[j * n + i] = v;
    }
  }
  return out;
}

/**
 * Conditional affinities p(j|i) = exp(−β_i d_ij) / Σ_k exp(−β_i d_ik), with each β_i found by
 * bisection so that the row's entropy equals log(perplexity). Row-major N × N, zero diagonal.
 */
export function conditionalAffinities(dist: Float64Array, n: number, perplexity: number): Float64Array {
  const target = Math.log(perplexity);
  const p = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    let beta = 1;
    let lo = -Infinity;
    let hi = Infinity;
    // Distances are shifted by the row minimum so exp() never underflows to all zeros.
    let minD = Infinity;
    for (let j = 0; j < n; j++) if (j !== i && dist[i * n + j] < minD) minD = dist[i * n + j];
    for (let iter = 0; iter < 200; iter++) {
      let sum = 0;
      let weighted = 0;
      for (let j = 0; j < n; j++) {
        if (j === i) continue;
        const dj = dist[i * n + j] - minD;
        const e = Math.exp(-beta * dj);
        p[i * n + j] = e;
        sum += e;
        weighted += dj * e;
      }
      // H = log Σe + β Σ d e / Σe (natural log, as perplexity = e^H).
      const entropy = Math.log(sum) + (beta * weighted) / sum;
      for (let j = 0; j < n; j++) if (j !== i) p[i * n + j] /= sum;
      const diff = entropy - target;
      if (Math.abs(diff) < 1e-5) break;
      if (diff > 0) {
        lo = beta;
        beta = hi === Infinity ? beta * 2 : (beta + hi) / 2;
      } else {
        hi = beta;
        beta = lo === -Infinity ? beta / 2 : (beta + lo) / 2;
      }
    }
  }
  return p;
}

/** Embed N points of dimension D (row-major) in 2-D. */
export function tsne(x: ArrayLike<number>, n: number, d: number, opts: TsneOptions = {}): TsneResult {
  const perplexity = opts.perplexity ?? 30;
  const iterations = opts.iterations ?? 1000;
  if (n < 3) throw new RangeError(`t-SNE needs at least 3 points (got ${n})`);
  if (n > TSNE_MAX_POINTS) throw new RangeError(`exact t-SNE is limited to ${TSNE_MAX_POINTS} points (got ${n})`);
  if (!(perplexity > 0 && perplexity < n)) throw new RangeError(`perplexity must be between 0 and the number of points (${n}), got ${perplexity}`);
  if (x.length !== n * d) throw new RangeError(`expected ${n}×${d} = ${n * d} values, got ${x.length}`);

  // Joint probabilities: symmetrised conditionals, normalised to sum to 1.
  const cond = conditionalAffinities(squaredDistances(x, n, d), n, perplexity);
  const P = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) P[i * n + j] = Math.max((cond[i * n + j] + cond[j * n + i]) / (2 * n), 1e-12);
    P[i * n + i] = 0;
  }

  const rng = createRng(opts.seed ?? 0);
  const Y = new Float64Array(n * 2);
  for (let i = 0; i < Y.length; i++) Y[i] = 1e-4 * rng.normal();
  const update = new Float64Array(n * 2);
  const gains = new Float64Array(n * 2).fill(1);
  const grad = new Float64Array(n * 2);
  const W = new Float64Array(n * n); // Student-t kernel 1 / (1 + |y_i − y_j|²)
  const learningRate = Math.max(n / EARLY_EXAGGERATION / 4, 50);

  const kernel = (): number => {
    let sum = 0;
    for (let i = 0; i < n; i++) {
      for (let j = i + 1; j < n; j++) {
        const dx = Y[2 * i] - Y[2 * j];
        const dy = Y[2 * i + 1] - Y[2 * j + 1];
        const w = 1 / (1 + dx * dx + dy * dy);
        W[i * n + j] = w;
        W[j * n + i] = w;
        sum += 2 * w;
      }
    }
    return sum;
  };
  const kl = (): number => {
    const sumW = kernel();
    let s = 0;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        if (i === j) continue;
        const p = P[i * n + j];
        s += p * Math.log(p / Math.max(W[i * n + j] / sumW, 1e-12));
      }
    }
    return s;
  };

  const initialKl = kl();
  for (let iter = 0; iter < iterations; iter++) {
    const exaggeration = iter < EXAGGERATION_ITERS ? EARLY_EXAGGERATION : 1;
    const momentum = iter < EXAGGERATION_ITERS ? 0.5 : 0.8;
    const sumW = kernel();
    // ∂KL/∂y_i = 4 Σ_j (p_ij − q_ij) w_ij (y_i − y_j)
    grad.fill(0);
    for (let i = 0; i < n; i++) {
      for (let j = i + 1; j < n; j++) {
        const w = W[i * n + j];
        const mult = 4 * (exaggeration * P[i * n + j] - w / sumW) * w; // P and W are symmetric
        const fx = mult * (Y[2 * i] - Y[2 * j]);
        const fy = mult * (Y[2 * i + 1] - Y[2 * j + 1]);
        grad[2 * i] += fx;
        grad[2 * i + 1] += fy;
        grad[2 * j] -= fx;
        grad[2 * j + 1] -= fy;
      }
    }
    for (let k = 0; k < Y.length; k++) {
      // Grow the step while the gradient keeps its direction (the last step went against it),
      // shrink it when it flips.
      gains[k] = update[k] * grad[k] < 0 ? gains[k] + 0.2 : Math.max(gains[k] * 0.8, MIN_GAIN);
      update[k] = momentum * update[k] - learningRate * gains[k] * grad[k];
      Y[k] += update[k];
    }
    // Keep the map centred (t-SNE is translation-invariant; this keeps numbers readable).
    let mx = 0;
    let my = 0;
    for (let i = 0; i < n; i++) {
      mx += Y[2 * i];
      my += Y[2 * i + 1];
    }
    for (let i = 0; i < n; i++) {
      Y[2 * i] -= mx / n;
      Y[2 * i + 1] -= my / n;
    }
    if (opts.onProgress && iter % 50 === 49) opts.onProgress((iter + 1) / iterations);
  }
  return { coords: Y, klDivergence: kl(), initialKl };
}
