// Fair scheduling, end to end against Redis: commands go through the real dispatcher, a real
// BullMQ worker takes them one at a time, and every user's first job starts before anyone's
// second, however many one user queued first (issue 20: "another user's command waited at
// position 6"). The worker stands in for the analysis thread: it records the order jobs start in
// and frees the admission entry as the processor does when a job finishes.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Worker, type Job } from 'bullmq';
import { createDispatcher, fairPriority, type Dispatcher } from '../../src/commands/dispatch.ts';
import type { Deliverer } from '../../src/chat/types.ts';
import { AdmissionControl } from '../../src/queue/admission.ts';
import { userJobs } from '../../src/queue/job-status.ts';
import type { AnalysisJob } from '../../src/queue/jobs.ts';
import { bullConnection, queueName, type QueueRuntime } from '../../src/queue/runtime.ts';
import { dropRuntime, sleep, testRuntime, waitFor } from './support.ts';

let rt: QueueRuntime;
let dispatcher: Dispatcher;
const nobody: Deliverer = { platform: 'web', progress: async () => {}, deliverResult: async () => {}, deliverError: async () => {} };

before(() => {
  rt = testRuntime({ rateLimitCount: 100, channelMaxJobs: 100 });
  // Budgets off: this file is about the order, not the amount.
  dispatcher = createDispatcher({ runtime: rt, deliverers: () => nobody, budgets: { userS: 0, channelS: 0 } });
});
after(() => dropRuntime(rt));

let n = 0;
/** /correlation without a seed: never a cache hit, always the light queue. */
async function ask(user: string, label = 'x'): Promise<{ jobId: string; position: number }> {
  const out = await dispatcher.handle({
    requestId: `fair-${label}-${++n}`, command: 'correlation', rawOptions: {},
    requester: { platform: 'discord', userId: user }, target: { platform: 'web', sessionId: `tab-${user}` },
  });
  assert.equal(out.kind, 'queued', JSON.stringify(out));
  return out.kind === 'queued' ? out : { jobId: '', position: -1 };
}

test('fairPriority: none for a first job (the wait list), then 1, 2, … (lower runs sooner)', () => {
  assert.deepEqual([1, 2, 3, 10].map(fairPriority), [0, 1, 2, 9]);
});

test("a real worker starts user B's first job before user A's second, though A queued three first", async () => {
  const admission = new AdmissionControl(rt);
  const started: string[] = [];
  const worker = new Worker<AnalysisJob>(queueName('light'), async (job: Job<AnalysisJob>) => {
    started.push(job.data.requestId.split('-')[1]!);
    await sleep(150);
    await admission.release(job.data.requestId, job.data.target);
  }, { connection: bullConnection(rt.redisUrl), prefix: rt.prefix, concurrency: 1 });
  try {
    await worker.waitUntilReady();
    const queue: [string, string][] = [['ana', 'A1'], ['ana', 'A2'], ['ana', 'A3'], ['ben', 'B1'], ['cy', 'C1'], ['cy', 'C2']];
    const positions: number[] = [];
    for (const [user, label] of queue) {
      const { position } = await ask(user, label);
      positions.push(position);
    }
    await waitFor(() => started.length === queue.length, 15_000, 'all six jobs to start');
    // A1 was taken at once; then every first job (B1, C1), then the seconds (A2 before C2: it
    // came first), then A's third.
    assert.deepEqual(started, ['A1', 'B1', 'C1', 'A2', 'C2', 'A3']);
    // What each was told when it was queued: A2 and A3 at the end, B1 ahead of them, and so on.
    assert.ok(positions[3]! < positions[2]!, `B1 was told ${positions[3]}, A3 ${positions[2]}`);
    assert.ok(positions[4]! <= positions[3]! + 1 && positions[5]! >= positions[4]!, JSON.stringify(positions));

    // Once A's jobs are done, A's next job is a first job again.
    await waitFor(async () => (await rt.queues.light.getJobCountByTypes('active', 'wait', 'prioritized')) === 0, 5_000, 'the queue to drain');
    await waitFor(async () => (await rt.redis.zcard(rt.key('unfinished', 'light', 'discord', 'ana'))) === 0, 5_000, "A's entries to go");
    const { jobId } = await ask('ana');
    const job = await rt.queues.light.getJob(jobId);
    assert.equal(job?.opts.priority ?? 0, 0);
  } finally {
    await worker.close();
  }
});

test('the jobs of one user keep their order, behind nobody else', async () => {
  const first = await ask('dee');
  const second = await ask('dee');
  const [a, b] = await Promise.all([rt.queues.light.getJob(first.jobId), rt.queues.light.getJob(second.jobId)]);
  assert.equal(a?.opts.priority ?? 0, 0);
  assert.equal(b?.opts.priority, 1);
  assert.ok(second.position > first.position);
  // A newcomer's first job is told the place right behind dee's first, ahead of dee's second.
  const newcomer = await ask('eli');
  assert.equal(newcomer.position, first.position + 1);
  const [waiting, prioritized] = await Promise.all([rt.queues.light.getWaiting(), rt.queues.light.getPrioritized()]);
  assert.ok(waiting.some((j) => j.id === newcomer.jobId) && prioritized.some((j) => j.id === second.jobId));
  // /job shows a prioritized job's place too: behind the whole wait list.
  const views = await userJobs(rt, { platform: 'discord', userId: 'dee' });
  const secondView = views.find((v) => v.ref.jobId === second.jobId);
  assert.equal(secondView?.state, 'waiting');
  assert.equal(secondView?.position, waiting.length + prioritized.findIndex((j) => j.id === second.jobId) + 1);
});
