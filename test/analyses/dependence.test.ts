import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  computeDependence,
  daysSinceFirst,
  DEFAULT_COLUMNS,
  dependenceAnalysis,
  extractColumns,
  HOUR_COLUMNS,
  Options,
  shortLabel,
  type DependenceData,
} from '../../src/analyses/dependence.ts';
import { getAnalysis } from '../../src/analyses/index.ts';
import { loadDataset } from '../../src/analyses/lib/datasets.ts';
import { covariance, ksgMutualInformation } from '../../src/analyses/lib/mutual-information.ts';
import { parseOptions } from '../../src/analyses/options.ts';
import { runAnalysis } from '../../src/analyses/run.ts';
import { OptionError, type AnalysisContext } from '../../src/analyses/types.ts';
import { decodePng } from '../../src/render/png.ts';
import { BACKGROUND } from '../render/helpers.ts';
import { optionErrorMessage } from './reference.ts';

const close = (a: number, b: number, tol = 1e-9) => assert.ok(Math.abs(a - b) <= tol * Math.max(1, Math.abs(b)), `${a} vs ${b}`);
const ctx = (localFiles = false): AnalysisContext => ({ progress: () => {}, engine: () => Promise.reject(new Error('no model')), localFiles });

/** Smaller simulations and fewer shuffles than the notebook, so the suite stays quick. */
const QUICK = { seed: 5, example_n: 60, cov_permutations: 100, mi_permutations: 40, sweep_steps: 8, sweep_n: 200, data_permutations: 20 };

const FIGURES = [
  'cov-examples', 'centering', 'cov-scatter', 'cov-permutation', 'cov-outliers', 'cov-zscored',
  'mi-examples', 'entropy-categorical', 'entropy-data', 'entropy-binned', 'entropy-bins', 'joint-histogram', 'mi-bins', 'mi-permutation', 'mi-outliers',
  'cov-vs-mi', 'pairplot', 'split-half', 'cov-mi-relation', 'significance', 'subset-vs-full',
];

let tmp: string;
before(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'lab-dependence-'));
});
after(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

async function csvFile(name: string, text: string): Promise<string> {
  const file = path.join(tmp, name);
  await fs.writeFile(file, text);
  return file;
}

async function rejectsWith(p: Promise<unknown>, option: string, pattern: RegExp) {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof OptionError, `expected an OptionError, got ${String(err)}`);
    assert.equal(err.option, option);
    assert.match(err.message, pattern);
    return true;
  });
}

describe('/dependence defaults and options', () => {
  test('defaults reproduce the notebook', () => {
    const o = parseOptions(Options, {});
    assert.equal(o.example_n, 90);
    assert.equal(o.posts_n, 40);
    assert.equal(o.n, 300);
    assert.equal(o.cov_permutations, 1000);
    assert.equal(o.z_thresh, 4);
    assert.equal(o.categorical_n, 200);
    assert.equal(o.entropy_n, 347);
    assert.equal(o.entropy_bins, 30);
    assert.equal(o.joint_bins, 8);
    assert.equal(o.outlier_bins, 7);
    assert.equal(o.mi_permutations, 1000);
    assert.equal(o.k, 3);
    assert.equal(o.sweep_n, 500);
    assert.equal(o.sweep_steps, 100);
    assert.deepEqual(o.columns, ['Rented Bike Count', 'Temperature(°C)', 'Wind speed (m/s)', 'days_since_first', 'Humidity(%)']);
    assert.equal(o.every, 55);
    assert.equal(o.data_permutations, 500);
    assert.equal(o.download, false);
    assert.deepEqual(DEFAULT_COLUMNS.map(shortLabel), ['Bikes', 'Temp', 'Wind', 'Days', 'Humidity']);
  });

  test('every limit rejects with the option and the limit', () => {
    const message = (raw: Record<string, unknown>) => optionErrorMessage(Options, raw);
    assert.equal(message({ n: '5' }), 'n: must be at least 10');
    assert.equal(message({ n: '6000' }), 'n: must be at most 5000');
    assert.equal(message({ cov_permutations: '9000' }), 'cov_permutations: must be at most 5000');
    assert.equal(message({ mi_permutations: '5000' }), 'mi_permutations: must be at most 1000');
    assert.equal(message({ entropy_n: '3000' }), 'entropy_n: must be at most 2000');
    assert.equal(message({ k: '0' }), 'k: must be at least 1');
    assert.equal(message({ k: '21' }), 'k: must be at most 20');
    assert.equal(message({ every: '0' }), 'every: must be at least 1');
    assert.equal(message({ sweep_steps: '500' }), 'sweep_steps: must be at most 200');
    assert.equal(message({ columns: 'Hour' }), 'columns: at least 2 items');
    assert.equal(message({ columns: 'a,b,c,d,e,f,g' }), 'columns: at most 6 items');
    assert.equal(message({ data_permutations: '6000' }), 'data_permutations: must be at most 5000');
    assert.equal(message({ z_thresh: '0.5' }), 'z_thresh: must be at least 1');
    assert.match(message({ csv_url: 'not a url' }), /^csv_url: /);
    assert.match(message({ method: 'spearman' }), /^method: unknown option/);
  });

  test('the permutation workload and the subsample size are bounded when the data are known', async () => {
    const o = parseOptions(Options, { ...QUICK, every: '1', data_permutations: '5000' });
    await rejectsWith(computeDependence(o, ctx()), 'data_permutations', /10 pairs × 5000 shuffles × 8760 rows = 438,000,000 is over the limit of 3,000,000/);
    await rejectsWith(computeDependence(parseOptions(Options, { ...QUICK, every: '1000' }), ctx()), 'every', /leaves 9; the permutation tests need at least 10 \(use every ≤ 876\)/);
  });

  test('data sources: local files only from the command line, one source at a time', async () => {
    const file = await csvFile('ok.csv', 'a,b\n1,2\n');
    await rejectsWith(computeDependence(parseOptions(Options, { ...QUICK, file }), ctx(false)), 'file', /only be read from the command line/);
    await rejectsWith(computeDependence(parseOptions(Options, { ...QUICK, file, csv_url: 'https://example.com/a.csv' }), ctx(true)), 'file', /give only one of csv_url, file/);
    await rejectsWith(computeDependence(parseOptions(Options, { ...QUICK, file, download: 'true' }), ctx(true)), 'download', /give only one of file, download/);
    await rejectsWith(computeDependence(parseOptions(Options, { ...QUICK, file: path.join(tmp, 'missing.csv') }), ctx(true)), 'file', /missing\.csv/);
  });

  test('bad columns and bad cells name the column and the line', async () => {
    await rejectsWith(computeDependence(parseOptions(Options, { ...QUICK, columns: 'Rented Bike Count,Rainfall' }), ctx()), 'columns', /has no column "Rainfall"/);
    await rejectsWith(computeDependence(parseOptions(Options, { ...QUICK, columns: 'Hour,Hour' }), ctx()), 'columns', /"Hour" is named twice/);
    const bad = await csvFile('bad.csv', 'a,b\n1,2\n3,x\n');
    await rejectsWith(computeDependence(parseOptions(Options, { ...QUICK, file: bad, columns: 'a,b' }), ctx(true)), 'columns', /line 3, column .*"b".*: "x" is not a number/);
    const dates = await csvFile('dates.csv', 'Date,b\n01/12/2017,1\n31/02/2018,2\n');
    await rejectsWith(computeDependence(parseOptions(Options, { ...QUICK, file: dates, columns: 'days_since_first,b' }), ctx(true)), 'columns', /line 3, column "Date": "31\/02\/2018" is not a dd\/mm\/yyyy date/);
    const few = await csvFile('few.csv', 'a,b\n1,2\n2,3\n3,5\n');
    await rejectsWith(computeDependence(parseOptions(Options, { ...QUICK, file: few, columns: 'a,b' }), ctx(true)), 'file', /only 3 complete rows in a, b; at least 20 are needed/);
  });
});

describe('/dependence on the Seoul bike data', () => {
  let d: DependenceData;
  before(async () => {
    d = await computeDependence(parseOptions(Options, QUICK), ctx());
  });

  test('days_since_first counts calendar days from the first row', async () => {
    assert.deepEqual(daysSinceFirst(['01/12/2017', '02/12/2017', '01/01/2018', '30/11/2018'], 't'), [0, 1, 31, 364]);
    const table = await loadDataset('seoul-bike');
    const { values, dropped } = extractColumns(table, DEFAULT_COLUMNS);
    assert.equal(dropped, 0);
    assert.equal(values[3].length, 8760);
    assert.equal(Math.max(...values[3]), 364); // python: (datetime − first).days over the bundled CSV
  });

  test('covariances agree with numpy on the bundled CSV', () => {
    const M = 5;
    const [even, odd] = d.part3.split.cov;
    // numpy.cov over csv.reader columns of data/uci/seoul-bike.csv: [::2], [1::2], full, [::55].
    close(even[0 * M + 1], 4214.504240391825);
    close(even[0], 460672.37650346564);
    close(odd[2 * M + 4], -7.181047517155873);
    close(odd[4 * M + 2], -7.181047517155873);
    assert.equal(d.part3.split.rows[0], 4380);
    const pair = d.part3.subsetVsFull.pairs.indexOf('Temp–Days');
    close(d.part3.subsetVsFull.signedLogCov[1][pair], Math.log(727.5430642767436));
    const bh = d.part3.subsetVsFull.pairs.indexOf('Bikes–Humidity');
    close(d.part3.subsetVsFull.signedLogCov[0][bh], -Math.log(2770.6011399371064));
    assert.equal(d.part3.subsetVsFull.smallN, 160);
    assert.equal(d.part3.subsetVsFull.bigN, 8760);
  });

  test('KSG on every 55th row agrees with a brute-force numpy estimator', async () => {
    const table = await loadDataset('seoul-bike');
    const { values } = extractColumns(table, DEFAULT_COLUMNS);
    const sub = values.map((c) => c.filter((_, i) => i % 55 === 0));
    // numpy's v[::55].std() per column, so both sides divide by the very same doubles: the data
    // are full of tied distances, which a last-bit difference in the scaling would break apart.
    const sd = [641.8464720717388, 11.765037186511567, 1.0449013111294292, 105.84483853145603, 19.50207420859381];
    const scaled = sub.map((c, j) => c.map((v) => v / sd[j]));
    // numpy: brute-force Chebyshev KSG (k = 3, nextafter radius, scipy digamma) on those values.
    close(ksgMutualInformation(scaled[0], scaled[1]), 0.28241022263504467, 1e-12);
    close(ksgMutualInformation(scaled[1], scaled[3]), 0.881067157386398, 1e-12);
    close(ksgMutualInformation(scaled[2], scaled[4]), 0.15698734240688506, 1e-12);
    // With sklearn's own scaling and jitter the estimate moves only where ties are broken.
    assert.ok(Math.abs(d.part3.subsetVsFull.mi[0][d.part3.subsetVsFull.pairs.indexOf('Temp–Days')] - 0.881067157386398) < 0.05);
  });

  test('split-half matrices are symmetric, and MI with itself is large', () => {
    const M = 5;
    for (const m of [...d.part3.split.cov, ...d.part3.split.mi]) {
      for (let i = 0; i < M; i++) for (let j = 0; j < M; j++) assert.equal(m[i * M + j], m[j * M + i]);
    }
    for (let i = 0; i < M; i++) assert.ok(d.part3.split.mi[0][i * M + i] > 2, `MI of column ${i} with itself`);
    assert.equal(d.part3.relation.pairs.length, 10);
    assert.ok(Number.isFinite(d.part3.relation.r));
  });

  test('permutation z-scores: upper triangle only, and temperature–day is strongly dependent', () => {
    const M = 5;
    const { z, p, threshold } = d.part3.significance;
    close(threshold, 0.005, 1e-15);
    for (let i = 0; i < M; i++) {
      for (let j = 0; j <= i; j++) assert.ok(Number.isNaN(z[0][i * M + j]) && Number.isNaN(z[1][i * M + j]));
    }
    assert.ok(z[1][1 * M + 3] > 5, `MI z for Temp–Days = ${z[1][1 * M + 3]}`);
    assert.equal(p[1][1 * M + 3], 0);
  });

  test('the covariance demos: scaling, outliers and z-scoring', () => {
    const { demo, outliers } = d.part1;
    close(demo.scaled.covX10, 10 * demo.cov);
    close(demo.scaled.covXY10, 100 * demo.cov);
    close(demo.scaled.corrX10, demo.scaled.corr);
    assert.deepEqual(outliers.removed, [1, 299]);
    const keep = (v: number[]) => v.filter((_, i) => i !== 1 && i !== 299);
    close(outliers.covClean, covariance(keep(outliers.x), keep(outliers.y)));
    assert.ok(Math.abs(outliers.covZ - 1) < 1, 'z-scored covariance is the correlation');
    assert.ok(demo.permutation.z > 3 && demo.permutation.p < 0.05);
  });

  test('entropy and mutual-information demos hold together', () => {
    const { categorical, continuous, joint, miByBins, outliers } = d.part2;
    close(categorical.p.reduce((a, b) => a + b), 1, 1e-12);
    assert.ok(categorical.entropy > 0 && categorical.entropy <= Math.log2(categorical.p.length));
    assert.equal(continuous.byBins.bins.length, 46);
    assert.equal(joint.counts.reduce((a, b) => a + b), 347);
    close(joint.mi, joint.hx + joint.hy - joint.hxy, 1e-12);
    assert.deepEqual(miByBins.bins, Array.from({ length: 21 }, (_, i) => i + 4));
    assert.ok(miByBins.mi[20] > miByBins.mi[0], 'more bins, more histogram MI');
    assert.equal(outliers.cases.length, 4);
    assert.ok(outliers.cases[1].histogram < outliers.cases[0].histogram, 'an x outlier squeezes the histogram bins');
    // The circle, parabola and X: zero covariance, clear mutual information.
    for (const e of d.part2.examples.slice(3)) {
      assert.ok(Math.abs(e.cov) < 1e-9, `${e.name} covariance ${e.cov}`);
      assert.ok((e.mi ?? 0) > 0.5, `${e.name} MI ${e.mi}`);
    }
    assert.ok(d.part3.sweep.rCov2Mi > 0.8, `MI tracks cov², r = ${d.part3.sweep.rCov2Mi}`);
  });

  test('the same seed gives the same numbers (simulations, shuffles and jitter)', async () => {
    const again = await computeDependence(parseOptions(Options, QUICK), ctx());
    assert.deepEqual(again.part3.significance.z, d.part3.significance.z);
    assert.deepEqual(again.part2.permutation.null, d.part2.permutation.null);
  });
});

describe('/dependence end to end', () => {
  test('runAnalysis renders all 21 figures with numbers behind each', async () => {
    const r = await runAnalysis(getAnalysis('dependence'), { ...QUICK, seed: '3' });
    assert.equal(r.seed, 3);
    assert.equal(r.model, null);
    assert.deepEqual(r.figures.map((f) => f.name), FIGURES);
    assert.deepEqual(Object.keys(r.data).sort(), [...FIGURES].sort());
    for (const f of r.figures) {
      assert.ok(f.png.length < 8 * 1024 * 1024, f.name);
      assert.ok(f.title.length > 0 && f.alt.length > 20, f.name);
      const img = await decodePng(f.png);
      assert.equal(img.width % 2, 0, f.name);
      assert.ok(!img.isBlank(), `${f.name}: blank`);
      assert.ok(img.distinctColors(50) > 5, `${f.name}: too few colours`);
      assert.deepEqual(img.pixel(1, 1).slice(0, 3), BACKGROUND, `${f.name}: background`);
    }
    // The explanation's numbers come from the data; its suggestion parses and differs from the run.
    assert.match(r.explanation, /of 10 column pairs have significant covariance/);
    const m = /`\/dependence columns:"([^"]+)"`/.exec(r.explanation);
    assert.ok(m, r.explanation);
    assert.deepEqual(parseOptions(Options, { columns: m[1] }).columns, HOUR_COLUMNS);
  });

  test("a user's CSV: chosen columns, rows with missing values dropped", async () => {
    const lines = ['a,b,c'];
    for (let i = 0; i < 120; i++) lines.push(`${i},${(i * 37) % 11},${i === 7 ? '' : Math.sin(i / 5).toFixed(4)}`);
    const file = await csvFile('user.csv', lines.join('\n') + '\n');
    const r = await runAnalysis(dependenceAnalysis, { ...QUICK, file, columns: 'a,b,c', every: '5' }, { localFiles: true });
    assert.equal(r.figures.length, 21);
    const pair = r.data.pairplot as { rows: number; dropped_rows: number; source: string };
    assert.equal(pair.rows, 119);
    assert.equal(pair.dropped_rows, 1);
    assert.equal(pair.source, 'file');
    const sig = r.data.significance as { rows: number; labels: string[] };
    assert.equal(sig.rows, 24);
    assert.deepEqual(sig.labels, ['a', 'b', 'c']);
    // Not the bike data: the suggestion is one that runs as given.
    const m = /`\/dependence ([^`]+)`/.exec(r.explanation);
    assert.ok(m && !m[1].includes('columns'), r.explanation);
  });
});
