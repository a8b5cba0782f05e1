// Interventions: each op agrees with the reference forward pass, a patch changes only what is
// downstream of it, several patches compose in one run, and bad records fail with clear messages.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createEngine } from '../../src/llm/engine.ts';
import { parsePatches } from '../../src/llm/interventions.ts';
import { makeTinyCheckpoint } from '../../src/llm/tiny.ts';
import type { Engine, Intervention, Tensor } from '../../src/llm/types.ts';
import { referenceForward, type ReferenceModel } from '../reference/gpt2-reference.ts';
import { assertClose, differingIndices, differs } from './fixtures.ts';

const ROW_A = [40, 588, 262, 2392, 12, 687, 6851, 319];
const ROW_B = [464, 3139, 286, 4881, 318, 6342, 13, 198];
const T = ROW_A.length;

let engine: Engine;
let model: ReferenceModel;

before(async () => {
  model = makeTinyCheckpoint();
  engine = await createEngine('tiny-random', model, { threads: 1 });
});
after(() => engine.dispose());

async function agreesWithReference(patches: Intervention[], batch: number[][] = [ROW_A, ROW_B]): Promise<void> {
  const ref = referenceForward(model, batch, patches);
  const run = await engine.run(batch, { hooks: '*', patches });
  for (const name of engine.hookNames()) assertClose(run.cache.get(name), ref.cache.get(name), name);
  assertClose(run.logits, ref.logits, 'logits');
  // And the patch did something: the logits differ from a clean run.
  const clean = await engine.run(batch);
  assert.ok(differs(ref.logits, clean.logits!), 'the patch changes the logits');
}

describe('each op agrees with the reference', () => {
  const cases: [string, Intervention[]][] = [
    ['mix_embed at one position', [{ hook: 'hook_embed', op: 'mix_embed', pos: 2, tokens: [9634, 4881], weights: [0.25, 0.75] }]],
    ['scale of the residual stream', [{ hook: 'blocks.0.hook_resid_post', op: 'scale', value: 0.8 }]],
    ['set one head of z at a negative position', [{ hook: 'blocks.1.attn.hook_z', op: 'set', value: 0, pos: -2, head: 3 }]],
    ['set one feature (index) at one position', [{ hook: 'blocks.0.hook_mlp_out', op: 'set', value: 3, pos: 1, index: 5 }]],
    ['impute_topk_mean on the MLP output', [{ hook: 'blocks.1.hook_mlp_out', op: 'impute_topk_mean', pos: -1, fraction: 0.08 }]],
    ['impute_topk_mean on one head of q', [{ hook: 'blocks.0.attn.hook_q', op: 'impute_topk_mean', pos: 3, head: 1, fraction: 0.25 }]],
    ['logit_boost at the last position', [{ hook: 'logits', op: 'logit_boost', pos: -1, token: 6891, margin: 10 }]],
    ['scale one head of the attention pattern (query position)', [{ hook: 'blocks.1.attn.hook_pattern', op: 'scale', value: 0, pos: 5, head: 2 }]],
    ['set attention scores of one key (index) for every query', [{ hook: 'blocks.0.attn.hook_attn_scores', op: 'set', value: 2, index: 0 }]],
    ['scale of a LayerNorm scale', [{ hook: 'blocks.1.ln2.hook_scale', op: 'scale', value: 2 }]],
    ['scale of the position embeddings', [{ hook: 'hook_pos_embed', op: 'scale', value: 3 }]],
    ['set on the graph input (resid_pre of block 0)', [{ hook: 'blocks.0.hook_resid_pre', op: 'set', value: 0.1, pos: 0 }]],
    ['scale at resid_pre of block 1 (a block boundary)', [{ hook: 'blocks.1.hook_resid_pre', op: 'scale', value: 1.5, pos: -3 }]],
    ['set on the MLP pre-activation', [{ hook: 'blocks.0.mlp.hook_pre', op: 'set', value: -1, pos: 4 }]],
    ['unembed input', [{ hook: 'unembed.hook_in', op: 'scale', value: -1, pos: 2 }]],
  ];
  for (const [label, patches] of cases) test(label, () => agreesWithReference(patches));

  test('several patches at several hooks in one run, in forward order whatever the list order', () =>
    agreesWithReference([
      { hook: 'logits', op: 'logit_boost', pos: -1, token: 11, margin: 5 },
      { hook: 'blocks.1.hook_mlp_out', op: 'impute_topk_mean', pos: -1, fraction: 0.1 },
      { hook: 'hook_embed', op: 'mix_embed', pos: 1, tokens: [1, 2, 3], weights: [0.2, 0.3, 0.5] },
      { hook: 'blocks.0.attn.hook_z', op: 'set', value: 0, head: 0 },
      { hook: 'blocks.0.hook_resid_post', op: 'scale', value: 0.5 },
      { hook: 'blocks.1.hook_resid_pre', op: 'scale', value: 2 },
      { hook: 'blocks.1.attn.hook_v', op: 'scale', value: 0.5, pos: 0 },
    ]));

  test('two records at the same hook apply in list order', () =>
    agreesWithReference(
      [
        { hook: 'blocks.0.hook_attn_out', op: 'set', value: 1, pos: 2 },
        { hook: 'blocks.0.hook_attn_out', op: 'scale', value: 3, pos: 2 },
      ],
      [ROW_A],
    ));
});

describe('a patch changes only what is downstream of it', () => {
  let clean: Map<string, Tensor>;
  let patched: Map<string, Tensor>;
  const patch: Intervention = { hook: 'blocks.1.attn.hook_z', op: 'set', value: 0, pos: -2, head: 1 };

  before(async () => {
    clean = (await engine.run(ROW_A, { hooks: '*' })).cache;
    patched = (await engine.run(ROW_A, { hooks: '*', patches: [patch] })).cache;
  });

  test('everything before the hook is unchanged', () => {
    const names = engine.hookNames();
    for (const name of names.slice(0, names.indexOf('blocks.1.attn.hook_z'))) {
      assert.ok(!differs(patched.get(name)!, clean.get(name)!), `${name} should be unchanged`);
    }
  });

  test('the hook changes only at the patched position and head', () => {
    assert.deepEqual(differingIndices(patched.get('blocks.1.attn.hook_z')!, clean.get('blocks.1.attn.hook_z')!, 1), [T - 2]);
    assert.deepEqual(differingIndices(patched.get('blocks.1.attn.hook_z')!, clean.get('blocks.1.attn.hook_z')!, 2), [1]);
    const z = patched.get('blocks.1.attn.hook_z')!;
    const [, , H, dh] = z.dims;
    for (let e = 0; e < dh; e++) assert.equal(z.data[((T - 2) * H + 1) * dh + e], 0);
  });

  test('downstream values change at that position only (attention is causal)', () => {
    for (const name of ['blocks.1.hook_attn_out', 'blocks.1.hook_resid_post', 'unembed.hook_in', 'logits']) {
      assert.deepEqual(differingIndices(patched.get(name)!, clean.get(name)!, 1), [T - 2], name);
    }
  });
});

describe('logits and generation with patches', () => {
  test("logit_boost with logits: 'last' boosts the last position; a record for another position changes nothing", async () => {
    const boosted = await engine.run(ROW_A, { logits: 'last', patches: [{ hook: 'logits', op: 'logit_boost', pos: -1, token: 6891, margin: 10 }] });
    const row = boosted.logits!.data;
    let max = -Infinity;
    row.forEach((v, i) => i !== 6891 && (max = Math.max(max, v)));
    assert.ok(Math.abs(row[6891] - max - 10) < 1e-5);
    const clean = await engine.run(ROW_A, { logits: 'last' });
    const elsewhere = await engine.run(ROW_A, { logits: 'last', patches: [{ hook: 'logits', op: 'logit_boost', pos: 0, token: 6891, margin: 10 }] });
    assert.ok(!differs(elsewhere.logits!, clean.logits!));
  });

  test('generate applies patches at every step', async () => {
    const out = await engine.generate(ROW_A, { maxNewTokens: 4, greedy: true, patches: [{ hook: 'logits', op: 'logit_boost', pos: -1, token: 6891, margin: 10 }] });
    assert.deepEqual(out, [6891, 6891, 6891, 6891]);
  });

  test('hiddenStates applies patches', async () => {
    const clean = await engine.hiddenStates(ROW_A);
    const patched = await engine.hiddenStates(ROW_A, [{ hook: 'blocks.0.hook_resid_post', op: 'scale', value: 2 }]);
    assert.ok(!differs(patched[0], clean[0]));
    assert.ok(differs(patched[1], clean[1]));
  });
});

describe('bad records', () => {
  test('parsePatches accepts a list or a single record', () => {
    assert.equal(parsePatches('[{"hook":"logits","op":"logit_boost","token":5,"margin":1}]').length, 1);
    assert.deepEqual(parsePatches({ hook: 'blocks.0.hook_resid_post', op: 'scale', value: 2 }), [{ hook: 'blocks.0.hook_resid_post', op: 'scale', value: 2 }]);
  });

  test('malformed JSON, a wrong type, a missing field, an unknown op, a misspelled key', () => {
    assert.throws(() => parsePatches('[{"hook": "logits",'), /patches: not valid JSON/);
    assert.throws(() => parsePatches('[{"hook":"logits","op":"logit_boost","token":"x","margin":1}]'), /patches\[0\]\.token: .*number/);
    assert.throws(() => parsePatches([{ hook: 'blocks.0.hook_resid_post', op: 'scale' }]), /patches\[0\]\.value/);
    assert.throws(() => parsePatches([{ hook: 'x', op: 'zero' }]), /patches\[0\]\.op/);
    assert.throws(() => parsePatches([{ hook: 'blocks.0.attn.hook_z', op: 'set', value: 0, heads: 2 }]), /heads/);
    assert.throws(() => parsePatches([{ hook: 'hook_embed', op: 'mix_embed', tokens: [1, 2], weights: [1] }]), /patches\[0\]\.weights: tokens and weights must have the same length/);
    assert.throws(() => parsePatches([{ hook: 'blocks.0.hook_mlp_out', op: 'impute_topk_mean', fraction: 1.5 }]), /patches\[0\]\.fraction/);
  });

  test('records that do not fit the model or the hook', async () => {
    await assert.rejects(engine.run(ROW_A, { patches: [{ hook: 'blocks.7.hook_resid_post', op: 'scale', value: 2 }] }), /unknown intervention hook "blocks\.7\.hook_resid_post"; valid names include blocks\.0\.hook_resid_post/);
    await assert.rejects(engine.run(ROW_A, { patches: [{ hook: 'blocks.0.hook_mlp_out', op: 'set', value: 0, head: 1 }] }), /"head" given, but this hook has no head dimension/);
    await assert.rejects(engine.run(ROW_A, { patches: [{ hook: 'blocks.0.hook_mlp_out', op: 'mix_embed', tokens: [1], weights: [1] }] }), /mix_embed applies only at hook_embed/);
    await assert.rejects(engine.run(ROW_A, { patches: [{ hook: 'blocks.0.hook_mlp_out', op: 'scale', value: 2, pos: 8 }] }), /pos 8 is outside the 8-token input \(valid: -8 to 7\)/);
    await assert.rejects(engine.run(ROW_A, { patches: [{ hook: 'blocks.0.attn.hook_z', op: 'set', value: 0, head: 4 }] }), /head 4 is out of range \(the model has 4 heads: 0 to 3\)/);
    await assert.rejects(engine.run(ROW_A, { patches: [{ hook: 'blocks.0.hook_mlp_out', op: 'set', value: 0, index: 64 }] }), /index 64 is out of range/);
    await assert.rejects(engine.run(ROW_A, { patches: [{ hook: 'logits', op: 'logit_boost', token: 50257, margin: 1 }] }), /token 50257 is outside the vocabulary/);
  });
});
