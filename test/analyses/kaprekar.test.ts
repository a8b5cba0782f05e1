import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  computeKaprekar,
  eigenDecomposition,
  formatComplex,
  kaprekarAnalysis,
  kaprekarDepth,
  kaprekarStep,
  Options,
  renderKaprekar,
  residual,
} from '../../src/analyses/kaprekar.ts';
import { getAnalysis } from '../../src/analyses/index.ts';
import { bandwidthFactor, gaussianKde, violinStats } from '../../src/analyses/lib/kde.ts';
import { parseOptions } from '../../src/analyses/options.ts';
import { runAnalysis } from '../../src/analyses/run.ts';
import { OptionError } from '../../src/analyses/types.ts';
import { decodePng } from '../../src/render/png.ts';
import { optionErrorMessage } from './reference.ts';

const close = (a: number, b: number, tol = 1e-12, what = '') => assert.ok(Math.abs(a - b) <= tol, `${what} ${a} vs ${b}`);

describe('Gaussian KDE (scipy.stats.gaussian_kde)', () => {
  // Expected values: scipy 1.17, `gaussian_kde(x)(pts)` with the default (Scott) bandwidth,
  // x = [1, 2.5, 2.7, 3.1, 4.8, 5, 7.2, 9.9], pts = [-1, 0, 2, 3, 4.5, 6, 10, 12];
  // kde.factor = 0.6597539553864471, sqrt(kde.covariance) = 1.9029396817546302.
  const x = [1.0, 2.5, 2.7, 3.1, 4.8, 5.0, 7.2, 9.9];
  const pts = [-1.0, 0.0, 2.0, 3.0, 4.5, 6.0, 10.0, 12.0];
  const scipy = [
    0.026879578649091174, 0.05235089697687456, 0.1118786627586753, 0.12662116545670055,
    0.11790212588889865, 0.08868537557208438, 0.03656800371475172, 0.015394017861552806,
  ];

  test('Scott\'s rule: the factor, the kernel width and the densities match scipy', () => {
    const kde = gaussianKde(x);
    close(kde.factor, 0.6597539553864471, 1e-15, 'factor');
    close(kde.bandwidth, 1.9029396817546302, 1e-14, 'bandwidth');
    kde.evaluate(pts).forEach((v, i) => close(v, scipy[i], 1e-15, `density at ${pts[i]}`));
  });

  test('Silverman\'s rule matches scipy (bw_method="silverman")', () => {
    // scipy: factor 0.6988271187715792; densities at -1, 0, 2.
    close(bandwidthFactor(8, 'silverman'), 0.6988271187715792, 1e-15);
    const v = gaussianKde(x, 'silverman').evaluate([-1, 0, 2]);
    [0.02901043200672737, 0.05364424428618449, 0.10897546535716034].forEach((e, i) => close(v[i], e, 1e-15));
  });

  test('the density integrates to 1 (trapezoid rule over ±8 kernel widths)', () => {
    const kde = gaussianKde(x);
    const lo = 1 - 8 * kde.bandwidth;
    const hi = 9.9 + 8 * kde.bandwidth;
    const n = 4000;
    const grid = Array.from({ length: n + 1 }, (_, i) => lo + ((hi - lo) * i) / n);
    const d = kde.evaluate(grid);
    let area = 0;
    for (let i = 0; i < n; i++) area += ((d[i] + d[i + 1]) / 2) * ((hi - lo) / n);
    close(area, 1, 1e-9);
  });

  test('degenerate samples are refused; violinStats draws them as a line', () => {
    assert.throws(() => gaussianKde([3]), /at least 2 values/);
    assert.throws(() => gaussianKde([2, 2, 2]), /no spread/);
    assert.throws(() => gaussianKde([1, NaN]), /not finite/);
    const flat = violinStats([2, 2, 2]);
    assert.deepEqual([flat.y, flat.density, flat.bandwidth], [[2], [1], 0]);
  });

  test('violinStats evaluates on 100 points from min to max (matplotlib\'s violin_stats)', () => {
    const v = violinStats(x);
    assert.equal(v.y.length, 100);
    assert.equal(v.y[0], 1);
    assert.equal(v.y[99], 9.9);
    close(v.median, (3.1 + 4.8) / 2);
    close(v.density[0], gaussianKde(x).evaluate([1])[0]);
  });
});

describe('Kaprekar\'s routine', () => {
  test('one step sorts the zero-padded digits and subtracts', () => {
    assert.deepEqual(kaprekarStep(4152), { descending: 5421, ascending: 1245, next: 4176 });
    assert.equal(kaprekarStep(42).next, 4200 - 24); // 0042 → 4200 − 0024
    assert.equal(kaprekarStep(6174).next, 6174);
    assert.equal(kaprekarStep(495, 3).next, 495);
    assert.equal(kaprekarDepth(6174), 0);
    assert.equal(kaprekarDepth(2005), 7); // 2005 → 5175 → 5994 → 5355 → 1998 → 8082 → 8532 → 6174
    assert.throws(() => kaprekarDepth(7777), /never reaches 6174/);
  });

  const d = computeKaprekar(parseOptions(Options, { seed: 1 }) as never);

  test('depth counts over all 4-digit numbers match the notebook (numpy bincount)', () => {
    // Notebook loop run in python3: 9990 numbers, np.bincount(data[:,1]).
    assert.equal(d.numbers.length, 9990);
    assert.deepEqual(d.counts, [1, 383, 576, 2400, 1272, 1518, 1656, 2184]);
    assert.equal(d.numbers[0], 1); // 0000 is a repdigit
    assert.deepEqual(d.trajectory.steps.map((s) => s.number), [4152, 4176]);
  });

  test('transition counts T[depth(N+1), depth(N)] match the notebook\'s loop', () => {
    // From the notebook's loop in python3 (before T /= T.sum()).
    assert.deepEqual(d.transitionCounts, [
      [0, 0, 0, 1, 0, 0, 0, 0],
      [0, 2, 2, 92, 0, 82, 9, 196],
      [0, 2, 2, 131, 8, 127, 19, 287],
      [0, 93, 131, 462, 480, 417, 522, 295],
      [0, 0, 8, 480, 134, 186, 325, 139],
      [0, 82, 127, 417, 186, 226, 341, 138],
      [0, 9, 19, 522, 325, 341, 147, 293],
      [1, 195, 287, 295, 139, 138, 293, 836],
    ]);
    assert.equal(d.transitionTotal, 9989);
    close(d.transitions.flat().reduce((a, b) => a + b), 1, 1e-12);
    // max |T − Tᵀ| = 0.00010011012113324657 (numpy), one pair of 9989.
    close(d.asymmetry.maxAbs, 0.00010011012113324657, 1e-17);
    assert.equal(d.asymmetry.maxAbsCount, 1);
    assert.equal(d.asymmetry.cells, 8);
  });

  test('the mirror identity step(N) = step(9999 − N) and the two numbers it misses', () => {
    assert.ok(d.mirror.identityHolds);
    assert.deepEqual(d.mirror.example, { n: 1234, image: 3087, mirror: 8765, mirrorImage: 3087 });
    assert.deepEqual(d.mirror.depthMismatches, [3825, 6174]);
  });

  test('eigenvalues of T match numpy.linalg.eig (sorted as the notebook sorts them)', () => {
    // np.linalg.eig(T) in python3, d[np.argsort(d)[::-1]]: all real.
    const numpy = [0.17378211555899242, 0.06689894876683353, 0.006405373342307698, 3.3482517729310706e-05,
      7.026693495192329e-09, -0.010582846767424152, -0.0239657087053527, -0.03147216260973646];
    d.eigen.forEach((e, i) => {
      close(e.value.re, numpy[i], 1e-12, `eigenvalue ${i}`);
      assert.equal(e.value.im, 0);
      assert.ok(residual(d.transitions, e.value.re, e.value.im, e.vector.re, e.vector.im) < 1e-12);
      close(Math.hypot(...e.vector.re, ...e.vector.im), 1, 1e-12);
    });
  });

  test('a non-symmetric matrix with a complex pair: values as numpy, A v = λ v for each vector', () => {
    const A = [[0.5, -0.8, 0.1, 0.0], [0.7, 0.3, 0.2, 0.1], [0.0, 0.4, 0.9, -0.3], [0.2, 0.0, 0.5, 0.1]];
    // numpy.linalg.eig(A), sorted with argsort()[::-1] (real part, then imaginary part, descending).
    const numpy = [[0.7852772876711849, 0], [0.3604423252741882, 0.7289851043681294], [0.3604423252741882, -0.7289851043681294], [0.29383806178043775, 0]];
    const pairs = eigenDecomposition(A);
    pairs.forEach((p, i) => {
      close(p.value.re, numpy[i][0], 1e-12, `re ${i}`);
      close(p.value.im, numpy[i][1], 1e-12, `im ${i}`);
      assert.ok(residual(A, p.value.re, p.value.im, p.vector.re, p.vector.im) < 1e-12, `residual ${i}`);
    });
    assert.equal(formatComplex(pairs[1].value, 3), '0.360 + 0.729i');
    assert.equal(formatComplex(pairs[2].value, 3), '0.360 − 0.729i');
    assert.equal(formatComplex(pairs[0].value, 3), '0.785');
  });

  test('gaps between numbers of equal depth, and their violin KDE, match numpy and scipy', () => {
    // np.diff(np.where(data[:,1]==i)[0]) per depth: (count, max, median).
    const numpy = [[382, 372, 11], [575, 150, 11], [2399, 35, 3], [1271, 81, 5], [1517, 115, 5], [1655, 125, 5], [2183, 62, 2]];
    assert.deepEqual(d.gaps.map((g) => [g.gaps.length, g.maxGap, g.medianGap]), numpy);
    // scipy.stats.gaussian_kde(sqrt(gaps of depth 3)) on linspace(min, max, 100), at 0, 25, 50, 99
    // (what matplotlib's violinplot draws).
    const v = d.gaps[2].violin;
    [[0, 0.4929641976931571], [25, 0.2472684144301689], [50, 0.061981701038647356], [99, 0.0010137605538280128]]
      .forEach(([i, e]) => close(v.density[i], e, 1e-13, `density ${i}`));
    // kde.factor = 0.2108598777571964 (2399^(-1/5)), sqrt(kde.covariance) = 0.16403798939998263.
    close(v.bandwidth, 0.16403798939998263, 1e-14, 'bandwidth');
  });

  test('3 digits: every number reaches 495 (numpy on the same loop with 3 digits)', () => {
    const d3 = computeKaprekar(parseOptions(Options, { digits: 3, seed: 1 }) as never);
    assert.equal(d3.constant, 495);
    assert.deepEqual(d3.counts, [1, 149, 144, 270, 222, 150, 54]);
    assert.equal(d3.trajectory.start, 352);
    // numpy: np.abs(T - T.T).max() == 0.0 for 3 digits: the mirror exceptions cancel.
    assert.equal(d3.asymmetry.cells, 0);
    assert.deepEqual(d3.mirror.depthMismatches, [495, 504]);
    const numpy = [0.206245, 0.112386, 0.054868, 0.014904, 0.004622, -0.000117, -0.029915];
    d3.eigen.forEach((e, i) => close(e.value.re, numpy[i], 1e-6, `eigenvalue ${i}`));
  });

  test('the seed moves the jitter only', () => {
    const other = computeKaprekar(parseOptions(Options, { seed: 2 }) as never);
    assert.deepEqual(other.counts, d.counts);
    assert.notDeepEqual(other.jitter.depth.slice(0, 5), d.jitter.depth.slice(0, 5));
    assert.ok(d.jitter.depth.every((v, i) => Math.abs(v - d.depth[i]) < 0.5));
  });
});

describe('/kaprekar options', () => {
  const message = (raw: Record<string, unknown>) => optionErrorMessage(Options, raw);

  test('limits name the option', () => {
    assert.equal(message({ digits: '5' }), 'digits: must be at most 4');
    assert.equal(message({ digits: '2' }), 'digits: must be at least 3');
    assert.equal(message({ start: '10000' }), 'start: must be at most 9999');
    assert.match(message({ base: '9' }), /^base: unknown option/);
  });

  test('a repdigit start or a start too long for the digits is refused by compute', () => {
    const err = (raw: Record<string, unknown>) => {
      try {
        computeKaprekar(parseOptions(Options, raw) as never);
      } catch (e) {
        assert.ok(e instanceof OptionError);
        return e.message;
      }
      assert.fail('expected an OptionError');
    };
    assert.match(err({ start: '3333' }), /^start: 3333 has all digits equal/);
    assert.equal(err({ digits: '3', start: '4152' }), 'start: must be at most 999 with digits:3 (got 4152)');
    assert.match(err({ start: '0' }), /^start: 0000 has all digits equal/);
    assert.equal(computeKaprekar(parseOptions(Options, { start: '7' }) as never).trajectory.steps[0].next, 7000 - 7); // 0007 is fine
  });
});

describe('/kaprekar end to end', () => {
  test('runAnalysis renders every figure; the text and the data agree with the numbers', async () => {
    const r = await runAnalysis(getAnalysis('kaprekar'), { seed: '5' });
    assert.equal(r.seed, 5);
    assert.deepEqual(r.figures.map((f) => f.name), ['trajectory', 'iterations', 'depth-counts', 'transitions', 'asymmetry', 'eigenvalues', 'depth-gaps']);
    for (const f of r.figures) {
      assert.ok(f.png.length < 8 * 1024 * 1024, f.name);
      const img = await decodePng(f.png);
      assert.ok(img.width >= 1800, `${f.name}: ${img.width}`);
      assert.ok(!img.isBlank(), f.name);
      assert.ok(f.alt.length > 40 && f.title.length > 3, f.name);
    }
    assert.deepEqual(Object.keys(r.data), r.figures.map((f) => f.name));
    assert.match(r.explanation, /All 9,990 4-digit numbers/);
    assert.match(r.explanation, /4152 → 4176 → 6174/);
    assert.match(r.explanation, /except at 3825 and 6174/);
    assert.match(r.explanation, /`\/kaprekar digits:3`/);
    assert.match(r.figures[5].alt, /0\.174, 0\.067/);
    const counts = r.data['depth-counts'] as { count: number[] };
    assert.deepEqual(counts.count, [1, 383, 576, 2400, 1272, 1518, 1656, 2184]);
  });

  test('complex eigenvalues are drawn and described as complex', async () => {
    const d = computeKaprekar(parseOptions(Options, { seed: '1' }) as never);
    // Swap in the eigen-decomposition of a matrix with a complex pair (the matrix of the test above).
    const A = [[0.5, -0.8, 0.1, 0.0], [0.7, 0.3, 0.2, 0.1], [0.0, 0.4, 0.9, -0.3], [0.2, 0.0, 0.5, 0.1]];
    const figs = await renderKaprekar({ ...d, eigen: eigenDecomposition(A) });
    const eig = figs.find((f) => f.name === 'eigenvalues')!;
    assert.match(eig.alt, /0\.785, 0\.360 \+ 0\.729i, 0\.360 − 0\.729i, 0\.294/);
    assert.ok(!(await decodePng(eig.png)).isBlank());
    assert.match(kaprekarAnalysis.explain({ ...d, eigen: eigenDecomposition(A) }, parseOptions(Options, {}) as never), /1 complex pair appear/);
  });

  test('with digits:3 the suggestion goes back to four digits', () => {
    const opts = parseOptions(Options, { digits: '3', seed: '1' }) as never;
    const text = kaprekarAnalysis.explain(computeKaprekar(opts), opts);
    assert.match(text, /reach 495/);
    assert.match(text, /`\/kaprekar digits:4`/);
    assert.ok(!/`\/kaprekar digits:3`/.test(text));
  });
});
