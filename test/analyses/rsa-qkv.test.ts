import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { blockSimilarities, cohensD, NOTEBOOK_WORDS, parseCategories, rsaQkvAnalysis } from '../../src/analyses/rsa-qkv.ts';
import { runAnalysis, TINY_NOTE } from '../../src/analyses/run.ts';
import { OptionError, type AnalysisResult } from '../../src/analyses/types.ts';
import { disposeEngines, getEngine } from '../../src/llm/provider.ts';
import type { Engine, Tensor } from '../../src/llm/types.ts';
import { decodePng } from '../../src/render/png.ts';
import { optionErrorMessage } from './reference.ts';

const close = (a: number, b: number, tol: number, what: string) => assert.ok(Math.abs(a - b) <= tol, `${what}: ${a} vs ${b}`);

// Written out here, independent of the analysis' helpers.
function corr(x: ArrayLike<number>, y: ArrayLike<number>): number {
  let mx = 0, my = 0;
  for (let i = 0; i < x.length; i++) { mx += x[i]; my += y[i]; }
  mx /= x.length; my /= y.length;
  let sxy = 0, sxx = 0, syy = 0;
  for (let i = 0; i < x.length; i++) { sxy += (x[i] - mx) * (y[i] - my); sxx += (x[i] - mx) ** 2; syy += (y[i] - my) ** 2; }
  return sxy / Math.sqrt(sxx * syy);
}
function cos(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let ab = 0, aa = 0, bb = 0;
  for (let i = 0; i < a.length; i++) { ab += a[i] * b[i]; aa += a[i] * a[i]; bb += b[i] * b[i]; }
  return ab / Math.sqrt(aa * bb);
}
/** x[b, p, :, :] of a [batch, pos, head, d_head] tensor, flattened (all heads side by side). */
function row(t: Tensor, b: number, p: number): Float32Array {
  const w = t.dims[2] * t.dims[3];
  return t.data.subarray((b * t.dims[1] + p) * w, (b * t.dims[1] + p + 1) * w);
}

type PerPair = Record<'Q-K' | 'Q-V' | 'K-V', number[]>;

let engine: Engine;
let result: AnalysisResult;
const run = (opts: Record<string, unknown>) => runAnalysis(rsaQkvAnalysis, opts, { engine: async () => engine });

before(async () => {
  engine = await getEngine({ model: 'tiny-random' });
  result = await run({});
});
after(() => disposeEngines());

describe('/rsa-qkv', () => {
  test("defaults are the notebook's: 34 words in 3 categories after \"The next word is\", block 6, token 1; model gpt2-xl", () => {
    const o = rsaQkvAnalysis.options.parse({});
    assert.equal(o.qkv_token, 1);
    assert.equal(rsaQkvAnalysis.preferredModel, 'gpt2-xl');
    const cats = parseCategories(o.words);
    assert.deepEqual(cats.map((c) => c.words.length), [10, 13, 11]);
    assert.deepEqual(cats[0].words.slice(0, 3), ['galaxy', 'asteroid', 'comet']);
    assert.deepEqual(cats[2].words.slice(-2), ['lime', 'fruit']);
    // Every sentence is 5 tokens (each word one token), as the notebook's batch of shape (34, 5).
    for (const w of cats.flatMap((c) => c.words)) assert.equal(engine.encode(`The next word is ${w}`).length, 5, w);
    // The tiny model has 2 blocks: block 6 falls back to the last.
    assert.equal((result.data['cosine-matrices'] as { block: number }).block, 1);
  });

  test("Cohen's d is pingouin's (pooled ddof-1 SD): a numpy literal", () => {
    // numpy: (x.mean()-y.mean()) / sqrt(((nx-1)x.var(ddof=1) + (ny-1)y.var(ddof=1)) / (nx+ny-2))
    const x = [0.82, 0.75, 0.91, 0.66, 0.88, 0.79, 0.73];
    const y = [0.61, 0.70, 0.58, 0.66, 0.52, 0.64, 0.69, 0.55, 0.60];
    close(cohensD(x, y), 2.3768612499368347, 1e-12, 'd');
    close(cohensD(y, x), -2.3768612499368347, 1e-12, 'antisymmetric');
  });

  test('block similarities on fixed matrices equal scipy.stats.pearsonr of the cosine upper triangles', () => {
    // 5 words × 4 dimensions; categories 0, 0, 1, 1, 2 (2 within pairs, 8 across).
    const Q = Float32Array.from([1, 2, 0, -1, 2, 1, 1, 0, 0, -1, 3, 1, 1, 0, 2, 2, -1, 1, 1, 3]);
    const K = Float32Array.from([0, 1, 1, 2, 1, 1, 0, 1, 2, 0, 1, -1, 1, 2, 1, 0, 0, 0, 2, 1]);
    const V = Float32Array.from([3, 1, 0, 0, 1, 2, 2, 1, 0, 1, 1, 1, 2, 2, 0, 1, 1, -1, 1, 2]);
    const r = blockSimilarities({ q: Q, k: K, v: V }, { q: Q, k: K, v: V }, [0, 0, 1, 1, 2], 4);
    close(r.cos.q[0 * 5 + 3], -0.13608276348795437, 1e-7, 'cos q[0][3]');
    // scipy.stats.pearsonr(qcs, kcs) etc. over np.triu_indices(5, 1)
    [0.3737592541538796, 0.22296654627241558, 0.2751204891447201].forEach((v, i) => close(r.result.rsa[i], v, 1e-6, `rsa ${i}`));
    // … over the across-category mask only
    [0.22862843241948105, 0.21991103645719243, 0.2874019968940851].forEach((v, i) => close(r.result.rsaAcross[i], v, 1e-6, `across ${i}`));
    // pingouin-style d of cs[within_mask] vs cs[across_mask]
    [1.6284345289011073, 0.8960560502366471, 0.15800984061872939].forEach((v, i) => close(r.result.d[i], v, 1e-6, `d ${i}`));
    assert.equal(r.within.q.length, 2);
    assert.equal(r.across.q.length, 8);
    // np.corrcoef(Q.flatten(), K.flatten())
    close(r.result.corr[0], -0.07308338799053044, 1e-7, 'corr');
  });

  test('per block, correlations, RSA and d equal an independent computation from the engine\'s hook_q/k/v', async () => {
    const cats = parseCategories(NOTEBOOK_WORDS);
    const words = cats.flatMap((c) => c.words);
    const labels = cats.flatMap((c, i) => c.words.map(() => i));
    const { cache } = await engine.run(words.map((w) => engine.encode(`The next word is ${w}`)), { hooks: ['blocks.*.attn.hook_q', 'blocks.*.attn.hook_k', 'blocks.*.attn.hook_v'], logits: 'none' });
    const corrData = result.data['qkv-correlation'] as PerPair & { token: number };
    const rsaData = result.data['rsa-layers'] as PerPair;
    const eff = result.data['layer-effects'] as { cohens_d: Record<'Q' | 'K' | 'V', number[]>; rsa_within: PerPair };
    const n = words.length;
    for (let l = 0; l < engine.config.n_layer; l++) {
      const t = { q: cache.get(`blocks.${l}.attn.hook_q`)!, k: cache.get(`blocks.${l}.attn.hook_k`)!, v: cache.get(`blocks.${l}.attn.hook_v`)! };
      const flat = (x: 'q' | 'k' | 'v', p: number) => words.flatMap((_, b) => Array.from(row(t[x], b, p)));
      close(corrData['Q-K'][l], corr(flat('q', 1), flat('k', 1)), 1e-9, `corr Q-K ${l}`);
      close(corrData['K-V'][l], corr(flat('k', 1), flat('v', 1)), 1e-9, `corr K-V ${l}`);
      const tri = (x: 'q' | 'k' | 'v', keep: (i: number, j: number) => boolean) => {
        const out: number[] = [];
        for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) if (keep(i, j)) out.push(cos(row(t[x], i, 4), row(t[x], j, 4)));
        return out;
      };
      const everyPair = () => true;
      close(rsaData['Q-K'][l], corr(tri('q', everyPair), tri('k', everyPair)), 1e-9, `rsa Q-K ${l}`);
      close(rsaData['Q-V'][l], corr(tri('q', everyPair), tri('v', everyPair)), 1e-9, `rsa Q-V ${l}`);
      const same = (i: number, j: number) => labels[i] === labels[j];
      const w = tri('v', same);
      const a = tri('v', (i, j) => !same(i, j));
      const m = (x: number[]) => x.reduce((s, v) => s + v, 0) / x.length;
      const ss = (x: number[]) => x.reduce((s, v) => s + (v - m(x)) ** 2, 0);
      close(eff.cohens_d.V[l], (m(w) - m(a)) / Math.sqrt((ss(w) + ss(a)) / (w.length + a.length - 2)), 1e-9, `d V ${l}`);
      close(eff.rsa_within['Q-K'][l], corr(tri('q', same), tri('k', same)), 1e-9, `within Q-K ${l}`);
    }
    // At position 1 (" next") every sentence has the same Q: the causal mask hides the word.
    const acts = (result.data['qkv-scatter'] as { activations_per_word: { q: number[][] } }).activations_per_word.q;
    assert.deepEqual(acts[5], acts[0]);
  });

  test('nine figures, drawn, 2400 px wide; the masks carry no stamp; titles count the panels', async () => {
    assert.deepEqual(result.figures.map((f) => f.name), [
      'masks', 'qkv-scatter', 'qkv-correlation', 'cosine-matrices', 'rsa-scatter', 'rsa-layers', 'category-distributions', 'layer-effects', 'within-vs-across',
    ]);
    for (const f of result.figures) {
      const img = await decodePng(f.png);
      assert.equal(img.width, 2400, f.name);
      assert.ok(!img.isBlank(), f.name);
      assert.ok(f.png.length < 8 * 1024 * 1024, f.name);
      assert.ok(f.alt.length > 60, f.name);
    }
    const fig = (name: string) => result.figures.find((f) => f.name === name)!;
    assert.equal(fig('masks').fromModel, false);
    assert.match(fig('masks').title, /4 panels/);
    assert.match(fig('cosine-matrices').title, /3 panels/);
    const rsa = result.data['rsa-scatter'] as Record<string, number>;
    assert.ok(fig('rsa-scatter').alt.includes(`Q and K r = ${rsa['Q-K'].toFixed(3)}`));
    assert.deepEqual(result.model, { name: 'tiny-random', tinyRandom: true });
    assert.ok(result.explanation.includes(TINY_NOTE));
  });

  test('own categories: names, multi-token words (batched by length, last token used), the word\'s own token', async () => {
    const r = await run({ words: 'animals: cat, dog, xylophonist; tools: hammer saw', qkv_token: -1, layer: 0 });
    const m = r.data.masks as { categories: { name: string; words: string[] }[]; labels: number[] };
    assert.deepEqual(m.categories.map((c) => c.name), ['animals', 'tools']);
    assert.deepEqual(m.labels, [0, 0, 0, 1, 1]);
    const words = ['cat', 'dog', 'xylophonist', 'hammer', 'saw'];
    const c = (r.data['cosine-matrices'] as { q: number[][] }).q;
    // Each sentence on its own: the cosine of the words' last-token queries in block 0.
    const lastQ = async (w: string) => {
      const ids = engine.encode(`The next word is ${w}`);
      const { cache } = await engine.run(ids, { hooks: ['blocks.0.attn.hook_q'], logits: 'none' });
      return Array.from(row(cache.get('blocks.0.attn.hook_q')!, 0, ids.length - 1));
    };
    const [cat, xylo] = [await lastQ(words[0]), await lastQ(words[2])];
    close(c[0][2], cos(cat, xylo), 1e-6, 'cat vs xylophonist');
    assert.equal((r.data['qkv-scatter'] as { token: number }).token, -1);
    assert.doesNotMatch(r.explanation, /qkv_token:-1/);
    assert.match(r.explanation, /`\/rsa-qkv layer:1`/);
  });

  test('the explanation quotes the numbers and suggests runnable, different options', () => {
    const rsa = result.data['rsa-scatter'] as Record<string, number>;
    assert.ok(result.explanation.includes(`r = ${rsa['Q-K'].toFixed(3)} (Q-K)`));
    const hints = [...result.explanation.matchAll(/`\/rsa-qkv ([^`]*)`/g)].map((m) => m[1]);
    assert.deepEqual(hints, ['qkv_token:-1', 'layer:0']);
    for (const h of hints) {
      const [k, v] = h.split(':');
      assert.doesNotThrow(() => rsaQkvAnalysis.options.parse({ [k]: Number(v) }));
    }
  });

  test('bad input names the option and the limit', async () => {
    const isOptionError = (option: string, pattern: RegExp) => (e: unknown) => e instanceof OptionError && e.option === option && pattern.test(e.message);
    await assert.rejects(run({ words: 'cat, dog, mouse' }), isOptionError('words', /2 to 8 categories .* \(got 1\)/));
    await assert.rejects(run({ words: 'a: cat, dog; b: hammer' }), isOptionError('words', /"b" needs at least 2 words/));
    await assert.rejects(run({ words: 'a: cat, dog; b: cat, saw' }), isOptionError('words', /"cat" appears twice/));
    const many = Array.from({ length: 61 }, (_, i) => `w${i}`).join(' ');
    await assert.rejects(run({ words: `a: ${many}; b: ${many.replace(/w/g, 'v')}` }), isOptionError('words', /122 words; at most 120/));
    await assert.rejects(run({ layer: 2 }), isOptionError('layer', /from 0 to 1: tiny-random has 2 blocks/));
    assert.match(optionErrorMessage(rsaQkvAnalysis.options, { qkv_token: 5 }), /^qkv_token: .*4/);
    assert.match(optionErrorMessage(rsaQkvAnalysis.options, { qkv_token: -6 }), /^qkv_token: .*-5/);
    assert.match(optionErrorMessage(rsaQkvAnalysis.options, { layer: 48 }), /^layer: .*47/);
    assert.match(optionErrorMessage(rsaQkvAnalysis.options, { words: 'x'.repeat(2001) }), /^words: .*2000/);
  });
});
