// The BERT engine against the independent plain-TypeScript forward pass (test/reference/
// bert-reference.ts): every hook point and the masked-LM logits to 1e-4, on a padded batch of 2
// with a sentence pair's token types, on the tiny checkpoint as written to disk in each naming
// style (`bert.`-prefixed, and bare with legacy gamma/beta LayerNorm names and the unused pooler,
// next-sentence head and position_ids stored), in F16 and BF16, with a stored and an untied
// decoder, without the head, and through a session per block (the path of large-hook runs).
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loadBertCheckpoint, type BertCheckpoint } from '../../src/llm/bert/checkpoint.ts';
import { loadBertEngine, type BertLoadOptions } from '../../src/llm/bert/engine.ts';
import { tinyBertVocab, writeTinyBertCheckpoint, type TinyBertVariant } from '../../src/llm/bert/tiny.ts';
import { WordPieceTokenizer } from '../../src/llm/bert/tokenizer.ts';
import type { BertEngine } from '../../src/llm/bert/types.ts';
import { readSafetensors, writeSafetensors, type TensorToWrite } from '../../src/llm/safetensors.ts';
import { bertReferenceForward, erf } from '../reference/bert-reference.ts';
import { assertClose, maxRelDiff } from './fixtures.ts';

const tok = new WordPieceTokenizer(tinyBertVocab());
// A sentence pair (token types 0 then 1) and a shorter single sentence, padded to the pair's length.
const PAIR = tok.encodePair('The engineer informed the client', 'that he would need more time.');
const SHORT = tok.encode('She [MASK] chocolate!');
const BATCH = [PAIR.ids, SHORT];
const TYPES = [PAIR.tokenTypes, SHORT.map(() => 0)];

let root: string;
before(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'bert-engine-test-'));
});
after(() => fs.rm(root, { recursive: true, force: true }));

let dirs = 0;
const writeTiny = (variant: TinyBertVariant) => writeTinyBertCheckpoint(path.join(root, `tiny-${dirs++}`), {}, variant);

test('the reference erf agrees with Python math.erf', () => {
  // math.erf(x) for x = -2.5, -0.3, 0.5, 1, 2, 3, 3.5, 5 (Python 3.12)
  const want: [number, number][] = [
    [-2.5, -0.999593047982555],
    [-0.3, -0.3286267594591274],
    [0.5, 0.5204998778130465],
    [1, 0.8427007929497149],
    [2, 0.9953222650189527],
    [3, 0.9999779095030014],
    [3.5, 0.9999992569016276],
    [5, 0.9999999999984626],
  ];
  for (const [x, y] of want) assert.ok(Math.abs(erf(x) - y) < 1e-12, `erf(${x}) = ${erf(x)}, expected ${y}`);
});

function checkpointSuite(label: string, variant: TinyBertVariant, opts: BertLoadOptions = {}): void {
  describe(label, () => {
    let engine: BertEngine;
    let model: BertCheckpoint;

    before(async () => {
      const dir = await writeTiny(variant);
      engine = await loadBertEngine(dir, { threads: 1, ...opts });
      // The reference reads the same file through the checkpoint loader (F16/BF16 already rounded).
      model = await loadBertCheckpoint(dir);
    });
    after(() => engine?.dispose());

    test('every hook point and the logits agree with the reference (padded batch of 2, token types)', async () => {
      const ref = bertReferenceForward(model, BATCH, { tokenTypes: TYPES });
      const run = await engine.run(BATCH, { hooks: '*', tokenTypes: TYPES, logits: engine.hasMlmHead ? 'all' : 'none' });
      assert.deepEqual([...run.cache.keys()], engine.hookNames(), 'the cache holds every hook, in forward order');
      assert.deepEqual(run.attentionMask, ref.mask);
      for (const name of engine.hookNames()) assertClose(run.cache.get(name), ref.cache.get(name), name);
      if (engine.hasMlmHead) assertClose(run.logits, ref.logits, 'mlm_logits');
      else assert.equal(run.logits, undefined);
    });

    test('a plain run (one session) gives the reference logits; padding does not change the real tokens', async () => {
      if (!engine.hasMlmHead) return;
      const ref = bertReferenceForward(model, [SHORT]);
      const alone = await engine.run(SHORT);
      assert.equal(alone.cache.size, 0);
      assertClose(alone.logits, ref.logits, 'mlm_logits');
      const padded = await engine.run([PAIR.ids, SHORT]);
      const [, T, V] = padded.logits!.dims;
      const row = padded.logits!.data.subarray(T * V, (T + SHORT.length) * V);
      assert.ok(maxRelDiff(row, alone.logits!.data) < 1e-4, 'the short row\'s logits are those of its run alone');
    });

    test("hiddenStates matches Hugging Face's output_hidden_states", async () => {
      const ref = bertReferenceForward(model, [SHORT]);
      const states = await engine.hiddenStates(SHORT);
      const L = engine.config.num_hidden_layers;
      assert.equal(states.length, L + 1);
      assertClose(states[0], ref.cache.get('hook_full_embed'), 'hidden state 0 (embeddings)');
      for (let l = 1; l <= L; l++) assertClose(states[l], ref.cache.get(`blocks.${l - 1}.hook_normalized_resid_post`), `hidden state ${l}`);
    });

    test('weight() returns the raw tensors under canonical names', () => {
      for (const name of ['embeddings.word_embeddings.weight', 'embeddings.LayerNorm.weight', 'encoder.layer.1.attention.self.key.weight', 'encoder.layer.0.output.LayerNorm.bias']) {
        const got = engine.weight(name);
        const want = model.tensors.get(name)!;
        assert.deepEqual(got.dims, want.dims, name);
        assert.equal(maxRelDiff(got.data, want.data), 0, name);
      }
      assert.throws(() => engine.weight('encoder.layer.9.output.dense.weight'), /no weight named "encoder\.layer\.9\.output\.dense\.weight"/);
    });
  });
}

checkpointSuite('tiny BERT, bert.-prefixed, F32 (as BertForMaskedLM saves it)', {});
checkpointSuite('tiny BERT, F32, a session per block for every hook run', {}, { oneSessionHookBytes: 0 });
checkpointSuite('tiny BERT, no prefix, legacy gamma/beta names, pooler + NSP head + position_ids stored', { prefix: false, legacyNames: true, extras: true });
checkpointSuite('tiny BERT, F16, legacy names, decoder stored (tied)', { dtype: 'F16', legacyNames: true, head: 'stored-tied' });
checkpointSuite('tiny BERT, BF16, untied decoder', { dtype: 'BF16', head: 'untied' });
checkpointSuite('tiny BERT without the masked-LM head (BertModel)', { head: 'none' });

describe('engine facts', () => {
  let engine: BertEngine;
  before(async () => {
    engine = await loadBertEngine(await writeTiny({}), { threads: 1 });
  });
  after(() => engine.dispose());

  test('the tiny checkpoint says it is random, and has the hooks of TransformerLens\'s HookedEncoder', () => {
    assert.equal(engine.isTinyRandom, true);
    assert.equal(engine.arch, 'bert');
    const names = engine.hookNames();
    assert.equal(names.length, 6 + 2 * 19 + 6);
    assert.deepEqual(names.slice(0, 8), ['hook_embed', 'hook_pos_embed', 'hook_token_type_embed', 'embed.ln.hook_scale', 'embed.ln.hook_normalized', 'hook_full_embed', 'blocks.0.hook_resid_pre', 'blocks.0.attn.hook_q']);
    assert.deepEqual(names.slice(-6), ['mlm_head.hook_pre', 'mlm_head.hook_post', 'mlm_head.ln.hook_scale', 'mlm_head.ln.hook_normalized', 'unembed.hook_in', 'mlm_logits']);
  });

  test('shared values: hook_full_embed is blocks.0.hook_resid_pre; a block\'s normalized output is the next resid_pre', async () => {
    const run = await engine.run(SHORT, { hooks: ['hook_full_embed', 'blocks.0.hook_resid_pre', 'blocks.0.hook_normalized_resid_post', 'blocks.1.hook_resid_pre'] });
    assert.deepEqual(run.cache.get('hook_full_embed')!.data, run.cache.get('blocks.0.hook_resid_pre')!.data);
    assert.deepEqual(run.cache.get('blocks.0.hook_normalized_resid_post')!.data, run.cache.get('blocks.1.hook_resid_pre')!.data);
  });

  test('shapes follow TransformerLens (batch first, heads on axis 2 for q/k/v/z, [batch, head, q, k] for attention)', async () => {
    const run = await engine.run([SHORT, SHORT], { hooks: 'blocks.1.attn.*,blocks.1.mlp.hook_post,blocks.1.ln2.hook_scale', logits: 'none' });
    const T = SHORT.length;
    assert.deepEqual(run.cache.get('blocks.1.attn.hook_q')!.dims, [2, T, 4, 16]);
    assert.deepEqual(run.cache.get('blocks.1.attn.hook_pattern')!.dims, [2, 4, T, T]);
    assert.deepEqual(run.cache.get('blocks.1.mlp.hook_post')!.dims, [2, T, 256]);
    assert.deepEqual(run.cache.get('blocks.1.ln2.hook_scale')!.dims, [2, T, 1]);
    assert.equal(run.logits, undefined);
  });

  test('padded keys get −inf scores and zero attention; real keys of a padded row sum to 1', async () => {
    const run = await engine.run(BATCH, { hooks: 'blocks.0.attn.hook_attn_scores,blocks.0.attn.hook_pattern' });
    const [B, H, T] = run.cache.get('blocks.0.attn.hook_pattern')!.dims;
    const scores = run.cache.get('blocks.0.attn.hook_attn_scores')!.data;
    const pattern = run.cache.get('blocks.0.attn.hook_pattern')!.data;
    assert.equal(B, 2);
    for (let h = 0; h < H; h++) {
      for (let i = 0; i < T; i++) {
        const row = ((1 * H + h) * T + i) * T;
        let sum = 0;
        for (let j = 0; j < T; j++) {
          if (j >= SHORT.length) {
            assert.equal(scores[row + j], -Infinity);
            assert.equal(pattern[row + j], 0);
          }
          sum += pattern[row + j];
        }
        assert.ok(Math.abs(sum - 1) < 1e-5);
      }
    }
  });

  test('bad input is a clear error: unknown hooks, more than 512 tokens, bad ids and token types', async () => {
    await assert.rejects(engine.run(SHORT, { hooks: 'blocks.0.hook_resid_pre,blocks.5.attn.hook_q' }), /unknown hook "blocks\.5\.attn\.hook_q"; valid names include blocks\.0\.attn\.hook_q, blocks\.1\.attn\.hook_q/);
    await assert.rejects(engine.run(SHORT, { hooks: 'logits' }), /unknown hook "logits"; valid names include mlm_logits/);
    await assert.rejects(engine.run(SHORT, { hooks: 'blocks.*.mlp.hook_mid' }), /hook pattern "blocks\.\*\.mlp\.hook_mid" matches no hook/);
    const long = tok.encode(Array(520).fill('time').join(' '));
    assert.equal(long.length, 522);
    await assert.rejects(engine.run(long), /text is 522 tokens \(\[CLS\] and \[SEP\] included\); .* takes at most 512/);
    await assert.rejects(engine.run([SHORT, long]), /text is 522 tokens/);
    await assert.rejects(engine.run([101, 444, 102]), /token id 444 is outside .*vocabulary \(0 to 443\)/);
    await assert.rejects(engine.run([]), /the input is empty/);
    await assert.rejects(engine.run([SHORT, []]), /the input is empty/);
    await assert.rejects(engine.run(SHORT, { tokenTypes: SHORT.map(() => 2) }), /token type 2 is outside 0 to 1/);
    await assert.rejects(engine.run(SHORT, { tokenTypes: [0, 1] }), /tokenTypes must have the shape of the tokens/);
    await assert.rejects(engine.run(SHORT, { logits: 'last' as never }), /logits must be 'all' or 'none'/);
  });

  test('a word that is several WordPieces where one is needed is a clear error', () => {
    assert.equal(engine.tokenText(engine.wordId('Engineer')), 'engineer');
    assert.equal(engine.wordId('she'), tok.idOf('she'));
    assert.throws(() => engine.wordId('unaffable'), /"unaffable" is 3 WordPieces \(un ##aff ##able\), but one token is needed here/);
    assert.throws(() => engine.wordId('engineers'), /"engineers" is 2 WordPieces \(engineer ##s\)/);
    assert.throws(() => engine.wordId('ice cream'), /"ice cream" is 8 WordPieces \(i ##c ##e c ##r ##e ##a ##m\)/);
    assert.throws(() => engine.wordId('日本'), /"日本" is 2 WordPieces/);
    assert.throws(() => engine.wordId('東'), /"東" is not in the WordPiece vocabulary \(it would be \[UNK\]\)/);
  });

  test('a disposed engine refuses to run', async () => {
    const other = await loadBertEngine(await writeTiny({}), { threads: 1 });
    await other.dispose();
    await assert.rejects(other.run(SHORT), /has been disposed/);
  });
});

describe('other exports of the same weights', () => {
  /** Rewrite a tiny checkpoint's model.safetensors through `edit` (stored name → tensor). */
  async function rewritten(edit: (tensors: Map<string, TensorToWrite>) => void): Promise<string> {
    const dir = await writeTiny({ legacyNames: true });
    const file = path.join(dir, 'model.safetensors');
    const tensors = new Map<string, TensorToWrite>([...(await readSafetensors(file)).tensors].map(([n, t]) => [n, { dtype: 'F32', dims: t.dims, data: t.data }]));
    edit(tensors);
    await writeSafetensors(file, tensors);
    return dir;
  }

  test('the bias stored as the decoder\'s own (cls.predictions.decoder.bias) gives the same logits', async () => {
    const dir = await rewritten((t) => {
      t.set('cls.predictions.decoder.bias', t.get('cls.predictions.bias')!);
      t.delete('cls.predictions.bias');
    });
    const engine = await loadBertEngine(dir, { threads: 1 });
    try {
      const ref = bertReferenceForward(await loadBertCheckpoint(await writeTiny({})), [SHORT]);
      assertClose((await engine.run(SHORT)).logits, ref.logits, 'mlm_logits');
      assert.equal(engine.weight('cls.predictions.bias').dims[0], 444);
    } finally {
      await engine.dispose();
    }
  });

  test('one tensor under both its legacy and its new name is an error naming both', async () => {
    const dir = await rewritten((t) => t.set('bert.embeddings.LayerNorm.weight', t.get('bert.embeddings.LayerNorm.gamma')!));
    await assert.rejects(loadBertCheckpoint(dir), /tensor embeddings\.LayerNorm\.weight is stored twice \(as "bert\.embeddings\.LayerNorm\.gamma" and "bert\.embeddings\.LayerNorm\.weight"\)/);
  });
});

describe('LayerNorm ε from the config', () => {
  test('with layer_norm_eps 0.05 (so it matters) every LayerNorm still agrees with the reference', async () => {
    const dir = await writeTiny({});
    const cfgPath = path.join(dir, 'config.json');
    await fs.writeFile(cfgPath, JSON.stringify({ ...JSON.parse(await fs.readFile(cfgPath, 'utf8')), layer_norm_eps: 0.05 }));
    const engine = await loadBertEngine(dir, { threads: 1 });
    try {
      const model = await loadBertCheckpoint(dir);
      assert.equal(model.config.layer_norm_eps, 0.05);
      const ref = bertReferenceForward(model, [SHORT]);
      const run = await engine.run(SHORT, { hooks: '*.hook_scale,*.hook_normalized_resid_post' });
      for (const [name, t] of run.cache) assertClose(t, ref.cache.get(name), name);
      assertClose(run.logits, ref.logits, 'mlm_logits (fused LayerNorms)');
    } finally {
      await engine.dispose();
    }
  });
});

describe('checkpoint errors', () => {
  test('a bare encoder has no logits; a bad config or a missing tensor is named', async () => {
    const bare = await loadBertEngine(await writeTiny({ head: 'none' }), { threads: 1 });
    try {
      await assert.rejects(bare.run(SHORT, { logits: 'all' }), /has no masked-LM head \(a bare BertModel checkpoint\): run it with logits: 'none'/);
      assert.ok(!bare.hookNames().includes('mlm_logits'));
      assert.equal((await bare.run(SHORT)).logits, undefined, 'no logits by default');
    } finally {
      await bare.dispose();
    }
    const dir = await writeTiny({});
    const cfgPath = path.join(dir, 'config.json');
    const cfg = JSON.parse(await fs.readFile(cfgPath, 'utf8'));
    await fs.writeFile(cfgPath, JSON.stringify({ ...cfg, hidden_act: 'relu' }));
    await assert.rejects(loadBertCheckpoint(dir), /hidden_act is "relu"; only BERT's erf GELU \("gelu"\) is supported/);
    await fs.writeFile(cfgPath, JSON.stringify({ ...cfg, num_hidden_layers: 3 }));
    await assert.rejects(loadBertCheckpoint(dir), /model\.safetensors: missing tensor encoder\.layer\.2\.attention\.self\.query\.weight \(expected shape \[64, 64\] for num_hidden_layers=3, hidden_size=64\)/);
    await fs.writeFile(cfgPath, JSON.stringify({ ...cfg, intermediate_size: 128 }));
    await assert.rejects(loadBertCheckpoint(dir), /tensor encoder\.layer\.0\.intermediate\.dense\.weight has shape \[256, 64\], expected \[128, 64\]/);
    await fs.writeFile(cfgPath, JSON.stringify({ ...cfg, model_type: 'gpt2' }));
    await assert.rejects(loadBertCheckpoint(dir), /model_type is "gpt2"; the BERT engine reads bert checkpoints/);
    await fs.writeFile(cfgPath, JSON.stringify({ ...cfg, hidden_size: 'big' }));
    await assert.rejects(loadBertCheckpoint(dir), /not a usable BERT config \(hidden_size: /);
    await fs.writeFile(cfgPath, JSON.stringify(cfg));
    await fs.rm(path.join(dir, 'vocab.txt'));
    await assert.rejects(loadBertEngine(dir), /has neither vocab\.txt nor tokenizer\.json/);
  });
});
