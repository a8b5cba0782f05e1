import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loadCheckpoint } from '../../src/llm/checkpoint.ts';
import { ensureTinyCheckpoint, makeTinyCheckpoint, TINY_DIR_NAME, writeTinyCheckpoint } from '../../src/llm/tiny.ts';

let tmp: string;
before(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'tiny-test-'));
});
after(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

describe('tiny random checkpoint', () => {
  test('is deterministic: the same bytes twice, different bytes for another seed', async () => {
    const a = await writeTinyCheckpoint(path.join(tmp, 'a'));
    const b = await writeTinyCheckpoint(path.join(tmp, 'b'));
    const c = await writeTinyCheckpoint(path.join(tmp, 'c'), { seed: 1 });
    const bytes = (dir: string) => fs.readFile(path.join(dir, 'model.safetensors'));
    assert.ok((await bytes(a)).equals(await bytes(b)));
    assert.ok(!(await bytes(a)).equals(await bytes(c)));
    assert.equal(await fs.readFile(path.join(a, 'config.json'), 'utf8'), await fs.readFile(path.join(b, 'config.json'), 'utf8'));
  });

  test('has GPT-2 architecture, the full vocabulary, a marked config and non-trivial values', async () => {
    const { config, tensors } = makeTinyCheckpoint();
    assert.deepEqual(config, { n_layer: 2, n_head: 4, n_embd: 64, n_positions: 1024, vocab_size: 50257, layer_norm_epsilon: 1e-5, n_inner: 256 });
    assert.deepEqual(tensors.get('wte.weight')!.dims, [50257, 64]);
    const cfg = JSON.parse(await fs.readFile(path.join(tmp, 'a', 'config.json'), 'utf8'));
    assert.equal(cfg.model_type, 'gpt2');
    assert.deepEqual(cfg.architectures, ['GPT2LMHeadModel']);
    assert.equal(cfg.substack_lab_tiny_random, true);
    const stats = (name: string) => {
      const d = tensors.get(name)!.data;
      const mean = d.reduce((s, v) => s + v, 0) / d.length;
      const std = Math.sqrt(d.reduce((s, v) => s + (v - mean) ** 2, 0) / d.length);
      return { mean, std };
    };
    const gain = stats('h.0.ln_1.weight');
    assert.ok(Math.abs(gain.mean - 1) < 0.05 && gain.std > 0.05, `LayerNorm gains near 1 but not all 1: ${JSON.stringify(gain)}`);
    assert.ok(stats('h.1.attn.c_proj.bias').std > 0.01, 'biases are not zero');
    assert.ok(Math.abs(stats('wte.weight').std - 0.02) < 0.001);
  });

  test('other sizes, and option limits named in errors', () => {
    const { tensors } = makeTinyCheckpoint({ n_layer: 1, n_head: 2, n_embd: 8, n_positions: 16, seed: 5 });
    assert.deepEqual(tensors.get('h.0.mlp.c_fc.weight')!.dims, [8, 32]);
    assert.equal(tensors.has('h.1.ln_1.weight'), false);
    assert.throws(() => makeTinyCheckpoint({ n_layer: 0 }), /n_layer must be an integer from 1 to 48 \(got 0\)/);
    assert.throws(() => makeTinyCheckpoint({ n_embd: 30, n_head: 4 }), /n_embd \(30\) must be a multiple of n_head \(4\)/);
    assert.throws(() => makeTinyCheckpoint({ seed: -1 }), /seed must be an integer from 0 to 4294967295/);
  });

  test('ensureTinyCheckpoint generates once, quickly, and regenerates an outdated copy', async () => {
    const modelsDir = path.join(tmp, 'cache');
    const t0 = performance.now();
    const dir = await ensureTinyCheckpoint(modelsDir);
    const elapsed = performance.now() - t0;
    assert.equal(dir, path.join(modelsDir, TINY_DIR_NAME));
    assert.ok(elapsed < 3000, `generated in ${elapsed.toFixed(0)} ms`);
    const size = (await fs.stat(path.join(dir, 'model.safetensors'))).size;
    assert.ok(size > 13e6 && size < 14e6, `size ${size}`);
    const mtime = (await fs.stat(path.join(dir, 'model.safetensors'))).mtimeMs;
    assert.equal(await ensureTinyCheckpoint(modelsDir), dir);
    assert.equal((await fs.stat(path.join(dir, 'model.safetensors'))).mtimeMs, mtime, 'second call reuses the copy');
    assert.equal((await loadCheckpoint(dir)).isTinyRandom, true);

    const cfgPath = path.join(dir, 'config.json');
    const cfg = JSON.parse(await fs.readFile(cfgPath, 'utf8'));
    await fs.writeFile(cfgPath, JSON.stringify({ ...cfg, substack_lab_tiny_version: 0 }));
    await ensureTinyCheckpoint(modelsDir);
    assert.equal(JSON.parse(await fs.readFile(cfgPath, 'utf8')).substack_lab_tiny_version, cfg.substack_lab_tiny_version);

    // Concurrent first calls (several workers starting at once) all get a complete directory.
    const fresh = path.join(tmp, 'cache2');
    const dirs = await Promise.all([ensureTinyCheckpoint(fresh), ensureTinyCheckpoint(fresh), ensureTinyCheckpoint(fresh)]);
    assert.deepEqual(new Set(dirs), new Set([path.join(fresh, TINY_DIR_NAME)]));
    assert.equal((await loadCheckpoint(dirs[0])).tensors.size, 28);
    assert.deepEqual((await fs.readdir(fresh)).sort(), [TINY_DIR_NAME], 'no temporary directories left');
  });
});
