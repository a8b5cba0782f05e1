import assert from 'node:assert/strict';
import { optionErrorMessage } from './reference.ts';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { computeCorrelation, correlationAnalysis, nonlinearExamples, Options, simulatePair } from '../../src/analyses/correlation.ts';
import { createRng, mulberry32 } from '../../src/analyses/lib/random.ts';
import { cosineSimilarity, linearFit, mean, pearson } from '../../src/analyses/lib/stats.ts';
import { parseOptions } from '../../src/analyses/options.ts';
import { runAnalysis } from '../../src/analyses/run.ts';
import { writeResult } from '../../src/cli/run.ts';
import { decodePng } from '../../src/render/png.ts';

const close = (a: number, b: number, tol = 1e-12) => assert.ok(Math.abs(a - b) <= tol, `${a} vs ${b}`);

describe('statistics match their definitions', () => {
  const x = [1, 2, 3, 4, 5];
  const y = [2, 4, 5, 4, 5];

  test('Pearson r by the computational formula (nΣxy − ΣxΣy)/√(…)', () => {
    const n = x.length;
    const sx = x.reduce((a, b) => a + b);
    const sy = y.reduce((a, b) => a + b);
    const sxy = x.reduce((a, v, i) => a + v * y[i], 0);
    const sxx = x.reduce((a, v) => a + v * v, 0);
    const syy = y.reduce((a, v) => a + v * v, 0);
    const r = (n * sxy - sx * sy) / Math.sqrt((n * sxx - sx * sx) * (n * syy - sy * sy));
    close(pearson(x, y), r);
    close(pearson(x, y), 0.7745966692414834);
  });

  test('cosine similarity is the cosine of the angle between the vectors', () => {
    close(cosineSimilarity([1, 0], [1, 1]), Math.SQRT1_2);
    close(cosineSimilarity([1, 0], [0, 3]), 0);
    close(cosineSimilarity([2, 2], [-1, -1]), -1);
    close(cosineSimilarity(x, y), 66 / Math.sqrt(55 * 86)); // 2+8+15+16+25 over |x|·|y|
  });

  test('correlation ignores shifts and scales; cosine similarity ignores scales only', () => {
    const shifted = x.map((v) => 3 * v - 10);
    close(pearson(shifted, y), pearson(x, y));
    close(pearson(x.map((v) => -v), y), -pearson(x, y));
    close(cosineSimilarity(x.map((v) => 7 * v), y), cosineSimilarity(x, y));
    assert.ok(Math.abs(cosineSimilarity(shifted, y) - cosineSimilarity(x, y)) > 0.5);
  });

  test('with zero means the two are equal: correlation is cosine similarity of centred data', () => {
    const rng = createRng(5);
    const a = Array.from(rng.normals(200));
    const b = a.map((v) => 0.3 * v + rng.normal());
    const ca = a.map((v) => v - mean(a));
    const cb = b.map((v) => v - mean(b));
    close(cosineSimilarity(ca, cb), pearson(a, b));
    close(pearson(ca, cb), pearson(a, b));
  });

  test('linear fit recovers a line and its r²', () => {
    const fit = linearFit([0, 1, 2, 3], [1, 3, 5, 7]);
    close(fit.slope, 2);
    close(fit.intercept, 1);
    close(fit.r2, 1);
    close(linearFit(x, y).r2, pearson(x, y) ** 2);
  });
});

describe('seeded randomness', () => {
  test('mulberry32 is deterministic and uniform on [0, 1)', () => {
    const a = mulberry32(42);
    const b = mulberry32(42);
    const draws = Array.from({ length: 20000 }, () => a());
    assert.deepEqual(draws.slice(0, 5), Array.from({ length: 5 }, () => b()));
    assert.ok(draws.every((v) => v >= 0 && v < 1));
    close(mean(draws), 0.5, 0.01);
  });

  test('normal samples have mean 0 and variance 1', () => {
    const z = createRng(7).normals(50000);
    const m = mean(z);
    const v = mean(Array.from(z, (t) => (t - m) ** 2));
    close(m, 0, 0.02);
    close(v, 1, 0.03);
  });

  test('simulated pairs have the requested population correlation', () => {
    const rng = createRng(11);
    for (const r of [-0.7, 0, 0.7, 1]) {
      const s = simulatePair(rng, 20000, r);
      close(pearson(s.x, s.y), r, 0.02);
    }
  });
});

describe('/correlation numbers', () => {
  const opts = parseOptions(Options, { seed: 1 });

  test('defaults reproduce the notebook', () => {
    assert.deepEqual(opts.pop_r, [-0.7, 0, 0.7]);
    assert.equal(opts.n, 90);
    assert.equal(opts.sweep_n, 500);
    assert.equal(opts.sweep_steps, 100);
    assert.equal(opts.offset, -10);
  });

  test('the same seed gives the same samples; another seed does not', () => {
    const a = computeCorrelation(opts);
    assert.deepEqual(computeCorrelation(opts), a);
    assert.notDeepEqual(computeCorrelation({ ...opts, seed: 2 }).examples[0].x, a.examples[0].x);
  });

  test('the non-linear relations have r ≈ 0', () => {
    for (const e of nonlinearExamples(90)) {
      assert.equal(e.x.length, 90);
      close(pearson(e.x, e.y), 0, 1e-10);
    }
  });

  test('with the −10 offset, correlation follows the population r and cosine similarity does not', () => {
    const d = computeCorrelation(opts);
    const corrError = mean(d.sweep.correlation.map((c, i) => Math.abs(c - d.sweep.popR[i])));
    assert.ok(corrError < 0.05, `correlation off by ${corrError}`);
    assert.ok(d.sweep.meanAbsGap > 0.3, `gap ${d.sweep.meanAbsGap}`);
    assert.ok(Math.max(...d.sweep.cosine.map(Math.abs)) < 0.5); // squeezed towards 0 by the offset
  });

  test('with zero offset the two measures (nearly) coincide', () => {
    const d = computeCorrelation({ ...opts, offset: 0 });
    assert.ok(d.sweep.meanAbsGap < 0.05, `gap ${d.sweep.meanAbsGap}`);
    assert.ok(d.sweep.agreement > 0.99, `agreement ${d.sweep.agreement}`);
  });

  test('the sweep spans −1…1 in the requested steps', () => {
    const d = computeCorrelation({ ...opts, sweep_steps: 5, sweep_n: 50 });
    assert.deepEqual(d.sweep.popR, [-1, -0.5, 0, 0.5, 1]);
    close(d.sweep.correlation[0], -1, 1e-12);
    close(d.sweep.correlation[4], 1, 1e-12);
  });
});

describe('/correlation options', () => {
  const message = (raw: Record<string, unknown>) => optionErrorMessage(Options, raw);

  test('N out of range, r outside [-1, 1], unknown options', () => {
    assert.equal(message({ n: '2' }), 'n: must be at least 3');
    assert.equal(message({ sweep_n: '100000' }), 'sweep_n: must be at most 20000');
    assert.equal(message({ pop_r: '0.5,1.5' }), 'pop_r: must be at most 1');
    assert.equal(message({ n: 'ten' }), 'n: expected a number, got "ten"');
    // Only plain decimals: hex, binary and empty values are not numbers a user means.
    assert.equal(message({ n: '0x10' }), 'n: expected a number, got "0x10"');
    assert.equal(message({ n: '0b101' }), 'n: expected a number, got "0b101"');
    assert.equal(message({ n: ' ' }), 'n: expected a number, got " "');
    assert.equal(message({ pop_r: '0.5,0x1' }), 'pop_r: expected a list of numbers, got "0x1"');
    assert.deepEqual(parseOptions(Options, { n: '1e2', offset: '-.5' }).n, 100);
    assert.match(message({ method: 'spearman' }), /^method: unknown option; valid options are pop_r, n, sweep_n/);
  });
});

describe('/correlation end to end', () => {
  test('lab run writes every figure, result.json and result.md', async () => {
    const r = await runAnalysis(correlationAnalysis, { seed: '3', sweep_steps: '40' });
    assert.equal(r.seed, 3);
    assert.equal(r.model, null);
    assert.deepEqual(r.figures.map((f) => f.name), ['example-scatters', 'nonlinear', 'sweep']);
    for (const f of r.figures) {
      assert.ok(f.png.length < 8 * 1024 * 1024, f.name);
      const img = await decodePng(f.png);
      assert.equal(img.width, 2400, f.name);
      assert.ok(!img.isBlank(), f.name);
    }
    const sweep = r.data.sweep as { population_r: number[]; correlation: number[] };
    assert.equal(sweep.population_r.length, 40);
    assert.match(r.explanation, /shifted by -10/);
    assert.match(r.explanation, /`\/correlation offset:0`/);

    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'lab-correlation-'));
    try {
      const files = await writeResult(dir, r);
      assert.deepEqual(files.map((f) => path.basename(f)), ['example-scatters.png', 'nonlinear.png', 'sweep.png', 'result.json', 'result.md']);
      const json = JSON.parse(await fs.readFile(path.join(dir, 'result.json'), 'utf8'));
      assert.equal(json.seed, 3);
      assert.equal(json.postUrl, 'https://mikexcohen.substack.com/p/correlation-vs-cosine-similarity');
      assert.match(await fs.readFile(path.join(dir, 'result.md'), 'utf8'), /Correlation_vs_cosineSimilarity\.ipynb/);
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});

describe('option messages read as English', () => {
  test('"1 character", not "1 characters"; "4 items"', async () => {
    const { z } = await import('zod');
    const schema = z.object({ word: z.string().max(1).describe('w') }).strict();
    assert.equal(optionErrorMessage(schema, { word: 'ab' }), 'word: at most 1 character');
    assert.equal(optionErrorMessage(Options, { pop_r: '0,0,0,0,0' }), 'pop_r: at most 4 items');
  });
});
