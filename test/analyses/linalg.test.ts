import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { EigenvalueDecomposition, Matrix } from 'ml-matrix';
import {
  effectiveDimensionality, eigSymmetric, gramMatrix, rankOf, singularValues, svd, symmetricEigenvalues, varianceExplained,
} from '../../src/analyses/lib/linalg.ts';
import { createRng } from '../../src/analyses/lib/random.ts';

const close = (a: number, b: number, tol: number, what: string) => assert.ok(Math.abs(a - b) <= tol, `${what}: ${a} vs ${b}`);
const allClose = (a: ArrayLike<number>, b: ArrayLike<number>, tol: number, what: string) => {
  assert.equal(a.length, b.length, `${what}: length`);
  for (let i = 0; i < a.length; i++) close(a[i], b[i], tol, `${what}[${i}]`);
};

// Fixed matrices; expected values from numpy 2.4 (np.linalg.svd(X)[1], np.linalg.eigvalsh).
const TALL = [[3, 1, 4, 1], [5, 9, 2, 6], [5, 3, 5, 8], [9, 7, 9, 3], [2, 3, 8, 4], [6, 2, 6, 4]];
const WIDE = [[2, -1, 0, 3, 1, -2, 4], [1, 1, -3, 0, 2, 5, -1], [0, 4, 1, -2, -1, 3, 2], [-3, 2, 2, 1, 0, -1, 1]];
const flat = (m: number[][]) => Float64Array.from(m.flat());

describe('linalg', () => {
  test('singularValues of a tall matrix (d ≤ n: XᵀX) equal numpy.linalg.svd, raw and column-centred', () => {
    allClose(singularValues(flat(TALL), 6, 4), [24.644323286737542, 7.237207820359254, 5.3926481438179295, 3.492778077787668], 1e-12, 'tall');
    // np.linalg.svd(A - A.mean(0))[1]
    allClose(singularValues(flat(TALL), 6, 4, { center: true }), [8.021943080472681, 6.6225852231256255, 4.611885063084839, 3.4670319209648905], 1e-12, 'tall centred');
  });

  test('singularValues of a wide matrix (d > n: XXᵀ) equal numpy; centring 4 rows leaves rank 3', () => {
    allClose(singularValues(flat(WIDE), 4, 7), [7.729074806647599, 6.0306979842478174, 5.139442661499407, 2.911737210875083], 1e-12, 'wide');
    const c = singularValues(flat(WIDE), 4, 7, { center: true });
    allClose(c.subarray(0, 3), [7.571167185073539, 5.936866097604332, 3.490135870533107], 1e-12, 'wide centred');
    // numpy's 7.2e-16 is rounding noise; the Gram route's noise is √ε-sized (σ² ≈ ε·σ_max²).
    assert.ok(c[3] < 1e-6, `rank-deficient σ₄ = ${c[3]}`);
    assert.equal(rankOf(c.subarray(0, 3), 4, 7), 3);
  });

  test('a rank-2 product: two singular values as numpy, the rest rounding noise; matrix_rank 2', () => {
    const u = new Matrix([[1, 2], [0, 1], [3, -1], [2, 2], [-1, 0]]);
    const R = u.mmul(new Matrix([[1, 0, 2, -1, 1], [0, 1, 1, 1, -2]])).to2DArray();
    const s = singularValues(flat(R), 5, 5);
    allClose(s.subarray(0, 2), [10.187923310546402, 8.0750367564751855], 1e-10, 'rank 2');
    for (let i = 2; i < 5; i++) assert.ok(s[i] < 1e-6, `σ${i} = ${s[i]}`);
    // The ml-matrix SVD wrapper (full precision) gives numpy's rank.
    const full = svd(R);
    allClose(full.s.slice(0, 2), [10.187923310546402, 8.0750367564751855], 1e-12, 'svd');
    assert.equal(rankOf(full.s, 5, 5), 2);
  });

  test('symmetricEigenvalues equal numpy.linalg.eigvalsh (ascending), and leave the input alone', () => {
    const S = [[4, 1, -2, 2, 0], [1, 2, 0, 1, 3], [-2, 0, 3, -2, 1], [2, 1, -2, -1, 0], [0, 3, 1, 0, 5]];
    const a = flat(S);
    const want = [-2.2099496545639425, 0.01430554541519944, 1.3135543428242638, 6.810116039958839, 7.071973726365641];
    allClose(symmetricEigenvalues(a, 5), want, 1e-12, 'eigvalsh');
    assert.deepEqual(Array.from(a), S.flat());
    allClose(eigSymmetric(S).values, want, 1e-12, 'ml-matrix wrapper');
    // Trivial sizes.
    allClose(symmetricEigenvalues([7], 1), [7], 0, '1 × 1');
    allClose(symmetricEigenvalues([2, 1, 1, 2], 2), [1, 3], 1e-15, '2 × 2');
    allClose(symmetricEigenvalues(new Float64Array(9), 3), [0, 0, 0], 0, 'zeros');
  });

  test('the fast path agrees with ml-matrix on random matrices (tall, wide, with repeated eigenvalues)', () => {
    const rng = createRng(7);
    for (const [n, d] of [[60, 25], [20, 45], [33, 33]] as const) {
      const x = Float64Array.from({ length: n * d }, () => rng.normal());
      const s = singularValues(x, n, d);
      const ref = svd(Array.from({ length: n }, (_, i) => Array.from(x.subarray(i * d, (i + 1) * d))));
      allClose(s, ref.s, 1e-9 * ref.s[0], `${n} × ${d}`);
    }
    // A block-diagonal matrix with a repeated eigenvalue 2 (three times) and a 0.
    const B = [[2, 0, 0, 0, 0], [0, 2, 0, 0, 0], [0, 0, 1, 1, 0], [0, 0, 1, 1, 0], [0, 0, 0, 0, 2]];
    const ref = new EigenvalueDecomposition(new Matrix(B), { assumeSymmetric: true }).realEigenvalues.sort((a, b) => a - b);
    allClose(symmetricEigenvalues(flat(B), 5), ref, 1e-14, 'repeated');
    allClose(ref, [0, 2, 2, 2, 2], 1e-14, 'block');
  });

  test('gramMatrix is XᵀX or XXᵀ, whichever is smaller, symmetric', () => {
    const g = gramMatrix(flat(TALL), 6, 4);
    assert.equal(g.size, 4);
    // (AᵀA)[0][1] = 3·1 + 5·9 + 5·3 + 9·7 + 2·3 + 6·2
    assert.equal(g.gram[1], 3 + 45 + 15 + 63 + 6 + 12);
    assert.equal(g.gram[4], g.gram[1]);
    const w = gramMatrix(flat(WIDE), 4, 7);
    assert.equal(w.size, 4);
    assert.equal(w.gram[0], 4 + 1 + 0 + 9 + 1 + 4 + 16);
    assert.throws(() => gramMatrix([1, 2, 3], 2, 2), /3 values for 2 × 2/);
  });

  test("variance explained and effective dimensionality follow the notebook's definition", () => {
    // numpy: s = svd(A − mean)[1]; pct = 100 s²/Σs²; cum = cumsum(pct); where(cum > th)[0][0] + 1
    const s = singularValues(flat(TALL), 6, 4, { center: true });
    const v = varianceExplained(s);
    allClose(v.percent, [45.478141898476, 30.995501793329964, 15.031437339296856, 8.494918968897174], 1e-10, 'pct');
    allClose(v.cumulative, [45.478141898476, 76.47364369180596, 91.50508103110282, 100], 1e-10, 'cum');
    assert.deepEqual([50, 80, 95, 99].map((t) => effectiveDimensionality(v.cumulative, t)), [2, 3, 4, 4]);
    // Exactly at the threshold is not above it.
    assert.equal(effectiveDimensionality([50, 100], 50), 2);
    assert.equal(effectiveDimensionality([40, 99.999], 100), 2);
    const zeros = varianceExplained([0, 0]);
    assert.deepEqual(Array.from(zeros.percent), [0, 0]);
  });
});
