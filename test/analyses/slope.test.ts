import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { getAnalysis } from '../../src/analyses/index.ts';
import { parseOptions } from '../../src/analyses/options.ts';
import { runAnalysis } from '../../src/analyses/run.ts';
import { computeSlope, correlatedPair, lineStats, NOTEBOOK_TRANSFORMS, Options, slopeAnalysis, standardizeTo } from '../../src/analyses/slope.ts';
import { createRng } from '../../src/analyses/lib/random.ts';
import { writeResult } from '../../src/cli/run.ts';
import { decodePng } from '../../src/render/png.ts';
import { checkFigure } from '../render/helpers.ts';
import { optionErrorMessage } from './reference.ts';

const close = (a: number, b: number, tol = 1e-12) => assert.ok(Math.abs(a - b) <= tol, `${a} vs ${b}`);

// Data constructed here; the expected numbers come from numpy 2.4 / scipy 1.17:
//   scipy.stats.linregress(x, y) → slope, intercept, rvalue; np.corrcoef(x, y)[0, 1];
//   x.std(), y.std() (numpy's default ddof = 0).
const X = [1, 2, 3, 4, 5, 6, 7, 8];
const Y = [2, 1, 4, 3, 7, 5, 8, 10];

describe('slope, r and the spreads against numpy/scipy', () => {
  test('lineStats matches scipy.stats.linregress and numpy std', () => {
    const s = lineStats(X, Y);
    close(s.slope, 1.1666666666666667);
    close(s.intercept, -0.25);
    close(s.r, 0.9168894559922717); // linregress rvalue; np.corrcoef gives 0.9168894559922719
    close(s.sdX, 2.29128784747792);
    close(s.sdY, 2.9154759474226504);
    close(s.meanX, 4.5);
    close(s.meanY, 5);
    close(s.slopeFromR, 1.1666666666666667); // rvalue * y.std() / x.std()
  });

  test('shifting and scaling: linregress on the transformed data', () => {
    // (scale x, shift x, scale y, shift y) → scipy slope, intercept, r
    const cases: [number, number, number, number, number, number, number][] = [
      [4, 4, 1, 0, 0.2916666666666667, -1.416666666666667, 0.9168894559922717],
      [1, 0, 2, 1, 2.3333333333333335, 0.5, 0.9168894559922717],
      [33, -3, 33, -3, 1.1666666666666667, -7.75, 0.9168894559922717],
      [-3, 0, 0.5, -7, -0.19444444444444445, -7.125, -0.9168894559922717],
    ];
    for (const [ax, bx, ay, by, slope, intercept, r] of cases) {
      const s = lineStats(X.map((v) => v * ax + bx), Y.map((v) => v * ay + by));
      close(s.slope, slope);
      close(s.intercept, intercept, 1e-11);
      close(s.r, r);
      close(s.slopeFromR, slope, 1e-12);
    }
  });

  test('standardizeTo gives exact means and (÷N) standard deviations', () => {
    // numpy: z = (v − v.mean()) / v.std() * 1.9 + 1 → first values 1.2970200647533432, −0.6039083496680528, 1.772252168358692
    const z = standardizeTo([3, -1, 4, 1, -5, 9, 2, 6], 1, 1.9);
    close(z[0], 1.2970200647533432);
    close(z[1], -0.6039083496680528);
    close(z[2], 1.772252168358692);
    const s = lineStats(z, z);
    close(s.meanX, 1);
    close(s.sdX, 1.9);
  });

  test('simulated pairs have the requested population correlation', () => {
    const rng = createRng(3);
    for (const r of [-0.7, 0.2, 1]) {
      const s = correlatedPair(rng, 20000, r);
      close(lineStats(s.x, s.y).r, r, 0.02);
    }
  });
});

describe('/slope numbers', () => {
  const opts = parseOptions(Options, { seed: 7 });

  test('defaults reproduce the notebook', () => {
    assert.equal(opts.n, 188);
    assert.deepEqual(opts.pop_r, [1, 0.7, 0.2, -0.2, -0.7, -1]);
    assert.equal(opts.b0, -3);
    assert.equal(opts.b1, 1.6);
    assert.equal(opts.noise_sd, 1.5);
    assert.equal(opts.scaling_r, 0.7);
    assert.equal(opts.check_n, 123);
    assert.deepEqual([opts.x_mean, opts.y_mean, opts.x_std, opts.y_std], [0.4, 1, 1.5, 1.9]);
    assert.deepEqual(NOTEBOOK_TRANSFORMS.map((t) => [t.shiftX, t.shiftY]), [[0, 0], [0, 1], [4, 0], [-3, -3]]);
    assert.deepEqual(NOTEBOOK_TRANSFORMS.map((t) => [t.scaleX, t.scaleY]), [[1, 1], [1, 2], [4, 1], [33, 33]]);
  });

  test('same seed, same samples', () => {
    const a = computeSlope(opts);
    assert.deepEqual(computeSlope(opts).scaled[0].x, a.scaled[0].x);
    assert.notDeepEqual(computeSlope({ ...opts, seed: 8 }).scaled[0].x, a.scaled[0].x);
  });

  test('panels A–D: r unchanged, slope scaled by scale_y / scale_x', () => {
    const d = computeSlope(opts);
    assert.equal(d.scaled.length, 4);
    const a = d.scaled[0].stats;
    for (const s of d.scaled) {
      close(s.stats.r, a.r, 1e-12);
      close(s.stats.slope, (a.slope * s.scaleY) / s.scaleX, 1e-12);
      close(s.stats.meanX, a.meanX * s.scaleX + s.shiftX, 1e-10);
    }
    close(d.scaled[1].stats.slope, 2 * a.slope, 1e-12);
    close(d.scaled[2].stats.slope, a.slope / 4, 1e-12);
    close(d.scaled[3].stats.slope, a.slope, 1e-12);
  });

  test('equation check: exact means and stds; r, slope and intercept agree across routes', () => {
    const c = computeSlope(opts).check;
    assert.equal(c.x.length, 123);
    close(c.stats.meanX, 0.4, 1e-12);
    close(c.stats.meanY, 1, 1e-12);
    close(c.stats.sdX, 1.5, 1e-12);
    close(c.stats.sdY, 1.9, 1e-12);
    close(c.rFromZ, c.stats.r, 1e-12);
    close(c.ols.slope, c.stats.slope, 1e-10);
    close(c.stats.slopeFromR, c.stats.slope, 1e-12);
    close(c.ols.intercept, c.stats.intercept, 1e-10);
    close(c.stats.slope, (c.stats.r * 1.9) / 1.5, 1e-12);
  });

  test('regression recovers the simulated line; the relation holds on every sample', () => {
    const d = computeSlope({ ...opts, n: 5000 });
    close(d.regression.slope, 1.6, 0.08);
    close(d.regression.intercept, -3, 0.08);
    assert.equal(d.relation.length, 6 + 1 + 4 + 1);
    assert.ok(d.maxRelationError < 1e-12, `${d.maxRelationError}`);
  });

  test('the sweep: slope ∝ k when y is scaled, ∝ 1/k when x is, r constant', () => {
    const d = computeSlope(opts);
    const a = d.scaled[0].stats;
    d.sweep.k.forEach((k, i) => {
      close(d.sweep.yScaled.slope[i], a.slope * k, 1e-12);
      close(d.sweep.xScaled.slope[i], a.slope / k, 1e-12);
      close(d.sweep.yScaled.r[i], a.r, 1e-12);
      close(d.sweep.xScaled.r[i], a.r, 1e-12);
    });
    close(d.sweep.k[0], 0.1);
    close(d.sweep.k[d.sweep.k.length - 1], 10, 1e-12);
  });

  test('scale_x / shift options add panel E; a negative scale flips both signs', () => {
    const d = computeSlope({ ...opts, scale_x: -10, shift_y: 5 });
    assert.equal(d.scaled.length, 5);
    const [a, e] = [d.scaled[0].stats, d.scaled[4].stats];
    close(e.r, -a.r, 1e-12);
    close(e.slope, -a.slope / 10, 1e-12);
  });
});

describe('/slope options', () => {
  const message = (raw: Record<string, unknown>) => optionErrorMessage(Options, raw);
  test('limits name the option', () => {
    assert.equal(message({ n: '2' }), 'n: must be at least 3');
    assert.equal(message({ n: '5001' }), 'n: must be at most 5000');
    assert.equal(message({ check_n: '100000' }), 'check_n: must be at most 5000');
    assert.equal(message({ pop_r: '0.5,1.5' }), 'pop_r: must be at most 1');
    assert.equal(message({ x_std: '0' }), 'x_std: must be at least 0.001');
    assert.equal(message({ scale_x: '2000' }), 'scale_x: must be at most 1000');
    assert.match(message({ scale_y: '0' }), /^scale_y: must be at least 0\.001 in size/);
    assert.match(message({ b1: '0', noise_sd: '0' }), /^noise_sd: must be above 0 when b1 is 0/);
    assert.match(message({ slope: '1' }), /^slope: unknown option; valid options are n, pop_r, b0/);
  });
});

describe('/slope end to end', () => {
  test('runAnalysis renders every figure; lab run writes them', async () => {
    assert.equal(getAnalysis('slope'), slopeAnalysis);
    const r = await runAnalysis(getAnalysis('slope'), { seed: '4', scale_x: '10' });
    assert.equal(r.seed, 4);
    assert.equal(r.model, null);
    assert.deepEqual(r.figures.map((f) => f.name), ['correlations', 'regression', 'scaling', 'equations', 'slope-vs-scale']);
    const sizes: Record<string, { width: number; height: number }> = {
      'correlations': { width: 1200, height: 842 }, // figure title + 2 rows of 400 px
      'regression': { width: 1200, height: 700 },
      'scaling': { width: 1200, height: 922 }, // figure title + 2 rows of 440 px (A–C, D–E)
      'slope-vs-scale': { width: 1200, height: 480 },
    };
    for (const f of r.figures) {
      if (sizes[f.name]) await checkFigure(f.png, f.name, sizes[f.name]);
      else {
        const img = await decodePng(f.png);
        assert.ok(img.width >= 2400 && !img.isBlank(), f.name);
      }
      assert.ok(f.alt.length > 40 && f.title.length > 5, f.name);
    }
    assert.match(r.figures[2].alt, /^5 scatter plots/);
    const scaling = r.data.scaling as { panel: string; r: number }[];
    assert.deepEqual(scaling.map((p) => p.panel), ['A', 'B', 'C', 'D', 'E']);
    assert.match(r.explanation, /panel E \(x×10, y×1\) has slope/);
    assert.doesNotMatch(r.explanation, /`\/slope scale_x:10`/); // never suggests what just ran
    assert.match(r.explanation, /`\/slope scale_y:-2`/);

    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'lab-slope-'));
    try {
      const files = await writeResult(dir, r);
      assert.deepEqual(files.map((f) => path.basename(f)), ['correlations.png', 'regression.png', 'scaling.png', 'equations.png', 'slope-vs-scale.png', 'result.json', 'result.md']);
      const json = JSON.parse(await fs.readFile(path.join(dir, 'result.json'), 'utf8'));
      assert.equal(json.postUrl, 'https://mikexcohen.substack.com/p/correlation-vs-best-fit-line-regression');
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });

  test('with defaults the explanation suggests scale_x and quotes the data', async () => {
    const opts = parseOptions(Options, { seed: 1 });
    const d = computeSlope(opts);
    const text = slopeAnalysis.explain(d, opts);
    assert.match(text, /`\/slope scale_x:10`/);
    assert.ok(text.includes(d.scaled[1].stats.slope.toFixed(3)));
    const sentences = text.split(/(?<=[.!?])\s+(?=[A-Z])/).length;
    assert.ok(sentences >= 2 && sentences <= 6, `${sentences} sentences`);
  });
});
