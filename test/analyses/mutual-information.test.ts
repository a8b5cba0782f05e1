import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  binEdges,
  covariance,
  digamma,
  entropyBits,
  histogram1d,
  histogram2d,
  histogramMutualInformation,
  kthNeighborDistances,
  ksgDetail,
  ksgMutualInformation,
  mutualInfoRegression,
  permutation,
  permutationStats,
  permutationTest,
  scaleToUnitStd,
} from '../../src/analyses/lib/mutual-information.ts';
import { createRng } from '../../src/analyses/lib/random.ts';

const close = (a: number, b: number, tol = 1e-12) => assert.ok(Math.abs(a - b) <= tol, `${a} vs ${b} (tol ${tol})`);

// Fixed data sets built from exact IEEE arithmetic (+, *, /, %), so Python computes the very
// same doubles: A has no ties, B is small integers with many ties (and duplicate points).
const idx = Array.from({ length: 60 }, (_, i) => i);
const xa = idx.map((i) => ((i * 7919) % 1009) / 1009);
const ya = idx.map((i, j) => ((i * 104729 + ((i * i) % 97)) % 1013) / 1013 + xa[j] * 0.5);
const xb = [0, 1, 1, 2, 3, 3, 3, 4, 5, 6, 6, 7, 8, 8, 9, 9, 9, 10];
const yb = [2, 2, 3, 1, 4, 4, 5, 3, 6, 5, 7, 6, 8, 8, 7, 9, 10, 9];
const xc = idx.map((i) => ((i * 37) % 61) / 61);
const yc = idx.map((i) => ((i * 53) % 59) / 59);

describe('digamma', () => {
  test('matches scipy.special.digamma', () => {
    // scipy.special.digamma(v), scipy 1.17.
    const expected: [number, number][] = [
      [0.1, -10.423754940411076],
      [0.5, -1.9635100260214235],
      [1, -0.5772156649015329],
      [1.5, 0.03648997397857652],
      [2, 0.42278433509846713],
      [3, 0.9227843350984671],
      [7.3, 1.917820335637986],
      [10, 2.251752589066721],
      [12.5, 2.4851956512749123],
      [100, 4.600161852738088],
      [4380, 8.384689843775543],
      [8760, 9.077894105218915],
      [1e6, 13.81551005796419],
    ];
    for (const [v, psi] of expected) close(digamma(v), psi, 1e-13 * Math.max(1, Math.abs(psi)));
  });

  test('satisfies ψ(x + 1) = ψ(x) + 1/x and is NaN outside its domain', () => {
    for (const v of [0.25, 3.7, 9.99, 42]) close(digamma(v + 1), digamma(v) + 1 / v, 1e-13);
    assert.ok(Number.isNaN(digamma(0)));
    assert.ok(Number.isNaN(digamma(-1)));
  });
});

describe('KSG mutual information (scikit-learn _compute_mi_cc)', () => {
  // Expected values: a brute-force O(n²) KSG in numpy (Chebyshev distance matrix, k-th smallest
  // off-diagonal, radius np.nextafter(eps, 0), counts |Δ| ≤ radius minus self, scipy digamma).
  test('agrees with the brute-force estimator on tie-free data for k = 1, 3, 5', () => {
    close(ksgDetail(xa, ya, 1).raw, 1.1296459614772856, 1e-12);
    close(ksgDetail(xa, ya, 3).raw, 0.4580767898502165, 1e-12);
    close(ksgDetail(xa, ya, 5).raw, -0.08935531587296364, 1e-12);
    assert.equal(ksgMutualInformation(xa, ya, 5), 0, 'negative estimates are clipped at 0');
    const d = ksgDetail(xa, ya, 3);
    assert.deepEqual(Array.from(d.nx.slice(0, 8)), [8, 11, 8, 10, 11, 26, 11, 10]);
    assert.deepEqual(Array.from(d.ny.slice(0, 8)), [2, 17, 11, 11, 11, 21, 5, 13]);
  });

  test('handles ties and duplicate points exactly as the nextafter radius does', () => {
    const b1 = ksgDetail(xb, yb, 1);
    close(b1.raw, 1.7173303004185354, 1e-12);
    // Duplicate points have ε = 0: the radius stays 0 and counts the exact ties along each axis.
    assert.deepEqual(Array.from(b1.nx), [0, 1, 1, 0, 2, 2, 2, 0, 0, 1, 1, 0, 1, 1, 2, 2, 2, 0]);
    assert.deepEqual(Array.from(b1.ny), [1, 1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1]);
    close(ksgDetail(xb, yb, 2).raw, 2.5071451152333504, 1e-12);
    const b3 = ksgDetail(xb, yb, 3);
    close(b3.raw, 1.4562191893074243, 1e-12);
    assert.deepEqual(Array.from(b3.nx), [2, 1, 3, 5, 2, 2, 4, 4, 3, 3, 3, 4, 1, 1, 5, 2, 5, 3]);
    assert.deepEqual(Array.from(b3.ny), [4, 1, 5, 2, 1, 1, 5, 5, 5, 5, 5, 5, 1, 1, 5, 1, 2, 4]);
  });

  test('clips a negative estimate of unrelated data to 0', () => {
    close(ksgDetail(xc, yc, 3).raw, -0.24637794001681712, 1e-12);
    assert.equal(ksgMutualInformation(xc, yc), 0);
  });

  test('k-th neighbour distances equal a brute-force search, with and without ties', () => {
    const rng = createRng(11);
    for (const ties of [false, true]) {
      const n = 300;
      const x = Array.from({ length: n }, () => (ties ? Math.floor(rng.uniform() * 6) : rng.normal()));
      const y = Array.from({ length: n }, (_, i) => (ties ? Math.floor(rng.uniform() * 40) : x[i] + rng.normal()));
      for (const k of [1, 3, 7]) {
        const got = kthNeighborDistances(x, y, k);
        for (let i = 0; i < n; i += 7) {
          const d = x.map((_, j) => Math.max(Math.abs(x[i] - x[j]), Math.abs(y[i] - y[j]))).filter((_, j) => j !== i).sort((a, b) => a - b);
          assert.equal(got[i], d[k - 1], `point ${i}, k = ${k}, ties ${ties}`);
        }
      }
    }
  });

  test('rejects k outside 1…n−1', () => {
    assert.throws(() => kthNeighborDistances([1, 2, 3], [1, 2, 3], 3), /k must be an integer in 1–2/);
  });
});

describe('mutual_info_regression pipeline', () => {
  test('scales to unit population standard deviation without centring', () => {
    // numpy: v / v.std() (ddof = 0), as sklearn.preprocessing.scale(with_mean=False).
    const s = scaleToUnitStd([1, 2, 3, 4]);
    const sd = Math.sqrt(1.25);
    assert.deepEqual(Array.from(s), [1 / sd, 2 / sd, 3 / sd, 4 / sd]);
    assert.deepEqual(Array.from(scaleToUnitStd([5, 5, 5])), [5, 5, 5], 'a constant column is left unscaled');
  });

  test('without noise equals KSG on the scaled data, whatever the units', () => {
    // Brute-force KSG in numpy on (xa / xa.std(), 10·ya / (10·ya).std()).
    close(mutualInfoRegression(xa, ya.map((v) => v * 10)), 0.45048836368890033, 1e-12);
  });

  test('the tie-breaking noise (1e-10 scale) leaves generic data unchanged and breaks ties', () => {
    // Generic (random) values have no tied distances, so 1e-10 jitter cannot move any count.
    // (The lattice data A do have exactly tied distances, which the jitter may break.)
    const g = createRng(8);
    const x = Array.from(g.normals(400));
    const y = x.map((v) => v * v + g.normal());
    close(mutualInfoRegression(x, y, { rng: createRng(1) }), mutualInfoRegression(x, y), 1e-9);
    // Identical seeds give identical estimates.
    assert.equal(mutualInfoRegression(xb, yb, { rng: createRng(5) }), mutualInfoRegression(xb, yb, { rng: createRng(5) }));
  });

  test('recovers the bivariate normal MI −½·ln(1 − ρ²) (property, 4 samples of 2000)', () => {
    const rng = createRng(2024);
    for (const rho of [0, 0.3, 0.6, 0.9]) {
      const truth = -0.5 * Math.log(1 - rho * rho);
      let sum = 0;
      for (let s = 0; s < 4; s++) {
        const x = Array.from(rng.normals(2000));
        const y = x.map((v) => rho * v + Math.sqrt(1 - rho * rho) * rng.normal());
        sum += mutualInfoRegression(x, y, { rng });
      }
      close(sum / 4, truth, 0.03);
    }
  });

  test('is symmetric in x and y and invariant to monotone rescaling of either', () => {
    const rng = createRng(3);
    const x = Array.from(rng.normals(500));
    const y = x.map((v) => Math.sin(2 * v) + 0.3 * rng.normal());
    const m = mutualInfoRegression(x, y);
    close(mutualInfoRegression(y, x), m, 1e-12);
    close(mutualInfoRegression(x.map((v) => v * 1000), y), m, 1e-9);
  });
});

describe('histograms and entropy', () => {
  test('1-D histogram matches numpy.histogram (counts, density, edges)', () => {
    // np.histogram(ya, bins=6) and density=True.
    const h = histogram1d(ya, 6);
    assert.deepEqual(Array.from(h.counts), [7, 1, 17, 7, 13, 15]);
    const density = [0.5716279985762867, 0.08166114265375524, 1.388239425113839, 0.5716279985762867, 1.0615948544988174, 1.2249171398063292];
    density.forEach((d, i) => close(h.density[i], d, 1e-14));
    const edges = [0, 0.2040954378673544, 0.4081908757347088, 0.6122863136020632, 0.8163817514694176, 1.0204771893367721, 1.2245726272041264];
    edges.forEach((e, i) => close(h.edges[i], e, 1e-15));
    // The notebook's entropy of the densities: -Σ d·log2(d + 1e-13).
    close(entropyBits(h.density), 0.11052620225796572, 1e-13);
  });

  test('constant data get numpy edges ±0.5; entropy of a fair coin is 1 bit', () => {
    assert.deepEqual(Array.from(binEdges([3, 3, 3], 2)), [2.5, 3, 3.5]);
    close(entropyBits([0.5, 0.5]), 1, 1e-12);
    close(entropyBits([1, 0, 0]), 0, 1e-12);
  });

  test('2-D histogram MI matches numpy.histogram2d entropies', () => {
    // numpy: Z = histogram2d(x, y, bins)[0]; p = Z/Z.sum(); H = -Σ p·log2(p + 1e-13).
    const cases: [number[], number[], number, [number, number, number, number]][] = [
      [xa, ya, 7, [2.801922103619054, 2.5493038811980266, 4.61274492074207, 0.7384810640750104]],
      [xa, ya, 8, [2.993778140857415, 2.605656433520589, 4.8647351787207445, 0.734699395657259]],
      [xb, yb, 4, [1.97493750120135, 1.9910760598376451, 2.5521796970655384, 1.4138338639734567]],
    ];
    for (const [x, y, bins, [hx, hy, hxy, mi]] of cases) {
      const got = histogramMutualInformation(x, y, bins);
      close(got.hx, hx, 1e-12);
      close(got.hy, hy, 1e-12);
      close(got.hxy, hxy, 1e-12);
      close(got.mi, mi, 1e-12);
    }
    const h = histogram2d(xb, yb, 4);
    assert.equal(h.counts.reduce((a, b) => a + b), xb.length, 'every point lands in a bin, the maximum in the last');
  });
});

describe('covariance and permutation tests', () => {
  test('covariance matches np.cov', () => {
    close(covariance(xa, ya), 0.055030167842170935, 1e-15); // np.cov(xa, ya)[0, 1]
  });

  test('z and p as the notebook computes them', () => {
    // numpy: (obs − null.mean()) / null.std(ddof=1); mean(null > obs); mean(|null| > |obs|).
    const nulls = Float64Array.from([0.3, -0.2, 0.5, 0.1, -0.7, 0.25, 0.0, 0.45, -0.1, 0.6]);
    const g = permutationStats(0.4, nulls, 'greater');
    close(g.z, 0.7173986559158353, 1e-12);
    close(g.p, 0.3, 1e-15);
    close(permutationStats(0.4, nulls, 'two-sided').p, 0.4, 1e-15);
  });

  test('permutation() is a seeded uniform shuffle', () => {
    const p = permutation(50, createRng(9));
    assert.deepEqual(Array.from(p).sort((a, b) => a - b), Array.from({ length: 50 }, (_, i) => i));
    assert.deepEqual(Array.from(permutation(50, createRng(9))), Array.from(p));
    // Each position holds each value about equally often.
    const rng = createRng(4);
    const counts = new Array<number>(5).fill(0);
    for (let t = 0; t < 20000; t++) counts[permutation(5, rng)[0]]++;
    for (const c of counts) assert.ok(Math.abs(c - 4000) < 250, `position 0 held a value ${c} times`);
  });

  test('shuffling destroys a real relation: the observed covariance lies far out', () => {
    const rng = createRng(21);
    const x = Array.from(rng.normals(300));
    const y = x.map((v) => v + rng.normal());
    const r = permutationTest(x, y, covariance, { iterations: 500, rng });
    assert.ok(r.z > 8, `z = ${r.z}`);
    assert.equal(r.p, 0);
    close(r.observed, covariance(x, y), 1e-15);
    // Unrelated data: the observed value sits inside the null distribution.
    const u = Array.from(rng.normals(300));
    const r0 = permutationTest(u, y, covariance, { iterations: 500, rng });
    assert.ok(Math.abs(r0.z) < 3.5 && r0.p > 0.001, `z = ${r0.z}, p = ${r0.p}`);
  });
});
