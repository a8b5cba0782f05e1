// `lab trace` writes input_ids and activations to safetensors that read back with the right
// names, shapes and values — through the function and through the CLI.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, before, test } from 'node:test';
import { trace } from '../../src/cli/trace.ts';
import { repoRoot } from '../../src/config.ts';
import { loadEngine } from '../../src/llm/engine.ts';
import { readSafetensors } from '../../src/llm/safetensors.ts';
import { writeTinyDir } from './fixtures.ts';

let dir: string;
let work: string;
let cleanup: () => Promise<void>;

before(async () => {
  ({ dir, cleanup } = await writeTinyDir());
  work = await fs.mkdtemp(path.join(os.tmpdir(), 'trace-test-'));
});
after(async () => {
  await cleanup();
  await fs.rm(work, { recursive: true, force: true });
});

test('trace writes input_ids and the requested hooks, equal to engine.run', async () => {
  const patchFile = path.join(work, 'patch.json');
  const patches = [{ hook: 'blocks.0.attn.hook_z', op: 'set', value: 0, head: 1 }];
  await fs.writeFile(patchFile, JSON.stringify(patches));
  const out = path.join(work, 'trace.safetensors');
  const r = await trace({ model: dir, text: 'Hello world, again', hooks: 'blocks.*.attn.hook_pattern,logits', patch: patchFile, out });
  assert.deepEqual(r.tensors, ['input_ids', 'blocks.0.attn.hook_pattern', 'blocks.1.attn.hook_pattern', 'logits']);
  assert.equal(r.tinyRandom, true);

  const { tensors, metadata } = await readSafetensors(out);
  const ids = tensors.get('input_ids')!;
  assert.equal(ids.dtype, 'I64');
  assert.deepEqual([...(ids.data as BigInt64Array)].map(Number), [15496, 995, 11, 757]);
  assert.deepEqual(ids.dims, [1, 4]);
  assert.equal(metadata.tiny_random, 'true');
  assert.deepEqual(JSON.parse(metadata.patches), patches);

  const engine = await loadEngine(dir, { threads: 1 });
  try {
    const { cache } = await engine.run([15496, 995, 11, 757], { hooks: ['blocks.*.attn.hook_pattern', 'logits'], patches: patches as never });
    for (const name of ['blocks.0.attn.hook_pattern', 'blocks.1.attn.hook_pattern', 'logits']) {
      const t = tensors.get(name)!;
      assert.equal(t.dtype, 'F32');
      assert.deepEqual(t.dims, cache.get(name)!.dims, name);
      assert.deepEqual(t.data, cache.get(name)!.data, name);
    }
    assert.deepEqual(tensors.get('logits')!.dims, [1, 4, 50257]);
  } finally {
    await engine.dispose();
  }
});

test('option errors: both or neither input, bad token lists', async () => {
  const out = path.join(work, 'x.safetensors');
  await assert.rejects(trace({ model: dir, hooks: '*', out }), /give exactly one of --text and --tokens/);
  await assert.rejects(trace({ model: dir, text: 'a', tokens: '1', hooks: '*', out }), /give exactly one of --text and --tokens/);
  await assert.rejects(trace({ model: dir, tokens: '1,x,3', hooks: '*', out }), /--tokens must be comma-separated token ids like 40,588,262 \(bad entry "x"\)/);
});

test('npx lab trace (the CLI) with --tokens and the default hooks (all)', async () => {
  const out = path.join(work, 'cli.safetensors');
  const { stdout } = await promisify(execFile)(process.execPath, [path.join(repoRoot, 'bin/lab.js'), 'trace', '--model', dir, '--tokens', '40,588,262', '--out', out], { cwd: repoRoot });
  assert.match(stdout, /wrote 45 tensors [^\n]*\(input_ids \+ 44 activations\)/);
  const { tensors } = await readSafetensors(out);
  assert.deepEqual(tensors.get('blocks.1.attn.hook_q')!.dims, [1, 3, 4, 16]);
  assert.deepEqual(tensors.get('blocks.0.attn.hook_attn_scores')!.dims, [1, 4, 3, 3]);
  assert.equal((tensors.get('blocks.0.attn.hook_attn_scores')!.data as Float32Array)[1], -Infinity);
});
