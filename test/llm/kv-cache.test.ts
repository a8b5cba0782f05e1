// Generation with a key/value cache (kv-cache.ts, gpt2-graph.ts buildDecodeGraph): the logits of
// every cached step against the independent loop-by-loop reference forward pass (row t of a full
// run over the same tokens, to 1e-4), for one and two sequences, several new tokens at once, rows
// of different lengths (padded and masked), rows selected and repeated, and a logit_boost patch;
// then engine.generate and generateBatch through the cache against the uncached path.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { loadCheckpoint } from '../../src/llm/checkpoint.ts';
import { createEngine, loadEngine } from '../../src/llm/engine.ts';
import { argmax, generateBatch } from '../../src/llm/generate.ts';
import { makeTinyCheckpoint } from '../../src/llm/tiny.ts';
import type { Engine, Intervention, Tensor } from '../../src/llm/types.ts';
import { referenceForward, type ReferenceModel } from '../reference/gpt2-reference.ts';
import { assertClose, writeTinyDir } from './fixtures.ts';

const ROW_A = [40, 588, 262, 2392, 12, 687, 6851, 319]; // "I like the longer-form posts on"
const ROW_B = [464, 3139, 286, 4881, 318, 6342, 13, 198];
const BOOST: Intervention = { hook: 'logits', op: 'logit_boost', pos: -1, token: 6891, margin: 10 };

/** Rows `from`..`to` - 1 of row b's logits, as a [1, to - from, V] tensor. */
function rows(logits: Tensor, b: number, from: number, to: number): Tensor {
  const [, T, V] = logits.dims;
  return { dims: [1, to - from, V], data: logits.data.slice((b * T + from) * V, (b * T + to) * V) };
}

/** The reference's logits at the last position of `tokens` (with `patches`). */
function refLast(model: ReferenceModel, tokens: number[], patches: Intervention[] = []): Tensor {
  const { logits } = referenceForward(model, [tokens], patches);
  return rows(logits, 0, tokens.length - 1, tokens.length);
}

describe('the key/value cache against the reference forward pass (tiny checkpoint on disk)', () => {
  let engine: Engine;
  let model: ReferenceModel;
  let cleanup: () => Promise<void>;

  before(async () => {
    const tiny = await writeTinyDir();
    cleanup = tiny.cleanup;
    engine = await loadEngine(tiny.dir, { threads: 1 });
    model = await loadCheckpoint(tiny.dir);
  });
  after(async () => {
    await engine?.dispose();
    await cleanup?.();
  });

  const cases: [number[][], number | undefined][] = [[[ROW_A], undefined], [[ROW_A, ROW_B], undefined], [[ROW_A, ROW_B], 1], [[ROW_A], 64]];
  for (const [batch, capacity] of cases) {
    test(`step t equals row t of the full run, batch of ${batch.length}, capacity ${capacity ?? 'default'}`, async () => {
      const ref = referenceForward(model, batch).logits;
      // Capacity: slots allocated ahead (masked until filled); 1 makes the cache grow as it goes.
      const cache = engine.kvCache({ capacity });
      // A 3-token prefill with logits for every position, then one token per step.
      const prefill = await cache.append(batch.map((r) => r.slice(0, 3)), { logits: 'all' });
      assert.deepEqual(prefill.dims, [batch.length, 3, 50257]);
      for (let b = 0; b < batch.length; b++) assertClose(rows(prefill, b, 0, 3), rows(ref, b, 0, 3), `prefill, row ${b}`);
      for (let t = 3; t < ROW_A.length; t++) {
        const step = await cache.append(batch.map((r) => [r[t]]));
        assert.deepEqual(step.dims, [batch.length, 1, 50257]);
        for (let b = 0; b < batch.length; b++) assertClose(rows(step, b, 0, 1), rows(ref, b, t, t + 1), `step ${t}, row ${b}`);
      }
      assert.deepEqual(cache.lengths, batch.map(() => ROW_A.length));
    });
  }

  test('several new tokens after a cache: the causal mask is offset by what the cache holds', async () => {
    const ref = referenceForward(model, [ROW_A, ROW_B]).logits;
    const cache = engine.kvCache();
    await cache.append([ROW_A.slice(0, 3), ROW_B.slice(0, 3)]);
    const chunk = await cache.append([ROW_A.slice(3, 7), ROW_B.slice(3, 7)], { logits: 'all' });
    for (let b = 0; b < 2; b++) assertClose(rows(chunk, b, 0, 4), rows(ref, b, 3, 7), `row ${b}`);
    const last = await cache.append([ROW_A.slice(7), ROW_B.slice(7)]);
    for (let b = 0; b < 2; b++) assertClose(rows(last, b, 0, 1), rows(ref, b, 7, 8), `row ${b}, last step`);
  });

  test('rows of different lengths share a batch: each equals its own run', async () => {
    const short = ROW_B.slice(0, 5);
    const cache = engine.kvCache();
    const first = await cache.append([ROW_A, short]);
    assert.deepEqual(cache.lengths, [8, 5]);
    assertClose(rows(first, 0, 0, 1), refLast(model, ROW_A), 'long row');
    assertClose(rows(first, 1, 0, 1), refLast(model, short), 'short row (padded on the left)');
    // Ragged again: two tokens for one row, one for the other.
    const next = await cache.append([[198, 464], [5]]);
    assertClose(rows(next, 0, 0, 1), refLast(model, [...ROW_A, 198, 464]), 'long row, 2 more');
    assertClose(rows(next, 1, 0, 1), refLast(model, [...short, 5]), 'short row, 1 more');
    const step = await cache.append([[11], [12]]);
    assertClose(rows(step, 0, 0, 1), refLast(model, [...ROW_A, 198, 464, 11]), 'long row, a step');
    assertClose(rows(step, 1, 0, 1), refLast(model, [...short, 5, 12]), 'short row, a step');
  });

  test('select repeats and drops rows (a prompt cached once for several continuations)', async () => {
    const prompt = ROW_A.slice(0, 4);
    const cache = engine.kvCache();
    await cache.append([prompt]);
    cache.select([0, 0, 0]);
    assert.equal(cache.batch, 3);
    const step = await cache.append([[ROW_A[4]], [ROW_B[4]], [7]]);
    assertClose(rows(step, 0, 0, 1), refLast(model, ROW_A.slice(0, 5)), 'row 0');
    assertClose(rows(step, 1, 0, 1), refLast(model, [...prompt, ROW_B[4]]), 'row 1');
    assertClose(rows(step, 2, 0, 1), refLast(model, [...prompt, 7]), 'row 2');
    cache.select([2, 1]);
    const after2 = await cache.append([[8], [9]]);
    assertClose(rows(after2, 0, 0, 1), refLast(model, [...prompt, 7, 8]), 'kept row 2');
    assertClose(rows(after2, 1, 0, 1), refLast(model, [...prompt, ROW_B[4], 9]), 'kept row 1');
    // A padded row alone: its padding is dropped, and it goes on as before.
    const ragged = engine.kvCache();
    await ragged.append([ROW_A, ROW_B.slice(0, 3)]);
    ragged.select([1]);
    assertClose(rows(await ragged.append([[ROW_B[3]]]), 0, 0, 1), refLast(model, ROW_B.slice(0, 4)), 'the short row alone');
  });

  test('logit_boost through the cache equals the reference with the patch, at every step', async () => {
    const cache = engine.kvCache({ patches: [BOOST] });
    const first = await cache.append([ROW_A.slice(0, 3)], { logits: 'all' });
    assertClose(first, rows(referenceForward(model, [ROW_A.slice(0, 3)], [BOOST]).logits, 0, 0, 3), 'prefill, all positions');
    for (let t = 3; t < ROW_A.length; t++) {
      const step = await cache.append([[ROW_A[t]]]);
      assertClose(step, refLast(model, ROW_A.slice(0, t + 1), [BOOST]), `step ${t}`);
      assert.equal(argmax(step.data), 6891);
    }
    // A record at a fixed position changes that position's logits only.
    const at5: Intervention = { ...BOOST, pos: 5 };
    const fixed = engine.kvCache({ patches: [at5] });
    await assert.rejects(fixed.append([ROW_A.slice(0, 5)]), /pos 5 is outside the 5-token input/, 'as in a full run of 5 tokens');
    assert.equal(fixed.batch, 0, 'a failed append leaves the cache as it was');
    const five = await fixed.append([ROW_A.slice(0, 6)]);
    assertClose(five, refLast(model, ROW_A.slice(0, 6), [at5]), 'prefill ending at position 5');
    assert.equal(argmax(five.data), 6891);
    for (let t = 6; t < ROW_A.length; t++) {
      const step = await fixed.append([[ROW_A[t]]]);
      assertClose(step, refLast(model, ROW_A.slice(0, t + 1), [at5]), `fixed position, step ${t}`);
      assert.notEqual(argmax(step.data), 6891, `boosted only at position 5 (step ${t})`);
    }
  });

  test('bad appends and selects name the problem', async () => {
    const cache = engine.kvCache();
    await assert.rejects(cache.append([[]]), /row 0 has no new tokens/);
    await assert.rejects(cache.append([[1, 2], [3]], { logits: 'all' }), /'all' needs the same number of new tokens in every row/);
    await assert.rejects(cache.append([[50257]]), /token id 50257 is outside .*vocabulary \(0 to 50256\)/);
    await cache.append([[1], [2]]);
    await assert.rejects(cache.append([[3]]), /the cache holds 2 rows; append got 1/);
    const running = cache.append([[3], [4]]);
    await assert.rejects(cache.append([[5], [6]]), /while an append is running/);
    assert.throws(() => cache.select([0]), /while an append is running/);
    await running;
    assert.deepEqual(cache.lengths, [2, 2]);
    assert.throws(() => cache.select([2]), /row 2 is not in the cache \(0 to 1\)/);
    assert.throws(() => engine.kvCache({ capacity: 0 }), /capacity must be a whole number ≥ 1 \(got 0\)/);
    assert.throws(() => engine.kvCache({ patches: [{ hook: 'blocks.0.hook_resid_post', op: 'scale', value: 2 }] }), /applies patches on logits only \(got one at blocks\.0\.hook_resid_post\)/);
  });
});

describe('generation through the cache', () => {
  let engine: Engine;
  before(async () => {
    engine = await createEngine('tiny-random', makeTinyCheckpoint(), { threads: 1 });
  });
  after(() => engine.dispose());

  test('greedy, sampled and boosted generation give the same tokens with and without the cache', async () => {
    for (const opts of [
      { maxNewTokens: 24, greedy: true },
      { maxNewTokens: 24, temperature: 1, topK: 50, topP: 0.95, seed: 3 },
      { maxNewTokens: 16, temperature: 1.5, seed: 8 },
      { maxNewTokens: 8, greedy: true, patches: [BOOST] },
    ]) {
      const cached = await engine.generate(ROW_A, opts);
      assert.equal(cached.length, opts.maxNewTokens);
      assert.deepEqual(cached, await engine.generate(ROW_A, { ...opts, kvCache: false }), JSON.stringify(opts));
    }
  });

  test('a patch inside the network falls back to full runs of the prefix', async () => {
    const patches: Intervention[] = [{ hook: 'blocks.0.hook_resid_post', op: 'scale', value: 3 }];
    const tokens = [...ROW_B];
    for (let i = 0; i < 4; i++) tokens.push(argmax((await engine.run(tokens, { logits: 'last', patches })).logits!.data));
    assert.deepEqual(await engine.generate(ROW_B, { maxNewTokens: 4, greedy: true, patches }), tokens.slice(ROW_B.length));
  });

  test('a stop token ends the sample (and is its last token)', async () => {
    const greedy = await engine.generate(ROW_A, { maxNewTokens: 10, greedy: true });
    const stop = greedy[3];
    const cut = greedy.indexOf(stop) + 1;
    assert.deepEqual(await engine.generate(ROW_A, { maxNewTokens: 10, greedy: true, stopTokens: [stop] }), greedy.slice(0, cut));
    await assert.rejects(engine.generate(ROW_A, { maxNewTokens: 2, stopTokens: [-1] }), /stopTokens must be a list of token ids/);
  });

  test('generation runs up to the context, not past it', async () => {
    const short = await createEngine('tiny-12', makeTinyCheckpoint({ n_positions: 12 }), { threads: 1 });
    try {
      const out = await short.generate(ROW_A.slice(0, 5), { maxNewTokens: 7, greedy: true });
      assert.equal(out.length, 7);
      assert.deepEqual(out, await short.generate(ROW_A.slice(0, 5), { maxNewTokens: 7, greedy: true, kvCache: false }));
      await assert.rejects(short.generate(ROW_A.slice(0, 5), { maxNewTokens: 8 }), /prompt \(5 tokens\) \+ maxNewTokens \(8\) exceeds tiny-12's 12-token context/);
      const cache = short.kvCache();
      await cache.append([[...ROW_A, 1, 2, 3, 4]]);
      await assert.rejects(cache.append([[5]]), /row 0 would hold 13 tokens; tiny-12 takes at most 12/);
    } finally {
      await short.dispose();
    }
  });

  test('generateBatch: each row is engine.generate with its own seed and limit; finished rows leave', async () => {
    const sampling = { temperature: 1, topK: 50, topP: 0.95 };
    const rows = [
      { prompt: ROW_A, maxNewTokens: 9, seed: 1 },
      { prompt: [40, 588], maxNewTokens: 4, seed: 2 },
      { prompt: ROW_A, maxNewTokens: 9, seed: 3 },
      { prompt: ROW_B, maxNewTokens: 0, seed: 4 },
      { prompt: ROW_B.slice(0, 6), maxNewTokens: 12, seed: 5 },
    ];
    const seen: number[] = [];
    const out = await generateBatch(engine, rows, { ...sampling, progress: (done, total) => seen.push(done / total) });
    for (const [i, r] of rows.entries()) {
      assert.deepEqual(out[i], await engine.generate(r.prompt, { ...sampling, maxNewTokens: r.maxNewTokens, seed: r.seed }), `row ${i}`);
    }
    assert.equal(seen[seen.length - 1], 1);
    // With a stop token, a row that draws it ends there.
    const stop = out[4][2];
    const stopped = await generateBatch(engine, rows, { ...sampling, stopTokens: [stop] });
    assert.deepEqual(stopped[4], out[4].slice(0, out[4].indexOf(stop) + 1));
    assert.deepEqual(stopped[0], out[0].includes(stop) ? out[0].slice(0, out[0].indexOf(stop) + 1) : out[0]);
  });
});
