// /debias on the tiny random BERT: the hidden states, the original and modified he/she scores and
// the bias score of every replaced layer agree with the independent plain-TypeScript BERT forward
// pass (test/reference/bert-reference.ts) doing the same surgery (its own hidden states mixed and
// written back with set_vector as that file implements it); a full replacement of the last layer
// reproduces the filled-in sentence's prediction; every figure renders; options and errors.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { resolveModelDir, TINY_RANDOM_BERT } from '../../models/registry.ts';
import { debiasAnalysis, type DebiasData } from '../../src/analyses/debias.ts';
import { getAnalysis } from '../../src/analyses/index.ts';
import { parseOptions } from '../../src/analyses/options.ts';
import { runAnalysis, TINY_BERT_NOTE } from '../../src/analyses/run.ts';
import { OptionError, type AnalysisContext } from '../../src/analyses/types.ts';
import { digestContent } from '../../src/digest/content.ts';
import { loadBertCheckpoint, type BertCheckpoint } from '../../src/llm/bert/checkpoint.ts';
import { disposeBertEngines, getBertEngine } from '../../src/llm/bert/provider.ts';
import { tinyBertVocab } from '../../src/llm/bert/tiny.ts';
import type { BertEngine } from '../../src/llm/bert/types.ts';
import type { Tensor } from '../../src/llm/types.ts';
import { decodePng } from '../../src/render/png.ts';
import { bertReferenceForward } from '../reference/bert-reference.ts';
import { logSoftmaxAt, optionErrorMessage } from './reference.ts';

let engine: BertEngine;
let model: BertCheckpoint;
const vocab = tinyBertVocab();
const id = (w: string) => {
  const i = vocab.indexOf(w);
  assert.ok(i >= 0, w);
  return i;
};
/** Token ids as BERT lays them out: [CLS] 101, the words' vocab ids, [SEP] 102. */
const words = (s: string) => [101, ...s.split(' ').map(id), 102];
const sentence = (w: string) => words(`the engineer informed the client that ${w} would need more time .`);
const MASK_POS = 7;
const HE = id('he');
const SHE = id('she');

before(async () => {
  engine = await getBertEngine({ model: TINY_RANDOM_BERT, threads: 1 });
  model = await loadBertCheckpoint(await resolveModelDir(TINY_RANDOM_BERT));
});
after(() => disposeBertEngines());

const ctx = (): AnalysisContext => ({
  progress: () => {},
  engine: () => Promise.reject(new Error('debias must not ask for GPT-2')),
  bertEngine: async () => engine,
});

async function computeWith(raw: Record<string, unknown>): Promise<DebiasData> {
  return debiasAnalysis.compute(debiasAnalysis.options.parse(raw), ctx());
}

/** Row b, position p of a reference [B, T, X] tensor. */
const at = (t: Tensor, b: number, p: number) => {
  const [, T, X] = t.dims;
  return t.data.slice((b * T + p) * X, (b * T + p + 1) * X);
};
const close = (a: number, b: number, tol: number, what: string) => assert.ok(Math.abs(a - b) < tol, `${what}: ${a} vs ${b}`);

/** The notebook's surgery done on the reference forward pass: bias score log-sm(he) − log-sm(she) per replaced layer. */
function referenceSurgery(mix: number) {
  const L = model.config.num_hidden_layers;
  const clean = bertReferenceForward(model, [sentence('he'), sentence('she'), sentence('[MASK]')]);
  const maskRow = at(clean.logits!, 2, MASK_POS);
  const original = [logSoftmaxAt(maskRow, HE), logSoftmaxAt(maskRow, SHE)];
  const byLayer = Array.from({ length: L }, (_, l) => {
    const state = clean.cache.get(`blocks.${l}.hook_normalized_resid_post`)!;
    const a = at(state, 0, MASK_POS);
    const b = at(state, 1, MASK_POS);
    const values = Array.from(a, (v, i) => mix * v + (1 - mix) * b[i]);
    const run = bertReferenceForward(model, [sentence('[MASK]')], {
      patches: [{ hook: `blocks.${l}.hook_normalized_resid_post`, op: 'set_vector', pos: MASK_POS, values }],
    });
    const row = at(run.logits!, 0, MASK_POS);
    return [logSoftmaxAt(row, HE), logSoftmaxAt(row, SHE)];
  });
  return { clean, original, byLayer };
}

describe('debias numbers agree with the reference forward pass', () => {
  let d: DebiasData;
  let ref: ReturnType<typeof referenceSurgery>;
  before(async () => {
    d = await computeWith({});
    ref = referenceSurgery(0.5);
  });

  test("the notebook's defaults on a 2-layer model: mask at 7, he/she, mix 0.5, the last hidden state and layer", () => {
    assert.equal(d.maskIndex, MASK_POS);
    assert.deepEqual(d.targets, [{ word: 'he', id: HE }, { word: 'she', id: SHE }]);
    assert.equal(d.mix, 0.5);
    assert.equal(d.nLayers, 2);
    assert.equal(d.hiddenIndex, 2); // min(13, 2): hidden_states[2], the last layer's output
    assert.equal(d.replaceLayer, 1); // min(23, 1)
    assert.equal(d.maskedText, 'the engineer informed the client that [MASK] would need more time.');
  });

  test('hidden states at the mask of the "he" sentence equal the reference\'s', () => {
    const want = (l: number) => at(ref.clean.cache.get(`blocks.${l}.hook_normalized_resid_post`)!, 0, MASK_POS);
    const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => Array.from(a).reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);
    assert.ok(maxDiff(d.hiddenVector, want(1)) < 1e-4);
    for (let l = 0; l < 2; l++) assert.ok(maxDiff(d.layerStates.subarray(l * 64, (l + 1) * 64), want(l)) < 1e-4, `layer ${l}`);
  });

  test('original and per-layer modified log-softmax and bias scores equal the reference surgery', () => {
    close(d.original.logSoftmax[0], ref.original[0], 1e-4, 'original he');
    close(d.original.logSoftmax[1], ref.original[1], 1e-4, 'original she');
    close(d.originalBias, ref.original[0] - ref.original[1], 1e-4, 'original bias');
    assert.equal(d.biasByLayer.length, 2);
    ref.byLayer.forEach(([he, she], l) => {
      close(d.replaced[l].logSoftmax[0], he, 1e-4, `layer ${l} he`);
      close(d.replaced[l].logSoftmax[1], she, 1e-4, `layer ${l} she`);
      close(d.replaced[l].probs[0], Math.exp(he), 1e-6, `layer ${l} p(he)`);
      close(d.biasByLayer[l], he - she, 1e-4, `layer ${l} bias`);
    });
    // The surgery changes the prediction (the tiny model is random, but not that degenerate).
    assert.ok(d.biasByLayer.every((b) => Math.abs(b - d.originalBias) > 1e-3));
  });

  test('another mix (0.8) agrees too', async () => {
    const d2 = await computeWith({ mix: 0.8 });
    referenceSurgery(0.8).byLayer.forEach(([he, she], l) => close(d2.biasByLayer[l], he - she, 1e-4, `layer ${l}`));
  });

  test('mix 1 (0) at the last layer reproduces the "he" ("she") sentence\'s prediction at the mask', async () => {
    // The masked-LM head is per position: with the last layer's output at the mask set to the
    // filled-in sentence's, the logits there are that sentence's (reference, filled rows 0 and 1).
    for (const [mix, row] of [[1, 0], [0, 1]] as const) {
      const dm = await computeWith({ mix });
      const filled = at(ref.clean.logits!, row, MASK_POS);
      close(dm.biasByLayer[1], logSoftmaxAt(filled, HE) - logSoftmaxAt(filled, SHE), 1e-4, `mix ${mix}`);
    }
  });

  test('layer 0 plots the embeddings; replace_layer 0 moves the bars, not the layer sweep', async () => {
    const d0 = await computeWith({ layer: 0, replace_layer: 0 });
    const emb = at(ref.clean.cache.get('hook_full_embed')!, 0, MASK_POS);
    assert.ok(Array.from(d0.hiddenVector).every((v, i) => Math.abs(v - emb[i]) < 1e-5));
    assert.equal(d0.replaceLayer, 0);
    const fd = debiasAnalysis.figureData!(d0, debiasAnalysis.options.parse({ layer: 0, replace_layer: 0 })) as { replaced: { modified: { bias: number } } };
    close(fd.replaced.modified.bias, ref.byLayer[0][0] - ref.byLayer[0][1], 1e-4, 'bars at layer 0');
  });
});

describe('debias end to end', () => {
  test('runAnalysis on the tiny BERT: four figures, the fallback note, figure data, a valid hint', async () => {
    const r = await runAnalysis(getAnalysis('debias'), {}, { model: TINY_RANDOM_BERT });
    assert.deepEqual(r.figures.map((f) => f.name), ['hidden-state', 'hidden-states', 'replaced', 'bias-by-layer']);
    for (const f of r.figures) {
      const img = await decodePng(f.png);
      assert.ok(img.width >= 2000 && !img.isBlank(), f.name);
      assert.ok(f.png.length < 8e6, f.name);
      assert.ok(f.title && f.alt && !/[\uE000\uE001]/.test(f.title + f.alt), f.name);
    }
    assert.deepEqual(r.model, { name: TINY_RANDOM_BERT, tinyRandom: true });
    assert.ok(r.explanation.includes(TINY_BERT_NOTE));
    assert.match(r.explanation, /Try `\/debias mix:0\.25`/);
    const layers = r.data['bias-by-layer'] as { bias: number[]; originalBias: number; words: string[] };
    assert.deepEqual(layers.words, ['he', 'she']);
    assert.equal(layers.bias.length, 2);
    assert.equal((r.data['hidden-states'] as { values: number[][] }).values.length, 2);
    // The hint after a run with mix 0.25 goes back to 0.5, and both parse.
    const r2 = await runAnalysis(getAnalysis('debias'), { mix: 0.25 }, { model: TINY_RANDOM_BERT });
    assert.match(r2.explanation, /Try `\/debias mix:0\.5`/);
  });

  test("the digest's try-it options are valid, and its headline is a figure the analysis draws", () => {
    const c = digestContent('debias');
    assert.doesNotThrow(() => parseOptions(debiasAnalysis.options, c.tryIt!.options));
    assert.equal(c.headline?.figure, 'bias-by-layer');
    assert.equal(debiasAnalysis.post.hasAnalysis, true);
  });
});

describe('debias options', () => {
  test('limits are rejected naming the option and the limit', () => {
    const o = debiasAnalysis.options;
    assert.match(optionErrorMessage(o, { mix: 1.5 }), /mix.*1/);
    assert.match(optionErrorMessage(o, { mix: -0.1 }), /mix.*0/);
    assert.match(optionErrorMessage(o, { targets: ['he'] }), /targets.*2/);
    assert.match(optionErrorMessage(o, { targets: ['he', 'she', 'they'] }), /targets.*2/);
    assert.match(optionErrorMessage(o, { layer: 49 }), /layer.*48/);
    assert.match(optionErrorMessage(o, { replace_layer: 48 }), /replace_layer.*47/);
    assert.match(optionErrorMessage(o, { replace_layer: 1.5 }), /replace_layer/);
    assert.match(optionErrorMessage(o, { sentence: 'x'.repeat(401) }), /sentence.*400/);
    assert.match(optionErrorMessage(o, { nope: 1 }), /nope/);
  });

  test('layers beyond the model, a sentence without one mask, bad targets', async () => {
    const err = (option: string, re: RegExp) => (e: unknown) => e instanceof OptionError && e.option === option && re.test(e.message);
    await assert.rejects(computeWith({ layer: 3 }), err('layer', /from 0 to 2: tiny-random-bert has 3 hidden states/));
    await assert.rejects(computeWith({ replace_layer: 2 }), err('replace_layer', /from 0 to 1: tiny-random-bert has 2 layers/));
    await assert.rejects(computeWith({ sentence: 'The engineer would need more time.' }), err('sentence', /exactly once \(found 0\)/));
    await assert.rejects(computeWith({ targets: ['he', 'He'] }), err('targets', /twice/));
    await assert.rejects(computeWith({ targets: ['he', 'xylophone'] }), err('targets', /xylophone.*WordPieces/));
  });
});
