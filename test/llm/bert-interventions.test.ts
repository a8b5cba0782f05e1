// BERT interventions: each op (GPT-2's records and set_vector) agrees with the reference forward
// pass with everything downstream recomputed, on a padded batch; patches compose; a patch changes
// only what is downstream of it (at every position once attention, which is bidirectional, has
// mixed it in); bad records fail with clear messages.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createBertEngine } from '../../src/llm/bert/engine.ts';
import { parseBertPatches } from '../../src/llm/bert/interventions.ts';
import { makeTinyBertCheckpoint } from '../../src/llm/bert/tiny.ts';
import { WordPieceTokenizer } from '../../src/llm/bert/tokenizer.ts';
import type { BertEngine, BertIntervention } from '../../src/llm/bert/types.ts';
import type { Tensor } from '../../src/llm/types.ts';
import { bertReferenceForward, type BertReferenceModel } from '../reference/bert-reference.ts';
import { assertClose, differingIndices, differs } from './fixtures.ts';

const ckpt = makeTinyBertCheckpoint();
const model: BertReferenceModel = ckpt;
const tok = new WordPieceTokenizer(ckpt.vocab);
const MASKED = tok.encode('The engineer informed the client that [MASK] would need more time.');
const SHE = tok.encode('The engineer informed the client that she would need more time.');
const SHORT = tok.encode('He ate chocolate.');
const MASK_POS = MASKED.indexOf(tok.special('[MASK]'));
const T = MASKED.length;
const d = ckpt.config.hidden_size;

let engine: BertEngine;
before(async () => {
  engine = await createBertEngine('tiny-random-bert', { ...ckpt, isTinyRandom: true }, tok, { threads: 1 });
});
after(() => engine.dispose());

async function agreesWithReference(patches: BertIntervention[], batch: number[][] = [MASKED, SHORT]): Promise<void> {
  const ref = bertReferenceForward(model, batch, { patches });
  const run = await engine.run(batch, { hooks: '*', patches });
  for (const name of engine.hookNames()) assertClose(run.cache.get(name), ref.cache.get(name), name);
  assertClose(run.logits, ref.logits, 'mlm_logits');
  const clean = await engine.run(batch);
  assert.ok(differs(ref.logits!, clean.logits!), 'the patch changes the logits');
}

const vector = (n: number, seed: number) => Array.from({ length: n }, (_, i) => Math.sin(seed * 12.9898 + i * 78.233) * 2);

describe('each op agrees with the reference (padded batch of 2)', () => {
  const cases: [string, BertIntervention[]][] = [
    ['mix_embed at one position', [{ hook: 'hook_embed', op: 'mix_embed', pos: MASK_POS, tokens: [tok.wordId('he'), tok.wordId('she')], weights: [0.5, 0.5] }]],
    ['scale of the position embeddings', [{ hook: 'hook_pos_embed', op: 'scale', value: 3 }]],
    ['set of the token-type embeddings at one position', [{ hook: 'hook_token_type_embed', op: 'set', value: 0.2, pos: 1 }]],
    ['set of the embedding LayerNorm\'s normalized value', [{ hook: 'embed.ln.hook_normalized', op: 'set', value: 0, pos: 2, index: 7 }]],
    ['scale of hook_full_embed (the first block\'s input)', [{ hook: 'hook_full_embed', op: 'scale', value: 0.5, pos: -1 }]],
    ['set on blocks.0.hook_resid_pre (the same value, one hook later)', [{ hook: 'blocks.0.hook_resid_pre', op: 'set', value: 0.1, pos: 0 }]],
    ['scale at blocks.1.hook_resid_pre (a block boundary)', [{ hook: 'blocks.1.hook_resid_pre', op: 'scale', value: 1.5, pos: -3 }]],
    ['scale of the residual stream before ln2', [{ hook: 'blocks.0.hook_resid_post', op: 'scale', value: 0.8 }]],
    ['set one head of z at a negative position', [{ hook: 'blocks.1.attn.hook_z', op: 'set', value: 0, pos: -2, head: 3 }]],
    ['set one feature (index) of the MLP output', [{ hook: 'blocks.0.hook_mlp_out', op: 'set', value: 3, pos: 1, index: 5 }]],
    ['impute_topk_mean on the MLP activations', [{ hook: 'blocks.1.mlp.hook_post', op: 'impute_topk_mean', pos: MASK_POS, fraction: 0.08 }]],
    ['impute_topk_mean on one head of q', [{ hook: 'blocks.0.attn.hook_q', op: 'impute_topk_mean', pos: 3, head: 1, fraction: 0.25 }]],
    ['scale one head of the attention pattern (query position)', [{ hook: 'blocks.1.attn.hook_pattern', op: 'scale', value: 0, pos: 5, head: 2 }]],
    ['set attention scores of one key (index) for every query', [{ hook: 'blocks.0.attn.hook_attn_scores', op: 'set', value: 2, index: 0 }]],
    ['scale of a LayerNorm scale (the primitive LayerNorm runs)', [{ hook: 'blocks.1.ln1.hook_scale', op: 'scale', value: 2 }]],
    ['set of ln1\'s output (the MLP input and the next residual term)', [{ hook: 'blocks.0.ln1.hook_out', op: 'set', value: -0.5, pos: 4 }]],
    ['scale of the masked-LM head\'s GELU output', [{ hook: 'mlm_head.hook_post', op: 'scale', value: -1, pos: MASK_POS }]],
    ['unembed input', [{ hook: 'unembed.hook_in', op: 'scale', value: 0.5, pos: 2 }]],
    ['logit_boost at the mask position', [{ hook: 'mlm_logits', op: 'logit_boost', pos: MASK_POS, token: tok.wordId('she'), margin: 5 }]],
    ['set_vector: a whole hidden state at the mask position (gender bias part 2)', [{ hook: 'blocks.0.hook_normalized_resid_post', op: 'set_vector', pos: MASK_POS, values: vector(d, 1) }]],
    ['set_vector: the last layer\'s output', [{ hook: 'blocks.1.hook_normalized_resid_post', op: 'set_vector', pos: -1, values: vector(d, 2) }]],
    ['set_vector: one head of z', [{ hook: 'blocks.0.attn.hook_z', op: 'set_vector', pos: 2, head: 1, values: vector(d / 4, 3) }]],
    ['set_vector: every head of v at once', [{ hook: 'blocks.1.attn.hook_v', op: 'set_vector', pos: 0, values: vector(d, 4) }]],
    ['set_vector: one head\'s attention pattern row', [{ hook: 'blocks.0.attn.hook_pattern', op: 'set_vector', pos: 3, head: 0, values: vector(T, 5).map((v) => Math.abs(v) / T) }]],
    ['set_vector at every position (no pos)', [{ hook: 'blocks.0.mlp.hook_pre', op: 'set_vector', values: vector(4 * d, 6) }]],
  ];
  for (const [label, patches] of cases) test(label, () => agreesWithReference(patches));

  test('several patches at several hooks in one run, in forward order whatever the list order', () =>
    agreesWithReference([
      { hook: 'mlm_logits', op: 'logit_boost', pos: -1, token: 11, margin: 5 },
      { hook: 'blocks.1.hook_mlp_out', op: 'impute_topk_mean', pos: -1, fraction: 0.1 },
      { hook: 'hook_embed', op: 'mix_embed', pos: 1, tokens: [200, 201, 202], weights: [0.2, 0.3, 0.5] },
      { hook: 'blocks.0.attn.hook_z', op: 'set', value: 0, head: 0 },
      { hook: 'blocks.0.hook_normalized_resid_post', op: 'set_vector', pos: MASK_POS, values: vector(d, 7) },
      { hook: 'blocks.1.hook_resid_pre', op: 'scale', value: 2 },
      { hook: 'blocks.1.attn.hook_k', op: 'scale', value: 0.5, pos: 0 },
    ]));

  test('two records at the same hook apply in list order', () =>
    agreesWithReference(
      [
        { hook: 'blocks.0.hook_attn_out', op: 'set', value: 1, pos: 2 },
        { hook: 'blocks.0.hook_attn_out', op: 'scale', value: 3, pos: 2 },
      ],
      [MASKED],
    ));
});

describe('the gender-bias surgery: one sentence\'s hidden state written into another', () => {
  test('with the "she" sentence\'s layer-0 state at the mask, the layer-0 output there is that state, and the logits follow', async () => {
    const she = await engine.hiddenStates(SHE);
    const state = Array.from(she[1].data.subarray(MASK_POS * d, (MASK_POS + 1) * d));
    const patches: BertIntervention[] = [{ hook: 'blocks.0.hook_normalized_resid_post', op: 'set_vector', pos: MASK_POS, values: state }];
    const run = await engine.run(MASKED, { hooks: 'blocks.1.hook_resid_pre', patches });
    assert.deepEqual(Array.from(run.cache.get('blocks.1.hook_resid_pre')!.data.subarray(MASK_POS * d, (MASK_POS + 1) * d)), state);
    assertClose(run.logits, bertReferenceForward(model, [MASKED], { patches }).logits, 'mlm_logits');
  });
});

describe('a patch changes only what is downstream of it', () => {
  let clean: Map<string, Tensor>;
  const run = (patches: BertIntervention[]) => engine.run(MASKED, { hooks: '*', patches }).then((r) => r.cache);
  before(async () => {
    clean = await run([]);
  });

  test('everything before the hook is unchanged; within its block only its position changes', async () => {
    const patched = await run([{ hook: 'blocks.1.attn.hook_z', op: 'set', value: 0, pos: 4, head: 1 }]);
    const names = engine.hookNames();
    for (const name of names.slice(0, names.indexOf('blocks.1.attn.hook_z'))) assert.ok(!differs(patched.get(name)!, clean.get(name)!), `${name} should be unchanged`);
    assert.deepEqual(differingIndices(patched.get('blocks.1.attn.hook_z')!, clean.get('blocks.1.attn.hook_z')!, 2), [1]);
    // The last block's attention has mixed already: from here on each position is computed alone.
    for (const name of ['blocks.1.hook_attn_out', 'blocks.1.hook_normalized_resid_post', 'mlm_logits']) {
      assert.deepEqual(differingIndices(patched.get(name)!, clean.get(name)!, 1), [4], name);
    }
  });

  test('attention is bidirectional: a patch in block 0 reaches every position, earlier ones too, through block 1', async () => {
    const patched = await run([{ hook: 'blocks.0.hook_mlp_out', op: 'scale', value: 2, pos: 4 }]);
    assert.deepEqual(differingIndices(patched.get('blocks.0.hook_normalized_resid_post')!, clean.get('blocks.0.hook_normalized_resid_post')!, 1), [4]);
    const all = [...Array(T).keys()];
    assert.deepEqual(differingIndices(patched.get('blocks.1.hook_attn_out')!, clean.get('blocks.1.hook_attn_out')!, 1), all);
    assert.deepEqual(differingIndices(patched.get('mlm_logits')!, clean.get('mlm_logits')!, 1), all);
  });
});

describe('bad records', () => {
  test('parseBertPatches takes GPT-2\'s records and set_vector; errors name the field', () => {
    assert.equal(parseBertPatches('[{"hook":"mlm_logits","op":"logit_boost","token":5,"margin":1}]').length, 1);
    assert.deepEqual(parseBertPatches({ hook: 'blocks.0.hook_resid_post', op: 'set_vector', pos: 1, values: [1, 2] }), [{ hook: 'blocks.0.hook_resid_post', op: 'set_vector', pos: 1, values: [1, 2] }]);
    assert.throws(() => parseBertPatches('[{"hook": "x",'), /patches: not valid JSON/);
    assert.throws(() => parseBertPatches([{ hook: 'x', op: 'set_vector', values: [] }]), /patches\[0\]\.values: needs the vector's values/);
    assert.throws(() => parseBertPatches([{ hook: 'x', op: 'set_vector', values: [1, 'a'] }]), /patches\[0\]\.values\[1\]: .*number/);
    assert.throws(() => parseBertPatches([{ hook: 'x', op: 'set_vector', value: [1] }]), /patches\[0\]/);
    assert.throws(() => parseBertPatches([{ hook: 'x', op: 'zero' }]), /patches\[0\]\.op/);
  });

  test('records that do not fit the model or the hook', async () => {
    const rejects = (patches: unknown[], message: RegExp) => assert.rejects(engine.run(MASKED, { patches: patches as BertIntervention[] }), message);
    await rejects([{ hook: 'blocks.7.hook_resid_post', op: 'scale', value: 2 }], /unknown intervention hook "blocks\.7\.hook_resid_post"; valid names include blocks\.0\.hook_resid_post/);
    await rejects([{ hook: 'logits', op: 'logit_boost', token: 3, margin: 1 }], /unknown intervention hook "logits"; valid names include mlm_logits/);
    await rejects([{ hook: 'unembed.hook_in', op: 'logit_boost', token: 3, margin: 1 }], /logit_boost applies only at mlm_logits/);
    await rejects([{ hook: 'blocks.0.hook_mlp_out', op: 'mix_embed', tokens: [1], weights: [1] }], /mix_embed applies only at hook_embed/);
    await rejects([{ hook: 'blocks.0.hook_mlp_out', op: 'set', value: 0, head: 1 }], /"head" given, but this hook has no head dimension/);
    await rejects([{ hook: 'blocks.0.hook_mlp_out', op: 'set_vector', head: 1, values: [1] }], /"head" given, but this hook has no head dimension/);
    await rejects([{ hook: 'blocks.0.hook_mlp_out', op: 'set_vector', pos: 2, values: [1, 2, 3] }], /intervention at blocks\.0\.hook_mlp_out: values has 3 numbers, but the vector at one position is 64 \(\[64\]\)/);
    await rejects([{ hook: 'blocks.0.attn.hook_z', op: 'set_vector', pos: 2, head: 1, values: [1, 2] }], /values has 2 numbers, but the vector at one position is 16 \(one head's 16\)/);
    await rejects([{ hook: 'blocks.0.attn.hook_q', op: 'set_vector', values: vector(16, 1) }], /values has 16 numbers, but the vector at one position is 64 \(4 heads × 16\)/);
    await rejects([{ hook: 'blocks.0.attn.hook_z', op: 'set_vector', head: 4, values: vector(16, 1) }], /head 4 is out of range \(the model has 4 heads: 0 to 3\)/);
    await rejects([{ hook: 'blocks.0.hook_mlp_out', op: 'set_vector', pos: T, values: vector(d, 1) }], new RegExp(`pos ${T} is outside the ${T}-token input \\(valid: -${T} to ${T - 1}\\)`));
    await rejects([{ hook: 'blocks.0.hook_mlp_out', op: 'scale', value: 2, pos: T }], new RegExp(`pos ${T} is outside the ${T}-token input`));
    await rejects([{ hook: 'mlm_logits', op: 'logit_boost', token: ckpt.config.vocab_size, margin: 1 }], /token 444 is outside the vocabulary/);
    await rejects([{ hook: 'hook_embed', op: 'mix_embed', tokens: [ckpt.config.vocab_size], weights: [1] }], /token 444 is outside the vocabulary/);
  });
});
