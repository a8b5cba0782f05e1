import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { CheckpointReader, gpt2TensorShapes, loadCheckpoint, parseGPT2Config } from '../../src/llm/checkpoint.ts';
import { readSafetensors, writeSafetensors, type TensorToWrite } from '../../src/llm/safetensors.ts';
import { makeTinyCheckpoint, writeTinyCheckpoint } from '../../src/llm/tiny.ts';
import type { Tensor } from '../../src/llm/types.ts';

let tmp: string;
const reference = makeTinyCheckpoint();

before(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'ckpt-test-'));
});
after(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

function assertClose(name: string, got: Tensor, want: Tensor, relTol: number): void {
  assert.deepEqual(got.dims, want.dims, `${name} dims`);
  for (let i = 0; i < want.data.length; i++) {
    const tol = relTol * Math.max(Math.abs(want.data[i]), 2 ** -14);
    if (Math.abs(got.data[i] - want.data[i]) > tol) {
      assert.fail(`${name}[${i}]: ${got.data[i]} vs ${want.data[i]} (tolerance ${tol})`);
    }
  }
}

describe('loadCheckpoint', () => {
  test('the plain F32 tiny checkpoint loads exactly, with its config and marker', async () => {
    const dir = await writeTinyCheckpoint(path.join(tmp, 'plain'));
    const ckpt = await loadCheckpoint(dir);
    assert.equal(ckpt.isTinyRandom, true);
    assert.equal(ckpt.dir, path.resolve(dir));
    assert.deepEqual(ckpt.config, reference.config);
    assert.deepEqual([...ckpt.tensors.keys()], [...reference.tensors.keys()]);
    for (const [name, t] of reference.tensors) assertClose(name, ckpt.tensors.get(name)!, t, 0);
    assert.equal(ckpt.tensors.has('lm_head.weight'), false, 'no head tensor → tied');
  });

  const variants = [
    { label: 'transformer.-prefixed F16 with mask buffers', variant: { dtype: 'F16', prefix: true, withMaskBuffers: true }, tol: 2 ** -11 },
    { label: 'BF16', variant: { dtype: 'BF16' }, tol: 2 ** -8 },
    { label: 'prefixed, tied head stored', variant: { prefix: true, storeTiedHead: true }, tol: 0 },
  ] as const;
  for (const { label, variant, tol } of variants) {
    test(`${label} gives the same canonical tensors`, async () => {
      const dir = await writeTinyCheckpoint(path.join(tmp, label.replace(/\W+/g, '-')), {}, variant);
      const ckpt = await loadCheckpoint(dir);
      assert.deepEqual([...ckpt.tensors.keys()], [...reference.tensors.keys()], 'buffers ignored, tied head dropped');
      for (const [name, t] of reference.tensors) assertClose(name, ckpt.tensors.get(name)!, t, tol);
    });
  }

  test('an untied head is kept as lm_head.weight', async () => {
    const dir = await writeTinyCheckpoint(path.join(tmp, 'untied'), {}, { untiedHead: true, prefix: true, dtype: 'F16' });
    const ckpt = await loadCheckpoint(dir);
    const head = ckpt.tensors.get('lm_head.weight');
    assert.ok(head, 'lm_head.weight present');
    assert.deepEqual(head.dims, [50257, 64]);
    assert.notDeepEqual(head.data.subarray(0, 64), ckpt.tensors.get('wte.weight')!.data.subarray(0, 64));
    for (const [name, t] of reference.tensors) assertClose(name, ckpt.tensors.get(name)!, t, 2 ** -11);
    const raw = (await readSafetensors(path.join(dir, 'model.safetensors'))).tensors.get('lm_head.weight')!;
    assert.deepEqual(head.data, raw.data);
  });

  test('CheckpointReader re-reads single tensors', async () => {
    const reader = await CheckpointReader.open(path.join(tmp, 'plain'));
    try {
      assert.equal(reader.names().length, gpt2TensorShapes(reader.config).size);
      assertClose('h.1.mlp.c_fc.weight', await reader.read('h.1.mlp.c_fc.weight'), reference.tensors.get('h.1.mlp.c_fc.weight')!, 0);
      await assert.rejects(reader.read('lm_head.weight'), /has no tensor lm_head\.weight \(the head is tied to wte\.weight\)/);
    } finally {
      await reader.close();
    }
  });
});

/** A checkpoint directory whose tensors are the reference's, edited by `edit`. */
async function editedCheckpoint(name: string, edit: (t: Map<string, TensorToWrite>) => void): Promise<string> {
  const dir = await writeTinyCheckpoint(path.join(tmp, name));
  const tensors = new Map<string, TensorToWrite>([...reference.tensors].map(([k, t]) => [`transformer.${k}`, { dtype: 'F32', ...t }]));
  edit(tensors);
  await writeSafetensors(path.join(dir, 'model.safetensors'), tensors);
  return dir;
}

describe('loadCheckpoint errors name the file, the tensor and the expected shape', () => {
  test('missing tensor', async () => {
    const dir = await editedCheckpoint('missing', (t) => t.delete('transformer.h.1.mlp.c_fc.weight'));
    await assert.rejects(
      loadCheckpoint(dir),
      (err: Error) =>
        /model\.safetensors: missing tensor h\.1\.mlp\.c_fc\.weight \(expected shape \[64, 256\]/.test(err.message) && err.message.includes(dir),
    );
  });

  test('wrong shape', async () => {
    const dir = await editedCheckpoint('shape', (t) => t.set('transformer.h.0.attn.c_attn.weight', { dtype: 'F32', dims: [192, 64], data: new Float32Array(192 * 64) }));
    await assert.rejects(loadCheckpoint(dir), /model\.safetensors: tensor h\.0\.attn\.c_attn\.weight has shape \[192, 64\], expected \[64, 192\]/);
  });

  test('a tensor stored both with and without the prefix', async () => {
    const dir = await editedCheckpoint('twice', (t) => t.set('ln_f.bias', { dtype: 'F32', dims: [64], data: new Float32Array(64) }));
    await assert.rejects(loadCheckpoint(dir), /tensor ln_f\.bias is stored twice/);
  });

  test('no weights file, or no config', async () => {
    const dir = path.join(tmp, 'bin-only');
    await fs.mkdir(dir);
    await fs.writeFile(path.join(dir, 'config.json'), JSON.stringify({ n_layer: 1, n_head: 1, n_embd: 4, n_positions: 8, vocab_size: 10 }));
    await fs.writeFile(path.join(dir, 'pytorch_model.bin'), '');
    await assert.rejects(loadCheckpoint(dir), /has neither model\.safetensors nor model\.safetensors\.index\.json \(found pytorch_model\.bin; weights must be safetensors\)/);
    await assert.rejects(loadCheckpoint(path.join(tmp, 'nowhere')), /has no readable config\.json/);
  });
});

describe('sharded checkpoints (model.safetensors.index.json)', () => {
  test('three shards, prefixed, load the same canonical tensors and re-read from the right file', async () => {
    const dir = await writeTinyCheckpoint(path.join(tmp, 'sharded'), {}, { shards: 3, prefix: true });
    const files = (await fs.readdir(dir)).sort();
    assert.deepEqual(files, ['config.json', 'model-00001-of-00003.safetensors', 'model-00002-of-00003.safetensors', 'model-00003-of-00003.safetensors', 'model.safetensors.index.json']);
    const ckpt = await loadCheckpoint(dir);
    assert.deepEqual([...ckpt.tensors.keys()], [...reference.tensors.keys()]);
    for (const [name, t] of reference.tensors) assertClose(name, ckpt.tensors.get(name)!, t, 0);
    const reader = await CheckpointReader.open(dir);
    try {
      const index = JSON.parse(await fs.readFile(path.join(dir, 'model.safetensors.index.json'), 'utf8'));
      for (const name of ['wte.weight', 'ln_f.bias']) assert.equal(path.basename(reader.locate(name).file), index.weight_map[`transformer.${name}`], name);
      assert.notEqual(reader.locate('wte.weight').file, reader.locate('ln_f.bias').file, 'the weights really are spread over files');
    } finally {
      await reader.close();
    }
  });

  /** A sharded tiny checkpoint whose index is replaced by `index` (an object or raw text). */
  async function withIndex(name: string, index: unknown): Promise<string> {
    const dir = await writeTinyCheckpoint(path.join(tmp, name), {}, { shards: 2 });
    await fs.writeFile(path.join(dir, 'model.safetensors.index.json'), typeof index === 'string' ? index : JSON.stringify(index));
    return dir;
  }
  const mapOf = async (dir: string) => JSON.parse(await fs.readFile(path.join(dir, 'model.safetensors.index.json'), 'utf8')).weight_map as Record<string, string>;

  test('a shard the index names but the folder lacks', async () => {
    const dir = await writeTinyCheckpoint(path.join(tmp, 'lost-shard'), {}, { shards: 2 });
    await fs.rm(path.join(dir, 'model-00002-of-00002.safetensors'));
    await assert.rejects(loadCheckpoint(dir), /model\.safetensors\.index\.json: shard model-00002-of-00002\.safetensors is missing from /);
  });

  test('a tensor listed in a shard that does not hold it', async () => {
    const good = await writeTinyCheckpoint(path.join(tmp, 'moved-src'), {}, { shards: 2 });
    const map = await mapOf(good);
    const dir = await withIndex('moved', { weight_map: { ...map, 'ln_f.bias': 'model-00001-of-00002.safetensors' } });
    await assert.rejects(loadCheckpoint(dir), /model\.safetensors\.index\.json: tensor ln_f\.bias is listed in model-00001-of-00002\.safetensors, which does not hold it/);
  });

  test('a tensor missing from the index is a missing tensor', async () => {
    const good = await writeTinyCheckpoint(path.join(tmp, 'unlisted-src'), {}, { shards: 2 });
    const map = await mapOf(good);
    delete map['h.1.mlp.c_fc.weight'];
    const dir = await withIndex('unlisted', { weight_map: map });
    await assert.rejects(loadCheckpoint(dir), /model\.safetensors\.index\.json: missing tensor h\.1\.mlp\.c_fc\.weight \(expected shape \[64, 256\]/);
  });

  test('bad indexes: not JSON, no weight_map, a shard outside the folder', async () => {
    await assert.rejects(loadCheckpoint(await withIndex('not-json', '{"weight_map": ')), /model\.safetensors\.index\.json: not valid JSON/);
    await assert.rejects(loadCheckpoint(await withIndex('no-map', { metadata: {} })), /not a safetensors shard index \(weight_map: /);
    await assert.rejects(
      loadCheckpoint(await withIndex('escape', { weight_map: { 'wte.weight': '../elsewhere/model.safetensors' } })),
      /weight_map\.wte\.weight: must be a \.safetensors file name in the same directory/,
    );
  });
});

describe('parseGPT2Config', () => {
  test('distilgpt2-style config: n_ctx, n_inner null, default epsilon', () => {
    const { config, isTinyRandom } = parseGPT2Config(
      { model_type: 'gpt2', n_layer: 6, n_head: 12, n_embd: 768, n_ctx: 1024, vocab_size: 50257, n_inner: null },
      'config.json',
    );
    assert.deepEqual(config, { n_layer: 6, n_head: 12, n_embd: 768, n_positions: 1024, vocab_size: 50257, layer_norm_epsilon: 1e-5, n_inner: 3072 });
    assert.equal(isTinyRandom, false);
  });

  test('bad configs are named', () => {
    assert.throws(() => parseGPT2Config({ n_layer: 2, n_head: 3, n_embd: 64, n_positions: 8, vocab_size: 10 }, 'c.json'), /c\.json: n_embd \(64\) must be a multiple of n_head \(3\)/);
    assert.throws(() => parseGPT2Config({ n_layer: 2, n_head: 4, n_embd: 64, vocab_size: 10 }, 'c.json'), /neither n_positions nor n_ctx/);
    assert.throws(() => parseGPT2Config({ n_head: 4, n_embd: 64, n_positions: 8, vocab_size: 10 }, 'c.json'), /c\.json: not a usable GPT-2 config \(n_layer: /);
    assert.throws(() => parseGPT2Config({ model_type: 'llama', n_layer: 1, n_head: 1, n_embd: 4, n_positions: 8, vocab_size: 10 }, 'c.json'), /model_type is "llama"/);
  });
});
