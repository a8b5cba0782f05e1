import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { computeCurvefit, curvefitAnalysis, explainCurvefit, freedmanDiaconisEdges, Options, percentile } from '../../src/analyses/curvefit.ts';
import { getAnalysis } from '../../src/analyses/index.ts';
import { distribution } from '../../src/analyses/lib/histogram.ts';
import {
  covarianceAt,
  curveFit,
  ellipseModel,
  gaussModel,
  lineModel,
  modelJacobian,
  sigmoidModel,
  type NonlinearModel,
} from '../../src/analyses/lib/nonlinear-fit.ts';
import { ols, withIntercept } from '../../src/analyses/lib/ols.ts';
import { linspace } from '../../src/analyses/lib/stats.ts';
import { parseOptions } from '../../src/analyses/options.ts';
import { runAnalysis } from '../../src/analyses/run.ts';
import { decodePng } from '../../src/render/png.ts';
import { optionErrorMessage } from './reference.ts';

/** |a − b| ≤ rel·|b| for every entry. */
function closeAll(actual: readonly number[], expected: readonly number[], rel: number, what: string): void {
  assert.equal(actual.length, expected.length, what);
  actual.forEach((a, i) => assert.ok(Math.abs(a - expected[i]) <= rel * Math.abs(expected[i]), `${what}[${i}]: ${a} vs ${expected[i]}`));
}

// Data built deterministically (no RNG) so that scipy can fit exactly the same numbers:
// "noise" is a fixed sine pattern of the index.
const idx = (n: number) => Array.from({ length: n }, (_, i) => i);

describe('nonlinear least squares against scipy.optimize.curve_fit', () => {
  // All expected values: scipy 1.17 curve_fit (method 'lm', absolute_sigma=False) in python3 on
  // the same arrays, printed with repr; standard errors are sqrt(diag(pcov)). scipy stops at
  // its own tolerances (ftol = xtol = 1.49e-8) and differentiates numerically, so agreement is
  // checked to 1e-6 (parameters) and 1e-5 (standard errors), relative.

  test('line: x = linspace(0, 5, 20), y = 10 + 2x + 2 sin(2.3i) cos(0.7i); p0 = [0, 1]', () => {
    const x = linspace(0, 5, 20);
    const y = x.map((v, i) => 10 + 2 * v + 2 * Math.sin(i * 2.3) * Math.cos(i * 0.7));
    const r = curveFit(lineModel, x, y, [0, 1]);
    closeAll(r.params, [10.143500524947594, 1.943128222474816], 1e-6, 'params');
    closeAll(r.stdErr, [0.4616710513035247, 0.15786387538561703], 1e-5, 'stdErr');
    // A line is linear in its parameters: the covariance is OLS's σ²(XᵀX)⁻¹ exactly.
    const o = ols(withIntercept(x), y);
    closeAll(r.params, o.beta, 1e-9, 'params vs OLS');
    closeAll(r.stdErr, o.stdErr, 1e-9, 'stdErr vs OLS');
    assert.ok(r.converged);
    assert.equal(r.dof, 18);
  });

  test('sigmoid: x = linspace(-10, 10, 30), y = sigmoid(x; 10, 1, 1, 2) + 1.5 sin(2.3i), the notebook\'s data-driven p0', () => {
    const x = linspace(-10, 10, 30);
    const y = x.map((v, i) => 10 / (1 + Math.exp(-(v - 1))) + 2 + 1.5 * Math.sin(i * 2.3));
    // p0 = [max(y) − min(y), median(x) = 0, 1, mean(y)]: the scipy script printed 12.98740887914781 and 6.5196460541851184.
    const p0 = [Math.max(...y) - Math.min(...y), 0, 1, y.reduce((a, b) => a + b) / y.length];
    closeAll([p0[0], p0[3]], [12.98740887914781, 6.5196460541851184], 1e-14, 'p0');
    const expected = [9.932759648835756, 1.000483441553108, 1.0163662856625033, 2.0335515154540205];
    const expectedSe = [0.546975388910429, 0.2740401871192497, 0.2470428605041053, 0.34091922036357647];
    for (const numericJacobian of [false, true]) {
      const r = curveFit(sigmoidModel, x, y, p0, { numericJacobian });
      closeAll(r.params, expected, 1e-6, `params (numeric ${numericJacobian})`);
      closeAll(r.stdErr, expectedSe, 1e-5, `stdErr (numeric ${numericJacobian})`);
      closeAll([r.sse], [33.60063712085552], 1e-12, 'SSE');
      assert.ok(r.converged);
    }
  });

  test('Gaussian: x = linspace(-5, 7, 15), y = 0.2 exp(−(x−1)²/8) + 0.01 sin(1.9i); p0 = [max y, 1, 3]', () => {
    const x = linspace(-5, 7, 15);
    const y = x.map((v, i) => 0.2 * Math.exp(-((v - 1) ** 2) / 8) + 0.01 * Math.sin(i * 1.9));
    const r = curveFit(gaussModel, x, y, [Math.max(...y), 1, 3]);
    closeAll(r.params, [0.19992867376568269, 0.9998642297775312, 2.0015976496150714], 1e-6, 'params');
    closeAll(r.stdErr, [0.004763629200964558, 0.05506383243799683, 0.05509011434939901], 1e-5, 'stdErr');
  });

  test('ellipse: 30 points, θ = 4/π, x noise 0.4 sin(2.3i), y noise 0.1 cos(1.3i); p0 = [0, 0, 1, 1, 0]', () => {
    const t = linspace(0, 2 * Math.PI, 30);
    const th = 4 / Math.PI;
    const X = t.map((v, i) => 2 + 5 * Math.cos(v) * Math.cos(th) - 3 * Math.sin(v) * Math.sin(th) + 0.4 * Math.sin(i * 2.3));
    const Y = t.map((v, i) => -1 + 5 * Math.cos(v) * Math.sin(th) + 3 * Math.sin(v) * Math.cos(th) + 0.1 * Math.cos(i * 1.3));
    const r = curveFit(ellipseModel(t), idx(60), [...X, ...Y], [0, 0, 1, 1, 0]);
    closeAll(r.params, [2.000733485232031, -0.9968739118505542, 5.006452661598062, 3.00114625986282, 1.273312211857269], 1e-6, 'params');
    closeAll(r.stdErr, [0.03930455962180018, 0.03931338328488551, 0.05469470786519649, 0.056488451376833164, 0.009448605959433578], 1e-5, 'stdErr');
  });

  test('analytic Jacobians agree with central differences', () => {
    const models: [NonlinearModel, number[], number[]][] = [
      [sigmoidModel, [9, 0.5, 1.3, 2], linspace(-10, 10, 9)],
      [gaussModel, [0.3, 1, 2], linspace(-4, 6, 7)],
      [ellipseModel(linspace(0, 6, 5)), [2, -1, 5, 3, 1.2], idx(10)],
    ];
    for (const [m, p, x] of models) {
      const a = modelJacobian(m, p, x);
      const n = modelJacobian(m, p, x, true);
      a.forEach((row, i) => row.forEach((v, j) => assert.ok(Math.abs(v - n[i][j]) < 1e-7 * Math.max(1, Math.abs(v)), `${m.name} J[${i}][${j}] ${v} vs ${n[i][j]}`)));
    }
  });

  test('an unidentifiable model or too few points give infinite standard errors (scipy: pcov = inf)', () => {
    // (a + b)·x: only the sum is identifiable, so J has two equal columns.
    const sumModel: NonlinearModel = { name: 'sum', params: ['a', 'b'], f: ([a, b], x) => (a + b) * x, jacobian: (_, x) => [x, x] };
    const x = [1, 2, 3, 4];
    for (const numericJacobian of [false, true]) {
      const r = curveFit(sumModel, x, [2.1, 3.9, 6.2, 7.8], [1, 0], { numericJacobian });
      assert.equal(r.rank, 1, `numeric ${numericJacobian}`);
      assert.deepEqual(r.stdErr, [Infinity, Infinity]);
      assert.ok(Math.abs(r.params[0] + r.params[1] - 59.7 / 30) < 1e-6); // Σxy / Σx²
    }
    const tiny = curveFit(gaussModel, [0, 1, 2], [0.1, 0.3, 0.1], [0.3, 1, 1]);
    assert.equal(tiny.dof, 0);
    assert.ok(tiny.stdErr.every((v) => v === Infinity));
    assert.deepEqual(covarianceAt([[1, 0], [0, 2]], 1), { covariance: [[1, 0], [0, 0.25]], rank: 2 });
  });

  test('bad input is refused', () => {
    assert.throws(() => curveFit(lineModel, [1, 2], [1, 2], [0]), /line has 2 parameters, got 1 starting values/);
    assert.throws(() => curveFit(lineModel, [1, 2], [1], [0, 1]), /2 x values but 1 y values/);
  });
});

describe('histogram bins (numpy)', () => {
  const d = [1.3, -0.2, 2.9, 0.4, 1.1, 3.8, -1.5, 0.9, 2.2, 1.7, 0.1, 4.4, -0.8, 1.6, 2.5];

  test('percentiles with linear interpolation (numpy.percentile)', () => {
    closeAll([25, 50, 75, 10].map((q) => percentile(d, q)), [0.25, 1.3, 2.35, -0.5599999999999999], 1e-14, 'percentiles');
  });

  test('Freedman–Diaconis edges and density (numpy.histogram(d, bins="fd", density=True))', () => {
    const edges = freedmanDiaconisEdges(d);
    closeAll(edges, [-1.5, -0.02499999999999991, 1.4500000000000002, 2.9250000000000007, 4.4], 1e-14, 'edges');
    const h = distribution(d, { bins: 4, range: [edges[0], edges[4]], density: true });
    closeAll(h.values, [0.13559322033898305, 0.22598870056497175, 0.2259887005649717, 0.09039548022598873], 1e-14, 'density');
    assert.deepEqual(freedmanDiaconisEdges([3, 3, 3]), [2.5, 3.5]);
  });
});

describe('/curvefit', () => {
  const opts = parseOptions(Options, { seed: 7 }) as never;

  test('defaults reproduce the notebook', () => {
    const o = parseOptions(Options, {}) as Record<string, unknown>;
    assert.deepEqual(
      [o.n, o.noise, o.random_start, o.ellipse_n, o.theta, o.sample_size, o.peak_center, o.noise_level],
      [50, 2, true, 100, 4 / Math.PI, 80, 1, 2],
    );
  });

  test('the same seed gives the same fits; the guided sigmoid recovers its truth', () => {
    const a = computeCurvefit(opts);
    assert.deepEqual(computeCurvefit(opts).sigmoid.fits[0].result.params, a.sigmoid.fits[0].result.params);
    assert.equal(a.sigmoid.fits.length, 2);
    const g = a.sigmoid.fits[0].result;
    // Within 4 standard errors of the truth (10, 1, 1, 2).
    [10, 1, 1, 2].forEach((truth, j) => assert.ok(Math.abs(g.params[j] - truth) < 4 * g.stdErr[j], `param ${j}`));
    // The line: LM and OLS agree.
    closeAll(a.line.fit.result.params, a.line.ols.beta, 1e-9, 'line vs OLS');
    // The histogram fit sees a density: the fitted Gaussian's area A·s·√(2π) is near 1.
    const [A, , s] = a.histogram.fit.result.params;
    assert.ok(Math.abs(A * Math.abs(s) * Math.sqrt(2 * Math.PI) - 1) < 0.35);
    assert.equal(a.histogram.curve.x.length, 101);
    assert.equal(a.histogram.curve.x[0], a.histogram.centers[0] - 10);
  });

  test('random_start:false fits the sigmoid once', async () => {
    const o = parseOptions(Options, { seed: 7, random_start: 'false' }) as never;
    const d = computeCurvefit(o);
    assert.equal(d.sigmoid.fits.length, 1);
    const figs = await curvefitAnalysis.render(d, o);
    assert.equal(figs.find((f) => f.name === 'sigmoid-table')!.title, 'Sigmoid parameters and standard errors');
    assert.ok(!/random start/.test(figs.find((f) => f.name === 'sigmoid')!.alt));
  });

  test('limits name the option', () => {
    const message = (raw: Record<string, unknown>) => optionErrorMessage(Options, raw);
    assert.equal(message({ n: '4' }), 'n: must be at least 5');
    assert.equal(message({ n: '5001' }), 'n: must be at most 5000');
    assert.equal(message({ sample_size: '20001' }), 'sample_size: must be at most 20000');
    assert.equal(message({ ellipse_n: '5' }), 'ellipse_n: must be at least 6');
    assert.equal(message({ noise_level: '0' }), 'noise_level: must be at least 0.01');
    assert.equal(message({ noise: '-1' }), 'noise: must be at least 0');
    assert.match(message({ method: 'trf' }), /^method: unknown option/);
  });

  test('the suggestion changes with the options that ran', () => {
    const o2 = parseOptions(Options, { seed: 7, noise: '0.5' }) as never;
    const text = explainCurvefit(computeCurvefit(o2), o2);
    assert.match(text, /`\/curvefit sample_size:2000`/);
    assert.ok(!/noise:0\.5`/.test(text));
  });

  test('end to end: every figure renders; text and data come from the same fits', async () => {
    const r = await runAnalysis(getAnalysis('curvefit'), { seed: '11' });
    assert.equal(r.seed, 11);
    assert.deepEqual(r.figures.map((f) => f.name), ['line', 'line-table', 'sigmoid', 'sigmoid-table', 'ellipse', 'ellipse-table', 'histogram-fit']);
    for (const f of r.figures) {
      assert.ok(f.png.length < 8 * 1024 * 1024, f.name);
      const img = await decodePng(f.png);
      assert.ok(img.width >= 1800, `${f.name}: ${img.width}`);
      assert.ok(!img.isBlank(), f.name);
    }
    assert.deepEqual(Object.keys(r.data), r.figures.map((f) => f.name));
    const line = r.data.line as { fit: { estimate: number[]; std_error: number[] } };
    assert.match(r.explanation, new RegExp(`b0 = ${line.fit.estimate[0].toFixed(2)} ± ${line.fit.std_error[0].toFixed(2)}`));
    assert.match(r.explanation, /`\/curvefit noise:0\.5`/);
    const sentences = r.explanation.split(/(?<=\.)\s+(?=[A-Z])/);
    assert.ok(sentences.length >= 2 && sentences.length <= 6, `${sentences.length} sentences`);
  });
});
