import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { embeddingsAnalysis, type EmbeddingsData } from '../../src/analyses/embeddings.ts';
import { tsne } from '../../src/analyses/lib/tsne.ts';
import { runAnalysis } from '../../src/analyses/run.ts';
import { OptionError, type AnalysisContext } from '../../src/analyses/types.ts';
import { disposeEngines, getEngine } from '../../src/llm/provider.ts';
import type { Engine } from '../../src/llm/types.ts';
import { decodePng } from '../../src/render/png.ts';

let engine: Engine;
let d: EmbeddingsData;
const ctx = (): AnalysisContext => ({ progress() {}, engine: async () => engine });
const opts = (raw: Record<string, unknown> = {}) => embeddingsAnalysis.options.parse({ seed: 4, ...raw });

before(async () => {
  engine = await getEngine({ model: 'tiny-random' });
  d = await embeddingsAnalysis.compute(opts(), ctx());
});
after(() => disposeEngines());

/** P (%) of two next tokens after `text`, from an unpatched run. */
async function nextProbs(text: string, a: number, b: number): Promise<[number, number]> {
  const { logits } = await engine.run(engine.encode(text), { logits: 'last' });
  const row = logits!.data;
  let max = -Infinity;
  for (const v of row) max = Math.max(max, v);
  let sum = 0;
  for (const v of row) sum += Math.exp(v - max);
  return [(100 * Math.exp(row[a] - max)) / sum, (100 * Math.exp(row[b] - max)) / sum];
}

describe('/embeddings', () => {
  test("two words' vectors are rows of wte, with their cosine similarity", () => {
    const wte = engine.weight('wte.weight');
    const D = wte.dims[1];
    const [a, b] = d.words;
    assert.deepEqual([a.word, b.word], ['hello', 'world']);
    assert.deepEqual([a.id, b.id], [...engine.encode('hello'), ...engine.encode('world')]);
    assert.deepEqual(a.vector, wte.data.slice(a.id * D, (a.id + 1) * D));
    let dot = 0;
    let na = 0;
    let nb = 0;
    for (let k = 0; k < D; k++) {
      dot += a.vector[k] * b.vector[k];
      na += a.vector[k] ** 2;
      nb += b.vector[k] ** 2;
    }
    assert.ok(Math.abs(d.cosine - dot / Math.sqrt(na * nb)) < 1e-12);
  });

  test('the matrix image is wte transposed, sampling every stride-th token', () => {
    const wte = engine.weight('wte.weight');
    const [V, D] = wte.dims;
    const { data, rows, cols, stride } = d.image;
    assert.equal(rows, D);
    assert.equal(cols, Math.ceil(V / stride));
    assert.ok(cols <= 2400);
    for (const [k, c] of [[0, 0], [D - 1, 5], [7, cols - 1]]) assert.equal(data[k * cols + c], wte.data[c * stride * D + k]);
    assert.ok(Math.abs(d.dimMean[3] - Array.from({ length: V }, (_, t) => wte.data[t * D + 3]).reduce((s, v) => s + v, 0) / V) < 1e-9);
  });

  test('t-SNE maps the first 100 tokens with scikit-learn\'s defaults and the notebook\'s perplexity 5', async () => {
    assert.equal(d.tsne.ids.length, 100);
    assert.equal(d.tsne.coords.length, 200);
    assert.deepEqual(d.tsne.labels.slice(0, 3), ['!', '"', '#']);
    assert.equal(d.tsne.perplexity, 5);
    assert.equal(d.tsne.init, 'pca');
    assert.equal(d.tsne.learningRate, 50); // auto: max(100 / 12 / 4, 50)
    assert.equal(d.tsne.iterations, 1000);
    assert.ok(d.tsne.kl < d.tsne.initialKl);
    // The PCA start needs no seed: another seed gives the same map.
    const again = await embeddingsAnalysis.compute(opts({ mixtures: 2, seed: 99 }), ctx());
    assert.deepEqual(again.tsne.coords, d.tsne.coords);
    // Wiring: the map is t-SNE (library defaults = sklearn's) of wte's first 100 rows at perplexity 5.
    const wte = engine.weight('wte.weight');
    const D = wte.dims[1];
    assert.deepEqual(tsne(wte.data.subarray(0, 100 * D), 100, D, { perplexity: 5 }).coords, d.tsne.coords);
    const figures = await embeddingsAnalysis.render(d, opts());
    const tsneFig = figures.find((f) => f.name === 'tsne')!;
    assert.match(tsneFig.alt, /perplexity 5, PCA start, exact gradient/);
    assert.match(embeddingsAnalysis.explain(d, opts()), /scikit-learn's TSNE .* perplexity 5 \(PCA start, early exaggeration 12, learning rate 50, 1000 iterations\), but with the exact gradient/);
    // A random start uses the seed.
    const r1 = await embeddingsAnalysis.compute(opts({ mixtures: 2, init: 'random', seed: 1 }), ctx());
    const r2 = await embeddingsAnalysis.compute(opts({ mixtures: 2, init: 'random', seed: 2 }), ctx());
    assert.notDeepEqual(r1.tsne.coords, r2.tsne.coords);
    assert.equal((embeddingsAnalysis.figureData(r1, opts({ init: 'random', seed: 1 })).tsne as { seed: number | null }).seed, 1);
    assert.equal((embeddingsAnalysis.figureData(d, opts()).tsne as { seed: number | null }).seed, null);
  });

  test('the Try hint uses one-token words, fits the text, and is not what just ran', async () => {
    assert.deepEqual(d.suggestion, { options: 'word1:man word2:woman', why: 'to compare two related words' });
    const ran = await embeddingsAnalysis.compute(opts({ word1: 'man', word2: 'woman', mixtures: 2 }), ctx());
    assert.deepEqual(ran.suggestion, { options: 'n_tokens:300', why: 'for a bigger t-SNE map' });
    const both = await embeddingsAnalysis.compute(opts({ word1: 'man', word2: 'woman', n_tokens: 300, mixtures: 2 }), ctx());
    assert.deepEqual(both.suggestion, { options: 'text:"The capital of Japan is" source:Japan target:Tokyo', why: 'to mix " Japan" with " France" instead' });
    // Every suggested word really is one token here (" queen" would not be: "que" + "en").
    for (const w of ['man', 'woman', ' Japan', ' Tokyo']) assert.equal(engine.encode(w).length, 1, w);
    assert.equal(engine.encode('queen').length, 2);
    assert.match(embeddingsAnalysis.explain(d, opts()), /Try `\/embeddings word1:man word2:woman` to compare two related words\.$/);
  });

  test('mixture: 17 weights through the mix_embed patch; the ends equal unpatched runs of the two texts', async () => {
    const m = d.mixture;
    assert.equal(m.weights.length, 17);
    assert.equal(m.weights[0], 0);
    assert.equal(m.weights[16], 1);
    assert.equal(m.position, 3);
    assert.deepEqual(m.patches[4], { hook: 'hook_embed', op: 'mix_embed', pos: 3, tokens: [m.source.id, m.distractorSource.id], weights: [0.25, 0.75] });
    const [berlin, paris] = [m.target.id, m.distractorTarget.id];
    // Clean baseline = the unpatched text; 100 % " Germany" reproduces it.
    const clean = await nextProbs('The capital of Germany is', berlin, paris);
    assert.ok(Math.abs(m.clean.target - clean[0]) < 1e-9 && Math.abs(m.clean.distractor - clean[1]) < 1e-9);
    assert.ok(Math.abs(m.targetProb[16] - clean[0]) < 1e-6 && Math.abs(m.distractorProb[16] - clean[1]) < 1e-6);
    // 100 % " France" is the same as writing France.
    const france = await nextProbs('The capital of France is', berlin, paris);
    assert.ok(Math.abs(m.targetProb[0] - france[0]) < 1e-6 && Math.abs(m.distractorProb[0] - france[1]) < 1e-6);
    // In between the patch really changes the prediction.
    assert.notEqual(m.targetProb[8], m.targetProb[0]);
  });

  test('figures and data', async () => {
    const o = opts();
    const figures = await embeddingsAnalysis.render(d, o);
    assert.deepEqual(figures.map((f) => f.name), ['two-embeddings', 'embedding-matrix', 'tsne', 'mixture']);
    for (const f of figures) {
      const img = await decodePng(f.png);
      assert.ok(img.width >= 2200 && !img.isBlank(), f.name);
      assert.ok(f.png.length < 8 * 1024 * 1024, f.name);
    }
    const data = embeddingsAnalysis.figureData(d, o);
    assert.deepEqual(Object.keys(data), figures.map((f) => f.name));
    assert.ok(JSON.stringify(data).length < 200_000);
    assert.match(embeddingsAnalysis.explain(d, o), /cosine similarity -?\d\.\d\d/);
  });

  test('bad input names the option and what is wrong', async () => {
    const fails = (raw: Record<string, unknown>, option: string, pattern: RegExp) =>
      assert.rejects(runAnalysis(embeddingsAnalysis, raw, { engine: async () => engine }), (e: unknown) => e instanceof OptionError && e.option === option && pattern.test(e.message));
    await fails({ word1: 'embeddings' }, 'word1', /"embeddings" is 3 tokens \("embed" \+ "d" \+ "ings"\)/);
    await fails({ source: 'Spain' }, 'source', /" Spain" is not one of the text's tokens/);
    await fails({ target: 'Zzyzx' }, 'target', /" Zzyzx" is \d tokens/);
    await fails({ n_tokens: 10, perplexity: 10 }, 'perplexity', /below n_tokens \(10\)/);
    await fails({ n_tokens: 5000 }, 'n_tokens', /at most 1000/);
    await fails({ init: 'spectral' }, 'init', /pca|random/);
  });
});
