import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { repoRoot } from '../../src/config.ts';
import { loadCheckpoint } from '../../src/llm/checkpoint.ts';
import { readSafetensorsHeader } from '../../src/llm/safetensors.ts';
import { writeTinyCheckpoint } from '../../src/llm/tiny.ts';
import { FakeHub } from '../fakes/fake-hub.ts';

let tmp: string;
let hub: FakeHub;

before(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'models-cli-test-'));
  hub = await FakeHub.start({ repos: { 'openai-community/gpt2': await writeTinyCheckpoint(path.join(tmp, 'source')) } });
});
after(async () => {
  await hub.close();
  await fs.rm(tmp, { recursive: true, force: true });
});

/** Run `lab …` in a child process (asynchronously: the fake Hub lives in this one). */
function lab(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = { ...process.env, HF_ENDPOINT: hub.url, MODELS_DIR: path.join(tmp, 'models'), HF_HOME: '', HF_TOKEN: '', XDG_CACHE_HOME: path.join(tmp, 'xdg') };
  return new Promise((resolve) => {
    execFile(process.execPath, [path.join(repoRoot, 'bin', 'lab.js'), ...args], { env, cwd: repoRoot }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

describe('lab models', () => {
  test('pull downloads through a cut connection, then list shows it downloaded', async () => {
    hub.cutAfterBytesOnce = 2_000_000;
    const pull = await lab(['models', 'pull', 'gpt2']);
    assert.equal(pull.code, 0, pull.stderr);
    assert.match(pull.stderr, /^openai-community\/gpt2\/model\.safetensors: connection lost at byte \d+ of 13530752 \(.+\); retrying in 1 s \(1\/5\)$/m);
    assert.match(pull.stderr, /model\.safetensors: 13\.5 MB \/ 13\.5 MB \(100%\)/);
    assert.match(pull.stdout, /gpt2 \(openai-community\/gpt2 @ [0-9a-f]{10}\) is ready in .*models--openai-community--gpt2\/snapshots\/[0-9a-f]{40}/);
    const dir = /is ready in (\S+)/.exec(pull.stdout)![1];
    assert.equal((await loadCheckpoint(dir)).isTinyRandom, true);

    const list = await lab(['models', 'list']);
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, new RegExp(`^gpt2 +openai-community/gpt2 +124M +12 × 768 +548 MB +downloaded: ${dir}$`, 'm'));
    assert.match(list.stdout, /^distilgpt2 +distilbert\/distilgpt2 .*not downloaded \(npx lab models pull distilgpt2\)$/m);
  });

  test('tiny writes a loadable checkpoint in the requested variant; bad options are named', async () => {
    const out = path.join(tmp, 'tiny-f16');
    const ok = await lab(['models', 'tiny', '--out', out, '--layers', '1', '--heads', '2', '--width', '16', '--positions', '32', '--seed', '7', '--dtype', 'f16', '--prefix', '--untied-head']);
    assert.equal(ok.code, 0, ok.stderr);
    const ckpt = await loadCheckpoint(out);
    assert.deepEqual(ckpt.config, { n_layer: 1, n_head: 2, n_embd: 16, n_positions: 32, vocab_size: 50257, layer_norm_epsilon: 1e-5, n_inner: 64 });
    assert.ok(ckpt.tensors.has('lm_head.weight'));
    const header = await readSafetensorsHeader(path.join(out, 'model.safetensors'));
    assert.equal(header.tensors.get('transformer.wte.weight')?.dtype, 'F16');

    const bad = await lab(['models', 'tiny', '--out', out, '--layers', '0']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /--layers must be an integer from 1 to 48 \(got "0"\)/);
    const badWidth = await lab(['models', 'tiny', '--out', out, '--width', '50']);
    assert.match(badWidth.stderr, /--width \(50\) must be a multiple of --heads \(4\)/);
    const unknown = await lab(['models', 'pull', 'gpt-5']);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /unknown model "gpt-5": the models on the Hub are gpt2, gpt2-medium, gpt2-large, gpt2-xl, distilgpt2/);
  });
});

describe('one rule for a model that is not downloaded', () => {
  const pullHint = /gpt2-medium is not downloaded yet: run `npx lab models pull gpt2-medium`/;
  test('lab run and lab trace name it and the pull command, and stop at once', async () => {
    const run = await lab(['run', 'heatmap', '--model', 'gpt2-medium', '--out', path.join(tmp, 'out-run')]);
    assert.notEqual(run.code, 0);
    assert.match(run.stderr, pullHint);
    const trace = await lab(['trace', '--model', 'gpt2-medium', '--text', 'Hello', '--out', path.join(tmp, 'x.safetensors')]);
    assert.notEqual(trace.code, 0);
    assert.match(trace.stderr, pullHint);
  });

  // The default, gpt2, is the one pulled above: its snapshot files are links into blobs/, which
  // onnxruntime only reads when it is given the blobs' folder (engine.ts fileSource).
  test('with no model named, lab trace runs the default model from the pulled snapshot', async () => {
    const out = path.join(tmp, 'default.safetensors');
    const r = await lab(['trace', '--text', 'Hello there', '--hooks', 'hook_embed', '--out', out]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /wrote 2 tensors to .* \(input_ids \+ 1 activation\)/);
    assert.match(r.stdout, /the tiny random test model was used/); // the fake Hub serves the tiny checkpoint as gpt2
  });
});
