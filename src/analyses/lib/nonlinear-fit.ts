// Nonlinear least squares as scipy.optimize.curve_fit does it (method 'lm', absolute_sigma False):
// Levenberg–Marquardt from given starting values (ml-levenberg-marquardt), then the parameter
// covariance at the solution, s²·(JᵀJ)⁻¹ with s² = SSE / (n − p), and standard errors as the
// square roots of its diagonal. ml-levenberg-marquardt returns no covariance, so J is evaluated
// here at the solution: analytically when the model supplies its derivatives, else by central
// differences. Like scipy, a singular JᵀJ (or n ≤ p) gives infinite standard errors.
import { levenbergMarquardt } from 'ml-levenberg-marquardt';
import { Matrix, SingularValueDecomposition } from 'ml-matrix';

/** y = f(params, x). */
export type ModelFunction = (params: readonly number[], x: number) => number;
/** ∂f/∂params at x, one entry per parameter. */
export type ModelJacobian = (params: readonly number[], x: number) => number[];

export interface NonlinearModel {
  name: string;
  /** Parameter names in order (e.g. ['A', 'x0', 'k', 'b']). */
  params: readonly string[];
  f: ModelFunction;
  /** Analytic derivatives; without them the Jacobian is taken by central differences. */
  jacobian?: ModelJacobian;
}

export interface CurveFitOptions {
  /** Levenberg–Marquardt iterations at most (default 1000). */
  maxIterations?: number;
  /** Initial damping λ (ml-levenberg-marquardt's default 1e-2). */
  damping?: number;
  /** Use finite differences even if the model has an analytic Jacobian (for tests). */
  numericJacobian?: boolean;
}

export interface CurveFitResult {
  params: number[];
  /** s²·(JᵀJ)⁻¹ at the solution (Infinity everywhere when it is singular or n ≤ p). */
  covariance: number[][];
  stdErr: number[];
  /** Sum of squared residuals at the solution. */
  sse: number;
  /** Residual variance SSE / (n − p). */
  s2: number;
  n: number;
  dof: number;
  iterations: number;
  /** Relative SSE change over the last block of iterations was below 1e-10, and SSE is finite. */
  converged: boolean;
  /** Rank of J at the solution (p when the covariance exists). */
  rank: number;
}

const EPS = 2.220446049250313e-16;

/** Model values at each x. */
export function predict(model: NonlinearModel, params: readonly number[], x: ArrayLike<number>): number[] {
  return Array.from(x, (xi) => model.f(params, xi));
}

/** The n × p Jacobian of the model at `params`: analytic, or central differences. */
export function modelJacobian(model: NonlinearModel, params: readonly number[], x: ArrayLike<number>, numeric = false): number[][] {
  if (model.jacobian && !numeric) return Array.from(x, (xi) => model.jacobian!(params, xi));
  const p = params.length;
  const rows = Array.from({ length: x.length }, () => new Array<number>(p).fill(0));
  for (let j = 0; j < p; j++) {
    // Step ∝ ε^(1/3)·max(|p_j|, 1): the error-balancing step for central differences.
    const h = Math.cbrt(EPS) * Math.max(Math.abs(params[j]), 1);
    const up = [...params];
    const down = [...params];
    up[j] += h;
    down[j] -= h;
    for (let i = 0; i < x.length; i++) rows[i][j] = (model.f(up, x[i]) - model.f(down, x[i])) / (2 * h);
  }
  return rows;
}

function sumSquares(model: NonlinearModel, params: readonly number[], x: ArrayLike<number>, y: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += (y[i] - model.f(params, x[i])) ** 2;
  return s;
}

/**
 * s²·(JᵀJ)⁻¹ from the SVD of J (JᵀJ = V S² Vᵀ), so a nearly singular J does not lose precision
 * by squaring. Rank deficiency → Infinity, as scipy's curve_fit reports an indeterminate covariance.
 */
export function covarianceAt(J: readonly (readonly number[])[], s2: number, rtol?: number): { covariance: number[][]; rank: number } {
  const p = J[0]?.length ?? 0;
  const svd = new SingularValueDecomposition(new Matrix(J.map((r) => [...r])), { autoTranspose: true });
  const s = svd.diagonal;
  const V = svd.rightSingularVectors;
  // Singular values below this count as zero: scipy's ε·max(n, p)·s₀ for an exact J; a
  // finite-difference J carries errors near ε^(2/3), so `rtol` widens the margin for it.
  const threshold = (rtol ?? EPS * Math.max(J.length, p)) * (s[0] ?? 0);
  const rank = s.filter((v) => v > threshold).length;
  const infinite = () => Array.from({ length: p }, () => new Array<number>(p).fill(Infinity));
  if (rank < p || !Number.isFinite(s2)) return { covariance: infinite(), rank };
  const covariance = Array.from({ length: p }, (_, a) =>
    Array.from({ length: p }, (_, b) => {
      let c = 0;
      for (let k = 0; k < p; k++) c += (V.get(a, k) * V.get(b, k)) / (s[k] * s[k]);
      return c * s2;
    }),
  );
  return { covariance, rank };
}

const BLOCK = 10;
/** Relative singular-value cut-off for a central-difference Jacobian. */
const NUMERIC_RTOL = 1e-8;

/**
 * Fit `model` to (x, y) from `p0`. ml-levenberg-marquardt runs a fixed number of iterations and
 * keeps the best parameters seen; it is run here in blocks of 10 until a block no longer lowers
 * the SSE (relative change < 1e-10), up to `maxIterations`.
 */
export function curveFit(model: NonlinearModel, x: ArrayLike<number>, y: ArrayLike<number>, p0: readonly number[], opts: CurveFitOptions = {}): CurveFitResult {
  const n = x.length;
  const p = p0.length;
  if (p !== model.params.length) throw new Error(`curveFit: ${model.name} has ${model.params.length} parameters, got ${p} starting values`);
  if (n !== y.length) throw new Error(`curveFit: ${n} x values but ${y.length} y values`);
  if (n < 2) throw new Error('curveFit: needs at least 2 points');
  const maxIterations = opts.maxIterations ?? 1000;
  const useAnalytic = Boolean(model.jacobian) && !opts.numericJacobian;
  const data = { x: Array.from(x), y: Array.from(y) };
  let params = [...p0];
  let sse = sumSquares(model, params, x, y);
  let iterations = 0;
  let converged = false;
  while (iterations < maxIterations) {
    const block = Math.min(BLOCK, maxIterations - iterations);
    const r = levenbergMarquardt(data, (q: number[]) => (xi: number) => model.f(q, xi), {
      initialValues: params,
      maxIterations: block,
      damping: opts.damping ?? 1e-2,
      // Keep every improvement (the default 1e-7 would stop short of the minimum).
      errorTolerance: 0,
      ...(useAnalytic
        ? { jacobianFunction: (q: number[]) => (xi: number) => model.jacobian!(q, xi) }
        : { centralDifference: true, gradientDifference: p0.map((v) => 1e-6 * Math.max(Math.abs(v), 1)) }),
    });
    iterations += block;
    const next = sumSquares(model, r.parameterValues, x, y);
    const improved = next < sse;
    const relative = improved ? (sse - next) / Math.max(sse, Number.MIN_VALUE) : 0;
    if (improved) {
      params = r.parameterValues;
      sse = next;
    }
    if (!Number.isFinite(sse)) break;
    if (relative < 1e-10 || sse === 0) {
      converged = true;
      break;
    }
  }
  const dof = n - p;
  const s2 = dof > 0 ? sse / dof : Infinity;
  const numeric = !useAnalytic;
  const { covariance, rank } = covarianceAt(modelJacobian(model, params, x, numeric), s2, numeric ? NUMERIC_RTOL : undefined);
  return {
    params,
    covariance,
    stdErr: covariance.map((r, j) => Math.sqrt(r[j])),
    sse,
    s2,
    n,
    dof,
    iterations,
    converged: converged && Number.isFinite(sse),
    rank,
  };
}

// Models of the post (with their derivatives).

export const lineModel: NonlinearModel = {
  name: 'line',
  params: ['b0', 'b1'],
  f: ([b0, b1], x) => b0 + x * b1,
  jacobian: (_, x) => [1, x],
};

/** A / (1 + e^(−k(x − x0))) + b: maximum A above the floor b, midpoint x0, steepness k. */
export const sigmoidModel: NonlinearModel = {
  name: 'sigmoid',
  params: ['A', 'x0', 'k', 'b'],
  f: ([A, x0, k, b], x) => A / (1 + Math.exp(-k * (x - x0))) + b,
  jacobian: ([A, x0, k], x) => {
    const s = 1 / (1 + Math.exp(-k * (x - x0)));
    const ds = s * (1 - s); // dσ/du for u = k(x − x0), without e/(1+e)² overflowing
    return [s, -A * k * ds, A * (x - x0) * ds, 1];
  },
};

/** A·exp(−(x − x0)² / (2s²)). */
export const gaussModel: NonlinearModel = {
  name: 'gauss',
  params: ['A', 'x0', 's'],
  f: ([A, x0, s], x) => A * Math.exp(-((x - x0) ** 2) / (2 * s * s)),
  jacobian: ([A, x0, s], x) => {
    const e = Math.exp(-((x - x0) ** 2) / (2 * s * s));
    return [e, (A * e * (x - x0)) / (s * s), (A * e * (x - x0) ** 2) / (s * s * s)];
  },
};

/**
 * A rotated ellipse as one model with 2n outputs, like the notebook's concatenation: "x" is an
 * index i; i < n gives the x coordinate at angle t[i], i ≥ n the y coordinate at t[i − n].
 * Parameters: centre (x0, y0), semi-axes a and b, rotation θ.
 */
export function ellipseModel(t: readonly number[]): NonlinearModel {
  const n = t.length;
  const at = (i: number) => {
    const k = Math.round(i);
    return { ti: t[k < n ? k : k - n], isX: k < n };
  };
  return {
    name: 'ellipse',
    params: ['x0', 'y0', 'a', 'b', 'theta'],
    f: ([x0, y0, a, b, th], i) => {
      const { ti, isX } = at(i);
      const c = Math.cos(ti);
      const s = Math.sin(ti);
      return isX ? x0 + a * c * Math.cos(th) - b * s * Math.sin(th) : y0 + a * c * Math.sin(th) + b * s * Math.cos(th);
    },
    jacobian: ([, , a, b, th], i) => {
      const { ti, isX } = at(i);
      const c = Math.cos(ti);
      const s = Math.sin(ti);
      const ct = Math.cos(th);
      const st = Math.sin(th);
      return isX
        ? [1, 0, c * ct, -s * st, -a * c * st - b * s * ct]
        : [0, 1, c * st, s * ct, a * c * ct - b * s * st];
    },
  };
}
