// The one rule for which model runs (src/llm/provider.ts): a named model must be downloaded, or
// the run fails at once with the pull command; with none named, the notebook's model runs when
// present, else the configured default, else the tiny checkpoint — and the result says which.
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

// A private model cache, set before config loads: one "downloaded" distilgpt2 (a tiny checkpoint
// laid out as huggingface_hub does), nothing else.
const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'model-choice-'));
process.env.HF_HOME = path.join(tmp, 'hf');
process.env.MODELS_DIR = path.join(tmp, 'models');
process.env.MODEL = 'gpt2';

const { refPath, snapshotDir } = await import('../../src/llm/hf-cache.ts');
const { writeTinyCheckpoint } = await import('../../src/llm/tiny.ts');
const { ModelNotDownloadedError, downloadedModels } = await import('../../models/registry.ts');
const { resolveEngineModel, disposeEngines } = await import('../../src/llm/provider.ts');
const { runAnalysis } = await import('../../src/analyses/run.ts');
const { getAnalysis } = await import('../../src/analyses/index.ts');

before(async () => {
  const hub = path.join(tmp, 'hf', 'hub');
  const commit = 'a'.repeat(40);
  await writeTinyCheckpoint(snapshotDir(hub, 'distilbert/distilgpt2', commit), { n_layer: 1 });
  await fs.mkdir(path.dirname(refPath(hub, 'distilbert/distilgpt2', 'main')), { recursive: true });
  await fs.writeFile(refPath(hub, 'distilbert/distilgpt2', 'main'), commit);
});

after(async () => {
  await disposeEngines();
  await fs.rm(tmp, { recursive: true, force: true });
});

describe('which model runs', () => {
  test('the downloaded models are listed (tiny-random is always there)', async () => {
    assert.deepEqual((await downloadedModels()).sort(), ['distilgpt2', 'tiny-random']);
  });

  test('a named model is used as named', async () => {
    assert.deepEqual(await resolveEngineModel('gpt2-medium'), { name: 'gpt2-medium' });
  });

  test("with none named, the notebook's model runs when it is downloaded", async () => {
    assert.deepEqual(await resolveEngineModel(undefined, 'distilgpt2'), { name: 'distilgpt2' });
  });

  test("with none named and the notebook's model absent, the default (here: tiny) runs and the note says so", async () => {
    const r = await resolveEngineModel(undefined, 'gpt2-large');
    assert.equal(r.name, 'tiny-random');
    assert.equal(r.note, 'The notebook uses gpt2-large, which is not downloaded here (`npx lab models pull gpt2-large`), so this ran on tiny-random.');
    assert.deepEqual(await resolveEngineModel(undefined), { name: 'tiny-random' });
  });

  test('a run naming an absent model fails at once with the pull command', async () => {
    await assert.rejects(
      runAnalysis(getAnalysis('heatmap'), {}, { model: 'gpt2-xl' }),
      (err: Error) => err instanceof ModelNotDownloadedError && err.message === 'gpt2-xl is not downloaded yet: run `npx lab models pull gpt2-xl`',
    );
  });

  test("a run of an analysis whose notebook model is present uses it without being asked", async () => {
    const analysis = { ...getAnalysis('heatmap'), preferredModel: 'distilgpt2' };
    const r = await runAnalysis(analysis, {});
    assert.equal(r.model?.name, 'distilgpt2');
    assert.doesNotMatch(r.explanation, /not downloaded here/);
    const absent = await runAnalysis({ ...analysis, preferredModel: 'gpt2-large' }, {});
    assert.equal(absent.model?.name, 'tiny-random');
    assert.match(absent.explanation, /The notebook uses gpt2-large, which is not downloaded here/);
  });
});
