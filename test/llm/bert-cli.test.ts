// BERT through the CLI and the model registry: `lab models tiny --arch bert` in its variants,
// `lab trace` on a BERT model (with a set_vector patch), `lab models pull bert-base-uncased`
// against the fake Hub (config, weights and vocabulary, resumed after a cut connection and
// checked against the sha256), `lab models list`, and resolving BERT names and directories.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { findKnownModel, isModelAvailable, modelArch, resolveModelDir, TINY_RANDOM_BERT } from '../../models/registry.ts';
import { trace } from '../../src/cli/trace.ts';
import { repoRoot } from '../../src/config.ts';
import { loadBertCheckpoint } from '../../src/llm/bert/checkpoint.ts';
import { loadBertEngine } from '../../src/llm/bert/engine.ts';
import { disposeBertEngines, getBertEngine, resolveBertModel } from '../../src/llm/bert/provider.ts';
import { TINY_BERT_DIR_NAME, tinyBertVocab, writeTinyBertCheckpoint } from '../../src/llm/bert/tiny.ts';
import { pullModel } from '../../src/llm/hub.ts';
import { readSafetensors, readSafetensorsHeader } from '../../src/llm/safetensors.ts';
import { writeTinyCheckpoint } from '../../src/llm/tiny.ts';
import { FakeHub } from '../fakes/fake-hub.ts';

let tmp: string;
let hub: FakeHub;
let source: string;

before(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'bert-cli-test-'));
  source = await writeTinyBertCheckpoint(path.join(tmp, 'hub-source'), {}, { legacyNames: true, extras: true });
  hub = await FakeHub.start({ repos: { 'google-bert/bert-base-uncased': source } });
});
after(async () => {
  await hub.close();
  await fs.rm(tmp, { recursive: true, force: true });
});

function lab(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = { ...process.env, HF_ENDPOINT: hub.url, MODELS_DIR: path.join(tmp, 'models'), HF_HOME: '', HF_TOKEN: '', XDG_CACHE_HOME: path.join(tmp, 'xdg') };
  return new Promise((resolve) => {
    execFile(process.execPath, [path.join(repoRoot, 'bin', 'lab.js'), ...args], { env, cwd: repoRoot }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

describe('lab models tiny --arch bert', () => {
  test('writes a loadable BERT checkpoint with its vocabulary, in the requested variant; GPT-2-only flags are refused', async () => {
    const out = path.join(tmp, 'tiny-bert');
    const ok = await lab(['models', 'tiny', '--arch', 'bert', '--out', out, '--layers', '1', '--heads', '2', '--width', '16', '--positions', '32', '--seed', '7', '--dtype', 'f16', '--unprefixed', '--legacy-names']);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /wrote a random 1-layer, 16-wide BERT \(F16, seed 7, small built-in vocabulary\) to /);
    const ckpt = await loadBertCheckpoint(out);
    assert.deepEqual(ckpt.config, { num_hidden_layers: 1, num_attention_heads: 2, hidden_size: 16, intermediate_size: 64, max_position_embeddings: 32, vocab_size: 444, type_vocab_size: 2, layer_norm_eps: 1e-12, pad_token_id: 0 });
    assert.equal(ckpt.isTinyRandom, true);
    const header = await readSafetensorsHeader(path.join(out, 'model.safetensors'));
    assert.equal(header.tensors.get('embeddings.LayerNorm.gamma')?.dtype, 'F16');
    assert.equal(header.tensors.has('cls.predictions.bias'), true);
    assert.deepEqual((await fs.readFile(path.join(out, 'vocab.txt'), 'utf8')).split('\n').slice(100, 104), ['[UNK]', '[CLS]', '[SEP]', '[MASK]']);

    const bad = await lab(['models', 'tiny', '--arch', 'bert', '--out', out, '--mask-buffers']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /--mask-buffers is for GPT-2/);
    const badArch = await lab(['models', 'tiny', '--arch', 'llama', '--out', out]);
    assert.match(badArch.stderr, /--arch must be gpt2 or bert \(got "llama"\)/);
    const bertFlag = await lab(['models', 'tiny', '--out', out, '--legacy-names']);
    assert.match(bertFlag.stderr, /--legacy-names is for --arch bert/);
  });

  test('--vocab takes a full vocab.txt (here: the small one and 30 000 more tokens) and --bare drops the head', async () => {
    const vocabFile = path.join(tmp, 'vocab-full.txt');
    const full = [...tinyBertVocab(), ...Array.from({ length: 30_000 }, (_, i) => `word${i}`)];
    await fs.writeFile(vocabFile, full.join('\n') + '\n');
    const out = path.join(tmp, 'tiny-bert-full');
    const ok = await lab(['models', 'tiny', '--arch', 'bert', '--out', out, '--vocab', vocabFile, '--bare']);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /30444-token vocabulary from /);
    const engine = await loadBertEngine(out, { threads: 1 });
    try {
      assert.equal(engine.config.vocab_size, 30_444);
      assert.equal(engine.hasMlmHead, false);
      assert.equal(engine.tokenText(engine.encode('word29999')[1]), 'word29999');
    } finally {
      await engine.dispose();
    }
    await fs.writeFile(vocabFile, 'a\nb\n');
    const bad = await lab(['models', 'tiny', '--arch', 'bert', '--out', out, '--vocab', vocabFile]);
    assert.match(bad.stderr, /--vocab: .* has no \[PAD\] line; is it a BERT vocab\.txt\?/);
  });
});

describe('lab trace on a BERT model', () => {
  test('writes input_ids ([CLS] … [SEP]) and the hooks, patched, equal to engine.run; says the model is random', async () => {
    const dir = await writeTinyBertCheckpoint(path.join(tmp, 'trace-bert'));
    const engine = await loadBertEngine(dir, { threads: 1 });
    try {
      const text = 'The engineer informed the client that [MASK] would need more time.';
      const ids = engine.encode(text);
      const pos = ids.indexOf(103);
      const patches = [{ hook: 'blocks.0.hook_normalized_resid_post', op: 'set_vector', pos, values: Array.from({ length: 64 }, (_, i) => i / 64) }];
      const patchFile = path.join(tmp, 'bert-patch.json');
      await fs.writeFile(patchFile, JSON.stringify(patches));
      const out = path.join(tmp, 'bert-trace.safetensors');
      const r = await trace({ model: dir, text, hooks: 'blocks.1.attn.hook_pattern,mlm_logits', patch: patchFile, out });
      assert.deepEqual(r.tensors, ['input_ids', 'blocks.1.attn.hook_pattern', 'mlm_logits']);
      assert.equal(r.tinyRandom, true);
      const { tensors, metadata } = await readSafetensors(out);
      assert.deepEqual([...(tensors.get('input_ids')!.data as BigInt64Array)].map(Number), ids);
      assert.deepEqual(JSON.parse(metadata.patches), patches);
      const { cache } = await engine.run(ids, { hooks: ['blocks.1.attn.hook_pattern', 'mlm_logits'], patches: patches as never });
      for (const name of ['blocks.1.attn.hook_pattern', 'mlm_logits']) {
        assert.deepEqual(tensors.get(name)!.dims, cache.get(name)!.dims, name);
        assert.deepEqual(tensors.get(name)!.data, cache.get(name)!.data, name);
      }
    } finally {
      await engine.dispose();
    }

    const cli = await lab(['trace', '--model', dir, '--tokens', '101,208,103,102', '--out', path.join(tmp, 'cli-bert.safetensors')]);
    assert.equal(cli.code, 0, cli.stderr);
    assert.match(cli.stdout, /wrote 51 tensors [^\n]*\(input_ids \+ 50 activations\)/);
    assert.match(cli.stdout, /the tiny random test model was used/);
    const bad = await lab(['trace', '--model', dir, '--tokens', '101,102', '--hooks', 'blocks.0.hook_resid_pre,logits', '--out', path.join(tmp, 'x.safetensors')]);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /unknown hook "logits"; valid names include mlm_logits/);
  });
});

describe('BERT models in the registry and on the Hub', () => {
  test('bert-base-uncased and bert-large-uncased are known BERT models (google-bert/…); tiny-random-bert is generated', async () => {
    assert.equal(findKnownModel('google-bert/bert-large-uncased')?.name, 'bert-large-uncased');
    assert.equal(findKnownModel('bert-base-uncased')?.arch, 'bert');
    assert.equal(await modelArch('bert-large-uncased'), 'bert');
    assert.equal(await modelArch('gpt2'), 'gpt2');
    assert.equal(await modelArch(source), 'bert');
    assert.equal(await modelArch(await writeTinyCheckpoint(path.join(tmp, 'gpt2-dir'), { n_layer: 1, n_embd: 8, n_head: 2, n_positions: 16 })), 'gpt2');
    const modelsDir = path.join(tmp, 'generated');
    assert.equal(await isModelAvailable(TINY_RANDOM_BERT), true);
    const dir = await resolveModelDir(TINY_RANDOM_BERT, { modelsDir });
    assert.equal(dir, path.join(modelsDir, TINY_BERT_DIR_NAME));
    assert.equal((await loadBertCheckpoint(dir)).isTinyRandom, true);
    assert.equal((await fs.stat(path.join(dir, 'model.safetensors'))).size, findKnownModel(TINY_RANDOM_BERT)?.bytes, 'the registry lists its size');
    await assert.rejects(resolveModelDir('bert-large-uncased', { cacheDirs: [tmp] }), /bert-large-uncased is not downloaded yet: run `npx lab models pull bert-large-uncased`/);
    await assert.rejects(pullModel('bert-larg-uncased', { endpoint: hub.url, cacheDir: tmp }), /unknown model "bert-larg-uncased": the BERT models on the Hub are bert-base-uncased, bert-large-uncased$/);
  });

  test('which BERT runs: a named model as is; else the notebook\'s when downloaded, else tiny-random-bert with a note', async () => {
    assert.deepEqual(await resolveBertModel('bert-base-uncased'), { name: 'bert-base-uncased' });
    assert.deepEqual(await resolveBertModel(undefined, source), { name: source });
    const missing = await resolveBertModel(undefined, path.join(tmp, 'no-such-model'));
    assert.equal(missing.name, TINY_RANDOM_BERT);
    assert.match(missing.note!, /which is not downloaded here .*so this ran on tiny-random-bert, a tiny BERT with random weights/);
    try {
      const a = await getBertEngine({ model: source, threads: 1 });
      assert.equal(await getBertEngine({ model: source, threads: 1 }), a, 'a loaded engine is kept');
      assert.equal(a.isTinyRandom, true);
    } finally {
      await disposeBertEngines();
    }
  });

  test('pull fetches config, weights and vocabulary through a cut connection; the snapshot loads as BERT', async () => {
    const cacheDir = path.join(tmp, 'hf', 'hub');
    hub.cutAfterBytesOnce = 100_000;
    const events: string[] = [];
    const result = await pullModel('bert-base-uncased', { endpoint: hub.url, cacheDir, token: undefined, retryDelayMs: 5, onProgress: (p) => p.phase === 'retry' && events.push(p.message!) });
    assert.deepEqual(result.files.map((f) => f.file), ['config.json', 'model.safetensors', 'vocab.txt', 'tokenizer_config.json']);
    assert.equal(events.length, 1, 'one retry after the cut');
    assert.match(events[0], /connection lost at byte \d+ of \d+/);
    assert.equal(await resolveModelDir('bert-base-uncased', { cacheDirs: [cacheDir] }), result.dir);
    const engine = await loadBertEngine(result.dir, { threads: 1 });
    try {
      assert.equal(engine.isTinyRandom, true);
      assert.equal(engine.tokenizer.size, 444);
      assert.equal((await engine.run(engine.encode('hello [MASK] world'))).logits!.dims.join(','), '1,5,444');
    } finally {
      await engine.dispose();
    }
  });

  test('lab models list shows the BERT models', async () => {
    const list = await lab(['models', 'list']);
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, /^bert-base-uncased +google-bert\/bert-base-uncased +110M +12 × 768 +440 MB +not downloaded \(npx lab models pull bert-base-uncased\)$/m);
    assert.match(list.stdout, /^bert-large-uncased +google-bert\/bert-large-uncased +336M +24 × 1024 +1\.34 GB +not downloaded/m);
    assert.match(list.stdout, /^tiny-random-bert +\(generated\) .*generated on first use$/m);
  });
});
