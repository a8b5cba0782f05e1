// /lstsq-simulation: simulated regressions fitted back, R² and adjusted R², the sample-size sweep.
// Fixed-data expectations are literals from numpy (see each comment); random simulations are
// held to properties that must hold exactly or within tight tolerances.
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { getAnalysis } from '../../src/analyses/index.ts';
import {
  computeLstsqSimulation,
  explainLstsqSimulation,
  fdBinCount,
  fitFullRank,
  fitModel,
  logSpacedSizes,
  lstsqSimulationAnalysis,
  median,
  Options,
  percentile,
  renderLstsqSimulation,
} from '../../src/analyses/lstsq-simulation.ts';
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
const corr = (x: readonly number[], y: readonly number[]) => {
  const mx = x.reduce((a, b) => a + b) / x.length;
  const my = y.reduce((a, b) => a + b) / y.length;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  x.forEach((v, i) => {
    sxy += (v - mx) * (y[i]! - my);
    sxx += (v - mx) ** 2;
    syy += (y[i]! - my) ** 2;
  });
  return sxy / Math.sqrt(sxx * syy);
};

describe('helpers against numpy', () => {
  const a = Array.from({ length: 50 }, (_, i) => i ** 1.5);
  const b = Array.from({ length: 37 }, (_, i) => Math.sin(i * 1.3) * 10 + i * 0.1);

  test('percentile and median interpolate like numpy.percentile', () => {
    // np.percentile(b, [25, 50, 75]) and np.percentile(a, ...)
    closeAll([25, 50, 75].map((q) => percentile(b, q)), [-4.6483282240628405, 2.6511998808781554, 9.471211462047393], 1e-12);
    closeAll([25, 50, 75].map((q) => percentile(a, q)), [42.89495618149776, 121.28775382679628, 222.7966602157756], 1e-10);
    close(median([22.5, 30, 41, 19, 55, 33.3, 47, 28, 36, 50, 24, 39]), 34.65, 1e-12); // np.median
  });

  test("Freedman–Diaconis bin counts match numpy's bins='fd'", () => {
    // len(np.histogram_bin_edges(v, 'fd')) − 1
    assert.equal(fdBinCount(a), 4);
    assert.equal(fdBinCount(b), 3);
    assert.equal(fdBinCount([1, 1, 1, 1, 2]), 1); // zero IQR: one bin
    assert.equal(fdBinCount([3, 3, 3, 3]), 1);
    assert.equal(fdBinCount([...Array.from({ length: 999 }, (_, i) => i / 1000), 1e6]), 200); // numpy: 10⁷ bins; capped
  });

  test('log-spaced sample sizes are numpy.logspace(...).astype(int)', () => {
    // np.logspace(np.log10(5), np.log10(2000), 50).astype(int): the notebook's sizes
    assert.deepEqual(logSpacedSizes(5, 2000, 50), [5, 5, 6, 7, 8, 9, 10, 11, 13, 15, 16, 19, 21, 24, 27, 31, 35, 39, 45, 51, 57, 65, 73, 83, 94, 106, 120, 135, 153, 173, 195, 221, 250, 282, 319, 361, 408, 461, 521, 588, 665, 751, 849, 960, 1085, 1226, 1385, 1566, 1769, 2000]);
    // np.logspace(np.log10(3), np.log10(777), 17).astype(int) ends on 776 (777 − 2e-13 truncated);
    // the sweep keeps the requested endpoint instead.
    assert.deepEqual(logSpacedSizes(3, 777, 17), [3, 4, 6, 8, 12, 17, 24, 34, 48, 68, 96, 136, 193, 274, 387, 549, 777]);
    assert.equal(logSpacedSizes(24, 10000, 100)[0], 24); // numpy: 23, below the requested minimum
    assert.deepEqual(logSpacedSizes(7, 7, 3), [7, 7, 7]);
  });
});

describe('a fitted model on fixed data', () => {
  const shows = [0, 3, 5, 1, 7, 2, 9, 4, 6, 8, 3, 1];
  const age = [22.5, 30, 41, 19, 55, 33.3, 47, 28, 36, 50, 24, 39];
  const y = [35.1, 41.7, 70.2, 22.0, 86.4, 51.9, 95.3, 44.8, 65.0, 90.1, 38.2, 55.5];
  const f = fitModel(['Intercept', 'PunkShows', 'Age'], [10, 3, 0.8], [shows, age], y);

  test('coefficients, R², r(ŷ, y)² and adjusted R² match numpy', () => {
    // np.linalg.lstsq(np.column_stack([ones, shows, age]), y, rcond=None)[0]
    closeAll(f.beta, [-2.8404116456055055, 2.9119841876338732, 1.3832337913211084], 1e-10, 'beta');
    // 1 − SSE/SST; 1 − (1 − R²)(N − 1)/(N − k); np.corrcoef(y, yHat)[0, 1]
    close(f.r2, 0.9640303744486503, 1e-12, 'R²');
    close(f.r2Corr, 0.9818504847728349 ** 2, 1e-12, 'r²');
    close(f.adjR2, 0.9560371243261281, 1e-12, 'adj R²');
    close(f.rObsPred, 0.9818504847728349, 1e-12, 'r(y, ŷ)');
    close(f.rResidPred, 0, 1e-12, 'r(e, ŷ)'); // numpy: −5.9e-16
    assert.deepEqual(f.names, ['Intercept', 'PunkShows', 'Age']);
    assert.deepEqual(f.simulated, [10, 3, 0.8]);
  });

  test("the residual histogram is numpy.histogram(resid, bins='fd')", () => {
    assert.deepEqual(f.residualHist.counts, [3, 2, 5, 2]);
    closeAll(f.residualHist.edges, [-7.221336190492565, -3.685860701667284, -0.15038521284200357, 3.385090275983277, 6.920565764808558], 1e-10, 'edges');
  });

  test('a draw that never has full rank ends in an OptionError naming the option', () => {
    let draws = 0;
    assert.throws(
      () => fitFullRank(() => { draws++; return [1, 1, 1]; }, (s) => fitModel(['Intercept', 'x'], [0, 0], [s], [1, 2, 3]), 'n', 'use more observations'),
      (err: unknown) => err instanceof OptionError && err.option === 'n' && /20 simulated data sets in a row had linearly dependent predictors/.test(err.message),
    );
    assert.equal(draws, 20);
  });
});

describe('/lstsq-simulation simulations', () => {
  const opts = parseOptions(Options, { seed: 11 });
  const d = computeLstsqSimulation(opts);

  test('defaults reproduce the notebook', () => {
    assert.equal(opts.n, 135);
    assert.deepEqual([opts.b0, opts.b1, opts.max_shows, opts.noise], [20, 3, 20, 15]);
    assert.equal(opts.multi_n, 88);
    assert.deepEqual([opts.multi_b0, opts.multi_b1, opts.multi_b2, opts.multi_max_shows], [10, 3, 0.8, 15]);
    assert.deepEqual([opts.age_min, opts.age_max], [18, 55]);
    assert.deepEqual([opts.sweep_min_n, opts.sweep_max_n, opts.sweep_steps, opts.useless], [5, 2000, 50, 0]);
    assert.equal(opts.clip, true);
  });

  test('the simulated variables have the notebook\'s ranges', () => {
    assert.equal(d.simple.y.length, 135);
    assert.ok(d.simple.columns[0]!.every((s) => Number.isInteger(s) && s >= 0 && s < 20));
    assert.ok(d.simple.y.every((v) => v >= 0 && v <= 100));
    assert.equal(d.multi.y.length, 88);
    assert.ok(d.multi.columns[0]!.every((s) => Number.isInteger(s) && s >= 0 && s < 15));
    assert.ok(d.multi.columns[1]!.every((a) => a >= 18 && a < 55));
    assert.ok(d.multi.y.every((v) => v >= 0 && v <= 100));
  });

  test('R² = r(ŷ, y)², adjusted R² by its formula, residuals uncorrelated with predictions', () => {
    for (const f of [d.simple, d.multi]) {
      close(f.r2, f.r2Corr, 1e-12);
      const n = f.y.length;
      const k = f.beta.length;
      close(f.adjR2, 1 - ((1 - f.r2) * (n - 1)) / (n - k), 1e-12);
      close(f.rObsPred, corr(f.y, f.yHat), 1e-12);
      close(f.rResidPred, 0, 1e-10);
      f.yHat.forEach((v, i) => close(v + f.residuals[i]!, f.y[i]!, 1e-9));
    }
    close(d.multi.ageMedian, median(d.multi.columns[1]!), 0);
  });

  test('without noise or clipping the fits recover the simulated coefficients exactly', () => {
    const e = computeLstsqSimulation({ ...opts, noise: 0, clip: false });
    closeAll(e.simple.beta, [20, 3], 1e-9);
    closeAll(e.multi.beta, [10, 3, 0.8], 1e-9);
    close(e.simple.r2, 1, 1e-12);
    e.sweep.r2.forEach((r) => close(r, 1, 1e-9));
  });

  test('large samples pin the estimates near the truth', () => {
    const e = computeLstsqSimulation({ ...opts, n: 5000, multi_n: 5000, sweep_steps: 2, sweep_max_n: 10 });
    closeAll(e.simple.beta, [20, 3], 0.2 * 5, 'simple'); // se ≈ 0.4 and 0.04
    close(e.simple.beta[1]!, 3, 0.2);
    close(e.multi.beta[1]!, 3, 0.2);
    close(e.multi.beta[2]!, 0.8, 0.1);
  });

  test('clipping keeps happiness on 0–100 and counts what it moved; without it values leave the scale', () => {
    const clipped = computeLstsqSimulation({ ...opts, b0: 90 });
    assert.ok(clipped.simple.clipped > 0 && clipped.simple.y.every((v) => v <= 100));
    assert.equal(clipped.simple.y.filter((v) => v === 100).length, clipped.simple.clipped);
    const free = computeLstsqSimulation({ ...opts, b0: 90, clip: false });
    assert.equal(free.simple.clipped, 0);
    assert.ok(free.simple.y.some((v) => v > 100));
  });

  test('the sweep: notebook sizes, R² = corr², adjusted R² below R², noise predictors', () => {
    assert.deepEqual(d.sweep.sampleSizes, logSpacedSizes(5, 2000, 50));
    assert.equal(d.sweep.k, 3);
    d.sweep.r2.forEach((r, i) => {
      const n = d.sweep.sampleSizes[i]!;
      assert.ok(r >= 0 && r <= 1);
      close(d.sweep.adjR2[i]!, 1 - ((1 - r) * (n - 1)) / (n - 3), 1e-12);
      assert.ok(d.sweep.adjR2[i]! <= r);
    });
    const u = computeLstsqSimulation({ ...opts, useless: 10, sweep_min_n: 15 });
    assert.equal(u.sweep.k, 13);
    assert.equal(u.sweep.sampleSizes[0], 15);
    const gapU = u.sweep.r2.slice(0, 10).reduce((s, r, i) => s + r - u.sweep.adjR2[i]!, 0);
    const gap0 = d.sweep.r2.slice(0, 10).reduce((s, r, i) => s + r - d.sweep.adjR2[i]!, 0);
    assert.ok(gapU > gap0, `noise predictors should widen the R² − adjusted R² gap (${gapU} vs ${gap0})`);
  });

  test('the same seed gives the same data; another seed does not', () => {
    assert.deepEqual(computeLstsqSimulation(opts), d);
    assert.notDeepEqual(computeLstsqSimulation({ ...opts, seed: 12 }).simple.y, d.simple.y);
  });
});

describe('/lstsq-simulation options', () => {
  const message = (raw: Record<string, unknown>) => optionErrorMessage(Options, raw);
  const computeMessage = (raw: Record<string, unknown>) => {
    try {
      computeLstsqSimulation(parseOptions(Options, { seed: 1, ...raw }));
    } catch (err) {
      assert.ok(err instanceof OptionError, String(err));
      return err.message;
    }
    assert.fail('expected an OptionError');
  };

  test('every limit names the option and the limit', () => {
    assert.equal(message({ n: '2' }), 'n: must be at least 3');
    assert.equal(message({ n: '5001' }), 'n: must be at most 5000');
    assert.equal(message({ multi_n: '3' }), 'multi_n: must be at least 4');
    assert.equal(message({ multi_n: '5001' }), 'multi_n: must be at most 5000');
    assert.equal(message({ max_shows: '1' }), 'max_shows: must be at least 2');
    assert.equal(message({ multi_max_shows: '1001' }), 'multi_max_shows: must be at most 1000');
    assert.equal(message({ noise: '-1' }), 'noise: must be at least 0');
    assert.equal(message({ noise: '1001' }), 'noise: must be at most 1000');
    assert.equal(message({ b0: '1001' }), 'b0: must be at most 1000');
    assert.equal(message({ multi_b2: '-101' }), 'multi_b2: must be at least -100');
    assert.equal(message({ age_max: '121' }), 'age_max: must be at most 120');
    assert.equal(message({ sweep_max_n: '10001' }), 'sweep_max_n: must be at most 10000');
    assert.equal(message({ sweep_steps: '101' }), 'sweep_steps: must be at most 100');
    assert.equal(message({ sweep_steps: '1' }), 'sweep_steps: must be at least 2');
    assert.equal(message({ useless: '21' }), 'useless: must be at most 20');
    assert.equal(message({ n: '1.5' }), 'n: expected integer');
    assert.equal(message({ clip: 'maybe' }), 'clip: expected true or false, got "maybe"');
    assert.match(message({ sample: '3' }), /^sample: unknown option; valid options are n, b0, b1, max_shows, noise/);
  });

  test('options that contradict each other are refused with the option named', () => {
    assert.equal(computeMessage({ age_min: '40', age_max: '30' }), 'age_max: must be above age_min (40)');
    assert.equal(computeMessage({ sweep_min_n: '100', sweep_max_n: '50' }), 'sweep_max_n: must be at least sweep_min_n (100)');
    assert.equal(computeMessage({ sweep_min_n: '3' }), "sweep_min_n: must be above the sweep model's 3 parameters (intercept, shows, age)");
    assert.equal(computeMessage({ useless: '10' }), "sweep_min_n: must be above the sweep model's 13 parameters (intercept, shows, age and 10 useless predictors)");
  });
});

describe('/lstsq-simulation figures and text', () => {
  test('every figure renders, non-blank, at its size, with alt text from the numbers', async () => {
    const opts = parseOptions(Options, { seed: 3 });
    const d = computeLstsqSimulation(opts);
    const figs = await renderLstsqSimulation(d, opts);
    assert.deepEqual(figs.map((f) => f.name), ['simple-scatter', 'simple-fit', 'multi-data', 'multi-fit', 'r2-sweep', 'coefficients']);
    const size: Record<string, { width: number; height: number }> = {
      'simple-scatter': { width: 1200, height: 700 },
      'simple-fit': { width: 1200, height: 920 },
      'multi-data': { width: 1200, height: 460 },
      'multi-fit': { width: 1200, height: 920 },
      'r2-sweep': { width: 1200, height: 700 },
    };
    for (const f of figs) {
      if (size[f.name]) await checkFigure(f.png, f.name, size[f.name]!);
      else assert.ok(!(await decodePng(f.png)).isBlank(), f.name);
      assert.ok(f.title && f.alt.length > 60, f.name);
    }
    assert.match(figs[1]!.alt, new RegExp(`r = ${d.simple.rObsPred.toFixed(2)}`));
    assert.match(figs[4]!.alt, /50 sample sizes from 5 to 2000/);
    assert.match(figs[1]!.title, /4 panels/);
    assert.match(figs[2]!.title, /2 panels/);
  });

  test('big samples, noise predictors and degenerate data still render', async () => {
    for (const raw of [{ n: 1000, multi_n: 1000, useless: 5, sweep_min_n: 9, sweep_steps: 5 }, { b0: 500, multi_b0: 500, n: 30, multi_n: 30, sweep_steps: 3 }]) {
      const opts = parseOptions(Options, { seed: 5, ...raw });
      const figs = await renderLstsqSimulation(computeLstsqSimulation(opts), opts);
      for (const f of figs) assert.ok(!(await decodePng(f.png)).isBlank(), f.name);
    }
  });

  test('the explanation quotes the numbers and suggests a valid, different command', () => {
    for (const raw of [{}, { useless: 10, sweep_min_n: 15 }, { useless: 10, sweep_min_n: 15, noise: 40 }]) {
      const opts = parseOptions(Options, { seed: 1, ...raw });
      const d = computeLstsqSimulation(opts);
      const text = explainLstsqSimulation(d, opts);
      assert.match(text, new RegExp(`R² = ${d.simple.r2.toFixed(3)}`));
      const m = /`\/lstsq-simulation ([^`]+)`/.exec(text);
      assert.ok(m, text);
      const suggested = Object.fromEntries(m[1]!.split(' ').map((kv) => kv.split(':') as [string, string]));
      const next = parseOptions(Options, suggested);
      computeLstsqSimulation({ ...next, seed: 1 }); // runs as given, from the defaults
      assert.notDeepEqual({ ...opts, ...next }, opts, `suggestion repeats the run: ${m[1]}`);
    }
  });
});

describe('/lstsq-simulation end to end', () => {
  test('runAnalysis and lab run write every figure, result.json and result.md', async () => {
    const r = await runAnalysis(getAnalysis('lstsq-simulation'), { seed: '9', sweep_steps: '20' });
    assert.equal(r.seed, 9);
    assert.equal(r.model, null);
    assert.equal(r.analysis, lstsqSimulationAnalysis.id);
    assert.deepEqual(Object.keys(r.data), r.figures.map((f) => f.name));
    const sweep = r.data['r2-sweep'] as { sample_sizes: number[]; r2: number[] };
    assert.equal(sweep.sample_sizes.length, 20);
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'lab-lstsq-simulation-'));
    try {
      const files = await writeResult(dir, r);
      assert.deepEqual(files.map((f) => path.basename(f)), ['simple-scatter.png', 'simple-fit.png', 'multi-data.png', 'multi-fit.png', 'r2-sweep.png', 'coefficients.png', 'result.json', 'result.md']);
      const json = JSON.parse(await fs.readFile(path.join(dir, 'result.json'), 'utf8'));
      assert.equal(json.postUrl, 'https://thepalindrome.org/p/the-anatomy-of-the-least-squares-ab5');
      assert.match(await fs.readFile(path.join(dir, 'result.md'), 'utf8'), /leastSquares_2\.ipynb/);
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});
