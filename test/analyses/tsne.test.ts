import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createRng } from '../../src/analyses/lib/random.ts';
import { conditionalAffinities, squaredDistances, tsne } from '../../src/analyses/lib/tsne.ts';

/** Three well-separated Gaussian clusters of 30 points in 20-D (cluster = floor(i / 30)). */
function clusters(seed: number) {
  const rng = createRng(seed);
  const n = 90;
  const d = 20;
  const x = new Float64Array(n * d);
  for (let i = 0; i < n; i++) for (let k = 0; k < d; k++) x[i * d + k] = rng.normal() + (k === Math.floor(i / 30) ? 12 : 0);
  return { x, n, d };
}

describe('t-SNE', () => {
  test('squared distances match the definition', () => {
    const x = [0, 0, 3, 4, 1, 1]; // three 2-D points
    const dist = squaredDistances(x, 3, 2);
    assert.deepEqual(Array.from(dist), [0, 25, 2, 25, 0, 13, 2, 13, 0]);
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
      assert.ok(Math.abs(Math.exp(entropy) - perplexity) < 1e-3, `row ${i} perplexity ${Math.exp(entropy)}`);
    }
  });

  test('keeps separated clusters apart, lowers KL, and is reproducible from the seed', () => {
    const { x, n, d } = clusters(2);
    const a = tsne(x, n, d, { perplexity: 10, seed: 5, iterations: 500 });
    const b = tsne(x, n, d, { perplexity: 10, seed: 5, iterations: 500 });
    const c = tsne(x, n, d, { perplexity: 10, seed: 6, iterations: 500 });
    assert.deepEqual(a.coords, b.coords);
    assert.notDeepEqual(a.coords, c.coords);
    assert.ok(a.klDivergence < a.initialKl / 2, `KL ${a.klDivergence} vs start ${a.initialKl}`);
    // Every point's nearest neighbour on the map is from its own cluster.
    for (let i = 0; i < n; i++) {
      let best = -1;
      let bestD = Infinity;
      for (let j = 0; j < n; j++) {
        if (j === i) continue;
        const dd = (a.coords[2 * i] - a.coords[2 * j]) ** 2 + (a.coords[2 * i + 1] - a.coords[2 * j + 1]) ** 2;
        if (dd < bestD) [best, bestD] = [j, dd];
      }
      assert.equal(Math.floor(best / 30), Math.floor(i / 30), `point ${i}'s neighbour ${best}`);
    }
  });

  test('rejects a perplexity not below the number of points', () => {
    assert.throws(() => tsne(new Float64Array(10), 5, 2, { perplexity: 5 }), /perplexity/);
  });
});
