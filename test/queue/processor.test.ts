// The job processor inside a real BullMQ Worker (in this process, with a stand-in for the
// analysis thread and a recording deliverer): retries with backoff, one final message whatever
// fails, bad input not retried, fallback-model results not cached, expired cache hits forwarded.
import assert from 'node:assert/strict';
import { z } from 'zod';
import { ModelNotDownloadedError } from '../../models/registry.ts';
import { afterEach, beforeEach, test } from 'node:test';
import { Worker } from 'bullmq';
import { OptionError, type Analysis, type AnalysisResult } from '../../src/analyses/types.ts';
import type { Deliverer } from '../../src/chat/types.ts';
import type { RunHooks, ThreadJob } from '../../src/queue/analysis-thread.ts';
import { AdmissionControl } from '../../src/queue/admission.ts';
import { ResultCache } from '../../src/queue/cache.ts';
import type { AnalysisJob } from '../../src/queue/jobs.ts';
import type { JobOutcome } from '../../src/queue/job-status.ts';
import { cacheIdentity, createProcessor, watchFinalFailures } from '../../src/queue/processor.ts';
import { bullConnection, queueName, type QueueKind, type QueueRuntime } from '../../src/queue/runtime.ts';
import { dropRuntime, testRuntime, waitFor } from './support.ts';

const quiet = { info() {}, warn() {}, error() {} };
// Stand-ins with what the processor reads: the id, the queue, and whether a seed is drawn (none).
const light = { id: 'fourier', usesModel: false, options: z.object({}) } as unknown as Analysis;
const model = { id: 'heatmap', usesModel: true, options: z.object({}) } as unknown as Analysis;

let rt: QueueRuntime;
let workers: Worker[];
let posts: { kind: 'progress' | 'result' | 'error'; text: string }[];
let failDeliveries: number;

const deliverer: Deliverer = {
  platform: 'web',
  progress: async (_t, text) => void posts.push({ kind: 'progress', text }),
  async deliverResult(_t, r) {
    if (failDeliveries > 0) {
      failDeliveries--;
      throw new Error('platform answered 503');
    }
    posts.push({ kind: 'result', text: r.title });
  },
  deliverError: async (_t, text) => void posts.push({ kind: 'error', text }),
};

function resultOf(job: ThreadJob, modelName: string | null): AnalysisResult {
  return {
    analysis: job.analysis, title: `result of ${job.analysis}`, explanation: '', postUrl: '', notebookUrl: '',
    model: modelName ? { name: modelName, tinyRandom: modelName === 'tiny-random' } : null, seed: null,
    options: job.options, timings: { computeMs: 1, renderMs: 1, totalMs: 2 }, figures: [], data: {},
  };
}

function startWorker(kind: QueueKind, run?: (job: ThreadJob, hooks: RunHooks) => Promise<AnalysisResult>): Worker {
  const processor = createProcessor({ runtime: rt, kind, run, deliverers: () => deliverer, analysis: (id) => [light, model].find((a) => a.id === id), log: quiet });
  const w = new Worker(queueName(kind), processor, { connection: bullConnection(rt.redisUrl), prefix: rt.prefix, concurrency: 1 });
  workers.push(w);
  return w;
}

function jobData(requestId: string, analysis = 'fourier', extra: Partial<AnalysisJob> = {}): AnalysisJob {
  return { requestId, analysis, options: { srate: 100 }, requester: { platform: 'web', userId: 'u' }, target: { platform: 'web', sessionId: requestId }, enqueuedAt: Date.now(), ...extra };
}

async function finished(kind: QueueKind, jobId: string) {
  return waitFor(async () => {
    const j = await rt.queues[kind].getJob(jobId);
    const state = await j?.getState();
    return state === 'completed' || state === 'failed' ? j : undefined;
  }, 15_000, `${jobId} to finish`);
}

beforeEach(() => {
  rt = testRuntime({ jobAttempts: 3, jobBackoffMs: 50, progressIntervalMs: 0 });
  workers = [];
  posts = [];
  failDeliveries = 0;
});
afterEach(async () => {
  await Promise.all(workers.map((w) => w.close()));
  await dropRuntime(rt);
});

test('a delivery that fails is retried from the cache: the analysis runs once, the result is posted once', async () => {
  let runs = 0;
  failDeliveries = 1;
  startWorker('light', async (job, hooks) => {
    runs++;
    hooks.progress('layer 1/2', 0.5);
    await new Promise((r) => setTimeout(r, 50)); // a stage long enough for its edit to go out
    return resultOf(job, null);
  });
  await rt.queues.light.add('fourier', jobData('p1'), { jobId: 'r-p1' });
  const job = await finished('light', 'r-p1');
  assert.equal((job.returnvalue as JobOutcome).status, 'delivered');
  assert.equal((job.returnvalue as JobOutcome).cached, true, 'the second attempt used the cached result');
  assert.equal(job.attemptsMade, 2, 'two attempts: the failed delivery and the retry');
  assert.equal(runs, 1);
  assert.deepEqual(posts.filter((p) => p.kind !== 'progress'), [{ kind: 'result', text: 'result of fourier' }]);
  assert.ok(posts.some((p) => p.kind === 'progress' && p.text === 'running /fourier · layer 1/2 (50%)'));
});

test('an analysis that keeps failing: retried with backoff, then one plain-words error, and the job is failed', async () => {
  let runs = 0;
  startWorker('light', async () => {
    runs++;
    throw new Error('onnxruntime: out of memory');
  });
  await new AdmissionControl(rt).admit('p2', { platform: 'web', userId: 'u' }, { platform: 'web', sessionId: 'p2' });
  await rt.queues.light.add('fourier', jobData('p2'), { jobId: 'r-p2' });
  const job = await finished('light', 'r-p2');
  assert.equal(await job.getState(), 'failed');
  // Nothing came of it, so the user's rate-limit slot is given back.
  await waitFor(async () => (await rt.redis.zscore(rt.key('rate', 'web', 'u'), 'p2')) === null, 5_000, 'the rate slot to be refunded');
  assert.equal(runs, 3);
  assert.deepEqual(posts.filter((p) => p.kind !== 'progress'), [{ kind: 'error', text: 'Sorry — /fourier failed: onnxruntime: out of memory' }]);
  assert.equal(await rt.redis.zcard(rt.key('channel-jobs', 'web:p2')), 0);
});

test('bad input found while computing is the user\'s to fix: told once, not retried', async () => {
  let runs = 0;
  startWorker('light', async () => {
    runs++;
    throw new OptionError('word', '"coffees" is two tokens (" coff", "ees"); pick a single-token word');
  });
  await rt.queues.light.add('fourier', jobData('p3'), { jobId: 'r-p3' });
  const job = await finished('light', 'r-p3');
  assert.equal((job.returnvalue as JobOutcome).status, 'rejected');
  assert.equal(runs, 1);
  assert.deepEqual(posts.filter((p) => p.kind !== 'progress').map((p) => p.text), ['word: "coffees" is two tokens (" coff", "ees"); pick a single-token word']);
});

test('a named model that is not downloaded fails at once with the pull command, without retries', async () => {
  let runs = 0;
  startWorker('model', async () => {
    runs++;
    throw new ModelNotDownloadedError('gpt2-medium');
  });
  await rt.queues.model.add('heatmap', jobData('p3m', 'heatmap', { model: 'gpt2-medium' }), { jobId: 'r-p3m' });
  const job = await finished('model', 'r-p3m');
  assert.equal((job.returnvalue as JobOutcome).status, 'rejected');
  assert.equal(runs, 1);
  assert.deepEqual(posts.filter((p) => p.kind !== 'progress').map((p) => p.text), ['gpt2-medium is not downloaded yet: run `npx lab models pull gpt2-medium`']);
});

test('a default-model result made on the tiny fallback is delivered but never cached as the default model', async () => {
  startWorker('model', async (job) => resultOf(job, 'tiny-random'));
  const data = jobData('p4', 'heatmap');
  await rt.queues.model.add('heatmap', data, { jobId: 'r-p4' });
  await finished('model', 'r-p4');
  assert.deepEqual(posts.filter((p) => p.kind === 'result').length, 1);
  assert.equal(await new ResultCache(rt).get(cacheIdentity(data, { usesModel: true }, 'gpt2')), null);

  startWorker('model', async (job) => resultOf(job, 'gpt2'));
  await workers[0]!.close();
  await rt.queues.model.add('heatmap', { ...data, requestId: 'p5' }, { jobId: 'r-p5' });
  await finished('model', 'r-p5');
  assert.ok(await new ResultCache(rt).get(cacheIdentity(data, { usesModel: true }, 'gpt2')), 'the real model\'s result is cached');
});

test('a cache hit whose entry expired meanwhile is forwarded to the analysis queue and still delivered once', async () => {
  let runs = 0;
  startWorker('cached');
  startWorker('light', async (job) => {
    runs++;
    return resultOf(job, null);
  });
  await rt.queues.cached.add('fourier', jobData('p6'), { jobId: 'r-p6' });
  const forwarded = await finished('cached', 'r-p6');
  assert.equal((forwarded.returnvalue as JobOutcome).status, 'forwarded');
  const job = await finished('light', 'r-p6');
  assert.equal((job.returnvalue as JobOutcome).status, 'delivered');
  assert.equal(runs, 1);
  assert.equal(posts.filter((p) => p.kind === 'result').length, 1);
});

test('a request already delivered (a replay of an old job) posts nothing', async () => {
  startWorker('light', async (job) => resultOf(job, null));
  await rt.redis.set(rt.key('delivery', 'p7'), 'done');
  await rt.queues.light.add('fourier', jobData('p7'), { jobId: 'r-p7' });
  const job = await finished('light', 'r-p7');
  assert.equal((job.returnvalue as JobOutcome).status, 'already-delivered');
  assert.deepEqual(posts, []);
});

test('a job that stalls more often than allowed is failed by BullMQ, and the user is still told once', async () => {
  // A worker that never renews its lock: its job stalls at the first check; with maxStalledCount
  // 0 BullMQ marks it and fails it when it is picked up again, without running any catch of ours.
  let release!: () => void;
  const hung = new Promise<void>((r) => (release = r));
  const processor = createProcessor({
    runtime: rt, kind: 'light', deliverers: () => deliverer, analysis: () => light, log: quiet,
    run: async (job) => {
      await hung;
      return resultOf(job, null);
    },
  });
  const w = new Worker(queueName('light'), processor, {
    connection: bullConnection(rt.redisUrl), prefix: rt.prefix,
    lockDuration: 500, stalledInterval: 300, maxStalledCount: 0, skipLockRenewal: true,
    concurrency: 2, // the free slot picks the marked job up again, and BullMQ fails it there
  });
  workers.push(w);
  w.on('error', () => {}); // the late run's "Missing lock" when it finally returns is expected here
  watchFinalFailures(w, { runtime: rt, deliverers: () => deliverer, log: quiet });
  await rt.queues.light.add('fourier', jobData('p8'), { jobId: 'r-p8' });
  try {
    await waitFor(() => posts.some((p) => p.kind === 'error'), 15_000, 'the failure notice');
  } finally {
    release(); // the stuck run finishes late: its result must not be posted on top
  }
  const job = (await rt.queues.light.getJob('r-p8'))!;
  assert.equal(await job.getState(), 'failed');
  assert.equal(job.failedReason, 'job stalled more than allowable limit');
  await w.close(); // waits for the late run to return
  assert.deepEqual(posts.filter((p) => p.kind !== 'progress').map((p) => p.text), [
    'Sorry — /fourier could not finish: the workers running it stopped before it was done. Try again, perhaps with smaller options.',
  ]);
  assert.equal(await rt.redis.zcard(rt.key('channel-jobs', 'web:p8')), 0);
});
