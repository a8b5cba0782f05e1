import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { ciAnalysis, computeCi, computePart1, computePart3, loadTable, Options, type CiOptions } from '../../src/analyses/ci.ts';
import { getAnalysis } from '../../src/analyses/index.ts';
import {
  arange,
  bootstrapCorrelations,
  bootstrapMeans,
  fdBinCount,
  logSpacedInts,
  pearsonComplete,
  percentileInterval,
  percentiles,
  removeOutliers,
  resampleIndices,
  summarize,
  tCritical,
  tInterval,
} from '../../src/analyses/lib/intervals.ts';
import { createRng } from '../../src/analyses/lib/random.ts';
import { parseOptions } from '../../src/analyses/options.ts';
import { runAnalysis } from '../../src/analyses/run.ts';
import { OptionError } from '../../src/analyses/types.ts';
import { errorBarChart, withSegments, withXSpan } from '../../src/render/chart-layers.ts';
import { renderChart } from '../../src/render/chart.ts';
import { boxStats } from '../../src/render/distribution-plots.ts';
import { scatterChart } from '../../src/render/charts.ts';
import { checkFigure } from '../render/helpers.ts';
import { optionErrorMessage } from './reference.ts';

const close = (a: number, b: number, tol = 1e-12) => assert.ok(Math.abs(a - b) <= tol, `${a} vs ${b} (tol ${tol})`);
const ctx = (localFiles = false) => ({ progress: () => {}, localFiles });
const opts = (raw: Record<string, unknown> = {}): CiOptions => parseOptions(Options, { seed: 1, ...raw });

describe('t intervals agree with scipy', () => {
  test('critical values: scipy.stats.t.isf / t.ppf', () => {
    close(tCritical(0.95, 19), 2.09302405440831, 1e-10); // stats.t.isf(.025, 19): the notebook's n = 20 example
    close(tCritical(0.99, 4), 4.604094871349992, 1e-9); // stats.t.ppf(.995, 4)
    close(tCritical(0.9, 1000), 1.6463788172854643, 1e-10); // stats.t.ppf(.95, 1000)
    close(tCritical(0.95, 451), 1.965237913863782, 1e-10); // stats.t.ppf(.975, 451): the Arrhythmia columns
    assert.throws(() => tCritical(1, 10), RangeError);
  });

  test('mean ± t*·s/√n equals scipy.stats.t.interval', () => {
    // stats.t.interval(.95, 47, loc=2.3, scale=3.2/np.sqrt(48)): the notebook's analytic example
    const a = tInterval(2.3, 3.2, 48, 0.95);
    close(a.lower, 1.3708168582867548, 1e-10);
    close(a.upper, 3.2291831417132446, 1e-10);
    close(a.stderr, 3.2 / Math.sqrt(48));
    // stats.t.interval(.99, 9, loc=-1.5, scale=0.8/np.sqrt(10))
    const b = tInterval(-1.5, 0.8, 10, 0.99);
    close(b.lower, -2.322150586591839, 1e-9);
    close(b.upper, -0.6778494134081612, 1e-9);
  });

  test('summaries skip NaN like pandas (numpy on [1, 2, 4, 10], ddof=1)', () => {
    const s = summarize([1, 2, NaN, 4, 10]);
    assert.equal(s.n, 4);
    close(s.mean, 4.25);
    close(s.sd, 4.031128874149275, 1e-12);
  });
});

describe('percentiles, bins and box plots agree with numpy', () => {
  test('numpy.percentile (linear method)', () => {
    // np.percentile([3,1,4,1,5,9,2,6,5,3.5], [0,2.5,25,50,75,97.5,100])
    const got = percentiles([3, 1, 4, 1, 5, 9, 2, 6, 5, 3.5], [0, 2.5, 25, 50, 75, 97.5, 100]);
    [1.0, 1.0, 2.25, 3.75, 5.0, 8.325000000000001, 9.0].forEach((v, i) => close(got[i]!, v, 1e-12));
    // np.percentile([0.2,-1.3,2.7,0.05,1.1,-0.4,3.9], [2.5, 97.5]): the 95% percentile interval
    const [lo, hi] = percentileInterval([0.2, -1.3, 2.7, 0.05, 1.1, -0.4, 3.9], 0.95);
    close(lo, -1.165, 1e-12);
    close(hi, 3.72, 1e-12);
    const [p10, p90] = percentileInterval([0.2, -1.3, 2.7, NaN, 0.05, 1.1, -0.4, 3.9], 0.8);
    close(p10, -0.76, 1e-12); // np.percentile(…, 10), NaN dropped
    close(p90, 3.1800000000000006, 1e-12);
  });

  test("bins='fd' chooses numpy's bin count", () => {
    // len(np.histogram_bin_edges(a, 'fd')) - 1
    assert.equal(fdBinCount([3, 1, 4, 1, 5, 9, 2, 6, 5, 3.5]), 4);
    assert.equal(fdBinCount([0.2, -1.3, 2.7, 0.05, 1.1, -0.4, 3.9]), 3);
    assert.equal(fdBinCount(Array.from({ length: 100 }, (_, i) => i ** 1.5)), 5);
    assert.equal(fdBinCount([1, 1, 1, 1, 2]), 1); // IQR 0
  });

  test('box-plot statistics: quartiles, whiskers within 1.5 IQR, fliers', () => {
    // numpy: q1, med, q3 = np.percentile(v, [25, 50, 75]); whiskers = extremes of v within the fences
    const b = boxStats([1, 2, 3, 4, 5, 6, 7, 8, 9, 40, -20]);
    assert.deepEqual([b.q1, b.median, b.q3, b.whiskerLow, b.whiskerHigh], [2.5, 5, 7.5, 1, 9]);
    assert.deepEqual(b.fliers, [-20, 40]);
  });

  test('np.logspace(1, 4, 100).astype(int) and np.arange(5, 2000, 42)', () => {
    const sizes = logSpacedInts(10, 10_000, 100);
    assert.deepEqual(sizes.slice(0, 8), [10, 10, 11, 12, 13, 14, 15, 16]);
    assert.deepEqual(sizes.slice(-3), [8697, 9326, 10000]);
    assert.equal(sizes.reduce((a, b) => a + b, 0), 148189);
    const n = arange(5, 2000, 42);
    assert.equal(n.length, 48);
    assert.equal(n[47], 1979);
  });

  test('pairwise-complete correlation (np.corrcoef on the rows without NaN)', () => {
    const x = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 50];
    const y = [2.1, 3.9, 6.2, 7.8, NaN, 12.1, 14.2, 15.8, 18.3, 19.9, 1.0];
    close(pearsonComplete(x, y), -0.27214445674433335, 1e-12);
  });

  test('z-score cleaning removes only the values beyond the threshold', () => {
    const v = [...Array.from({ length: 30 }, (_, i) => i % 5), 100];
    const clean = removeOutliers(v, 3.29);
    assert.ok(Number.isNaN(clean[30]));
    assert.equal(clean.filter(Number.isNaN).length, 1);
    assert.deepEqual(removeOutliers([1, 2, NaN, 3], 3.29).slice(0, 2), [1, 2]);
  });
});

describe('bootstrap percentile intervals on constructed data', () => {
  test('constant data: every resample has the same mean', () => {
    const b = bootstrapMeans(createRng(1), new Array(20).fill(3.5), 200);
    assert.ok(b.every((v) => v === 3.5));
    assert.deepEqual(percentileInterval(b, 0.95), [3.5, 3.5]);
  });

  test('an exact line: every resampled correlation is 1', () => {
    const x = Array.from({ length: 30 }, (_, i) => i);
    const r = bootstrapCorrelations(createRng(2), x, x.map((v) => 3 * v - 2), 300);
    assert.ok(r.every((v) => Math.abs(v - 1) < 1e-12));
  });

  test('resampling draws every index about equally often', () => {
    const counts = new Array(10).fill(0);
    const idx = resampleIndices(createRng(3), 10, 100_000);
    for (const i of idx) counts[i]++;
    assert.ok(counts.every((c) => Math.abs(c - 10_000) < 500), counts.join(','));
  });

  test('the interval holds the sample mean, matches the t interval and shrinks like 1/√n', () => {
    const rng = createRng(4);
    const width = (n: number) => {
      const data = rng.normals(n);
      const ci = percentileInterval(bootstrapMeans(rng, data, 4000), 0.95);
      const s = summarize(data);
      assert.ok(ci[0] < s.mean && s.mean < ci[1]);
      const t = tInterval(s.mean, s.sd, s.n, 0.95);
      const ratio = (ci[1] - ci[0]) / (t.upper - t.lower);
      assert.ok(ratio > 0.9 && ratio < 1.08, `bootstrap/t width ${ratio} at n = ${n}`);
      return ci[1] - ci[0];
    };
    const ratio = width(100) / width(1600);
    assert.ok(ratio > 3.4 && ratio < 4.7, `width ratio ${ratio} (√16 = 4)`);
  });

  test('bootstrap 95% intervals cover the population mean about 95% of the time', () => {
    const rng = createRng(5);
    let hits = 0;
    const trials = 400;
    for (let k = 0; k < trials; k++) {
      const data = rng.normals(40).map((z) => 10 + 2 * z);
      const [lo, hi] = percentileInterval(bootstrapMeans(rng, data, 400), 0.95);
      if (lo <= 10 && 10 <= hi) hits++;
    }
    // Binomial SD at 400 trials is 0.011; the percentile bootstrap runs a little below nominal at n = 40.
    const rate = hits / trials;
    assert.ok(rate > 0.9 && rate < 0.98, `coverage ${rate}`);
  });
});

describe('/ci part 1: t intervals and coverage', () => {
  test('defaults reproduce the notebook', () => {
    const o = opts();
    assert.deepEqual(o.sample_sizes, [50, 2000]);
    assert.equal(o.conf_level, 0.95);
    assert.deepEqual([o.sweep_start, o.sweep_stop, o.sweep_step], [5, 2000, 42]);
    assert.deepEqual([o.boot_n, o.lognormal_sigma, o.boots], [500, 0.2, 1000]);
    assert.deepEqual(o.columns, ['age', 'sex', 'height', 'weight', 'qrs']);
    assert.deepEqual([o.x, o.y, o.z_thresh], ['weight', 'qrs', 3.29]);
  });

  test('t intervals of the simulated samples, the sweep sizes and the analytic example', () => {
    const p = computePart1(opts({ coverage_runs: 100 }), createRng(1));
    for (const s of p.samples) {
      const t = tInterval(s.mean, s.sd, s.n, 0.95);
      close(s.lower, t.lower);
      close(s.upper, t.upper);
      assert.equal(s.values.length, s.n);
    }
    assert.deepEqual(p.sweep.sizes, arange(5, 2000, 42));
    p.sweep.sizes.forEach((n, i) => close(p.sweep.ciWidth[i]!, 2 * tCritical(0.95, n - 1) * (p.sweep.twoSd[i]! / 2) / Math.sqrt(n), 1e-9));
    close(p.coverage.formula.lower, 1.3708168582867548, 1e-10); // stats.t.interval(.95, 47, loc=2.3, scale=3.2/√48)
    close(p.coverage.formula.upper, 3.2291831417132446, 1e-10);
    assert.deepEqual(p.crossZero, ['C', 'D']); // 6.6±6, 7±1, 5±6, 0±1
  });

  test('coverage is the confidence level, within binomial error', () => {
    for (const level of [0.95, 0.8]) {
      const p = computePart1(opts({ conf_level: level, coverage_runs: 20_000, coverage_n: 10, sample_sizes: [10], sweep_stop: 20 }), createRng(7));
      const sd = Math.sqrt((level * (1 - level)) / 20_000);
      assert.ok(Math.abs(p.coverage.rate - level) < 3.5 * sd, `coverage ${p.coverage.rate} at ${level}`);
      close(p.coverage.running[19_999]!, p.coverage.rate);
    }
  });

  test('the same seed gives the same samples, and each part has its own stream', async () => {
    const a = await computeCi(opts({ part: '1', coverage_runs: 50 }), ctx());
    const b = await computeCi(opts({ part: 'all', coverage_runs: 50, boots: 200, boot_sweep_max: 100, boot_sweep_points: 5 }), ctx());
    assert.deepEqual(a.part1!.samples[0]!.values, b.part1!.samples[0]!.values);
    const c = await computeCi(opts({ part: '1', coverage_runs: 50, seed: 2 }), ctx());
    assert.notDeepEqual(c.part1!.samples[0]!.values, a.part1!.samples[0]!.values);
    assert.equal(a.part2, undefined);
    assert.equal(a.part3, undefined);
  });
});

describe('/ci part 2: bootstrap of a lognormal sample', () => {
  test('expected mean, interval order and the resample-count sweep', async () => {
    const d = await computeCi(opts({ part: '2', boot_sweep_max: 1000, boot_sweep_points: 20 }), ctx());
    const p = d.part2!;
    close(p.expectedMean, 1.0202013400267558, 1e-12); // np.exp(0.2**2/2)
    assert.equal(p.data.length, 500);
    assert.ok(p.data.every((v) => v > 0));
    assert.ok(p.meanCi[0] < p.sampleMean && p.sampleMean < p.meanCi[1]);
    assert.ok(p.sdCi[0] < p.sampleSd && p.sampleSd < p.sdCi[1]);
    // The 95% t interval and the bootstrap interval of the mean nearly agree (n = 500).
    assert.ok(Math.abs((p.meanCi[1] - p.meanCi[0]) / (p.tCi[1] - p.tCi[0]) - 1) < 0.15);
    assert.deepEqual(p.sweep.sizes, logSpacedInts(10, 1000, 20));
    assert.ok(p.sweep.widths.every((w) => w > 0));
    assert.equal(p.resamples.length, 5);
    for (const r of p.resamples) {
      assert.ok(r.sample.every((v) => [1, 2, 3, 4].includes(v)));
      close(r.mean, r.sample.reduce((a, b) => a + b, 0) / 4);
    }
  });
});

describe('/ci part 3: real data', () => {
  // numpy on data/uci/arrhythmia-first5.csv: t.ppf(.975, n-1)·std(ddof=1)/√n, before and after dropping |z| > 3.29
  const expected = [
    { name: 'age', n: 452, mean: 46.4712389380531, halfWidth: 1.5221262602254721, nClean: 452, meanClean: 46.4712389380531, halfWidthClean: 1.5221262602254721 },
    { name: 'sex', n: 452, mean: 0.5508849557522124, halfWidth: 0.04602948552890047, nClean: 452, meanClean: 0.5508849557522124, halfWidthClean: 0.04602948552890047 },
    { name: 'height', n: 452, mean: 166.18805309734512, halfWidth: 3.4359153137361735, nClean: 450, meanClean: 163.84222222222223, halfWidthClean: 0.9646202460764111 },
    { name: 'weight', n: 452, mean: 68.17035398230088, halfWidth: 1.533604277278992, nClean: 446, meanClean: 68.32959641255606, halfWidthClean: 1.3639691994348364 },
    { name: 'qrs', n: 452, mean: 88.92035398230088, halfWidth: 1.4202387102649496, nClean: 443, meanClean: 87.48081264108352, halfWidthClean: 1.0681008005906927 },
  ];

  test('intervals before and after cleaning match numpy/scipy on the bundled Arrhythmia data', async () => {
    const d = await computeCi(opts({ part: '3', boots: 300 }), ctx());
    const p = d.part3!;
    assert.equal(p.source.rows, 452);
    assert.equal(p.source.kind, 'bundled');
    assert.deepEqual(p.columns.map((c) => c.name), expected.map((e) => e.name));
    p.columns.forEach((c, i) => {
      const e = expected[i]!;
      assert.equal(c.before.n, e.n, c.name);
      assert.equal(c.after.n, e.nClean, c.name);
      close(c.before.mean, e.mean, 1e-9);
      close(c.after.mean, e.meanClean, 1e-9);
      close(c.before.halfWidth, e.halfWidth, 1e-9);
      close(c.after.halfWidth, e.halfWidthClean, 1e-9);
    });
    assert.equal(p.columns[1]!.binary, true);
    close(p.corr.r, 0.10009393376009176, 1e-12); // np.corrcoef(weight, qrs)[0, 1]
    assert.equal(p.corr.boots.length, 300);
    assert.ok(p.corr.ci[0] < p.corr.r && p.corr.r < p.corr.ci[1]);
  });

  test('a user CSV: its own columns, missing values and errors that name the option', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'lab-ci-'));
    try {
      const file = path.join(dir, 'mine.csv');
      const rows = Array.from({ length: 40 }, (_, i) => `${i},${i % 7 === 0 ? '?' : 2 * i + (i % 3)},label${i},${i % 2}`);
      await fs.writeFile(file, ['alpha,beta,name,flag', ...rows].join('\n'));
      const table = await loadTable(opts({ file }), ctx(true));
      const p = computePart3(opts({ file, boots: 200 }), table, createRng(1));
      // The notebook's columns are absent: its numeric columns are used, the first two correlated.
      assert.deepEqual(p.columns.map((c) => c.name), ['alpha', 'beta', 'flag']);
      assert.deepEqual([p.corr.x, p.corr.y], ['alpha', 'beta']);
      assert.equal(p.columns[1]!.before.n, 34); // 6 of 40 rows are '?'
      assert.equal(p.corr.pairs, 34);
      assert.equal(p.columns[2]!.binary, true);

      const fail = (raw: Record<string, unknown>, local = true) => computeCi(opts({ part: '3', ...raw }), ctx(local));
      await assert.rejects(fail({ file }, false), (e: Error) => e instanceof OptionError && /^file: local files/.test(e.message));
      await assert.rejects(fail({ file, columns: ['alpha', 'gamma'] }), (e: Error) => e instanceof OptionError && /^columns: .*no column "gamma"/.test(e.message));
      await assert.rejects(fail({ file, columns: ['name'] }), (e: Error) => e instanceof OptionError && /^columns: .*line 2, column .*"label0" is not a number/.test(e.message));
      await assert.rejects(fail({ file, x: 'alpha', y: 'alpha' }), (e: Error) => e instanceof OptionError && /^y: must differ/.test(e.message));
      await assert.rejects(fail({ file, csv_url: 'https://example.org/a.csv' }), (e: Error) => e instanceof OptionError && /give only one of/.test(e.message));
      // Not an http(s) URL: refused when the options are parsed, before any job is queued.
      assert.throws(() => opts({ part: '3', csv_url: 'ftp://example.org/a.csv' }), (e: Error) => e instanceof OptionError && /^csv_url: must be an http/.test(e.message));
      await assert.rejects(fail({ file: path.join(dir, 'missing.csv') }), (e: Error) => e instanceof OptionError && /^file: /.test(e.message));
      await fs.writeFile(path.join(dir, 'ragged.csv'), 'a,b\n1,2\n3\n');
      await assert.rejects(fail({ file: path.join(dir, 'ragged.csv') }), (e: Error) => e instanceof OptionError && /^file: .*line 3/.test(e.message));
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});

describe('/ci options', () => {
  const message = (raw: Record<string, unknown>) => optionErrorMessage(Options, raw);

  test('each limit names the option', () => {
    assert.equal(message({ conf_level: '1' }), 'conf_level: must be at most 0.999');
    assert.equal(message({ boots: '50' }), 'boots: must be at least 100');
    assert.equal(message({ boots: '50000' }), 'boots: must be at most 20000');
    assert.equal(message({ sample_sizes: '2' }), 'sample_sizes: must be at least 3');
    assert.equal(message({ sample_sizes: '10,20,30,40,50' }), 'sample_sizes: at most 4 items');
    assert.equal(message({ z_thresh: '0.5' }), 'z_thresh: must be at least 1');
    assert.match(message({ part: '4' }), /^part: /);
    assert.match(message({ level: '0.9' }), /^level: unknown option/);
  });

  test('combined work limits name the option to lower', async () => {
    const fails = (raw: Record<string, unknown>, re: RegExp) =>
      assert.rejects(computeCi(opts(raw), ctx()), (e: Error) => e instanceof OptionError && re.test(e.message), JSON.stringify(raw));
    await fails({ sweep_start: 100, sweep_stop: 50 }, /^sweep_stop: must be larger than sweep_start/);
    await fails({ sweep_start: 2, sweep_stop: 100_000, sweep_step: 10 }, /^sweep_step: .*the limit is 500/);
    await fails({ sweep_start: 50_000, sweep_stop: 100_000, sweep_step: 100 }, /^sweep_stop: .*the limit is 20,000,000/);
    await fails({ coverage_n: 10_000, coverage_runs: 20_000 }, /^coverage_runs: .*the limit is 20,000,000/);
    await fails({ boot_n: 20_000, boots: 20_000 }, /^boots: .*the limit is 100,000,000/);
    await fails({ boot_n: 20_000, boot_sweep_max: 20_000 }, /^boot_sweep_max: .*the limit is 500,000,000/);
  });
});

describe('chart layers (src/render/chart-layers.ts)', () => {
  test('segments are one dataset with gaps; error bars group by colour and draw', async () => {
    const base = scatterChart({ series: [{ label: 'points', points: [[0, 0], [1, 1]] }] });
    withSegments(base, [{ x0: 0, y0: 0, x1: 0, y1: 1 }, { x0: 1, y0: 0, x1: 1, y1: NaN }, { x0: 2, y0: 0, x1: 2, y1: 1 }], { label: 'bars' });
    const seg = base.data.datasets[1] as unknown as { data: { x: number; y: number | null }[]; spanGaps: boolean };
    assert.deepEqual(seg.data, [{ x: 0, y: 0 }, { x: 0, y: 1 }, { x: 2, y: null }, { x: 2, y: 0 }, { x: 2, y: 1 }]);
    assert.equal(seg.spanGaps, false);
    withXSpan(base, { lo: 0.2, hi: 0.8, top: 1, bottom: 0.5 });
    assert.deepEqual((base.data.datasets[2] as unknown as { fill: unknown }).fill, { value: 0.5 });

    const chart = errorBarChart({
      bars: [{ center: 1, lower: 0, upper: 2 }, { center: 2, lower: 1, upper: 3, color: '#ff0000' }, { center: 0, lower: -1, upper: 1 }],
      cap: 0.1,
    });
    // Two colours → two segment datasets, plus the centre markers.
    assert.equal(chart.data.datasets.length, 3);
    const first = chart.data.datasets[0] as unknown as { data: { x: number; y: number | null }[] };
    assert.equal(first.data.filter((p) => p.y !== null).length, 2 * 3 * 2); // 2 bars × (stem + 2 caps) × 2 ends
    await checkFigure(await renderChart(chart, { width: 600, height: 400 }), 'error bars', { width: 600, height: 400 });
  });
});

describe('/ci end to end', () => {
  test('every figure renders, with its numbers, title and a runnable suggestion', async () => {
    const r = await runAnalysis(getAnalysis('ci'), { seed: '11' });
    assert.equal(r.seed, 11);
    assert.equal(r.model, null);
    const sizes: Record<string, [number, number]> = {
      'error-bars': [900, 520],
      'ci-vs-sd': [1200, 660],
      'ci-width-by-n': [1200, 520],
      'coverage': [1200, 640],
      'lognormal-data': [1200, 420],
      'bootstrap-mean': [1200, 440],
      'bootstrap-count': [1200, 460],
      'bootstrap-sd': [1000, 500],
      'boxplots': [1200, 460],
      'cleaning-ci': [900, 520],
      'weight-qrs': [1000, 520],
      'bootstrap-r': [1000, 500],
    };
    assert.deepEqual(r.figures.map((f) => f.name), Object.keys(sizes));
    assert.deepEqual(Object.keys(r.data), Object.keys(sizes));
    for (const f of r.figures) {
      const [width, height] = sizes[f.name]!;
      await checkFigure(f.png, f.name, { width, height });
      assert.ok(f.title.length > 0 && f.alt.length > 20, f.name);
    }
    assert.match(r.explanation, /`\/ci conf_level:0\.99`/);
    const sentences = r.explanation.split(/(?<=[.!?])\s+(?=[A-Z"`])/).length;
    assert.ok(sentences >= 2 && sentences <= 6, `${sentences} sentences`);
    const cleaning = r.data['cleaning-ci'] as { columns: { name: string; before: { half_width: number } }[] };
    close(cleaning.columns[2]!.before.half_width, 3.4359153137361735, 1e-9); // height, numpy/scipy as above
    const bootR = r.data['bootstrap-r'] as { bootstrap_ci: number[]; observed_r: number };
    assert.match(r.figures.find((f) => f.name === 'bootstrap-r')!.title, /correlation/);
    assert.ok(bootR.bootstrap_ci[0]! < bootR.observed_r);
  });

  test('one part at a time, and the suggestion changes when it would repeat', async () => {
    const r = await runAnalysis(ciAnalysis, { seed: '2', part: '3', conf_level: '0.99', boots: '200' });
    assert.deepEqual(r.figures.map((f) => f.name), ['boxplots', 'cleaning-ci', 'weight-qrs', 'bootstrap-r']);
    assert.match(r.explanation, /99% interval/);
    assert.doesNotMatch(r.explanation, /conf_level:0\.99/);
    assert.match(r.explanation, /`\/ci conf_level:0\.8`/);
  });
});
