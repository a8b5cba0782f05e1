// /lstsq-theory: the regression picture and the post's example, solved by the normal equations
// and by lstsq. Expected numbers are literals from numpy (see each comment), never from the
// project's own code.
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { getAnalysis } from '../../src/analyses/index.ts';
import {
  computeExample,
  computeLstsqTheory,
  computePicture,
  explainLstsqTheory,
  lstsqTheoryAnalysis,
  Options,
  renderLstsqTheory,
} from '../../src/analyses/lstsq-theory.ts';
import { parseOptions } from '../../src/analyses/options.ts';
import { runAnalysis } from '../../src/analyses/run.ts';
import { OptionError } from '../../src/analyses/types.ts';
import { writeResult } from '../../src/cli/run.ts';
import { decodePng } from '../../src/render/png.ts';
import { checkFigure } from '../render/helpers.ts';
import { optionErrorMessage } from './reference.ts';

const close = (a: number, b: number, tol = 1e-12, what = '') => assert.ok(Math.abs(a - b) <= tol, `${what} ${a} vs ${b}`);
const closeAll = (a: readonly number[], b: readonly number[], tol = 1e-12, what = '') => {
  assert.equal(a.length, b.length, `${what} length`);
  a.forEach((v, i) => close(v, b[i]!, tol, `${what}[${i}]`));
};

describe('the post\'s example: punk concerts and happiness', () => {
  const e = computeExample([1, 2, 4, 5, 7], [5, 6.5, 6, 8, 9]);

  test('normal equations and lstsq give numpy\'s coefficients', () => {
    // np.linalg.inv(X.T@X) @ X.T @ y  and  np.linalg.lstsq(X, y, rcond=None)[0]
    closeAll(e.betaNormal, [4.583333333333337, 0.6096491228070176], 1e-12, 'normal');
    closeAll(e.betaLstsq, [4.583333333333331, 0.6096491228070179], 1e-12, 'lstsq');
    assert.ok(e.maxDiff < 1e-12, `solvers differ by ${e.maxDiff}`);
  });

  test('the design matrix is a column of ones and x', () => {
    assert.deepEqual(e.design, [[1, 1], [1, 2], [1, 4], [1, 5], [1, 7]]);
  });

  test('predictions and residuals match numpy; the residuals sum to zero and are orthogonal to X', () => {
    // X @ beta and y − X @ beta
    closeAll(e.predictions, [5.192982456140355, 5.802631578947372, 7.021929824561407, 7.631578947368425, 8.850877192982459], 1e-12, 'ŷ');
    closeAll(e.residuals, [-0.19298245614035459, 0.6973684210526283, -1.0219298245614068, 0.3684210526315752, 0.149122807017541], 1e-12, 'e');
    close(e.residualSum, 0, 1e-12, 'Σe');
    closeAll(e.xtResiduals, [0, 0], 1e-12, 'Xᵀe');
  });

  test('R² matches 1 − SSE/SST and r² computed by numpy', () => {
    // 1 − (e@e)/((y − ȳ)²).sum() = np.corrcoef(x, y)[0,1]**2
    close(e.r2, 0.8307963536291711, 1e-12, 'R²');
  });

  test('other data: an unhappy outlier, unsorted x with negatives', () => {
    // np.linalg.lstsq on y = [5, 6.5, 6, 8, 2]
    closeAll(computeExample([1, 2, 4, 5, 7], [5, 6.5, 6, 8, 2]).betaNormal, [6.916666666666663, -0.37280701754385936], 1e-12);
    // np.linalg.lstsq on x = [-2, 0, 3.5, 10], y = [1, -1, 4, 2.5]
    const o = computeExample([-2, 0, 3.5, 10], [1, -1, 4, 2.5]);
    closeAll(o.betaLstsq, [0.9921111945905329, 0.22013523666416235], 1e-12);
    closeAll(o.betaNormal, o.betaLstsq, 1e-12);
  });

  test('mismatched lengths and a constant x are refused with the option named', () => {
    assert.throws(() => computeExample([1, 2, 3], [1, 2]), (err: unknown) =>
      err instanceof OptionError && err.message === 'y: needs one value per x (x has 3 values, y has 2)');
    assert.throws(() => computeExample([3, 3, 3], [1, 2, 4]), (err: unknown) =>
      err instanceof OptionError && err.option === 'x' && /at least two different values/.test(err.message));
  });
});

describe('the regression picture', () => {
  const opts = parseOptions(Options, { seed: 4 });

  test('defaults reproduce the notebook', () => {
    assert.equal(opts.n, 9);
    assert.equal(opts.b0, 1);
    assert.equal(opts.b1, 1);
    assert.equal(opts.noise, 1);
    assert.deepEqual(opts.x, [1, 2, 4, 5, 7]);
    assert.deepEqual(opts.y, [5, 6.5, 6, 8, 9]);
  });

  test('x is numpy.linspace(-1, 4, 9)', () => {
    closeAll(computePicture(opts).x, [-1.0, -0.375, 0.25, 0.875, 1.5, 2.125, 2.75, 3.375, 4.0], 0);
  });

  test('the fitted line is the least-squares line (slope Sxy/Sxx) and goes through the means', () => {
    const p = computePicture(opts);
    const mx = p.x.reduce((a, b) => a + b) / p.x.length;
    const my = p.y.reduce((a, b) => a + b) / p.y.length;
    const sxy = p.x.reduce((s, v, i) => s + (v - mx) * (p.y[i]! - my), 0);
    const sxx = p.x.reduce((s, v) => s + (v - mx) ** 2, 0);
    close(p.beta[1]!, sxy / sxx, 1e-12, 'slope');
    close(p.beta[0]!, my - (sxy / sxx) * mx, 1e-12, 'intercept');
    p.yHat.forEach((v, i) => close(v, p.beta[0]! + p.beta[1]! * p.x[i]!, 1e-12));
  });

  test('without noise the fit recovers the true coefficients exactly', () => {
    const p = computePicture({ ...opts, noise: 0, b0: -2.5, b1: 0.75 });
    closeAll(p.beta, [-2.5, 0.75], 1e-12);
  });

  test('the same seed gives the same points; another seed does not', () => {
    assert.deepEqual(computePicture(opts), computePicture(opts));
    assert.notDeepEqual(computePicture({ ...opts, seed: 5 }).y, computePicture(opts).y);
  });
});

describe('/lstsq-theory options', () => {
  const message = (raw: Record<string, unknown>) => optionErrorMessage(Options, raw);

  test('every limit names the option and the limit', () => {
    assert.equal(message({ n: '2' }), 'n: must be at least 3');
    assert.equal(message({ n: '201' }), 'n: must be at most 200');
    assert.equal(message({ noise: '-1' }), 'noise: must be at least 0');
    assert.equal(message({ noise: '101' }), 'noise: must be at most 100');
    assert.equal(message({ b0: '101' }), 'b0: must be at most 100');
    assert.equal(message({ b1: '-101' }), 'b1: must be at least -100');
    assert.equal(message({ x: '1,2' }), 'x: at least 3 items');
    assert.equal(message({ y: Array.from({ length: 101 }, (_, i) => String(i)).join(',') }), 'y: at most 100 items');
    assert.equal(message({ x: '1,2,2000000' }), 'x: must be at most 1000000');
    assert.equal(message({ x: '1,two,3' }), 'x: expected a list of numbers, got "two"');
    assert.equal(message({ seed: '-1' }), 'seed: must be at least 0');
    assert.match(message({ method: 'qr' }), /^method: unknown option; valid options are n, b0, b1, noise, x, y, seed/);
  });

  test('mismatched x and y fail through runAnalysis with the option named', async () => {
    await assert.rejects(runAnalysis(lstsqTheoryAnalysis, { x: '1,2,3,4', y: '1,2,3' }), /^OptionError: y: needs one value per x \(x has 4 values, y has 3\)$/);
    await assert.rejects(runAnalysis(lstsqTheoryAnalysis, { x: '2,2,2' , y: '1,2,3' }), /x: needs at least two different values/);
  });
});

describe('/lstsq-theory figures and text', () => {
  test('every figure renders, non-blank, with matching names and alt text', async () => {
    const opts = parseOptions(Options, { seed: 2 });
    const d = computeLstsqTheory(opts);
    const figs = await renderLstsqTheory(d);
    assert.deepEqual(figs.map((f) => f.name), ['regression-picture', 'example-data', 'example-fit', 'solutions']);
    for (const f of figs.slice(0, 3)) await checkFigure(f.png, f.name, { width: 1200, height: 700 });
    const table = await decodePng(figs[3]!.png);
    assert.ok(table.width >= 2400 && !table.isBlank(), 'solutions table');
    assert.match(figs[0]!.alt, /9 simulated observations/);
    assert.match(figs[2]!.alt, /R² = 0\.831/);
    assert.match(figs[3]!.alt, /4\.58333333333/);
    for (const f of figs) assert.ok(f.title && f.alt.length > 40, f.name);
  });

  test('a large regression picture and a long example still render', async () => {
    const x = Array.from({ length: 100 }, (_, i) => i % 17);
    const y = x.map((v, i) => 2 + 0.5 * v + ((i * 7) % 5) - 2);
    const opts = parseOptions(Options, { seed: 1, n: 200, noise: 5, x, y });
    const figs = await renderLstsqTheory(computeLstsqTheory(opts));
    for (const f of figs) assert.ok(!(await decodePng(f.png)).isBlank(), f.name);
  });

  test('the explanation quotes the numbers and suggests a valid, different command', () => {
    for (const raw of [{}, { noise: 3 }, { noise: 3, y: '5,6.5,6,8,2' }]) {
      const opts = parseOptions(Options, { seed: 1, ...raw });
      const text = explainLstsqTheory(computeLstsqTheory(opts), opts);
      const sentences = text.split(/(?<=\.)\s+(?=[A-Z])/).length;
      assert.ok(sentences >= 2 && sentences <= 6, `${sentences} sentences: ${text}`);
      const m = /`\/lstsq-theory ([^`]+)`/.exec(text);
      assert.ok(m, text);
      const suggested = Object.fromEntries(m[1]!.split(' ').map((kv) => kv.split(':') as [string, string]));
      const next = parseOptions(Options, suggested); // valid
      assert.notDeepEqual({ ...opts, ...next }, opts, `suggestion repeats the run: ${m[1]}`);
    }
    const opts = parseOptions(Options, { seed: 1 });
    assert.match(explainLstsqTheory(computeLstsqTheory(opts), opts), /intercept of 4\.583 and a slope of 0\.610/);
  });
});

describe('/lstsq-theory end to end', () => {
  test('runAnalysis and lab run write every figure, result.json and result.md', async () => {
    const r = await runAnalysis(getAnalysis('lstsq-theory'), { seed: '7' });
    assert.equal(r.seed, 7);
    assert.equal(r.model, null);
    assert.deepEqual(r.figures.map((f) => f.name), ['regression-picture', 'example-data', 'example-fit', 'solutions']);
    const sol = r.data.solutions as { beta_normal_equations: number[]; beta_lstsq: number[] };
    closeAll(sol.beta_normal_equations, [4.583333333333337, 0.6096491228070176], 1e-12);
    assert.deepEqual(Object.keys(r.data), r.figures.map((f) => f.name));
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'lab-lstsq-theory-'));
    try {
      const files = await writeResult(dir, r);
      assert.deepEqual(files.map((f) => path.basename(f)), ['regression-picture.png', 'example-data.png', 'example-fit.png', 'solutions.png', 'result.json', 'result.md']);
      const json = JSON.parse(await fs.readFile(path.join(dir, 'result.json'), 'utf8'));
      assert.equal(json.postUrl, 'https://thepalindrome.org/p/the-anatomy-of-the-least-squares');
      assert.match(await fs.readFile(path.join(dir, 'result.md'), 'utf8'), /leastSquares_1\.ipynb/);
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});
