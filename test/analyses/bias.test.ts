// /bias on the tiny random BERT: the target-word (log-)probabilities at the mask agree with the
// independent plain-TypeScript BERT forward pass (test/reference/bert-reference.ts) and a softmax
// written out here; every figure renders; options and the BERT plumbing (model family, choices,
// fallback rule) behave.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { isModelAvailable, KNOWN_BERT_MODELS, KNOWN_MODELS, resolveModelDir, TINY_RANDOM_BERT } from '../../models/registry.ts';
import { biasAnalysis, type BiasData } from '../../src/analyses/bias.ts';
import { getAnalysis } from '../../src/analyses/index.ts';
import { runAnalysis, TINY_BERT_NOTE } from '../../src/analyses/run.ts';
import { DEFAULT_BERT_MODEL, OptionError, type AnalysisContext } from '../../src/analyses/types.ts';
import { commandOptions, defineAnalysisCommand, modelChoices } from '../../src/commands/define.ts';
import { loadBertCheckpoint, type BertCheckpoint } from '../../src/llm/bert/checkpoint.ts';
import { disposeBertEngines, getBertEngine } from '../../src/llm/bert/provider.ts';
import { tinyBertVocab } from '../../src/llm/bert/tiny.ts';
import type { BertEngine } from '../../src/llm/bert/types.ts';
import { resolveBertEngineModel } from '../../src/llm/provider.ts';
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

before(async () => {
  engine = await getBertEngine({ model: TINY_RANDOM_BERT, threads: 1 });
  model = await loadBertCheckpoint(await resolveModelDir(TINY_RANDOM_BERT));
});
after(() => disposeBertEngines());

const ctx = (): AnalysisContext => ({
  progress: () => {},
  engine: () => Promise.reject(new Error('bias must not ask for GPT-2')),
  bertEngine: async () => engine,
});

async function computeWith(raw: Record<string, unknown>): Promise<BiasData> {
  return biasAnalysis.compute(biasAnalysis.options.parse(raw), ctx());
}

/** Token ids as BERT lays them out: [CLS] 101, the words' vocab ids, [SEP] 102 (tinyBertVocab's list). */
const words = (s: string) => [101, ...s.split(' ').map(id), 102];

describe('bias numbers agree with the reference forward pass', () => {
  let d: BiasData;
  before(async () => {
    d = await computeWith({});
  });

  test("the notebook's sentence, mask position and target ids", () => {
    // [CLS] the engineer informed the client that [MASK] would need more time . [SEP]: the mask is token 7.
    assert.equal(d.maskIndex, 7);
    assert.deepEqual(d.tokens.map((t) => t.id), words('the engineer informed the client that [MASK] would need more time .'));
    assert.deepEqual(d.targets, [{ word: 'he', id: id('he') }, { word: 'she', id: id('she') }, { word: 'they', id: id('they') }]);
    assert.deepEqual(d.demoTokens.map((t) => t.piece), ['[CLS]', 'i', 'like', 'to', 'eat', '[MASK]', 'chocolate', '-', 'covered', 'raisins', '.', '[SEP]']);
  });

  test('log-softmax and softmax at the mask equal the reference mlm_logits, in every sentence', () => {
    const targets = ['he', 'she', 'they'].map(id);
    const rows = [
      ...['he', 'she', 'they'].map((w) => words(`the engineer informed the client that ${w} would need more time .`)),
      words('the engineer informed the client that [MASK] would need more time .'),
    ];
    const ref = bertReferenceForward(model, rows);
    const [, T, V] = ref.logits!.dims;
    const rowAt = (b: number) => ref.logits!.data.slice((b * T + 7) * V, (b * T + 8) * V);
    const got = [...d.filled, d.masked];
    for (let b = 0; b < rows.length; b++) {
      const row = rowAt(b);
      targets.forEach((t, i) => {
        const want = logSoftmaxAt(row, t);
        assert.ok(Math.abs(got[b].logSoftmax[i] - want) < 1e-4, `sentence ${b} target ${i}: ${got[b].logSoftmax[i]} vs ${want}`);
        assert.ok(Math.abs(got[b].probs[i] - Math.exp(want)) < 1e-6);
      });
    }
    // The he-sentence's full row: logits as the reference, softmax sums to 1, argmax is the reference's.
    const he = rowAt(0);
    let maxDiff = 0;
    for (let v = 0; v < V; v++) maxDiff = Math.max(maxDiff, Math.abs(d.firstLogits[v] - he[v]));
    assert.ok(maxDiff < 1e-4, `logits differ by ${maxDiff}`);
    const sum = d.firstSoftmax.reduce((a, b) => a + b, 0);
    assert.ok(Math.abs(sum - 1) < 1e-9);
    assert.equal(d.firstTop.id, he.indexOf(Math.max(...he)));
    assert.equal(d.firstTop.piece, vocab[d.firstTop.id]);
  });

  test('other targets and sentences (a nurse, four words)', async () => {
    const d2 = await computeWith({ sentence: 'The nurse said that [MASK] was happy.', targets: ['he', 'she', 'it', 'we'] });
    const row = words('the nurse said that [MASK] was happy .');
    assert.ok(!row.includes(-1));
    const ref = bertReferenceForward(model, [row]);
    const [, T, V] = ref.logits!.dims;
    assert.equal(T, row.length);
    const at = ref.logits!.data.slice(5 * V, 6 * V);
    assert.equal(d2.maskIndex, 5);
    ['he', 'she', 'it', 'we'].forEach((w, i) => assert.ok(Math.abs(d2.masked.logSoftmax[i] - logSoftmaxAt(at, id(w))) < 1e-4, w));
    assert.equal(d2.filled.length, 4);
    assert.equal(d2.filled[2].text, 'The nurse said that it was happy.');
  });
});

describe('bias end to end', () => {
  test('runAnalysis on the tiny BERT: five stamped figures, the fallback note, figure data', async () => {
    const r = await runAnalysis(getAnalysis('bias'), {}, { model: TINY_RANDOM_BERT });
    assert.deepEqual(r.figures.map((f) => f.name), ['tokens', 'logits', 'softmax', 'filled', 'masked']);
    for (const f of r.figures) {
      const img = await decodePng(f.png);
      assert.ok(img.width >= 2000 && !img.isBlank(), f.name);
      assert.ok(f.png.length < 8e6, f.name);
      assert.ok(f.title && f.alt && !/[\uE000\uE001]/.test(f.title + f.alt), f.name);
    }
    assert.deepEqual(r.model, { name: TINY_RANDOM_BERT, tinyRandom: true });
    assert.ok(r.explanation.includes(TINY_BERT_NOTE));
    assert.match(r.explanation, /Try `\/bias sentence:"The nurse/);
    const masked = r.data.masked as { percent: number[]; words: string[] };
    assert.deepEqual(masked.words, ['he', 'she', 'they']);
    assert.equal(masked.percent.length, 3);
    assert.equal((r.data.logits as { logits: number[] }).logits.length, vocab.length);
  });

  test('no model named: bert-large-uncased, else bert-base-uncased, else tiny-random-bert, and the result says so', async () => {
    const resolved = await resolveBertEngineModel(undefined, 'bert-large-uncased');
    const large = await isModelAvailable('bert-large-uncased');
    const base = await isModelAvailable(DEFAULT_BERT_MODEL);
    if (large) assert.deepEqual(resolved, { name: 'bert-large-uncased' });
    else {
      assert.equal(resolved.name, base ? DEFAULT_BERT_MODEL : TINY_RANDOM_BERT);
      assert.match(resolved.note!, /bert-large-uncased, which is not downloaded here/);
    }
    assert.deepEqual(await resolveBertEngineModel('bert-base-uncased', 'bert-large-uncased'), { name: 'bert-base-uncased' });
    if (!large && !base) {
      const r = await runAnalysis(biasAnalysis, {});
      assert.equal(r.model?.name, TINY_RANDOM_BERT);
      assert.match(r.explanation, /so this ran on tiny-random-bert/);
    }
  });

  test('a GPT-2 model for a BERT analysis (and a BERT model for a GPT-2 one) is an OptionError on model', async () => {
    await assert.rejects(runAnalysis(biasAnalysis, {}, { model: 'gpt2' }), (e: unknown) => e instanceof OptionError && e.option === 'model' && /BERT model/.test(e.message));
    await assert.rejects(runAnalysis(getAnalysis('logits'), {}, { model: 'bert-base-uncased' }), (e: unknown) => e instanceof OptionError && e.option === 'model' && /GPT-2 model/.test(e.message));
  });

  test('model choices follow the family: BERT models only for BERT analyses', () => {
    assert.deepEqual(modelChoices(), KNOWN_MODELS.map((m) => m.name));
    assert.deepEqual(modelChoices('gpt2'), KNOWN_MODELS.map((m) => m.name));
    assert.deepEqual(modelChoices('bert'), KNOWN_BERT_MODELS.map((m) => m.name));
    const opt = commandOptions(defineAnalysisCommand({ analysis: 'bias', description: 'x' }), 'gpt2').find((o) => o.name === 'model')!;
    assert.deepEqual(opt.choices, KNOWN_BERT_MODELS.map((m) => m.name));
    assert.match(opt.description, /BERT checkpoint.*bert-large-uncased.*bert-base-uncased.*tiny-random-bert/);
    const gpt = commandOptions(defineAnalysisCommand({ analysis: 'logits', description: 'x' }), 'gpt2').find((o) => o.name === 'model')!;
    assert.deepEqual(gpt.choices, KNOWN_MODELS.map((m) => m.name));
  });
});

describe('bias options', () => {
  test('limits are rejected naming the option and the limit', () => {
    const o = biasAnalysis.options;
    assert.match(optionErrorMessage(o, { targets: ['he'] }), /targets/);
    assert.match(optionErrorMessage(o, { targets: ['a', 'b', 'c', 'd', 'e', 'f', 'g'] }), /targets.*6/);
    assert.match(optionErrorMessage(o, { targets: ['he', 'x'.repeat(31)] }), /targets.*30/);
    assert.match(optionErrorMessage(o, { sentence: 'x'.repeat(401) }), /sentence.*400/);
    assert.match(optionErrorMessage(o, { demo_text: '' }), /demo_text/);
    assert.match(optionErrorMessage(o, { nope: 1 }), /nope/);
  });

  test('the sentence needs exactly one [MASK]; every target must be one WordPiece', async () => {
    const err = (option: string, re: RegExp) => (e: unknown) => e instanceof OptionError && e.option === option && re.test(e.message);
    await assert.rejects(computeWith({ sentence: 'The engineer would need more time.' }), err('sentence', /exactly once \(found 0\)/));
    await assert.rejects(computeWith({ sentence: '[MASK] and [MASK]' }), err('sentence', /exactly once \(found 2\)/));
    // "xylophone" is not a word of the tiny vocab: it splits into letter pieces.
    await assert.rejects(computeWith({ targets: ['he', 'xylophone'] }), err('targets', /xylophone.*WordPieces/));
    await assert.rejects(computeWith({ targets: ['he', 'He'] }), err('targets', /twice/));
    // Glued to a word, the target would merge with it ("that[MASK]" → "thathe" is several pieces).
    await assert.rejects(computeWith({ sentence: 'The client said that[MASK] would need more time.' }), err('targets', /does not stay one token/));
  });
});
