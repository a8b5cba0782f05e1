import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createRng } from '../../src/analyses/lib/random.ts';
import {
  binarySearchPerplexity, conditionalAffinities, jointProbabilities, makeObjective, pcaInit, squaredDistances, tsne,
} from '../../src/analyses/lib/tsne.ts';

/**
 * Deterministic test data, the same formula as the numpy reference that produced the literals below:
 * x[i, k] = sin(1.3 i + 0.7 k²) + 0.25 cos(0.37 i (k + 1)) + 0.8·[i % 3 = 0 and k = 1].
 */
function data(n: number, d: number): Float64Array {
  const x = new Float64Array(n * d);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < d; k++) x[i * d + k] = Math.sin(1.3 * i + 0.7 * k * k) + 0.25 * Math.cos(0.37 * i * (k + 1)) + (i % 3 === 0 && k === 1 ? 0.8 : 0);
  }
  return x;
}

/** Three well-separated Gaussian clusters of 30 points in 20-D (cluster = floor(i / 30)). */
function clusters(seed: number) {
  const rng = createRng(seed);
  const n = 90;
  const d = 20;
  const x = new Float64Array(n * d);
  for (let i = 0; i < n; i++) for (let k = 0; k < d; k++) x[i * d + k] = rng.normal() + (k === Math.floor(i / 30) ? 12 : 0);
  return { x, n, d };
}

const closeAll = (actual: ArrayLike<number>, expected: readonly number[], rel: number, what: string) => {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    assert.ok(Math.abs(actual[i] - expected[i]) <= rel * Math.max(Math.abs(expected[i]), 1e-300) + 1e-300, `${what}[${i}]: ${actual[i]} vs ${expected[i]}`);
  }
};

// The literals come from a numpy replica of scikit-learn's TSNE(method='exact') (its
// _binary_search_perplexity, _joint_probabilities, PCA init with svd_flip(u_based_decision=False)
// and np.std rescaling to 1e-4, _kl_divergence and _gradient_descent), run on data(n, d) above.
describe('t-SNE as scikit-learn computes it', () => {
  test('squared distances match the definition', () => {
    const x = [0, 0, 3, 4, 1, 1]; // three 2-D points
    const dist = squaredDistances(x, 3, 2);
    assert.deepEqual(Array.from(dist), [0, 25, 2, 25, 0, 13, 2, 13, 0]);
  });

  test('PCA initialisation equals numpy SVD scores, svd_flip signs, first column scaled to std 1e-4', () => {
    // numpy: Xc = X − X.mean(0); U, S, Vt = np.linalg.svd(Xc, full_matrices=False); flip by Vt rows'
    // largest |entry|; Y = U[:, :2]·S[:2]; Y / np.std(Y[:, 0]) · 1e-4. More rows than columns (7 × 4):
    closeAll(pcaInit(data(7, 4), 7, 4), [3.83867923434e-05, 9.80240595229e-05, 0.000118310240827, -2.57284689034e-05, 1.7649606727e-05, -9.46667501677e-05, -0.000119583737831, -2.01119554928e-05, -0.000163060394299, 1.23959361433e-05, -6.94338315089e-06, 2.37273311747e-05, 0.000115240875383, 6.35984772296e-06], 1e-9, 'pca 7×4');
    // …and fewer rows than columns (5 × 9, as 100 tokens × 768 dimensions):
    closeAll(pcaInit(data(5, 9), 5, 9), [4.31644347303e-05, -0.000112125053801, 0.000135538349455, -5.25599756517e-08, 5.16553953674e-05, 9.23583199962e-05, -9.83644817288e-05, 8.00540455859e-05, -0.000131993697824, -6.02347518052e-05], 1e-8, 'pca 5×9');
  });

  test('perplexity calibration: the same β per row as sklearn\'s binary search', () => {
    const x = data(20, 6);
    const { p, betas } = binarySearchPerplexity(squaredDistances(x, 20, 6), 20, 5);
    closeAll(betas, [0.924789428711, 0.976593017578, 1.22711181641, 1.24752807617, 1.02816772461, 1.14112854004, 0.881072998047, 0.897415161133, 0.881393432617, 1.26684570312, 1.13635253906, 1.107421875, 1.1328125, 0.800979614258, 1.29873657227, 0.964111328125, 0.83122253418, 0.781890869141, 1.51959228516, 1.1487121582], 1e-11, 'β');
    closeAll(p.subarray(13 * 20, 14 * 20), [4.28633196935e-05, 5.66381279733e-06, 0.0009501707154, 0.139043420657, 0.177027951745, 0.0009352505446, 5.15717847759e-06, 0.00686265907078, 0.437401200102, 0.00494659155041, 0.000392027811485, 0.000124314877904, 0.00917612917817, 0, 0.0752547429539, 1.77927321012e-06, 1.87323367854e-05, 0.0116828991795, 0.129272181897, 0.00685626379508], 1e-9, 'p(j|13)');
  });

  test('each row of the conditional affinities has the requested perplexity', () => {
    const { x, n, d } = clusters(1);
    const perplexity = 7;
    const p = conditionalAffinities(squaredDistances(x, n, d), n, perplexity);
    for (let i = 0; i < n; i++) {
      let sum = 0;
      let entropy = 0;
      for (let j = 0; j < n; j++) {
        const v = p[i * n + j];
        sum += v;
        if (v > 0) entropy -= v * Math.log(v);
      }
      assert.ok(Math.abs(sum - 1) < 1e-9, `row ${i} sums to ${sum}`);
      assert.equal(p[i * n + i], 0);
      assert.ok(Math.abs(entropy - Math.log(perplexity)) <= 1e-5, `row ${i} entropy ${entropy}`);
    }
  });

  test('KL divergence and its gradient equal sklearn\'s _kl_divergence', () => {
    const x = data(20, 6);
    const P = jointProbabilities(conditionalAffinities(squaredDistances(x, 20, 6), 20, 5), 20);
    let total = 0;
    for (const v of P) total += v;
    assert.ok(Math.abs(total - 1) < 1e-12);
    const objective = makeObjective(P, 20);
    const grad = new Float64Array(40);
    const y0 = pcaInit(x, 20, 6);
    // At the PCA start with exaggeration 12, and at 10⁴ × the start without.
    assert.ok(Math.abs(objective(y0, 12, true, grad) - 45.613857723388165) < 1e-10);
    closeAll(grad.subarray(0, 6), [-2.00200733279e-05, 1.6421222237e-05, 1.30017054186e-06, 5.38311879149e-05, 2.49687234618e-05, -5.33644862481e-06], 1e-9, 'grad');
    assert.ok(Math.abs(objective(y0.map((v) => v * 1e4), 1, true, grad) - 0.5117724739445744) < 1e-12);
    closeAll(grad.subarray(0, 6), [-0.0153477795186, -0.018018648645, -0.0238141890064, 0.0120484399885, -0.00349903555988, 0.0156543397786], 1e-9, 'grad');
  });

  test('the first iterations of both optimiser phases follow sklearn\'s _gradient_descent', () => {
    // Exploration shortened to 2 (then 3) iterations, 4 (then 6) in all; learning rate auto = 50.
    const x = data(20, 6);
    const a = tsne(x, 20, 6, { perplexity: 5, explorationIter: 2, maxIter: 4 });
    assert.equal(a.learningRate, 50);
    closeAll(a.coords.subarray(0, 6), [-0.227571204134, -0.207692017216, -0.370782386322, 0.195145768477, -0.153655125807, -0.42083508289], 1e-9, 'Y after 2 + 2');
    assert.ok(Math.abs(a.klDivergence - 1.4217572208857667) < 1e-9);
    const b = tsne(x, 20, 6, { perplexity: 5, explorationIter: 3, maxIter: 6 });
    closeAll(b.coords.subarray(0, 6), [8.84159846616, -4.03073033707, 7.83724038372, -7.12031263781, -8.02525789836, 0.282213192008], 1e-9, 'Y after 3 + 3');
    assert.ok(Math.abs(b.klDivergence - 2.2440607047437178) < 1e-9);
    // A full run is chaotic (a 1e-12 nudge of the start moves the final map by tens of units), so
    // 1000 iterations cannot be compared number by number with another implementation.
  });

  test('learning rate auto = max(N / early exaggeration / 4, 50)', () => {
    const { x, n, d } = clusters(3);
    assert.equal(tsne(x, n, d, { perplexity: 10, maxIter: 250 }).learningRate, 50);
    assert.equal(tsne(x, n, d, { perplexity: 10, maxIter: 250, earlyExaggeration: 0.25 }).learningRate, 90);
    assert.equal(tsne(x, n, d, { perplexity: 10, maxIter: 250, learningRate: 200 }).learningRate, 200);
  });

  test('keeps separated clusters apart, lowers KL, deterministic from PCA, seeded from random', () => {
    const { x, n, d } = clusters(2);
    const a = tsne(x, n, d, { perplexity: 10 });
    const b = tsne(x, n, d, { perplexity: 10 });
    assert.deepEqual(a.coords, b.coords);
    assert.equal(a.iterations, 1000);
    assert.ok(a.klDivergence < a.initialKl / 2, `KL ${a.klDivergence} vs start ${a.initialKl}`);
    // The PCA start: first column's std is 1e-4.
    const col = Array.from({ length: n }, (_, i) => a.initial[2 * i]);
    const mean = col.reduce((s, v) => s + v, 0) / n;
    assert.ok(Math.abs(Math.sqrt(col.reduce((s, v) => s + (v - mean) ** 2, 0) / n) - 1e-4) < 1e-16);
    const r1 = tsne(x, n, d, { perplexity: 10, init: 'random', seed: 5 });
    const r2 = tsne(x, n, d, { perplexity: 10, init: 'random', seed: 5 });
    const r3 = tsne(x, n, d, { perplexity: 10, init: 'random', seed: 6 });
    assert.deepEqual(r1.coords, r2.coords);
    assert.notDeepEqual(r1.coords, r3.coords);
    // Every point's nearest neighbour on the map is from its own cluster.
    for (const m of [a, r1]) {
      for (let i = 0; i < n; i++) {
        let best = -1;
        let bestD = Infinity;
        for (let j = 0; j < n; j++) {
          if (j === i) continue;
          const dd = (m.coords[2 * i] - m.coords[2 * j]) ** 2 + (m.coords[2 * i + 1] - m.coords[2 * j + 1]) ** 2;
          if (dd < bestD) [best, bestD] = [j, dd];
        }
        assert.equal(Math.floor(best / 30), Math.floor(i / 30), `point ${i}'s neighbour ${best}`);
      }
    }
  });

  test('rejects a perplexity not below the number of points, and bad starts', () => {
    assert.throws(() => tsne(new Float64Array(10), 5, 2, { perplexity: 5 }), /perplexity/);
    assert.throws(() => tsne(data(5, 2), 5, 2, { perplexity: 2, init: [1, 2, 3] }), /init must hold 5×2 = 10 coordinates/);
    assert.throws(() => tsne(data(5, 2), 5, 2, { perplexity: 2, maxIter: 100 }), /maxIter \(100\) must be an integer of at least explorationIter \(250\)/);
  });
});
