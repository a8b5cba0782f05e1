// Clear errors for bad input: each names the option and its limit.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createEngine, loadEngine } from '../../src/llm/engine.ts';
import { makeTinyCheckpoint } from '../../src/llm/tiny.ts';
import type { Engine } from '../../src/llm/types.ts';

let engine: Engine;
before(async () => {
  engine = await createEngine('tiny-random', makeTinyCheckpoint({ n_positions: 32 }), { threads: 1 });
});
after(() => engine.dispose());

test('empty text', async () => {
  await assert.rejects(engine.run(engine.encode('')), /the input is empty: give at least one token/);
  await assert.rejects(engine.run([[]]), /the input is empty/);
});

test('too many tokens names the model and its limit', async () => {
  const ids = engine.encode('word '.repeat(40));
  await assert.rejects(engine.run(ids), new RegExp(`text is ${ids.length} tokens; tiny-random takes at most 32`));
  await assert.rejects(engine.hiddenStates(ids), /takes at most 32/);
});

test('token ids outside the vocabulary, ragged batches', async () => {
  await assert.rejects(engine.run([1, 50257]), /token id 50257 is outside tiny-random's vocabulary \(0 to 50256\)/);
  await assert.rejects(engine.run([1, -1]), /token id -1/);
  await assert.rejects(engine.run([[1, 2], [3]]), /batch rows must have equal lengths: row 0 has 2 tokens, row 1 has 1/);
});

test('unknown hooks and globs that match nothing list valid names', async () => {
  await assert.rejects(engine.run([1, 2], { hooks: 'blocks.9.attn.hook_q' }), /unknown hook "blocks\.9\.attn\.hook_q"; valid names include blocks\.0\.attn\.hook_q, blocks\.1\.attn\.hook_q/);
  await assert.rejects(engine.run([1, 2], { hooks: ['blocks.*.attn.hook_nothing'] }), /hook pattern "blocks\.\*\.attn\.hook_nothing" matches no hook/);
  await assert.rejects(engine.run([1, 2], { logits: 'first' as never }), /logits must be 'all', 'last' or 'none'/);
});

test('malformed interventions name the field', async () => {
  await assert.rejects(engine.run([1, 2], { patches: [{ hook: 'logits', op: 'logit_boost', token: 'x' } as never] }), /bad intervention: patches\[0\]\.token/);
});

test('an unknown model name lists the known ones', async () => {
  await assert.rejects(loadEngine('gpt-5'), /unknown model "gpt-5": known models are gpt2, gpt2-medium/);
});

test('a disposed engine says so', async () => {
  const e = await createEngine('tiny-random', makeTinyCheckpoint({ n_positions: 8 }), { threads: 1 });
  await e.dispose();
  await assert.rejects(e.run([1]), /engine tiny-random has been disposed/);
});
