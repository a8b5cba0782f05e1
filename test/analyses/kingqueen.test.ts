// /kingqueen on the tiny random BERT: the nearest-neighbour tables agree with a brute-force
// cosine search over the checkpoint's embedding matrix written out here (full sort, float64), the
// hidden-state cosines agree with the independent plain-TypeScript BERT forward pass
// (test/reference/bert-reference.ts), cosineToAll agrees with numpy on a small matrix; every
// figure renders; options and bad input are rejected naming the option.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { resolveModelDir, TINY_RANDOM_BERT } from '../../models/registry.ts';
import { getAnalysis } from '../../src/analyses/index.ts';
import { cosineToAll, kingqueenAnalysis, type KingQueenData } from '../../src/analyses/kingqueen.ts';
import { runAnalysis, TINY_BERT_NOTE } from '../../src/analyses/run.ts';
import { OptionError, type AnalysisContext } from '../../src/analyses/types.ts';
import { loadBertCheckpoint, type BertCheckpoint } from '../../src/llm/bert/checkpoint.ts';
import { disposeBertEngines, getBertEngine } from '../../src/llm/bert/provider.ts';
import { tinyBertVocab } from '../../src/llm/bert/tiny.ts';
import type { BertEngine } from '../../src/llm/bert/types.ts';
import { decodePng } from '../../src/render/png.ts';
import { bertReferenceForward } from '../reference/bert-reference.ts';
import { optionErrorMessage } from './reference.ts';

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
  engine: () => Promise.reject(new Error('kingqueen must not ask for GPT-2')),
  bertEngine: async () => engine,
});

async function computeWith(raw: Record<string, unknown>): Promise<KingQueenData> {
  return kingqueenAnalysis.compute(kingqueenAnalysis.options.parse(raw), ctx());
}

// Plain loops, float64, over the checkpoint's own tensor.
const embeddings = () => model.tensors.get('embeddings.word_embeddings.weight')!;
function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}
const cos = (a: ArrayLike<number>, b: ArrayLike<number>) => dot(a, b) / Math.sqrt(dot(a, a) * dot(b, b));
function r2(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length;
  const ma = dot(a, new Array(n).fill(1)) / n;
  const mb = dot(b, new Array(n).fill(1)) / n;
  let sab = 0, saa = 0, sbb = 0;
  for (let i = 0; i < n; i++) {
    sab += (a[i] - ma) * (b[i] - mb);
    saa += (a[i] - ma) ** 2;
    sbb += (b[i] - mb) ** 2;
  }
  return (sab * sab) / (saa * sbb);
}
const embRow = (v: number) => {
  const E = embeddings();
  const d = E.dims[1];
  return Array.from(E.data.subarray(v * d, (v + 1) * d));
};
const analogy = (a: ArrayLike<number>, b: ArrayLike<number>, c: ArrayLike<number>) => Array.from(a, (x, i) => x - b[i] + c[i]);
function bruteNearest(x: number[], n: number, exclude: number[]): { id: number; cos: number }[] {
  const V = embeddings().dims[0];
  const all = Array.from({ length: V }, (_, v) => ({ id: v, cos: cos(x, embRow(v)) }));
  return all.filter((e) => !exclude.includes(e.id)).sort((p, q) => q.cos - p.cos).slice(0, n);
}

describe('kingqueen numbers agree with independent computations', () => {
  let d: KingQueenData;
  before(async () => {
    d = await computeWith({});
  });

  test('cosineToAll agrees with numpy on a 4 × 3 matrix', () => {
    // numpy: E=[[1,2,0],[0,1,1],[3,-1,2],[-1,-2,.5]]; x=E[0]-E[1]+E[2]; (E@x)/norm(E,axis=1)/norm(x)
    const E = Float32Array.from([1, 2, 0, 0, 1, 1, 3, -1, 2, -1, -2, 0.5]);
    const norms = Float64Array.from([0, 1, 2, 3], (v) => Math.hypot(E[3 * v], E[3 * v + 1], E[3 * v + 2]));
    const got = cosineToAll([4, 0, 1], { E, V: 4, d: 3, norms } as Parameters<typeof cosineToAll>[1]);
    [0.43386092, 0.17149859, 0.90748521, -0.37047929].forEach((want, i) => assert.ok(Math.abs(got[i] - want) < 1e-7, `${i}: ${got[i]}`));
  });

  test('the embedding vectors and their pairwise cosines are the checkpoint rows', () => {
    const [k, m, w] = ['king', 'man', 'woman'].map(id);
    assert.deepEqual([d.words.start.id, d.words.subtract.id, d.words.add.id], [k, m, w]);
    assert.deepEqual(d.vectors.map((v) => Array.from(v)), [embRow(k), embRow(m), embRow(w)]);
    const want = [cos(embRow(k), embRow(m)), cos(embRow(k), embRow(w)), cos(embRow(m), embRow(w))];
    want.forEach((c, i) => assert.ok(Math.abs(d.pairCos[i] - c) < 1e-9, `pair ${i}`));
  });

  test('nearest neighbours of king − man + woman, inputs excluded and included, with shared variance', () => {
    const ids = ['king', 'man', 'woman'].map(id);
    const x = analogy(embRow(ids[0]), embRow(ids[1]), embRow(ids[2]));
    const main = d.analogies[0];
    assert.equal(main.text, 'king - man + woman');
    assert.deepEqual(main.ids, ids);
    for (const [got, want] of [[main.excluded, bruteNearest(x, 10, ids)], [main.included, bruteNearest(x, 10, [])]] as const) {
      assert.equal(got.length, 10);
      assert.deepEqual(got.map((n) => n.id), want.map((n) => n.id));
      got.forEach((n, i) => {
        assert.ok(Math.abs(n.cos - want[i].cos) < 1e-6, `cos ${i}`);
        assert.ok(Math.abs(n.sharedVar - 100 * r2(x, embRow(n.id))) < 1e-6, `shared variance ${i}`);
        assert.equal(n.piece, vocab[n.id]);
      });
    }
    assert.ok(main.excluded.every((n) => !ids.includes(n.id)));
    // The default second analogy (tree, leaf, petals) is not in the tiny vocabulary: reported, not computed.
    assert.equal(d.analogies.length, 2);
    assert.match(d.analogies[1].skipped!, /"tree" is 4 WordPieces/);
  });

  test('hidden-state cosines per layer equal the reference forward pass (no [CLS]/[SEP], whole-word positions)', async () => {
    const sentences = kingqueenAnalysis.options.parse({}).sentences;
    const rows = sentences.map((s) => engine.tokenizer.tokenIds(s));
    assert.ok(!rows[0].includes(101) && !rows[0].includes(102));
    // Sentence 2 says "kingdom" (king ##d ##o ##m here) before "the king": the whole word is used.
    const s2 = rows[1];
    const kings = s2.flatMap((t, i) => (t === id('king') ? [i] : []));
    assert.equal(kings.length, 2);
    assert.equal(d.sentences[1].positions.start, kings[1]);
    // "the": its last occurrence.
    assert.equal(d.sentences[1].positions.baseline, s2.lastIndexOf(id('the')));

    const ref = bertReferenceForward(model, rows);
    const L = model.config.num_hidden_layers;
    const names = ['hook_full_embed', ...Array.from({ length: L }, (_, l) => `blocks.${l}.hook_normalized_resid_post`)];
    assert.equal(d.layers, L + 1);
    d.sentences.forEach((s, b) => {
      assert.deepEqual(s.ids, rows[b]);
      const p = s.positions;
      assert.deepEqual([p.start, p.subtract, p.add, p.target].map((i) => rows[b][i]), ['king', 'man', 'woman', 'queen'].map(id));
      names.forEach((name, l) => {
        const t = ref.cache.get(name)!;
        const [, T, dm] = t.dims;
        const at = (pos: number) => Array.from(t.data.subarray((b * T + pos) * dm, (b * T + pos + 1) * dm));
        const x = analogy(at(p.start), at(p.subtract), at(p.add));
        assert.ok(Math.abs(s.targetCos[l] - cos(x, at(p.target))) < 1e-4, `sentence ${b} layer ${l} target`);
        assert.ok(Math.abs(s.baselineCos[l] - cos(x, at(p.baseline))) < 1e-4, `sentence ${b} layer ${l} baseline`);
        if (b === 0) {
          const [top] = bruteNearest(x, 1, ['king', 'man', 'woman'].map(id));
          assert.equal(d.layerTop[l].id, top.id, `layer ${l} top token`);
          assert.ok(Math.abs(d.layerTop[l].cos - top.cos) < 1e-4);
        }
      });
    });
  });

  test('special_tokens wraps the sentences in [CLS] … [SEP]; a user analogy is computed', async () => {
    const d2 = await computeWith({ special_tokens: true, sentences: ['The king, the man, the woman and the queen.'], more_analogies: ['father - man + woman'], top_n: 3 });
    assert.equal(d2.sentences[0].ids[0], 101);
    assert.equal(d2.sentences[0].ids.at(-1), 102);
    assert.equal(d2.sentences[0].positions.start, 2);
    const a = d2.analogies[1];
    assert.equal(a.skipped, undefined);
    const ids = ['father', 'man', 'woman'].map(id);
    assert.deepEqual(a.excluded.map((n) => n.id), bruteNearest(analogy(embRow(ids[0]), embRow(ids[1]), embRow(ids[2])), 3, ids).map((n) => n.id));
  });
});

describe('kingqueen end to end', () => {
  test('runAnalysis on the tiny BERT: six stamped figures, the fallback note, figure data', async () => {
    const r = await runAnalysis(getAnalysis('kingqueen'), {}, { model: TINY_RANDOM_BERT });
    assert.deepEqual(r.figures.map((f) => f.name), ['vectors', 'scatter', 'analogies', 'layers', 'sentences', 'confound']);
    for (const f of r.figures) {
      const img = await decodePng(f.png);
      assert.ok(img.width >= 2000 && !img.isBlank(), f.name);
      assert.ok(f.png.length < 8e6, f.name);
      assert.ok(f.title && f.alt && !/[\uE000\uE001]/.test(f.title + f.alt), f.name);
    }
    assert.deepEqual(r.model, { name: TINY_RANDOM_BERT, tinyRandom: true });
    assert.ok(r.explanation.includes(TINY_BERT_NOTE));
    assert.match(r.explanation, /Try `\/kingqueen more_analogies:"father - man \+ woman"`/);
    const layers = r.data.layers as { topCos: number[]; targetCos: number[] };
    assert.equal(layers.topCos.length, 3);
    assert.equal((r.data.sentences as unknown[]).length, 5);
  });
});

describe('kingqueen options', () => {
  test('limits are rejected naming the option and the limit', () => {
    const o = kingqueenAnalysis.options;
    assert.match(optionErrorMessage(o, { top_n: 0 }), /top_n/);
    assert.match(optionErrorMessage(o, { top_n: 31 }), /top_n.*30/);
    assert.match(optionErrorMessage(o, { sentences: Array(9).fill('the king') }), /sentences.*8/);
    assert.match(optionErrorMessage(o, { sentences: ['x'.repeat(301)] }), /sentences.*300/);
    assert.match(optionErrorMessage(o, { more_analogies: Array(5).fill('a - b + c') }), /more_analogies.*4/);
    assert.match(optionErrorMessage(o, { start: 'x'.repeat(31) }), /start.*30/);
    assert.match(optionErrorMessage(o, { nope: 1 }), /nope/);
  });

  test('words must be one WordPiece, different, and in every sentence; analogies "a - b + c"', async () => {
    const err = (option: string, re: RegExp) => (e: unknown) => e instanceof OptionError && e.option === option && re.test(e.message);
    await assert.rejects(computeWith({ start: 'xylophone' }), err('start', /xylophone.*WordPieces/));
    await assert.rejects(computeWith({ add: 'King' }), err('add', /four different words/));
    await assert.rejects(computeWith({ more_analogies: ['tree - leaf + petals', 'king man woman'] }), err('more_analogies', /form "a - b \+ c"/));
    // Named by the user (not the default list), a word outside the vocabulary is an error.
    await assert.rejects(computeWith({ more_analogies: ['xylophone - man + woman'] }), err('more_analogies', /xylophone/));
    await assert.rejects(computeWith({ sentences: ['The king and the man.'] }), err('sentences', /sentence 1 .*"woman"/));
  });
});
