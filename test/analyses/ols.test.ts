// lib/ols.ts against numbers computed independently in Python (numpy 2.4, scipy 1.17): the
// expected values below are literals printed by numpy.linalg.lstsq, explicit formulas and
// scipy.stats, never by the project's own code.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { fSurvival, lstsqSvd, matrixRank, normalEquations, ols, twoSidedP, withIntercept } from '../../src/analyses/lib/ols.ts';

/** |a − b| ≤ tol·max(1, |b|): relative for large values, absolute near zero. */
const close = (a: number, b: number, tol = 1e-10, what = '') =>
  assert.ok(Math.abs(a - b) <= tol * Math.max(1, Math.abs(b)), `${what} ${a} vs ${b}`);
const closeAll = (a: readonly number[], b: readonly number[], tol = 1e-10, what = '') => {
  assert.equal(a.length, b.length, `${what} length`);
  a.forEach((v, i) => close(v, b[i]!, tol, `${what}[${i}]`));
};
/** Relative closeness for p values that can be tiny. */
const relClose = (a: number, b: number, tol = 1e-8, what = '') =>
  assert.ok(Math.abs(a - b) <= tol * Math.abs(b), `${what} ${a} vs ${b}`);

// A small fixed data set: two predictors that are correlated but not collinear.
const x1 = [1, 2, 3, 4, 5, 6, 7, 8];
const x2 = [2, 1, 4, 3, 6, 5, 8, 9];
const y = [3.1, 3.9, 6.2, 6.8, 9.9, 10.1, 13.2, 15.4];

describe('ols with an intercept', () => {
  const r = ols(withIntercept(x1, x2), y);

  test('coefficients match numpy.linalg.lstsq', () => {
    // np.linalg.lstsq(np.column_stack([np.ones(8), x1, x2]), y, rcond=None)[0]
    closeAll(r.beta, [0.7235294117647069, 1.0803921568627464, 0.6294117647058823], 1e-12, 'beta');
    assert.deepEqual(r.names, ['Intercept', 'x1', 'x2']);
    assert.equal(r.n, 8);
    assert.equal(r.k, 3);
    assert.equal(r.dfResid, 5);
  });

  test('standard errors, t and p match the textbook formulas', () => {
    // se = sqrt(diag(SSE/(n−k) · inv(XᵀX))); t = β/se; p = 2·scipy.stats.t.sf(|t|, n−k)
    closeAll(r.stdErr, [0.2371819690201952, 0.129560223817112, 0.11270672833882278], 1e-10, 'se');
    closeAll(r.t, [3.0505245181732215, 8.338918574174699, 5.584509230129752], 1e-10, 't');
    [0.028407308406091028, 0.00040556853306706844, 0.0025390106424784385].forEach((p, j) => relClose(r.p[j]!, p, 1e-8, `p[${j}]`));
  });

  test('SSE, R², adjusted R², F and its p value', () => {
    // sse = e·e; R² = 1 − SSE/Σ(y−ȳ)²; adj = 1 − (n−1)/(n−k)·(1−R²); F = ((SST−SSE)/(k−1))/(SSE/(n−k));
    // fP = scipy.stats.f.sf(F, k−1, n−k)
    close(r.sse, 0.4627450980392158, 1e-10, 'sse');
    close(r.r2, 0.9965121907063184, 1e-12, 'r2');
    close(r.adjR2, 0.9951170669888457, 1e-12, 'adjR2');
    close(r.f, 714.2823093220336, 1e-9, 'F');
    relClose(r.fP, 7.184256447813725e-07, 1e-9, 'fP');
    close(r.sigma, 0.3042187035799133, 1e-10, 'sigma');
  });

  test('fitted values and residuals add up to the data; residuals are orthogonal to the predictors', () => {
    r.fitted.forEach((f, i) => close(f + r.residuals[i]!, y[i]!, 1e-12));
    close(r.residuals.reduce((s, e) => s + e, 0), 0, 1e-12, 'Σe');
    close(r.residuals.reduce((s, e, i) => s + e * x1[i]!, 0), 0, 1e-11, 'x1·e');
    close(r.residuals.reduce((s, e, i) => s + e * x2[i]!, 0), 0, 1e-11, 'x2·e');
  });

  test('names can be given', () => {
    assert.deepEqual(ols(withIntercept(x1, x2), y, ['const', 'a', 'b']).names, ['const', 'a', 'b']);
  });

  test('a constant column anywhere is the intercept (statsmodels k_constant): same R², adjusted R² and F', () => {
    const first = ols(withIntercept(x1, x2), y);
    const middle = ols(x1.map((v, i) => [v, 1, x2[i]!]), y);
    assert.deepEqual(middle.names, ['x1', 'Intercept', 'x2']);
    close(middle.r2, first.r2, 1e-12, 'R²');
    close(middle.adjR2, first.adjR2, 1e-12, 'adjusted R²');
    close(middle.f, first.f, 1e-9, 'F');
    close(middle.beta[1]!, first.beta[0]!, 1e-10, 'intercept');
  });
});

describe('ols without an intercept (uncentred R², as statsmodels)', () => {
  const r = ols(x1.map((v, i) => [v, x2[i]!]), y);

  test('coefficients, inference and fit statistics', () => {
    // np.linalg.lstsq(np.column_stack([x1, x2]), y); R² = 1 − SSE/Σy²; adj = 1 − n/(n−k)·(1−R²);
    // F = ((Σy² − SSE)/k)/(SSE/(n−k)), fP = scipy.stats.f.sf(F, k, n−k)
    assert.deepEqual(r.names, ['x1', 'x2']);
    closeAll(r.beta, [1.2204301075268809, 0.6177419354838719], 1e-12, 'beta');
    closeAll(r.stdErr, [0.18707656031372638, 0.17393158650962626], 1e-10, 'se');
    closeAll(r.t, [6.523693323632989, 3.551637444816172], 1e-10, 't');
    relClose(r.p[0]!, 0.0006190632222365103, 1e-8, 'p0');
    relClose(r.p[1]!, 0.012048196554563684, 1e-8, 'p1');
    close(r.r2, 0.9981634876343788, 1e-12, 'r2');
    close(r.adjR2, 0.9975513168458384, 1e-12, 'adjR2');
    close(r.f, 1630.531064728335, 1e-9, 'F');
    relClose(r.fP, 6.194147895755988e-09, 1e-8, 'fP');
  });
});

describe('rank-deficient and impossible designs', () => {
  const rankError = /linearly dependent \(the design matrix is rank deficient\)/;

  test('a predictor that is a linear function of another is refused, not fitted with huge numbers', () => {
    // numpy.linalg.matrix_rank of each design is 2 (< 3 columns).
    assert.throws(() => ols(withIntercept(x1, x1.map((v) => 2 * v)), y), rankError);
    assert.throws(() => ols(withIntercept(x1, x1.map((v) => 0.1 * v + 0.3)), y), rankError);
    assert.throws(() => ols(withIntercept(x1, x1.map((v) => v / 3)), y), rankError);
    // A constant predictor duplicates the intercept.
    assert.throws(() => ols(withIntercept([0.1, 0.1, 0.1, 0.1, 0.1]), [1, 2, 3, 4, 5]), rankError);
    // A combination of two predictors: x1 + x2 is fine, but [1, x1, x2, x1 + x2] is not.
    assert.doesNotThrow(() => ols(withIntercept(x1, x1.map((v, i) => v + x2[i]!)), y));
    assert.throws(() => ols(withIntercept(x1, x2, x1.map((v, i) => v + x2[i]!)), y), rankError);
  });

  test('too few observations, mismatched lengths, no predictors', () => {
    assert.throws(() => ols(withIntercept([1, 2]), [1, 2]), /2 observations cannot fit 2 parameters/);
    assert.throws(() => ols(withIntercept(x1), y.slice(1)), /8 rows of predictors but 7 observations/);
    assert.throws(() => ols([[], []], [1, 2]), /no predictors/);
  });

  test('matrixRank counts like numpy.linalg.matrix_rank', () => {
    assert.equal(matrixRank(withIntercept(x1, x2)), 3);
    assert.equal(matrixRank(withIntercept(x1, x1.map((v) => 0.1 * v + 0.3))), 2);
    assert.equal(matrixRank(withIntercept(x1, x1.map((v) => v / 3))), 2);
    assert.equal(matrixRank([[0, 0], [0, 0], [0, 0]]), 0);
    assert.equal(matrixRank([[1, 2, 3]]), 1);
  });
});

describe('the two solvers: normal equations and SVD least squares', () => {
  test('both give numpy.linalg.lstsq on a full-rank design', () => {
    const expected = [0.7235294117647069, 1.0803921568627464, 0.6294117647058823];
    closeAll(normalEquations(withIntercept(x1, x2), y), expected, 1e-10, 'normal');
    closeAll(lstsqSvd(withIntercept(x1, x2), y), expected, 1e-12, 'svd');
  });

  test('the post\'s example: punk concerts and happiness', () => {
    // np.linalg.inv(X.T@X) @ X.T @ y with X = [1, [1,2,4,5,7]], y = [5,6.5,6,8,9]
    const X = withIntercept([1, 2, 4, 5, 7]);
    const yy = [5, 6.5, 6, 8, 9];
    closeAll(normalEquations(X, yy), [4.583333333333337, 0.6096491228070176], 1e-12, 'normal');
    closeAll(lstsqSvd(X, yy), [4.583333333333331, 0.6096491228070179], 1e-12, 'svd');
  });

  test('on a rank-deficient design lstsq returns the minimum-norm solution, as numpy does', () => {
    // np.linalg.lstsq(np.column_stack([np.ones(8), x1, 2*x1]), y, rcond=None)[0]
    closeAll(lstsqSvd(withIntercept(x1, x1.map((v) => 2 * v)), y), [0.6785714285714274, 0.3509523809523809, 0.7019047619047617], 1e-10, 'min-norm');
  });
});

describe('distribution tails', () => {
  test('two-sided t p values match 2·scipy.stats.t.sf(|t|, df)', () => {
    relClose(twoSidedP(2, 5), 0.10193947882985835, 1e-10);
    relClose(twoSidedP(-2, 5), 0.10193947882985835, 1e-10);
    relClose(twoSidedP(0.5, 10), 0.627893605742973, 1e-10);
    relClose(twoSidedP(13.63, 133), 5.1101155113517536e-27, 1e-6);
    assert.equal(twoSidedP(Infinity, 5), 0);
    assert.ok(Number.isNaN(twoSidedP(NaN, 5)));
  });

  test('the F survival function matches scipy.stats.f.sf, far into the tail', () => {
    relClose(fSurvival(0.5, 3, 10), 0.6906222455335577, 1e-10);
    relClose(fSurvival(2.5, 4, 20), 0.07514662963527473, 1e-10);
    relClose(fSurvival(44.67, 2, 85), 5.507190160978722e-14, 1e-8);
    // 1 − cdf would round this to 0.
    relClose(fSurvival(185.77, 1, 133), 5.1175150973251426e-27, 1e-6);
    assert.equal(fSurvival(0, 2, 5), 1);
  });
});
