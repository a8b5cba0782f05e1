import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  coefficientRows, fitRows, forg, fUpperTail, normalTest, olsSummary, olsSummaryTables, olsSummaryText, pText, pyG, renderOlsSummary,
} from '../../src/analyses/lib/ols-table.ts';
import { checkFigure } from '../render/helpers.ts';
import { decodePng } from '../../src/render/png.ts';

const close = (a: number, b: number, rel = 1e-9) => assert.ok(Math.abs(a - b) <= rel * Math.max(1, Math.abs(b)), `${a} vs ${b}`);

// A small design whose constant sits in the middle column (as in the notebooks' data frames,
// where "Intercept" is added after the predictors); the expected values below come from
// numpy.linalg.lstsq and the textbook formulas in python3 (numpy 2.4, scipy 1.17):
// se = sqrt(diag(s²(XᵀX)⁻¹)), p = 2·scipy.stats.t.sf(|t|, df), F = (SST−SSE)/(k−1)/s²,
// scipy.stats.f.sf, normaltest, jarque_bera, skew, kurtosis(fisher=False), numpy.linalg.cond.
const X = [[1, 3, 1], [2, 3, 0], [4, 3, 1], [5, 3, 0], [7, 3, 1], [8, 3, 1], [9, 3, 0], [11, 3, 1]];
const y = [1, 2.5, 2.9, 4.8, 5.1, 7.2, 8.1, 8.0];

describe('OLS summary numbers', () => {
  const { summary: s } = olsSummary(X, y, { names: ['x', 'const', 'g'], depVar: 'y' });

  test('coefficients, standard errors, t, p and confidence intervals', () => {
    const want = {
      coef: [0.7623003194888174, 0.3559105431309907, -0.9539936102236426],
      stdErr: [0.05947127945363031, 0.1487002234025299, 0.4001257853241791],
      t: [12.817957281097039, 2.393476855562918, -2.3842342713572524],
      p: [5.1439621372119855e-05, 0.0621198953808317, 0.06283457535979185],
      ciLow: [0.6094245287832641, -0.02633555010261468, -1.9825496859476928],
      ciHigh: [0.9151761101943706, 0.738156636364596, 0.07456246550040757],
    };
    for (const key of Object.keys(want) as (keyof typeof want)[]) {
      s.coefficients.forEach((c, j) => close(c[key], want[key][j]!, 1e-8));
    }
    assert.deepEqual(s.coefficients.map((c) => c.name), ['x', 'const', 'g']);
  });

  test('a constant column anywhere counts as the intercept (centred R², F against the mean)', () => {
    assert.equal(s.hasConstant, true);
    assert.equal(s.dfModel, 2);
    assert.equal(s.dfResid, 5);
    close(s.r2, 0.9705616605772208);
    close(s.adjR2, 0.9587863248081091);
    close(s.f, 82.42326839826839);
    close(s.fP, 0.0001486905168151822, 1e-7);
    close(s.logLik, -4.591188901084381);
    close(s.aic, 15.182377802168762);
    close(s.bic, 15.42070242720827);
  });

  test('residual diagnostics', () => {
    close(s.durbinWatson, 2.0923277042446364);
    close(s.condNo, 15.360047055970739, 1e-8);
    close(s.skew, 1.2372069137981205);
    close(s.kurtosis, 3.801590461568795);
    close(s.jarqueBera, 2.2550903527591846);
    close(s.jarqueBeraP, 0.32382722021211524);
    close(s.omnibus, 7.334197855437845, 1e-8);
    close(s.omnibusP, 0.025550486339003576, 1e-8);
    assert.equal(s.notes.length, 1); // no large-condition-number note below 1000
  });

  test('without a constant, R² is uncentred as statsmodels reports it', () => {
    const noConst = X.map((r) => [r[0]!, r[2]!]);
    const { summary: u } = olsSummary(noConst, y, { names: ['x', 'g'], depVar: 'y' });
    assert.equal(u.hasConstant, false);
    close(u.r2, 0.98713355625825);
    close(u.adjR2, 0.9828447416776666);
    close(u.f, 230.16466151912394);
    assert.equal(fitRows(u).right[0]![0], 'R-squared (uncentered):');
  });

  test('the F tail stays accurate where 1 − cdf would round to 0', () => {
    close(fUpperTail(148.2924323786864, 4, 363), 5.144134989272173e-75, 1e-6); // scipy.stats.f.sf
    close(fUpperTail(2.5, 3, 20), 0.08884375193768917, 1e-8);
    assert.equal(fUpperTail(0, 3, 20), 1);
  });

  test('normaltest, skew and kurtosis of a fixed sample (scipy.stats)', () => {
    const x = [2.1, -0.3, 0.8, 1.7, -1.2, 0.05, 3.3, -2.2, 0.9, 0.4, -0.6, 1.1, 2.8, -0.9, 0.2, 0.0, 1.5, -1.8, 0.7, 4.1];
    const r = normalTest(x);
    close(r.statistic, 0.5032516013366266, 1e-8);
    close(r.p, 0.7775356369541784, 1e-8);
    assert.ok(Number.isNaN(normalTest([1, 2, 3]).statistic));
  });
});

describe('statsmodels formatting', () => {
  test("Python's %#.Ng and statsmodels' forg", () => {
    // Python: '%#8.4g' % 148.29…, '%#6.3g' % 5.14e-75, '%#8.5g' % -275.02…, '%#8.4g' % 560.04…, …
    assert.equal(pyG(148.2924323786864, 4), '148.3');
    assert.equal(pyG(5.144134989272173e-75, 3), '5.14e-75');
    assert.equal(pyG(-275.02248232314844, 5), '-275.02');
    assert.equal(pyG(560.0449646462969, 4), '560.0');
    assert.equal(pyG(0.00001234, 3), '1.23e-05');
    assert.equal(pyG(12345.6, 4), '1.235e+04');
    assert.equal(pyG(1164.4569562419047, 3), '1.16e+03');
    assert.equal(pyG(0.5, 4), '0.5000');
    assert.equal(forg(0.010804308512905614, 4), '0.0108');
    assert.equal(forg(-0.47455428847206915), '-0.475');
    assert.equal(forg(12345.678), '1.235e+04');
    assert.equal(forg(0.00001), '1.000e-05');
    assert.equal(pText(0.0035), 'p = 0.0035');
    assert.equal(pText(3.9516329771373222e-22), 'p = 4.0e-22');
  });

  test('tables, text and figure', async () => {
    const { summary: s } = olsSummary(X, y, { names: ['x', 'const', 'g'], depVar: 'y' });
    const coef = coefficientRows(s);
    assert.deepEqual(coef.header, ['', 'coef', 'std err', 't', 'P>|t|', '[0.025', '0.975]']);
    assert.deepEqual(coef.rows[0], ['x', '0.7623', '0.059', '12.818', '0.000', '0.609', '0.915']);
    const t = olsSummaryTables(s);
    assert.equal(t.fit.rows.length, 7);
    assert.equal(t.diagnostics.rows.length, 4);
    const text = olsSummaryText(s);
    assert.match(text, /OLS Regression Results/);
    assert.match(text, /R-squared:\s+0\.971/);
    assert.match(text, /^x\s+0\.7623\s+0\.059\s+12\.818\s+0\.000/m);
    const png = await renderOlsSummary(s, { subtitle: 'test' });
    const img = await decodePng(png);
    await checkFigure(png, 'ols-summary', { width: img.width / 2, height: img.height / 2 });
    assert.ok(img.width >= 2400);
  });
});
