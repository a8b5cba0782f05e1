// Exact t-SNE (van der Maaten & Hinton 2008) as scikit-learn's TSNE(method='exact') runs it with
// its defaults: squared Euclidean distances; conditional affinities calibrated to the perplexity by
// sklearn's binary search (β from 1, doubling/halving then bisection, 100 steps, entropy tolerance
// 1e-5); joint P = (P + Pᵀ) / ΣP floored at machine ε; PCA initialisation rescaled so that the first
// column has standard deviation 1e-4 (or a seeded N(0, 1e-4²) start); early exaggeration 12 for
// 250 iterations with momentum 0.5, then momentum 0.8 up to 1000 iterations in all; learning rate
// 'auto' = max(N / 12 / 4, 50); per-coordinate gains (+0.2 / ×0.8, at least 0.01) that start again
// with each phase; every 50 iterations the KL divergence is checked and the run stops after 300
// iterations without progress or when the gradient norm falls to 1e-7.
//
// Differences from sklearn, on purpose: the exact O(N²) gradient (sklearn's default is Barnes–Hut,
// an approximation of this one), float64 throughout (sklearn keeps the map in float32), and the
// PCA by subspace iteration instead of a randomised SVD (both converge to the same top two
// components; signs follow sklearn's svd_flip: each component's largest loading is positive).
// Meant for the few hundred token embeddings a chart can label (N ≤ 1000). Deterministic with PCA
// initialisation; seeded with random initialisation.
import { createRng } from './random.ts';

export interface TsneOptions {
  /** Default 30 (sklearn's). */
  perplexity?: number;
  /** Default 12 (sklearn's). */
  earlyExaggeration?: number;
  /** 'auto' (default) = max(N / earlyExaggeration / 4, 50). */
  learningRate?: number | 'auto';
  /** Total iterations, both phases (sklearn's max_iter, default 1000). */
  maxIter?: number;
  /** Iterations with exaggerated P and momentum 0.5 (sklearn's _EXPLORATION_MAX_ITER, 250). */
  explorationIter?: number;
  /** 'pca' (sklearn's default), 'random' (seeded), or given N × 2 starting coordinates (row-major). */
  init?: 'pca' | 'random' | ArrayLike<number>;
  seed?: number;
  /** Called every 50 iterations with the fraction done. */
  onProgress?: (fraction: number) => void;
}

export interface TsneResult {
  /** N × 2 coordinates, row-major. */
  coords: Float64Array;
  /** The starting map (N × 2), after PCA and rescaling or the random draw. */
  initial: Float64Array;
  /** KL(P‖Q) of the final map (sklearn's kl_divergence_): lower is a more faithful map. */
  klDivergence: number;
  /** KL(P‖Q) of the starting map, for comparison. */
  initialKl: number;
  /** Iterations run (sklearn's n_iter_ + 1; fewer than maxIter when it stopped early). */
  iterations: number;
  learningRate: number;
}

/** numpy.finfo(np.double).eps: sklearn's MACHINE_EPSILON floor for P and Q. */
export const MACHINE_EPSILON = 2.220446049250313e-16;
const EXPLORATION_ITERS = 250;
const CHECK_EVERY = 50;
const ITERS_WITHOUT_PROGRESS = 300;
const MIN_GRAD_NORM = 1e-7;
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
 * Conditional affinities p(j|i) = exp(−β_i d_ij) / Σ_k exp(−β_i d_ik) (d squared distances), with β_i
 * found by sklearn's _binary_search_perplexity so that the row's entropy (natural log) is
 * log(perplexity) within 1e-5. Row-major N × N, zero diagonal; the β's come back too.
 */
export function conditionalAffinities(dist: Float64Array, n: number, perplexity: number): Float64Array {
  return binarySearchPerplexity(dist, n, perplexity).p;
}

/** conditionalAffinities with the precision β_i found for each row. */
export function binarySearchPerplexity(dist: Float64Array, n: number, perplexity: number): { p: Float64Array; betas: Float64Array } {
  const target = Math.log(perplexity);
  const p = new Float64Array(n * n);
  const betas = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let beta = 1;
    let lo = -Infinity;
    let hi = Infinity;
    // Distances shifted by the row minimum: the same p's and entropy, but exp() cannot underflow.
    let minD = Infinity;
    for (let j = 0; j < n; j++) if (j !== i && dist[i * n + j] < minD) minD = dist[i * n + j];
    for (let step = 0; step < 100; step++) {
      let sum = 0;
      for (let j = 0; j < n; j++) {
        if (j === i) continue;
        const e = Math.exp(-beta * (dist[i * n + j] - minD));
        p[i * n + j] = e;
        sum += e;
      }
      let weighted = 0;
      for (let j = 0; j < n; j++) {
        if (j === i) continue;
        p[i * n + j] /= sum;
        weighted += (dist[i * n + j] - minD) * p[i * n + j];
      }
      // H = log Σe + β Σ d p
      const diff = Math.log(sum) + beta * weighted - target;
      if (Math.abs(diff) <= 1e-5) break;
      if (diff > 0) {
        lo = beta;
        beta = hi === Infinity ? beta * 2 : (beta + hi) / 2;
      } else {
        hi = beta;
        beta = lo === -Infinity ? beta / 2 : (beta + lo) / 2;
      }
    }
    betas[i] = beta;
  }
  return { p, betas };
}

/** Symmetric joint probabilities: (P + Pᵀ) / Σ(P + Pᵀ), off-diagonal entries floored at machine ε. */
export function jointProbabilities(cond: Float64Array, n: number): Float64Array {
  const P = new Float64Array(n * n);
  let sum = 0;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const v = cond[i * n + j] + cond[j * n + i];
      P[i * n + j] = v;
      sum += 2 * v;
    }
  }
  sum = Math.max(sum, MACHINE_EPSILON);
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const v = Math.max(P[i * n + j] / sum, MACHINE_EPSILON);
      P[i * n + j] = v;
      P[j * n + i] = v;
    }
  }
  return P;
}

/** Eigenvalues (descending) and eigenvectors (columns, row-major k × k) of a small symmetric matrix: cyclic Jacobi. */
function jacobiEigen(a: Float64Array, k: number): { values: number[]; vectors: Float64Array } {
  const m = Float64Array.from(a);
  const v = new Float64Array(k * k);
  for (let i = 0; i < k; i++) v[i * k + i] = 1;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let p = 0; p < k; p++) for (let q = p + 1; q < k; q++) off += m[p * k + q] ** 2;
    if (off < 1e-30) break;
    for (let p = 0; p < k; p++) {
      for (let q = p + 1; q < k; q++) {
        const apq = m[p * k + q];
        if (Math.abs(apq) < 1e-300) continue;
        const theta = (m[q * k + q] - m[p * k + p]) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let r = 0; r < k; r++) {
          const mrp = m[r * k + p];
          const mrq = m[r * k + q];
          m[r * k + p] = c * mrp - s * mrq;
          m[r * k + q] = s * mrp + c * mrq;
        }
        for (let r = 0; r < k; r++) {
          const mpr = m[p * k + r];
          const mqr = m[q * k + r];
          m[p * k + r] = c * mpr - s * mqr;
          m[q * k + r] = s * mpr + c * mqr;
        }
        for (let r = 0; r < k; r++) {
          const vrp = v[r * k + p];
          const vrq = v[r * k + q];
          v[r * k + p] = c * vrp - s * vrq;
          v[r * k + q] = s * vrp + c * vrq;
        }
      }
    }
  }
  const order = Array.from({ length: k }, (_, i) => i).sort((i, j) => m[j * k + j] - m[i * k + i]);
  const vectors = new Float64Array(k * k);
  order.forEach((src, dst) => {
    for (let r = 0; r < k; r++) vectors[r * k + dst] = v[r * k + src];
  });
  return { values: order.map((i) => m[i * k + i]), vectors };
}

/**
 * The first `components` principal-component scores of the rows of an N × D matrix (PCA's
 * fit_transform: centred data times the top right singular vectors), signs as sklearn's svd_flip
 * with u_based_decision=False (the largest-magnitude loading of each component is positive).
 * Subspace iteration on the smaller of X Xᵀ and Xᵀ X, then Rayleigh–Ritz.
 */
export function pcaScores(x: ArrayLike<number>, n: number, d: number, components = 2): Float64Array {
  const xc = new Float64Array(n * d);
  for (let k = 0; k < d; k++) {
    let mean = 0;
    for (let i = 0; i < n; i++) mean += x[i * d + k];
    mean /= n;
    for (let i = 0; i < n; i++) xc[i * d + k] = x[i * d + k] - mean;
  }
  const gram = n <= d; // work in the smaller space
  const m = gram ? n : d;
  // The m × m symmetric matrix: X Xᵀ (rows) or Xᵀ X (columns).
  const a = new Float64Array(m * m);
  if (gram) {
    for (let i = 0; i < n; i++) {
      for (let j = i; j < n; j++) {
        let s = 0;
        for (let k = 0; k < d; k++) s += xc[i * d + k] * xc[j * d + k];
        a[i * n + j] = s;
        a[j * n + i] = s;
      }
    }
  } else {
    for (let i = 0; i < n; i++) {
      for (let p = 0; p < d; p++) {
        const v = xc[i * d + p];
        if (v === 0) continue;
        for (let q = p; q < d; q++) a[p * d + q] += v * xc[i * d + q];
      }
    }
    for (let p = 0; p < d; p++) for (let q = 0; q < p; q++) a[p * d + q] = a[q * d + p];
  }
  const k = Math.min(m, components + 8);
  // Deterministic start: a fixed pseudo-random block (seeded), orthonormalised.
  const rng = createRng(12345);
  let q: Float64Array = new Float64Array(m * k);
  for (let i = 0; i < q.length; i++) q[i] = rng.normal();
  const orthonormalise = (b: Float64Array) => {
    for (let c = 0; c < k; c++) {
      for (let pass = 0; pass < 2; pass++) {
        for (let c2 = 0; c2 < c; c2++) {
          let dp = 0;
          for (let r = 0; r < m; r++) dp += b[r * k + c] * b[r * k + c2];
          for (let r = 0; r < m; r++) b[r * k + c] -= dp * b[r * k + c2];
        }
      }
      let norm = 0;
      for (let r = 0; r < m; r++) norm += b[r * k + c] ** 2;
      norm = Math.sqrt(norm) || 1;
      for (let r = 0; r < m; r++) b[r * k + c] /= norm;
    }
  };
  const multiply = (b: Float64Array) => {
    const out = new Float64Array(m * k);
    for (let r = 0; r < m; r++) {
      for (let s = 0; s < m; s++) {
        const ars = a[r * m + s];
        if (ars === 0) continue;
        for (let c = 0; c < k; c++) out[r * k + c] += ars * b[s * k + c];
      }
    }
    return out;
  };
  orthonormalise(q);
  let previous: number[] = [];
  let ritz: { values: number[]; vectors: Float64Array } = { values: [], vectors: new Float64Array(0) };
  for (let iter = 0; iter < 300; iter++) {
    const z = multiply(q);
    // Rayleigh–Ritz on span(q): T = qᵀ A q.
    const t = new Float64Array(k * k);
    for (let c1 = 0; c1 < k; c1++) {
      for (let c2 = c1; c2 < k; c2++) {
        let s = 0;
        for (let r = 0; r < m; r++) s += q[r * k + c1] * z[r * k + c2];
        t[c1 * k + c2] = s;
        t[c2 * k + c1] = s;
      }
    }
    ritz = jacobiEigen(t, k);
    const top = ritz.values.slice(0, components);
    const converged = previous.length > 0 && top.every((v, i) => Math.abs(v - previous[i]) <= 1e-14 * Math.abs(ritz.values[0]));
    previous = top;
    if (converged) break;
    orthonormalise(z);
    q = z;
  }
  // Ritz vectors in the m-space: q · vectors.
  const scores = new Float64Array(n * components);
  for (let c = 0; c < components; c++) {
    const vec = new Float64Array(m);
    for (let r = 0; r < m; r++) {
      let s = 0;
      for (let c2 = 0; c2 < k; c2++) s += q[r * k + c2] * ritz.vectors[c2 * k + c];
      vec[r] = s;
    }
    // The component (loading vector in D-space) and the scores X v.
    let loading: Float64Array;
    if (gram) {
      // vec is u (left singular vector); v = Xᵀ u / σ.
      loading = new Float64Array(d);
      for (let i = 0; i < n; i++) for (let kk = 0; kk < d; kk++) loading[kk] += xc[i * d + kk] * vec[i];
    } else {
      loading = vec;
    }
    let big = 0;
    for (let kk = 1; kk < loading.length; kk++) if (Math.abs(loading[kk]) > Math.abs(loading[big])) big = kk;
    const sign = loading[big] < 0 ? -1 : 1;
    let lnorm = 0;
    for (const v of loading) lnorm += v * v;
    lnorm = Math.sqrt(lnorm) || 1;
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let kk = 0; kk < d; kk++) s += xc[i * d + kk] * loading[kk];
      scores[i * components + c] = (sign * s) / lnorm;
    }
  }
  return scores;
}

/** sklearn's PCA start: the top two PC scores, both divided by std(first column) and times 1e-4. */
export function pcaInit(x: ArrayLike<number>, n: number, d: number): Float64Array {
  const y = pcaScores(x, n, d, 2);
  let mean = 0;
  for (let i = 0; i < n; i++) mean += y[2 * i];
  mean /= n;
  let v = 0;
  for (let i = 0; i < n; i++) v += (y[2 * i] - mean) ** 2;
  const sd = Math.sqrt(v / n); // np.std: ddof 0
  return y.map((c) => (sd > 0 ? (c / sd) * 1e-4 : c));
}

/**
 * sklearn's _kl_divergence (degrees of freedom 1) for joint probabilities P (N × N): given the map
 * Y (N × 2) and the exaggeration, writes ∂KL/∂Y into `grad` and returns KL(exag·P ‖ Q) when asked
 * (else 0). Q_ij = max(w_ij / Σw, ε) with w_ij = 1 / (1 + |y_i − y_j|²); ∂KL/∂y_i =
 * 4 Σ_j (exag·p_ij − q_ij) w_ij (y_i − y_j). One N × N buffer is kept between calls.
 */
export function makeObjective(P: Float64Array, n: number) {
  const W = new Float64Array(n * n);
  return (Y: Float64Array, exag: number, withError: boolean, grad: Float64Array): number => {
    let sumW = 0;
    for (let i = 0; i < n; i++) {
      for (let j = i + 1; j < n; j++) {
        const dx = Y[2 * i] - Y[2 * j];
        const dy = Y[2 * i + 1] - Y[2 * j + 1];
        const w = 1 / (1 + dx * dx + dy * dy);
        W[i * n + j] = w;
        sumW += 2 * w;
      }
    }
    grad.fill(0);
    let kl = 0;
    for (let i = 0; i < n; i++) {
      for (let j = i + 1; j < n; j++) {
        const w = W[i * n + j];
        const q = Math.max(w / sumW, MACHINE_EPSILON);
        const p = exag * P[i * n + j];
        if (withError) kl += 2 * p * Math.log(Math.max(p, MACHINE_EPSILON) / q);
        const mult = 4 * (p - q) * w;
        const fx = mult * (Y[2 * i] - Y[2 * j]);
        const fy = mult * (Y[2 * i + 1] - Y[2 * j + 1]);
        grad[2 * i] += fx;
        grad[2 * i + 1] += fy;
        grad[2 * j] -= fx;
        grad[2 * j + 1] -= fy;
      }
    }
    return kl;
  };
}

/** Embed N points of dimension D (row-major) in 2-D. */
export function tsne(x: ArrayLike<number>, n: number, d: number, opts: TsneOptions = {}): TsneResult {
  const perplexity = opts.perplexity ?? 30;
  const exaggeration = opts.earlyExaggeration ?? 12;
  const maxIter = opts.maxIter ?? 1000;
  const exploration = opts.explorationIter ?? EXPLORATION_ITERS;
  if (n < 3) throw new RangeError(`t-SNE needs at least 3 points (got ${n})`);
  if (n > TSNE_MAX_POINTS) throw new RangeError(`exact t-SNE is limited to ${TSNE_MAX_POINTS} points (got ${n})`);
  if (!(perplexity > 0 && perplexity < n)) throw new RangeError(`perplexity must be between 0 and the number of points (${n}), got ${perplexity}`);
  if (x.length !== n * d) throw new RangeError(`expected ${n}×${d} = ${n * d} values, got ${x.length}`);
  if (!(Number.isInteger(exploration) && exploration >= 1 && Number.isInteger(maxIter) && maxIter >= exploration)) {
    throw new RangeError(`maxIter (${maxIter}) must be an integer of at least explorationIter (${exploration})`);
  }
  const learningRate = opts.learningRate === undefined || opts.learningRate === 'auto' ? Math.max(n / exaggeration / 4, 50) : opts.learningRate;

  const P = jointProbabilities(conditionalAffinities(squaredDistances(x, n, d), n, perplexity), n);

  let Y: Float64Array;
  const init = opts.init ?? 'pca';
  if (typeof init !== 'string') {
    if (init.length !== 2 * n) throw new RangeError(`init must hold ${n}×2 = ${2 * n} coordinates, got ${init.length}`);
    Y = Float64Array.from(init);
  } else if (init === 'pca') {
    Y = pcaInit(x, n, d);
  } else {
    const rng = createRng(opts.seed ?? 0);
    Y = new Float64Array(n * 2);
    for (let i = 0; i < Y.length; i++) Y[i] = 1e-4 * rng.normal();
  }
  const initial = Float64Array.from(Y);
  const grad = new Float64Array(n * 2);
  const klObjective = makeObjective(P, n);
  const objective = (exag: number, withError: boolean) => klObjective(Y, exag, withError, grad);

  const initialKl = objective(1, true);
  let kl = initialKl;
  /** sklearn's _gradient_descent from iteration `start` to `stop` (exclusive); returns the last i. */
  const descend = (start: number, stop: number, momentum: number, exag: number, patience: number): number => {
    const update = new Float64Array(n * 2);
    const gains = new Float64Array(n * 2).fill(1);
    let bestError = Number.MAX_VALUE;
    let bestIter = start;
    let i = start;
    for (; i < stop; i++) {
      const check = (i + 1) % CHECK_EVERY === 0;
      const error = objective(exag, check || i === stop - 1);
      for (let k = 0; k < grad.length; k++) {
        gains[k] = update[k] * grad[k] < 0 ? gains[k] + 0.2 : Math.max(gains[k] * 0.8, MIN_GAIN);
        grad[k] *= gains[k];
        update[k] = momentum * update[k] - learningRate * grad[k];
        Y[k] += update[k];
      }
      if (check || i === stop - 1) kl = error;
      if (check) {
        opts.onProgress?.((i + 1) / maxIter);
        let norm = 0;
        for (const g of grad) norm += g * g;
        if (error < bestError) {
          bestError = error;
          bestIter = i;
        } else if (i - bestIter > patience) {
          break;
        }
        if (Math.sqrt(norm) <= MIN_GRAD_NORM) break;
      }
    }
    return Math.min(i, stop - 1);
  };
  // Exploration with exaggerated P, then the rest without (sklearn always runs the second phase).
  const explored = descend(0, exploration, 0.5, exaggeration, exploration);
  const last = descend(explored + 1, maxIter, 0.8, 1, ITERS_WITHOUT_PROGRESS);
  // kl is sklearn's kl_divergence_: the error computed in the last iteration (before its step).
  return { coords: Y, initial, klDivergence: kl, initialKl, iterations: last + 1, learningRate };
}
