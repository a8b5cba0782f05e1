import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { lagDesign, lstsqGpt2Analysis, WIKIPEDIA_TEXT } from '../../src/analyses/lstsq-gpt2.ts';
import { runAnalysis, TINY_NOTE } from '../../src/analyses/run.ts';
import { OptionError, type AnalysisResult } from '../../src/analyses/types.ts';
import { disposeEngines, getEngine } from '../../src/llm/provider.ts';
import type { Engine } from '../../src/llm/types.ts';
import { decodePng } from '../../src/render/png.ts';
import { optionErrorMessage } from './reference.ts';

const close = (a: number, b: number, tol: number, what: string) => assert.ok(Math.abs(a - b) <= tol * Math.max(1, Math.abs(b)), `${what}: ${a} vs ${b}`);
const rel = (a: number, b: number, tol: number, what: string) => assert.ok(Math.abs(a - b) <= tol * Math.abs(b), `${what}: ${a} vs ${b}`);

type Coef = { name: string; coef: number; std_err: number; t: number; p: number };
type Block = { block: number; n: number; r2: number; f: number; f_p: number; coefficients: Coef[] };

/**
 * Expected values: `npx lab trace --model tiny-random --text "$(cat data/text/rock-music-in-hungary.txt)"
 * --hooks "blocks.*.hook_attn_out"`, then in numpy 2.4 / scipy 1.17: norms = log(‖a[0,t,:]‖),
 * X = [1, norms[t-1], norms[t-2]] for t = 3…94, β = np.linalg.lstsq(X, y), se = √diag(s²(XᵀX)⁻¹),
 * p = 2·scipy.stats.t.sf(|t|, 89), F p = scipy.stats.f.sf(F, 2, 89). (Tiny checkpoint generator v2.)
 */
const NUMPY = [
  {
    beta: [0.16497409876202138, 0.33992601892394103, 0.4482620858937816],
    se: [0.05408201457568251, 0.09321779100823961, 0.08720759996308552],
    t: [3.0504429255525642, 3.6465787833772487, 5.140172256586907],
    p: [3.0105832609815548e-3, 4.470371166448122e-4, 1.6124184188652187e-6],
    r2: 0.6746080731959961, f: 92.25815634726571, fP: 2.0049402050368845e-22,
  },
  {
    beta: [0.983886394597838, 0.341662152898391, 0.10306974820994708],
    se: [0.12709067534792626, 0.09411114754135795, 0.08142908091797847],
    t: [7.741609617734179, 3.6304110811978427, 1.2657609179424083],
    p: [1.4678597961927138e-11, 4.7211467790255547e-4, 2.0890213883938502e-1],
    r2: 0.303848675980119, f: 19.422883523423636, fP: 1.0007199993881557e-7,
  },
];

let engine: Engine;
let result: AnalysisResult;
const run = (opts: Record<string, unknown>) => runAnalysis(lstsqGpt2Analysis, opts, { engine: async () => engine });

before(async () => {
  engine = await getEngine({ model: 'tiny-random' });
  result = await run({});
});
after(() => disposeEngines());

describe('/lstsq-gpt2', () => {
  test("the default text is the notebook's Wikipedia paragraph, bundled in data/text with its CC BY-SA notice", () => {
    assert.ok(WIKIPEDIA_TEXT.startsWith('Hungarian rock has been a part of the popular music of Hungary since the early 1960s.'));
    assert.ok(WIKIPEDIA_TEXT.endsWith('while the band Omega became very popular in Germany.'));
    assert.equal(WIKIPEDIA_TEXT.length, 428);
    assert.ok(WIKIPEDIA_TEXT.includes('Illés, Metró and Omega'));
    const readme = fs.readFileSync(new URL('../../data/text/README.md', import.meta.url), 'utf8');
    assert.match(readme, /CC BY-SA 4\.0/);
    assert.match(readme, /rock-music-in-hungary\.txt/);
    const o = lstsqGpt2Analysis.options.parse({});
    assert.equal(o.text, undefined);
    assert.equal(o.layer, 0);
    assert.equal(o.alpha, 0.05);
    const norms = result.data['attention-norms'] as { tokens: string[] };
    assert.equal(norms.tokens.join(''), WIKIPEDIA_TEXT);
    assert.equal(norms.tokens.length, 95);
  });

  test('OLS per block equals numpy.linalg.lstsq / scipy on the tiny model\'s hook_attn_out (t and p values)', () => {
    const blocks = result.data['ols-per-block'] as Block[];
    assert.equal(blocks.length, 2);
    blocks.forEach((b, l) => {
      const want = NUMPY[l];
      assert.equal(b.n, 92);
      assert.deepEqual(b.coefficients.map((c) => c.name), ['const', 't-1', 't-2']);
      b.coefficients.forEach((c, j) => {
        close(c.coef, want.beta[j], 1e-5, `block ${l} β${j}`);
        close(c.std_err, want.se[j], 1e-5, `block ${l} se${j}`);
        close(c.t, want.t[j], 1e-4, `block ${l} t${j}`);
        rel(c.p, want.p[j], 1e-3, `block ${l} p${j}`);
      });
      close(b.r2, want.r2, 1e-5, `block ${l} R²`);
      close(b.f, want.f, 1e-4, `block ${l} F`);
      rel(b.f_p, want.fP, 1e-3, `block ${l} F p`);
    });
    const betas = result.data.betas as { beta_t1: number[]; p_t2: number[] };
    close(betas.beta_t1[1], NUMPY[1].beta[1], 1e-5, 'betas figure');
    rel(betas.p_t2[1], NUMPY[1].p[2], 1e-3, 'p t-2 block 1');
  });

  test('the log norms are log ‖attn_out‖ per token; betas solve the normal equations (plain loops, Cramer)', async () => {
    const ids = engine.encode(WIKIPEDIA_TEXT);
    const { cache } = await engine.run(ids, { hooks: ['blocks.1.hook_attn_out'], logits: 'none' });
    const t = cache.get('blocks.1.hook_attn_out')!;
    const d = t.dims[2];
    const y = ids.map((_, p) => {
      let s = 0;
      for (let k = 0; k < d; k++) s += t.data[p * d + k] ** 2;
      return 0.5 * Math.log(s);
    });
    const got = (result.data['attention-norms'] as { log_norms_per_block: number[][] }).log_norms_per_block[1];
    y.forEach((v, i) => close(got[i], v, 1e-9, `log norm ${i}`));
    // XᵀX β = Xᵀy for X = [1, y[t-1], y[t-2]], written out.
    const A = [[0, 0, 0], [0, 0, 0], [0, 0, 0]];
    const b = [0, 0, 0];
    for (let s = 3; s < y.length; s++) {
      const x = [1, y[s - 1], y[s - 2]];
      for (let i = 0; i < 3; i++) {
        b[i] += x[i] * y[s];
        for (let j = 0; j < 3; j++) A[i][j] += x[i] * x[j];
      }
    }
    const det = (m: number[][]) => m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1]) - m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0]) + m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0]);
    const D = det(A);
    const beta = [0, 1, 2].map((k) => det(A.map((row, i) => row.map((v, j) => (j === k ? b[i] : v)))) / D);
    const coefs = (result.data['ols-per-block'] as Block[])[1].coefficients;
    beta.forEach((v, j) => close(coefs[j].coef, v, 1e-9, `β${j}`));
    // The design itself: rows t = 3 … n−1, as the notebook's loop.
    const { X, target } = lagDesign([10, 11, 12, 13, 14]);
    assert.deepEqual(X, [[1, 12, 11], [1, 13, 12]]);
    assert.deepEqual(target, [13, 14]);
  });

  test('four figures, drawn, 2400 px wide; alt texts carry the numbers; the summary text is statsmodels-like', async () => {
    assert.deepEqual(result.figures.map((f) => f.name), ['attention-norms', 'ols-summary', 'betas', 'ols-per-block']);
    for (const f of result.figures) {
      const img = await decodePng(f.png);
      assert.equal(img.width, 2400, f.name);
      assert.ok(!img.isBlank(), f.name);
      assert.ok(f.png.length < 8 * 1024 * 1024, f.name);
      assert.ok(f.alt.length > 60, f.name);
    }
    const fig = (n: string) => result.figures.find((f) => f.name === n)!;
    assert.match(fig('ols-summary').alt, /R² = 0\.675, F\(2, 89\) = 92\.258/);
    assert.match(fig('betas').alt, /t-1 in 2 blocks, t-2 in 1/);
    const text = (result.data['ols-summary'] as { text: string }).text;
    assert.match(text, /OLS Regression Results/);
    assert.match(text, /No\. Observations:\s+92/);
    assert.deepEqual(result.model, { name: 'tiny-random', tinyRandom: true });
    assert.ok(result.explanation.includes(TINY_NOTE));
  });

  test('explanation: numbers from the data, runnable suggestions that differ from the run', async () => {
    assert.match(result.explanation, /β\(t-1\) = 0\.3399 \(t = 3\.647, p = 4\.5e-4\)/);
    assert.match(result.explanation, /t-1 term is significant at p < 0\.05 in 2 and the t-2 term in 1/);
    assert.match(result.explanation, /`\/lstsq-gpt2 layer:1`.*`\/lstsq-gpt2 alpha:0\.01`/);
    const r = await run({ layer: 1, alpha: 0.01 });
    assert.match(r.explanation, /`\/lstsq-gpt2 layer:0`.*`\/lstsq-gpt2 alpha:0\.05`/);
    assert.equal((r.data['ols-summary'] as { block: number }).block, 1);
    // At 0.01 the t-2 term of block 1 (p = 0.21) and nothing else changes side.
    assert.match(r.explanation, /significant at p < 0\.01 in 2 and the t-2 term in 1/);
  });

  test('a text of your own is modelled and quoted literally', async () => {
    const text = 'The cat sat on the mat. The dog sat on the log. The bird sat on the wire. **Bold** claims.';
    const r = await run({ text });
    const n = engine.encode(text).length;
    assert.equal((r.data['ols-per-block'] as Block[])[0].n, n - 3);
    assert.match(r.explanation, /your text \(\d+ tokens\)/);
    assert.ok(r.explanation.includes('\uE000'), 'user text wrapped with quoted()');
    assert.deepEqual(r.data.source, { text: 'user' });
  });

  test('bad input names the option and the limit', async () => {
    const isOptionError = (option: string, pattern: RegExp) => (e: unknown) => e instanceof OptionError && e.option === option && pattern.test(e.message);
    await assert.rejects(run({ text: 'Too short here' }), isOptionError('text', /at least 8 tokens/));
    await assert.rejects(run({ text: '蓝'.repeat(1000) }), isOptionError('text', /at most 1024 tokens/));
    await assert.rejects(run({ layer: 2 }), isOptionError('layer', /from 0 to 1: tiny-random has 2 blocks/));
    assert.match(optionErrorMessage(lstsqGpt2Analysis.options, { text: 'x'.repeat(4001) }), /^text: .*4000/);
    assert.match(optionErrorMessage(lstsqGpt2Analysis.options, { alpha: 0.5 }), /^alpha: .*0\.2/);
    assert.match(optionErrorMessage(lstsqGpt2Analysis.options, { alpha: 0 }), /^alpha: .*0\.001/);
    assert.match(optionErrorMessage(lstsqGpt2Analysis.options, { layer: 48 }), /^layer: .*47/);
  });
});
