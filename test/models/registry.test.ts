import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { findKnownModel, isModelAvailable, KNOWN_MODELS, resolveModelDir } from '../../models/registry.ts';
import { loadCheckpoint } from '../../src/llm/checkpoint.ts';
import { defaultCacheDir, searchCacheDirs } from '../../src/llm/hf-cache.ts';
import { pullModel } from '../../src/llm/hub.ts';
import { TINY_DIR_NAME, writeTinyCheckpoint } from '../../src/llm/tiny.ts';
import { FakeHub } from '../fakes/fake-hub.ts';

let tmp: string;
before(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'registry-test-'));
});
after(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

describe('model registry', () => {
  test('knows the GPT-2 family with their Hub repositories', () => {
    assert.deepEqual(
      KNOWN_MODELS.map((m) => [m.name, m.repo]),
      [
        ['gpt2', 'openai-community/gpt2'],
        ['gpt2-medium', 'openai-community/gpt2-medium'],
        ['gpt2-large', 'openai-community/gpt2-large'],
        ['gpt2-xl', 'openai-community/gpt2-xl'],
        ['distilgpt2', 'distilbert/distilgpt2'],
        ['tiny-random', undefined],
      ],
    );
    assert.equal(findKnownModel('distilbert/distilgpt2')?.name, 'distilgpt2');
    assert.equal(findKnownModel('distilgpt2')?.n_layer, 6);
  });

  test('an unknown name lists the known ones', async () => {
    await assert.rejects(
      resolveModelDir('gpt-5', { cacheDirs: [tmp] }),
      /unknown model "gpt-5": known models are gpt2, gpt2-medium, gpt2-large, gpt2-xl, distilgpt2, tiny-random; or give a checkpoint directory/,
    );
    await assert.rejects(resolveModelDir('./no/such/dir', { cacheDirs: [tmp] }), /no checkpoint directory at .*no\/such\/dir/);
    assert.equal(await isModelAvailable('gpt-5', { cacheDirs: [tmp] }), false);
  });

  test('a known model that is not downloaded says how to get it', async () => {
    await assert.rejects(resolveModelDir('gpt2-medium', { cacheDirs: [tmp] }), /^ModelNotDownloadedError: gpt2-medium is not downloaded yet: run `npx lab models pull gpt2-medium`$/);
    assert.equal(await isModelAvailable('gpt2-medium', { cacheDirs: [tmp] }), false);
  });

  test('a directory is used as is; tiny-random is generated on first use', async () => {
    const dir = await writeTinyCheckpoint(path.join(tmp, 'mine'), { n_layer: 1, n_embd: 8, n_head: 2, n_positions: 16 });
    assert.equal(await resolveModelDir(dir), dir);
    assert.equal(await isModelAvailable(dir), true);
    const modelsDir = path.join(tmp, 'models');
    const tiny = await resolveModelDir('tiny-random', { modelsDir });
    assert.equal(tiny, path.join(modelsDir, TINY_DIR_NAME));
    assert.equal((await loadCheckpoint(tiny)).isTinyRandom, true);
  });

  test('a pulled model resolves to its snapshot, by name or repository id', async () => {
    const source = await writeTinyCheckpoint(path.join(tmp, 'hub-source'));
    const hub = await FakeHub.start({ repos: { 'distilbert/distilgpt2': source } });
    try {
      const cacheDir = path.join(tmp, 'hf', 'hub');
      const { dir } = await pullModel('distilgpt2', { endpoint: hub.url, cacheDir, token: undefined });
      const opts = { cacheDirs: [path.join(tmp, 'empty'), cacheDir] };
      assert.equal(await resolveModelDir('distilgpt2', opts), dir);
      assert.equal(await resolveModelDir('distilbert/distilgpt2', opts), dir);
      assert.equal(await isModelAvailable('distilgpt2', opts), true);
      // A snapshot whose blob went missing is not a download.
      await fs.rm(path.join(cacheDir, 'models--distilbert--distilgpt2', 'blobs'), { recursive: true });
      await assert.rejects(resolveModelDir('distilgpt2', opts), /not downloaded yet/);
    } finally {
      await hub.close();
    }
  });

  test('cache directories follow HF_HOME, else MODELS_DIR', () => {
    assert.equal(defaultCacheDir({ HF_HOME: '/hf', MODELS_DIR: '/m' }), path.join('/hf', 'hub'));
    assert.equal(defaultCacheDir({ HF_HOME: undefined, MODELS_DIR: '/m' }), '/m');
    assert.deepEqual(searchCacheDirs({ HF_HOME: '/hf', MODELS_DIR: '/m' }), ['/hf/hub', '/m']);
    assert.equal(searchCacheDirs({ HF_HOME: undefined, MODELS_DIR: '/m' })[0], '/m');
    assert.match(searchCacheDirs({ HF_HOME: undefined, MODELS_DIR: '/m' })[1], /huggingface\/hub$/);
  });
});
