import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { getAnalysis } from '../../src/analyses/index.ts';
import { computeLstsqData, explainLstsqData, lstsqDataAnalysis, nextTry, Options, type LstsqData } from '../../src/analyses/lstsq-data.ts';
import { parseOptions } from '../../src/analyses/options.ts';
import { runAnalysis } from '../../src/analyses/run.ts';
import { OptionError } from '../../src/analyses/types.ts';
import { writeResult } from '../../src/cli/run.ts';
import { decodePng } from '../../src/render/png.ts';
import { optionErrorMessage } from './reference.ts';

const close = (a: number, b: number, rel = 1e-9) => assert.ok(Math.abs(a - b) <= rel * Math.max(1, Math.abs(b)), `${a} vs ${b}`);
const ctx = { localFiles: true, progress: () => {} };
const compute = (raw: Record<string, unknown>, c: { localFiles?: boolean } = ctx) =>
  computeLstsqData(parseOptions(Options, raw), { progress: () => {}, ...c });

/** The OptionError message computing with these options gives. */
async function computeError(raw: Record<string, unknown>, c: { localFiles?: boolean } = ctx): Promise<string> {
  try {
    await compute(raw, c);
  } catch (err) {
    assert.ok(err instanceof OptionError, `expected an OptionError, got ${(err as Error).name}: ${(err as Error).message}`);
    return err.message;
  }
  assert.fail('expected an OptionError');
}

// Expected values: the notebook's pipeline written out independently in python3 (numpy 2.4,
// scipy 1.17) on data/uci/residential-building.csv: log of Price and FloorArea, Interest > 14.5,
// z-scores with ddof=1, rows with any |z| > 3 dropped, then numpy.linalg.lstsq on
// [CPI, log-FloorArea, bin-Interest, 1, bin-Interest·CPI]; se = sqrt(diag(s²(XᵀX)⁻¹)),
// p = 2·scipy.stats.t.sf(|t|, 363), CI = b ± scipy.stats.t.ppf(0.975, 363)·se,
// F p = scipy.stats.f.sf, Omnibus = scipy.stats.normaltest, JB = scipy.stats.jarque_bera,
// Cond. No. = numpy.linalg.cond(X).
const PY = {
  names: ['CPI', 'log-FloorArea', 'bin-Interest', 'Intercept', 'Int X CPI'],
  coef: [0.010804308512905614, 0.27123486665159485, -0.47455428847206915, 4.045688858256133, 0.006632748350459627],
  se: [0.0010450803183619317, 0.03601763681306707, 0.16167489345633068, 0.2803477252838706, 0.0015146843808415634],
  t: [10.33825661346334, 7.530612517953754, -2.9352379848652816, 14.430967307330944, 4.378963983753798],
  p: [3.9516329771373222e-22, 4.0434331782235614e-13, 0.003545087552738013, 1.2515910302865822e-37, 1.56192227993737e-05],
  ciLow: [0.008749136495795068, 0.20040544043420178, -0.7924913035156423, 3.4943792699489986, 0.003654090251588107],
  ciHigh: [0.01285948053001616, 0.34206429286898793, -0.15661727342849596, 4.596998446563267, 0.009611406449331148],
  r2: 0.6203602887698381, adjR2: 0.6161769310703322, f: 148.2924323786864, fP: 5.144134989272173e-75,
  logLik: -275.02248232314844, aic: 560.0449646462969, bic: 579.5853793371415,
  dw: 0.9969250735557523, omnibus: 6.351474868879536, omnibusP: 0.041763295034412076,
  jb: 4.026306460345436, jbP: 0.13356684295280188, skew: -0.05703140694119931, kurtosis: 2.500425302457379,
  cond: 1164.4569562419047,
};

let d: LstsqData;
before(async () => {
  d = await compute({});
});

describe('/lstsq-data reproduces the notebook', () => {
  test('defaults are the notebook\'s columns, transforms and threshold', () => {
    const o = parseOptions(Options, {});
    assert.deepEqual(
      [o.outcome, o.log_column, o.binary_column, o.linear_column, o.log_outcome, o.log_predictor, o.threshold, o.interaction, o.remove_outliers, o.z_thresh, o.download],
      ['Price', 'FloorArea', 'Interest', 'CPI', true, true, 14.5, true, true, 3, false],
    );
  });

  test('transforms and outlier removal: 372 rows, rows 17, 310, 339, 341 beyond |z| = 3, 368 fitted', () => {
    assert.equal(d.transformed.y.length, 372);
    close(d.transformed.y[0]!, Math.log(2200));
    close(d.transformed.logX[0]!, Math.log(3150));
    assert.deepEqual(d.transformed.bin.slice(0, 5), [1, 1, 1, 0, 0]); // Interest 15, 15, 15, 12, 11
    assert.deepEqual(d.keep.flatMap((k, i) => (k ? [] : [i])), [17, 310, 339, 341]); // numpy: np.where(~keep)
    assert.deepEqual(d.removedBy, [1, 3, 0]); // log-Price, log-FloorArea, CPI
    assert.equal(d.removed, 4);
    assert.equal(d.fit.y.length, 368);
    assert.deepEqual(d.zBefore.map((f) => f.name), ['log-Price', 'log-FloorArea', 'CPI']);
  });

  test('box-plot quartiles of the z-scores match numpy.percentile, before and after cleaning', () => {
    const before = [
      [-0.6421348741908606, 0.007133376333900185, 0.6345886538889607],
      [-0.7042971298998708, -0.028504564195715676, 0.6675350052331953],
      [-0.7971780325321085, -0.08564082006708623, 0.7644025614807805],
    ];
    const whiskers = [[-2.405379194706646, 2.273848741131438, 3], [-2.345887405626788, 2.5037689029751338, 3], [-1.6769325165961688, 2.541170184746984, 0]];
    d.zBefore.forEach((f, j) => {
      [f.box.q1, f.box.median, f.box.q3].forEach((q, k) => close(q, before[j]![k]!, 1e-9));
      close(f.box.whiskerLow, whiskers[j]![0]!, 1e-9);
      close(f.box.whiskerHigh, whiskers[j]![1]!, 1e-9);
      assert.equal(f.box.fliers.length, whiskers[j]![2]);
    });
    const afterQ = [
      [-0.6592588933794149, -0.003198362213907987, 0.6358816542383788],
      [-0.7156229367517528, -0.020747877033493255, 0.6898056589049261],
      [-0.8004214836627871, -0.08424476657485819, 0.7713412347113352],
    ];
    d.zAfter!.forEach((f, j) => [f.box.q1, f.box.median, f.box.q3].forEach((q, k) => close(q, afterQ[j]![k]!, 1e-9)));
  });

  test('the OLS table: coef, std err, t, P>|t|, CI, R², adj. R², F and the diagnostics', () => {
    const s = d.summary;
    assert.deepEqual(d.design, PY.names);
    assert.deepEqual(s.coefficients.map((c) => c.name), PY.names);
    s.coefficients.forEach((c, j) => {
      close(c.coef, PY.coef[j]!, 1e-9);
      close(c.stdErr, PY.se[j]!, 1e-9);
      close(c.t, PY.t[j]!, 1e-9);
      close(c.p, PY.p[j]!, 1e-6 * PY.p[j]!);
      close(c.ciLow, PY.ciLow[j]!, 1e-9);
      close(c.ciHigh, PY.ciHigh[j]!, 1e-9);
    });
    assert.equal(s.n, 368);
    assert.equal(s.dfModel, 4);
    assert.equal(s.dfResid, 363);
    assert.equal(s.hasConstant, true); // the intercept is the 4th column, as in the notebook
    close(s.r2, PY.r2);
    close(s.adjR2, PY.adjR2);
    close(s.f, PY.f, 1e-9);
    close(s.fP, PY.fP, 1e-6 * PY.fP);
    close(s.logLik, PY.logLik);
    close(s.aic, PY.aic);
    close(s.bic, PY.bic);
    close(s.durbinWatson, PY.dw, 1e-9);
    close(s.omnibus, PY.omnibus, 1e-8);
    close(s.omnibusP, PY.omnibusP, 1e-8);
    close(s.jarqueBera, PY.jb, 1e-8);
    close(s.jarqueBeraP, PY.jbP, 1e-8);
    close(s.skew, PY.skew, 1e-9);
    close(s.kurtosis, PY.kurtosis, 1e-9);
    close(s.condNo, PY.cond, 1e-7);
    assert.equal(s.notes.length, 2); // condition number 1.16e+03 > 1000: the collinearity note
    assert.match(d.summaryText, /^Int X CPI\s+0\.0066\s+0\.002\s+4\.379\s+0\.000\s+0\.004\s+0\.010$/m);
    assert.match(d.summaryText, /Prob \(F-statistic\):\s+5\.14e-75/);
  });

  test("residuals are predicted − observed (the notebook's sign), histograms on numpy's 'auto' bins", () => {
    d.fit.residuals.forEach((r, i) => close(r, d.fit.predicted[i]! - d.fit.y[i]!, 1e-12));
    const h = d.residualHistogram;
    assert.equal(h.low.length, 14);
    close(h.edges[0]!, -1.269279012684855, 1e-9);
    close(h.edges[14]!, 1.3652519778963734, 1e-9);
    assert.deepEqual(h.low, [4, 1, 8, 15, 15, 10, 16, 15, 9, 13, 12, 7, 2, 2]);
    assert.deepEqual(h.high, [1, 6, 11, 17, 20, 42, 33, 32, 33, 14, 17, 8, 5, 0]);
    close(d.slopes!.low, PY.coef[0]!, 1e-9);
    close(d.slopes!.high, PY.coef[0]! + PY.coef[4]!, 1e-9);
  });
});

describe('/lstsq-data on your own CSV', () => {
  let dir: string;
  let server: http.Server;
  let base: string;
  let renamed: string;
  before(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'lab-lstsq-data-'));
    const src = await fs.readFile(new URL('../../data/uci/residential-building.csv', import.meta.url), 'utf8');
    renamed = src.replace(/^FloorArea,Interest,CPI,Price/, 'price_index,area,rate,price')
      .split('\n').map((line, i) => {
        if (i === 0 || !line) return line;
        const [fa, ir, cpi, p] = line.split(',');
        return [cpi, fa, ir, p].join(',');
      }).join('\n');
    await fs.writeFile(path.join(dir, 'mine.csv'), renamed);
    server = http.createServer((req, res) => {
      if (req.url === '/attachment.csv') {
        res.writeHead(200, { 'content-type': 'text/csv' });
        res.end(renamed);
      } else {
        res.writeHead(404);
        res.end();
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    await new Promise((resolve) => server.close(resolve));
    await fs.rm(dir, { recursive: true, force: true });
  });

  const roles = { outcome: 'price', log_column: 'area', binary_column: 'rate', linear_column: 'price_index' };

  test('the same data under other column names and order give the same fit (file and URL)', async () => {
    const mine = await compute({ file: path.join(dir, 'mine.csv'), ...roles });
    assert.equal(mine.source.origin, 'file');
    assert.deepEqual(mine.design, ['price_index', 'log-area', 'bin-rate', 'Intercept', 'rat X price_index']);
    assert.deepEqual([mine.names.low, mine.names.high], ['Low rat.', 'High rat.']);
    mine.summary.coefficients.forEach((c, j) => close(c.coef, PY.coef[j]!, 1e-9));
    const url = await compute({ csv_url: `${base}/attachment.csv`, ...roles });
    assert.equal(url.source.origin, 'url');
    close(url.summary.r2, PY.r2);
  });

  test('rows with a missing value are left out and counted', async () => {
    const lines = renamed.split('\n');
    lines[3] = lines[3]!.replace(/,[^,]*$/, ',?');
    await fs.writeFile(path.join(dir, 'gap.csv'), lines.join('\n'));
    const g = await compute({ file: path.join(dir, 'gap.csv'), ...roles });
    assert.equal(g.source.droppedMissing, 1);
    assert.equal(g.transformed.y.length, 371);
  });

  test('errors name the option and say what to change', async () => {
    const file = path.join(dir, 'mine.csv');
    assert.match(await computeError({ file, ...roles }, { localFiles: false }), /^file: local files can only be read from the command line/);
    assert.match(await computeError({ file, csv_url: `${base}/attachment.csv`, ...roles }), /^file: give only one of csv_url, file/);
    assert.match(await computeError({ csv_url: `${base}/attachment.csv`, download: true }), /^download: give only one of csv_url, download/);
    assert.throws(() => parseOptions(Options, { csv_url: 'not a url' }), /^OptionError: csv_url: must be an http:\/\/ or https:\/\/ URL/);
    assert.match(await computeError({ csv_url: `${base}/attachment.csv`, ...roles }, { localFiles: false }), /^csv_url: 127\.0\.0\.1 is a private or local address/);
    assert.match(await computeError({ file }), /^outcome: mine\.csv has no column "Price" \(it has "price_index", "area", "rate", "price"\)/);
    assert.match(await computeError({ log_column: 'Price' }), /^log_column: "Price" is already the outcome; each role needs its own column/);
    assert.match(await computeError({ threshold: 20 }), /^threshold: every row of "Interest" is at or below 20, so the split is constant; choose a threshold between 11 and 15/);

    const bad = path.join(dir, 'bad.csv');
    await fs.writeFile(bad, 'price_index,area,rate,price\n1,2,3,4\n5,6,7\n');
    assert.match(await computeError({ file: bad, ...roles }), /^file: bad\.csv, line 3: 3 fields, but the header has 4$/);
    await fs.writeFile(bad, 'price_index,area,rate,price\n1,2,3,4\n5,6,7,abc\n');
    assert.match(await computeError({ file: bad, ...roles }), /^outcome: bad\.csv, line 3, column 4 \("price"\): "abc" is not a number$/);
    const lines = renamed.split('\n');
    lines[5] = lines[5]!.replace(/,[^,]*$/, ',0');
    await fs.writeFile(bad, lines.join('\n'));
    assert.match(await computeError({ file: bad, ...roles }), /^outcome: "price" has 1 value ≤ 0 \(the first on line 6\), and a logarithm needs positive values: set log_outcome:false$/);
    // Without the log, the zero is fine.
    assert.equal((await compute({ file: bad, ...roles, log_outcome: false })).names.y, 'price');
    await fs.writeFile(bad, 'price_index,area,rate,price\n' + Array.from({ length: 20 }, (_, i) => `7,${i + 1},${i % 2 ? 15 : 11},${i + 2}`).join('\n'));
    assert.match(await computeError({ file: bad, ...roles }), /^linear_column: every row has the same "price_index" \(7\); a constant cannot be z-scored or fitted$/);
  });
});

describe('/lstsq-data options', () => {
  const message = (raw: Record<string, unknown>) => optionErrorMessage(Options, raw);
  test('limits and types', () => {
    assert.equal(message({ z_thresh: '0.5' }), 'z_thresh: must be at least 1');
    assert.equal(message({ z_thresh: '11' }), 'z_thresh: must be at most 10');
    assert.equal(message({ threshold: 'high' }), 'threshold: expected a number, got "high"');
    assert.equal(message({ log_outcome: 'maybe' }), 'log_outcome: expected true or false, got "maybe"');
    assert.equal(message({ outcome: '' }), 'outcome: must not be empty');
    assert.equal(message({ csv_url: 'x'.repeat(2049) }), 'csv_url: at most 2048 characters');
    assert.match(message({ formula: 'y ~ x' }), /^formula: unknown option; valid options are download, csv_url, file, outcome/);
  });

  test('the suggestion to try is valid and differs from what ran', () => {
    const variants: Record<string, unknown>[] = [{}, { log_outcome: false, log_predictor: false }, { log_outcome: false, interaction: false }, { log_outcome: false, interaction: false, z_thresh: 2 }, { log_outcome: false, interaction: false, remove_outliers: false }];
    for (const raw of variants) {
      const opts = parseOptions(Options, raw);
      const suggestion = nextTry(opts);
      const suggested = Object.fromEntries(suggestion.split(' ').map((kv) => kv.split(':') as [string, string]));
      const next = parseOptions(Options, { ...raw, ...suggested });
      assert.notDeepEqual(next, opts, `${JSON.stringify(raw)} → ${suggestion}`);
    }
  });

  test('other settings change the model as asked', async () => {
    const plain = await compute({ log_outcome: false, log_predictor: false, interaction: false, remove_outliers: false });
    assert.deepEqual(plain.design, ['CPI', 'FloorArea', 'bin-Interest', 'Intercept']);
    assert.equal(plain.fit.y.length, 372);
    assert.equal(plain.slopes, null);
    assert.equal(plain.zAfter, null);
    assert.ok(plain.summary.r2 < d.summary.r2, `${plain.summary.r2} vs ${d.summary.r2}`);
    const strict = await compute({ z_thresh: 2 });
    assert.ok(strict.fit.y.length < 368);
    const text = explainLstsqData(plain, parseOptions(Options, { log_outcome: false, log_predictor: false, interaction: false, remove_outliers: false }));
    assert.match(text, /remove_outliers is off/);
    assert.match(text, /`\/lstsq-data z_thresh:2`|`\/lstsq-data log_outcome:true log_predictor:true`/);
  });
});

describe('/lstsq-data end to end', () => {
  test('lab run writes every figure, result.json and result.md', async () => {
    const r = await runAnalysis(getAnalysis('lstsq-data'), {});
    assert.equal(r.seed, null);
    assert.equal(r.model, null);
    const names = ['pairplot-raw', 'data-preview', 'pairplot-transformed', 'zscore-box', 'ols-summary', 'model-fit'];
    assert.deepEqual(r.figures.map((f) => f.name), names);
    for (const f of r.figures) {
      assert.ok(f.png.length < 8 * 1024 * 1024, f.name);
      const img = await decodePng(f.png);
      assert.ok(img.width >= 2400, `${f.name}: ${img.width}`);
      assert.ok(!img.isBlank(), f.name);
      assert.ok(f.alt.length > 40 && f.title.length > 5, f.name);
    }
    assert.deepEqual(Object.keys(r.data), names);
    assert.match(r.figures[4]!.alt, /R² = 0\.620, adjusted R² = 0\.616, F\(4, 363\) = 148\.3, p = 5\.1e-75/);
    assert.match(r.figures[3]!.alt, /4 rows removed/);
    assert.match(r.explanation, /372 usable rows/);
    assert.match(r.explanation, /after taking the log of Price and FloorArea and splitting Interest at 14\.5, removing the 4 rows with a \|z\| above 3 left 368\./);
    assert.match(r.explanation, /R² = 0\.620/);
    assert.match(r.explanation, /The largest \|t\| belongs to CPI \(coef 0\.0108, t = 10\.34, p = 4\.0e-22\)/);
    assert.match(r.explanation, /`\/lstsq-data log_outcome:false log_predictor:false`/);
    const sentences = r.explanation.split(/(?<=[.!?])\s+(?=[A-Z`])/).length;
    assert.ok(sentences >= 2 && sentences <= 6, `${sentences} sentences`);
    const table = r.data['ols-summary'] as { coefficients: { name: string; t: number }[]; text: string };
    close(table.coefficients[0]!.t, PY.t[0]!, 1e-9);
    assert.equal(lstsqDataAnalysis.post.id, 'lstsq-data');

    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'lab-lstsq-data-run-'));
    try {
      const files = await writeResult(dir, r);
      assert.deepEqual(files.map((f) => path.basename(f)), [...names.map((n) => `${n}.png`), 'result.json', 'result.md']);
      const json = JSON.parse(await fs.readFile(path.join(dir, 'result.json'), 'utf8'));
      assert.equal(json.postUrl, 'https://thepalindrome.org/p/the-anatomy-of-the-least-squares-818');
      assert.match(await fs.readFile(path.join(dir, 'result.md'), 'utf8'), /leastSquares_3\.ipynb/);
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});
