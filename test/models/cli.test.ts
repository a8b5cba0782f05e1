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

describe('lab run: flags, help and errors as a user meets them', () => {
  test('--help after an analysis lists that analysis\'s own flags with their limits', async () => {
    const r = await lab(['run', 'correlation', '--help']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Usage: lab run/);
    assert.match(r.stdout, /^correlation — Correlation vs\. cosine similarity$/m);
    assert.match(r.stdout, /--sweep-n <integer> .*\(min 3, max 20000, default 500\)/);
    assert.doesNotMatch(r.stdout, /^fourier/m);
  });

  test('a flag without its value is refused, naming what it takes; hex is not a number; unknown analyses are named', async () => {
    const out = path.join(tmp, 'flags');
    const bare = await lab(['run', 'correlation', '--n', '--out', out]);
    assert.notEqual(bare.code, 0);
    assert.match(bare.stderr, /^Bad option n: --n needs a value \(integer 3–5000, default 90\)$/m);
    const hex = await lab(['run', 'correlation', '--n', '0x10', '--out', out]);
    assert.match(hex.stderr, /^Bad option n: expected a number, got "0x10"$/m);
    const negative = await lab(['run', 'correlation', '--offset', '-3', '--sweep-steps', '3', '--sweep-n', '20', '--n', '10', '--out', out]);
    assert.equal(negative.code, 0, negative.stderr);
    const nosuch = await lab(['run', 'nosuch', '--out', out]);
    assert.match(nosuch.stderr, /Unknown analysis "nosuch"\. Available: .*correlation.*fourier/);
  });
});

describe('CLI progress', () => {
  test('on a terminal one line is rewritten in place with a percentage; elsewhere one line per stage', async () => {
    const { progressWriter } = await import('../../src/cli/run.ts');
    const tty: string[] = [];
    const p = progressWriter({ isTTY: true, write: (s: string) => tty.push(s) } as unknown as NodeJS.WriteStream);
    p.update('book 1/10', 0.1);
    p.update('rendering figures');
    p.done();
    assert.deepEqual(tty, ['\r\x1b[K… book 1/10 10%', '\r\x1b[K… rendering figures', '\r\x1b[K']);
    const log: string[] = [];
    const q = progressWriter({ isTTY: false, write: (s: string) => log.push(s) } as unknown as NodeJS.WriteStream);
    q.update('book 2/10', 0.25);
    q.done();
    assert.deepEqual(log, ['… book 2/10 25%\n']);
  });
});
