// The job processor and the delivery queue inside real BullMQ Workers (in this process, with a
// stand-in for the analysis thread and a recording deliverer): analyses hand their final message
// over to the delivery queue, which posts it once, retrying with backoff for as long as the
// platform fails, without recomputing; bad input not retried; fallback-model results not cached;
// expired cache hits forwarded; a slow platform never holds an analysis slot.
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
import { ResultStore, startDeliveryWorker, type DeliveryJob } from '../../src/queue/delivery.ts';
import { DeliveryRefusedError, type DeliveryAttempt } from '../../src/queue/delivery-ledger.ts';
import type { AnalysisJob } from '../../src/queue/jobs.ts';
import type { JobOutcome } from '../../src/queue/job-status.ts';
import { cacheIdentity, createProcessor, watchFinalFailures } from '../../src/queue/processor.ts';
import { bullConnection, deliveryBackoffMs, queueName, type QueueKind, type QueueRuntime } from '../../src/queue/runtime.ts';
import { dropRuntime, sleep, testRuntime, waitFor } from './support.ts';

const quiet = { info() {}, warn() {}, error() {} };
// Stand-ins with what the processor reads: the id, the queue, and whether a seed is drawn.
const light = { id: 'fourier', usesModel: false, options: z.object({}) } as unknown as Analysis;
const model = { id: 'heatmap', usesModel: true, options: z.object({}) } as unknown as Analysis;
/** Draws a seed when none is given: such a run is never cached, so a retry would recompute it. */
const seeded = { id: 'slope', usesModel: false, options: z.object({ seed: z.number().optional() }) } as unknown as Analysis;

let rt: QueueRuntime;
let workers: Worker[];
let posts: { kind: 'progress' | 'result' | 'error'; text: string; at: number }[];
let failDeliveries: number;
let deliveryDelayMs: number;
let refuseDeliveries: boolean;
let attempts: DeliveryAttempt[];

const deliverer: Deliverer = {
  platform: 'web',
  progress: async (_t, text) => void posts.push({ kind: 'progress', text, at: Date.now() }),
  async deliverResult(_t, r, ...rest: unknown[]) {
    attempts.push(rest[0] as DeliveryAttempt);
    if (deliveryDelayMs) await sleep(deliveryDelayMs);
    if (refuseDeliveries) throw new DeliveryRefusedError('I cannot post in this channel.');
    if (failDeliveries > 0) {
      failDeliveries--;
      throw new Error('platform answered 503');
    }
    posts.push({ kind: 'result', text: r.title, at: Date.now() });
  },
  deliverError: async (_t, text) => void posts.push({ kind: 'error', text, at: Date.now() }),
};

function resultOf(job: ThreadJob, modelName: string | null): AnalysisResult {
  return {
    analysis: job.analysis, title: `result of ${job.analysis}`, explanation: '', postUrl: '', notebookUrl: '',
    model: modelName ? { name: modelName, tinyRandom: modelName === 'tiny-random' } : null, seed: null,
    options: job.options, timings: { computeMs: 1, renderMs: 1, totalMs: 2 }, figures: [], data: {},
  };
}

function startWorker(kind: QueueKind, run?: (job: ThreadJob, hooks: RunHooks) => Promise<AnalysisResult>): Worker {
  const processor = createProcessor({ runtime: rt, kind, run, deliverers: () => deliverer, analysis: (id) => [light, model, seeded].find((a) => a.id === id), log: quiet });
  const w = new Worker(queueName(kind), processor, { connection: bullConnection(rt.redisUrl), prefix: rt.prefix, concurrency: 1 });
  workers.push(w);
  if (!workers.some((x) => x.name === queueName('delivery'))) workers.push(startDeliveryWorker({ runtime: rt, deliverers: () => deliverer, log: quiet }));
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
  }, 15_000, `${jobId} to finish in ${kind}`);
}

const finals = () => posts.filter((p) => p.kind !== 'progress').map(({ kind, text }) => ({ kind, text }));

beforeEach(() => {
  rt = testRuntime({ jobAttempts: 3, jobBackoffMs: 50, progressIntervalMs: 0 });
  workers = [];
  posts = [];
  attempts = [];
  failDeliveries = 0;
  deliveryDelayMs = 0;
  refuseDeliveries = false;
});
afterEach(async () => {
  await Promise.all(workers.map((w) => w.close()));
  await dropRuntime(rt);
});

test('a delivery that fails is retried by the delivery queue: the analysis (uncacheable: no seed) runs once, the result is posted once', async () => {
  let runs = 0;
  failDeliveries = 2;
  startWorker('light', async (job, hooks) => {
    runs++;
    hooks.progress('layer 1/2', 0.5);
    await sleep(50); // a stage long enough for its edit to go out
    return resultOf(job, null);
  });
  await rt.queues.light.add('slope', jobData('p1', 'slope', { options: {} }), { jobId: 'r-p1' });
  const analysisJob = await finished('light', 'r-p1');
  assert.equal((analysisJob.returnvalue as JobOutcome).status, 'forwarded', 'handed over to the delivery queue');
  assert.equal(analysisJob.attemptsMade, 1, 'the analysis job never failed');
  const delivery = await finished('delivery', 'r-p1');
  assert.equal((delivery.returnvalue as JobOutcome).status, 'delivered');
  assert.equal(delivery.attemptsMade, 3, 'two failed posts and the one that landed');
  assert.equal(runs, 1, 'computed once');
  assert.deepEqual(finals(), [{ kind: 'result', text: 'result of slope' }]);
  assert.ok(posts.some((p) => p.kind === 'progress' && p.text === 'running /slope · layer 1/2 (50%)'));
  assert.equal(await new ResultStore(rt).get('p1'), null, 'the stored result is dropped once posted');
});

test('a platform outage longer than the analysis retries: the delivery keeps retrying with a capped backoff until it lands', async () => {
  // Six failures in a row: more than jobAttempts (3), which is all an analysis job gets.
  failDeliveries = 6;
  let runs = 0;
  startWorker('light', async (job) => {
    runs++;
    return resultOf(job, null);
  });
  await rt.queues.light.add('fourier', jobData('p1b'), { jobId: 'r-p1b' });
  const delivery = await waitFor(async () => {
    const j = await rt.queues.delivery.getJob('r-p1b');
    return (await j?.getState()) === 'completed' ? j : undefined;
  }, 20_000, 'the delivery');
  assert.equal((delivery.returnvalue as JobOutcome).status, 'delivered');
  assert.equal(delivery.attemptsMade, 7);
  assert.equal(runs, 1);
  assert.deepEqual(finals(), [{ kind: 'result', text: 'result of fourier' }]);
  // The backoff doubles from deliveryBackoffMs and stops growing at deliveryBackoffMaxMs.
  const s = rt.settings;
  assert.deepEqual([1, 2, 3, 20].map((n) => deliveryBackoffMs(n, s)), [50, 100, 200, s.deliveryBackoffMaxMs]);
  assert.ok(s.deliveryAttempts >= 10);
});

test('a slow platform does not hold the analysis slot: the next analysis runs while the first result is being posted', async () => {
  deliveryDelayMs = 1_500;
  const started: { id: string; at: number }[] = [];
  startWorker('light', async (job) => {
    started.push({ id: String(job.options.srate), at: Date.now() });
    return resultOf(job, null);
  });
  await rt.queues.light.add('fourier', jobData('p9', 'fourier', { options: { srate: 1 } }), { jobId: 'r-p9' });
  await rt.queues.light.add('fourier', jobData('p10', 'fourier', { options: { srate: 2 } }), { jobId: 'r-p10' });
  await waitFor(() => posts.filter((p) => p.kind === 'result').length === 2, 15_000, 'both results');
  const firstPosted = posts.find((p) => p.kind === 'result')!.at;
  assert.equal(started.length, 2);
  assert.ok(started[1]!.at < firstPosted - 1_000, `the second analysis started ${firstPosted - started[1]!.at} ms before the first result was posted`);
});

test('a delivery the platform refuses for good: one plain-words notice instead of minutes of retries', async () => {
  refuseDeliveries = true;
  startWorker('light', async (job) => resultOf(job, null));
  await new AdmissionControl(rt).admit('p11', { platform: 'web', userId: 'u' }, { platform: 'web', sessionId: 'p11' });
  await rt.queues.light.add('fourier', jobData('p11'), { jobId: 'r-p11' });
  const delivery = await finished('delivery', 'r-p11');
  assert.equal(await delivery.getState(), 'failed');
  assert.equal(delivery.attemptsMade, 1, 'not retried');
  assert.deepEqual(finals(), [{ kind: 'error', text: 'Sorry — /fourier finished, but I cannot post in this channel.' }]);
  await waitFor(async () => (await rt.redis.zscore(rt.key('rate', 'web', 'u'), 'p11')) === null, 5_000, 'the rate slot to be refunded');
});

test('a delivery whose worker died mid-post is taken over and resumed from the notes it left', async () => {
  // What a killed worker leaves: its claim, a note, and the result waiting in Redis.
  const data = jobData('p12');
  await rt.redis.set(rt.key('delivery', 'p12'), 'posting:dead-worker');
  await rt.redis.hset(rt.key('delivery-notes', 'p12'), 'slack:part:0', JSON.stringify({ stage: 'completing', ids: ['F1'] }));
  await new ResultStore(rt).put('p12', resultOf({ analysis: 'fourier', options: {} }, null));
  startWorker('light', async (job) => resultOf(job, null));
  const delivery: DeliveryJob = { ...data, final: { kind: 'result', status: 'delivered', cached: false } };
  await rt.queues.delivery.add('deliver:fourier', delivery, { jobId: 'r-p12' });
  const done = await finished('delivery', 'r-p12');
  assert.equal((done.returnvalue as JobOutcome).status, 'delivered');
  assert.equal(attempts.length, 1);
  assert.equal(attempts[0]!.resumed, true);
  assert.deepEqual(attempts[0]!.note('slack:part:0'), { stage: 'completing', ids: ['F1'] });
  assert.equal(await rt.redis.get(rt.key('delivery', 'p12')), 'done');
  assert.equal(await rt.redis.exists(rt.key('delivery-notes', 'p12')), 0, 'notes go once the delivery is confirmed');
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
  assert.deepEqual(finals(), [{ kind: 'error', text: 'Sorry — /fourier failed: onnxruntime: out of memory' }]);
  assert.equal(await rt.redis.zcard(rt.key('channel-jobs', 'web:p2')), 0);
  assert.equal(((await finished('delivery', 'r-p2')).returnvalue as JobOutcome).status, 'failed');
});

test('bad input found while computing is the user\'s to fix: told once, not retried', async () => {
  let runs = 0;
  startWorker('light', async () => {
    runs++;
    throw new OptionError('word', '"coffees" is two tokens (" coff", "ees"); pick a single-token word');
  });
  await rt.queues.light.add('fourier', jobData('p3'), { jobId: 'r-p3' });
  const job = await finished('delivery', 'r-p3');
  assert.equal((job.returnvalue as JobOutcome).status, 'rejected');
  assert.equal(runs, 1);
  assert.deepEqual(finals().map((p) => p.text), ['word: "coffees" is two tokens (" coff", "ees"); pick a single-token word']);
});

test('a named model that is not downloaded fails at once with the pull command, without retries', async () => {
  let runs = 0;
  startWorker('model', async () => {
    runs++;
    throw new ModelNotDownloadedError('gpt2-medium');
  });
  await rt.queues.model.add('heatmap', jobData('p3m', 'heatmap', { model: 'gpt2-medium' }), { jobId: 'r-p3m' });
  const job = await finished('delivery', 'r-p3m');
  assert.equal((job.returnvalue as JobOutcome).status, 'rejected');
  assert.equal(runs, 1);
  assert.deepEqual(finals().map((p) => p.text), ['gpt2-medium is not downloaded yet: run `npx lab models pull gpt2-medium`']);
});

test('a default-model result made on the tiny fallback is delivered but never cached as the default model', async () => {
  startWorker('model', async (job) => resultOf(job, 'tiny-random'));
  const data = jobData('p4', 'heatmap');
  await rt.queues.model.add('heatmap', data, { jobId: 'r-p4' });
  await finished('delivery', 'r-p4');
  assert.deepEqual(posts.filter((p) => p.kind === 'result').length, 1);
  assert.equal(await new ResultCache(rt).get(cacheIdentity(data, { usesModel: true }, 'gpt2')), null);

  startWorker('model', async (job) => resultOf(job, 'gpt2'));
  await workers[0]!.close();
  await rt.queues.model.add('heatmap', { ...data, requestId: 'p5' }, { jobId: 'r-p5' });
  await finished('delivery', 'r-p5');
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
  const job = await finished('delivery', 'r-p6');
  assert.equal((job.returnvalue as JobOutcome).status, 'delivered');
  assert.equal(runs, 1);
  assert.equal(posts.filter((p) => p.kind === 'result').length, 1);
});

test('a request already delivered (a replay of an old job) posts nothing', async () => {
  startWorker('light', async (job) => resultOf(job, null));
  await rt.redis.set(rt.key('delivery', 'p7'), 'done');
  await rt.queues.light.add('fourier', jobData('p7'), { jobId: 'r-p7' });
  await finished('light', 'r-p7');
  await sleep(200);
  assert.deepEqual(posts, []);
  assert.equal(await rt.queues.delivery.getJob('r-p7'), undefined, 'nothing handed over');
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
  workers.push(w, startDeliveryWorker({ runtime: rt, deliverers: () => deliverer, log: quiet }));
  w.on('error', () => {}); // the late run's "Missing lock" when it finally returns is expected here
  watchFinalFailures(w, { runtime: rt, log: quiet });
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
  await sleep(300);
  assert.deepEqual(finals().map((p) => p.text), [
    'Sorry — /fourier could not finish: the workers running it stopped before it was done. Try again, perhaps with smaller options.',
  ]);
  assert.equal(await rt.redis.zcard(rt.key('channel-jobs', 'web:p8')), 0);
});
