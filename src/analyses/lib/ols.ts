// Ordinary least squares with the inference statsmodels' OLS summary reports: coefficients,
// standard errors, t and two-sided p values, R², adjusted R², the F test. The solve is
// ml-matrix's QR/SVD (a least-squares solver, as numpy's lstsq), the distributions @stdlib's.
import { inverse, Matrix, QrDecomposition, SingularValueDecomposition } from 'ml-matrix';
import tcdf from '@stdlib/stats-base-dists-t-cdf';
import fcdf from '@stdlib/stats-base-dists-f-cdf';

export interface OlsResult {
  /** Predictor names, in column order of the design matrix (e.g. ['Intercept', 'x']). */
  names: string[];
  beta: number[];
  stdErr: number[];
  t: number[];
  p: number[];
  fitted: number[];
  residuals: number[];
  /** Observations and parameters (columns of the design matrix, intercept included). */
  n: number;
  k: number;
  dfResid: number;
  sse: number;
  r2: number;
  adjR2: number;
  /** F statistic of the regression against the intercept-only model, and its p value. */
  f: number;
  fP: number;
  /** √(SSE / df): the residual standard error. */
  sigma: number;
}

/** Rows of `X` are observations; include a column of ones for an intercept (see withIntercept). */
export function ols(X: readonly (readonly number[])[], y: readonly number[], names?: readonly string[]): OlsResult {
  const n = X.length;
  const k = X[0]?.length ?? 0;
  if (n !== y.length) throw new Error(`ols: ${n} rows of predictors but ${y.length} observations`);
  if (k === 0) throw new Error('ols: no predictors');
  if (n <= k) throw new Error(`ols: ${n} observations cannot fit ${k} parameters`);
  const A = new Matrix(X.map((r) => [...r]));
  const b = Matrix.columnVector([...y]);
  const qr = new QrDecomposition(A);
  // X = QR with orthonormal Q: X and the small k×k R share their singular values.
  const R = qr.upperTriangularMatrix;
  // A rank-deficient design has no unique solution: report it rather than print huge numbers.
  // QR's own check only catches exact zeros; rounding hides most dependent columns from it.
  if (!qr.isFullRank() || rankOfSingularValues(singularValues(R), n, k) < k) {
    throw new Error('ols: the predictors are linearly dependent (the design matrix is rank deficient)');
  }
  const beta = qr.solve(b).getColumn(0);
  const fitted = A.mmul(Matrix.columnVector(beta)).getColumn(0);
  const residuals = y.map((v, i) => v - fitted[i]!);
  const sse = residuals.reduce((s, r) => s + r * r, 0);
  const dfResid = n - k;
  const sigma2 = sse / dfResid;
  // (XᵀX)⁻¹ = R⁻¹R⁻ᵀ: its diagonal is the squared row norms of R⁻¹ (no XᵀX to form).
  const rInv = inverse(R);
  const stdErr = beta.map((_, j) => Math.sqrt(sigma2 * rInv.getRow(j).reduce((acc, v) => acc + v * v, 0)));
  const t = beta.map((v, j) => v / stdErr[j]!);
  const p = t.map((tv) => twoSidedP(tv, dfResid));
  // Like statsmodels' k_constant: a constant column anywhere in the design is the intercept.
  const constantCol = X[0]!.findIndex((v, j) => v !== 0 && X.every((r) => r[j] === v));
  const hasIntercept = constantCol >= 0;
  const yMean = y.reduce((s, v) => s + v, 0) / n;
  // Like statsmodels: R² against the mean when the model has a constant, else uncentred.
  const sst = hasIntercept ? y.reduce((s, v) => s + (v - yMean) ** 2, 0) : y.reduce((s, v) => s + v * v, 0);
  const r2 = 1 - sse / sst;
  const dfModel = hasIntercept ? k - 1 : k;
  const adjR2 = 1 - ((n - (hasIntercept ? 1 : 0)) / dfResid) * (1 - r2);
  const f = dfModel > 0 ? ((sst - sse) / dfModel) / sigma2 : NaN;
  const fP = dfModel > 0 ? fSurvival(f, dfModel, dfResid) : NaN;
  return {
    names: names ? [...names] : defaultNames(k, constantCol),
    beta, stdErr, t, p, fitted, residuals, n, k, dfResid, sse, r2, adjR2, f, fP, sigma: Math.sqrt(sigma2),
  };
}

/** 'Intercept' for the constant column, x1, x2, … for the others in order. */
function defaultNames(k: number, constantCol: number): string[] {
  let x = 0;
  return Array.from({ length: k }, (_, j) => (j === constantCol ? 'Intercept' : `x${++x}`));
}

/** Two-sided p value of a t statistic with `df` degrees of freedom. */
export function twoSidedP(t: number, df: number): number {
  if (!Number.isFinite(t)) return Number.isNaN(t) ? NaN : 0;
  return 2 * tcdf(-Math.abs(t), df);
}

/**
 * P(F > f) for F(d1, d2). Above 1 it is computed as P(1/F < 1/f) with 1/F ~ F(d2, d1): the lower
 * tail keeps its precision where 1 − cdf would round to 0 (a strong regression's p of 1e-27).
 */
export function fSurvival(f: number, d1: number, d2: number): number {
  if (Number.isNaN(f)) return NaN;
  return f > 1 ? fcdf(1 / f, d2, d1) : 1 - fcdf(f, d1, d2);
}

/** [1, x₁, x₂, …] per observation: the design matrix of a model with an intercept. */
export function withIntercept(...columns: readonly (readonly number[])[]): number[][] {
  const n = columns[0]?.length ?? 0;
  return Array.from({ length: n }, (_, i) => [1, ...columns.map((c) => c[i]!)]);
}

/** β = (XᵀX)⁻¹Xᵀy by the normal equations, written out: the textbook route lstsq is compared with. */
export function normalEquations(X: readonly (readonly number[])[], y: readonly number[]): number[] {
  const A = new Matrix(X.map((r) => [...r]));
  return inverse(A.transpose().mmul(A)).mmul(A.transpose()).mmul(Matrix.columnVector([...y])).getColumn(0);
}

/** The least-squares solution by SVD (numpy's lstsq): it also works for rank-deficient designs. */
export function lstsqSvd(X: readonly (readonly number[])[], y: readonly number[]): number[] {
  const svd = new SingularValueDecomposition(new Matrix(X.map((r) => [...r])), { autoTranspose: true });
  return svd.solve(Matrix.columnVector([...y])).getColumn(0);
}

/**
 * The numerical rank of a matrix (rows are observations), as numpy.linalg.matrix_rank counts it:
 * singular values above σ_max · max(rows, columns) · machine epsilon.
 */
export function matrixRank(X: readonly (readonly number[])[]): number {
  if (!X.length || !X[0]?.length) return 0;
  return rankOfSingularValues(singularValues(new Matrix(X.map((r) => [...r]))), X.length, X[0].length);
}

function singularValues(A: Matrix): number[] {
  return new SingularValueDecomposition(A, {
    computeLeftSingularVectors: false, computeRightSingularVectors: false, autoTranspose: true,
  }).diagonal;
}

function rankOfSingularValues(s: readonly number[], rows: number, cols: number): number {
  const tol = Math.max(...s) * Math.max(rows, cols) * Number.EPSILON;
  return s.filter((v) => v > tol).length;
}
