import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import { loadCheckpoint } from '../../src/llm/checkpoint.ts';
import { blobPath, findSnapshot, refPath } from '../../src/llm/hf-cache.ts';
import { pullModel, type PullOptions, type PullProgress } from '../../src/llm/hub.ts';
import { writeTinyCheckpoint } from '../../src/llm/tiny.ts';
import { FakeHub } from '../fakes/fake-hub.ts';

const REPO = 'openai-community/gpt2';
let tmp: string;
let source: string;
let sourceSha: string;
let hub: FakeHub;
let cacheDir: string;
let cacheCount = 0;

before(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'hub-test-'));
  source = await writeTinyCheckpoint(path.join(tmp, 'source'));
  sourceSha = createHash('sha256').update(await fs.readFile(path.join(source, 'model.safetensors'))).digest('hex');
  hub = await FakeHub.start({ repos: { [REPO]: source } });
});
after(async () => {
  await hub.close();
  await fs.rm(tmp, { recursive: true, force: true });
});
beforeEach(() => {
  cacheDir = path.join(tmp, `cache-${cacheCount++}`);
  hub.requests.length = 0;
  hub.cutAfterBytesOnce = undefined;
  hub.stallAfterBytesOnce = undefined;
  hub.ignoreRange = false;
  hub.wrongSha256 = false;
});

const options = (extra: PullOptions = {}): PullOptions => ({ endpoint: hub.url, cacheDir, token: undefined, retryDelayMs: 5, ...extra });
const sha256Of = async (file: string) => createHash('sha256').update(await fs.readFile(file)).digest('hex');

describe('pullModel against a fake Hub', () => {
  test('downloads config.json and model.safetensors into the huggingface_hub layout', async () => {
    const events: PullProgress[] = [];
    const result = await pullModel('gpt2', options({ onProgress: (p) => events.push(p) }));
    assert.equal(result.commit, hub.commit);
    assert.equal(result.dir, path.join(cacheDir, 'models--openai-community--gpt2', 'snapshots', hub.commit));
    assert.deepEqual(result.files.map((f) => [f.file, f.downloaded]), [['config.json', true], ['model.safetensors', true]]);
    assert.equal(result.files[1].etag, sourceSha);

    const weights = path.join(result.dir, 'model.safetensors');
    assert.ok((await fs.lstat(weights)).isSymbolicLink(), 'snapshot entries link to blobs');
    assert.equal(await fs.realpath(weights), await fs.realpath(blobPath(cacheDir, REPO, sourceSha)));
    assert.equal(await sha256Of(weights), sourceSha);
    assert.equal(await fs.readFile(refPath(cacheDir, REPO, 'main'), 'utf8'), hub.commit);
    assert.equal(await findSnapshot(cacheDir, REPO, ['config.json', 'model.safetensors']), result.dir);
    assert.equal((await loadCheckpoint(result.dir)).isTinyRandom, true);

    const download = events.filter((e) => e.file === 'model.safetensors' && e.phase === 'download');
    assert.ok(download.length > 1 && download.at(-1)!.downloaded === download.at(-1)!.total, 'progress reaches the total');
    // The second file is asked for by commit, so a push to main mid-pull cannot mix versions.
    assert.ok(hub.requestsTo(`/${REPO}/resolve/${hub.commit}/model.safetensors`).length > 0);
  });

  test('a second pull finds everything cached and downloads nothing', async () => {
    await pullModel('gpt2', options());
    hub.requests.length = 0;
    const again = await pullModel('gpt2', options());
    assert.deepEqual(again.files.map((f) => f.downloaded), [false, false]);
    assert.equal(hub.requestsTo('/cdn/').length, 0);
    assert.ok(hub.requests.every((r) => r.method === 'HEAD'));
  });

  test('resumes after a cut connection with a Range request, and the file is intact', async () => {
    hub.cutAfterBytesOnce = 3_000_000;
    const result = await pullModel('gpt2', options());
    const cdn = hub.requestsTo('/cdn/').filter((r) => r.method === 'GET');
    assert.equal(cdn.length, 2, 'one cut request and one resumed request');
    assert.equal(cdn[0].headers.range, undefined);
    const resumedAt = Number(/^bytes=(\d+)-$/.exec(String(cdn[1].headers.range))?.[1]);
    assert.ok(resumedAt > 0 && resumedAt <= 3_000_000, `resumed at ${cdn[1].headers.range}`);
    assert.equal(await sha256Of(path.join(result.dir, 'model.safetensors')), sourceSha);
    const blobs = await fs.readdir(path.dirname(blobPath(cacheDir, REPO, sourceSha)));
    assert.ok(!blobs.some((b) => b.endsWith('.incomplete') || b.endsWith('.lock')), `leftovers: ${blobs}`);
  });

  test('a stalled connection is abandoned after the stall timeout and resumed', async () => {
    hub.stallAfterBytesOnce = 1_000_000;
    const t0 = performance.now();
    const result = await pullModel('gpt2', options({ stallTimeoutMs: 300 }));
    assert.ok(performance.now() - t0 < 5000);
    const cdn = hub.requestsTo('/cdn/').filter((r) => r.method === 'GET');
    assert.equal(cdn.length, 2);
    assert.match(String(cdn[1].headers.range), /^bytes=[1-9]\d*-$/);
    assert.equal(await sha256Of(path.join(result.dir, 'model.safetensors')), sourceSha);
  });

  test('a download lock held by a live process is respected; a dead one is taken over', async () => {
    const lock = `${blobPath(cacheDir, REPO, sourceSha)}.lock`;
    await fs.mkdir(path.dirname(lock), { recursive: true });
    await fs.writeFile(lock, String(process.pid));
    await assert.rejects(pullModel('gpt2', options()), /another pull \(process \d+\) is downloading this file/);
    await fs.writeFile(lock, '999999999'); // no such process
    const result = await pullModel('gpt2', options());
    assert.equal(await sha256Of(path.join(result.dir, 'model.safetensors')), sourceSha);
    await assert.rejects(fs.access(lock));
  });

  test('a server that ignores Range restarts the file from the beginning', async () => {
    hub.cutAfterBytesOnce = 2_000_000;
    hub.ignoreRange = true;
    const result = await pullModel('gpt2', options());
    assert.equal(await sha256Of(path.join(result.dir, 'model.safetensors')), sourceSha);
  });

  test('a wrong sha256 is rejected and nothing enters the snapshot', async () => {
    hub.wrongSha256 = true;
    await assert.rejects(pullModel('gpt2', options()), /openai-community\/gpt2\/model\.safetensors: sha256 mismatch — the Hub says [0-9a-f]{64}, the download is [0-9a-f]{64}; the partial file was deleted/);
    const snapshot = path.join(cacheDir, 'models--openai-community--gpt2', 'snapshots', hub.commit);
    assert.deepEqual(await fs.readdir(snapshot), ['config.json'], 'only the verified config.json');
    const blobs = await fs.readdir(path.join(cacheDir, 'models--openai-community--gpt2', 'blobs'));
    assert.equal(blobs.length, 1, `only config.json's blob: ${blobs}`);
    const refWritten = await fs.access(refPath(cacheDir, REPO, 'main')).then(() => true, () => false);
    assert.equal(refWritten, false, 'refs/main is not written for a failed pull');
    assert.equal(await findSnapshot(cacheDir, REPO, ['config.json', 'model.safetensors']), undefined);
  });

  test('HF_TOKEN goes to the Hub in an Authorization header (not to the CDN); without it a gated repo says so', async () => {
    const gated = await FakeHub.start({ repos: { [REPO]: source }, token: 'hf_secret', cdnHost: 'localhost' });
    try {
      await assert.rejects(pullModel('gpt2', options({ endpoint: gated.url })), /access denied \(HTTP 401\); the repository may be gated or private: set HF_TOKEN/);
      gated.requests.length = 0;
      const result = await pullModel('gpt2', options({ endpoint: gated.url, token: 'hf_secret' }));
      assert.equal(await sha256Of(path.join(result.dir, 'model.safetensors')), sourceSha);
      const resolves = gated.requestsTo(`/${REPO}/resolve/`);
      assert.ok(resolves.length >= 2 && resolves.every((r) => r.headers.authorization === 'Bearer hf_secret'));
      const cdn = gated.requestsTo('/cdn/');
      assert.ok(cdn.length >= 1 && cdn.every((r) => r.headers.host?.startsWith('localhost:') && r.headers.authorization === undefined), 'the token stays on the Hub');
    } finally {
      await gated.close();
    }
  });

  test('clear errors: unknown name, generated model, missing revision, unreachable endpoint', async () => {
    await assert.rejects(pullModel('gpt5', options()), /unknown model "gpt5": the models on the Hub are gpt2, gpt2-medium, gpt2-large, gpt2-xl, distilgpt2$/);
    await assert.rejects(pullModel('tiny-random', options()), /generated locally, not downloaded/);
    await assert.rejects(pullModel('gpt2', options({ revision: 'v9' })), /openai-community\/gpt2\/config\.json: not found \(HTTP 404\)/);
    await assert.rejects(pullModel('distilgpt2', options()), /distilbert\/distilgpt2\/config\.json: not found/);
    await assert.rejects(pullModel('gpt2', options({ endpoint: 'http://127.0.0.1:9', retries: 1 })), /gave up after 2 attempts/);
    // A host that does not resolve fails at once: no five retries with backoff.
    const started = Date.now();
    await assert.rejects(pullModel('gpt2', options({ endpoint: 'http://no-such-hub.invalid', retries: 5, retryDelayMs: 2_000 })),
      /openai-community\/gpt2\/config\.json: the host no-such-hub\.invalid does not resolve \(ENOTFOUND\); check your network or HF_ENDPOINT$/);
    assert.ok(Date.now() - started < 1_900, 'no retry delay');
  });
});
