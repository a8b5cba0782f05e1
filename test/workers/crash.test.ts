// Workers that die or are stopped mid-job: the job still ends with exactly one delivery.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createWebDeliverer } from '../../src/chat/web/deliver.ts';
import { createDispatcher, type Dispatcher } from '../../src/commands/dispatch.ts';
import type { JobOutcome } from '../../src/queue/job-status.ts';
import type { QueueRuntime } from '../../src/queue/runtime.ts';
import { dropRuntime, sleep, testRuntime, waitFor } from '../queue/support.ts';
import { events, spawnWorker, stopWorker, waitForEvent, type WorkerProcess } from './support.ts';

// A short lock and stalled check so a dead worker's job is picked up within seconds.
const FAST_RECOVERY = { JOB_LOCK_MS: '2000', STALLED_INTERVAL_MS: '1000' };
// Each test stops its workers before the next starts, so the worker under test is the only one.

/** A /fourier run of a few seconds: long enough to be caught mid-job (each test its own, so none is a cache hit). */
const slow = (phases: number) => ({ duration: '10', srate: '2000', phases: String(phases) });

let rt: QueueRuntime;
let dispatcher: Dispatcher;
const started: WorkerProcess[] = [];
const start = (env: Record<string, string> = {}) => {
  const w = spawnWorker(rt.prefix, { ...FAST_RECOVERY, ...env });
  started.push(w);
  return w;
};

before(() => {
  rt = testRuntime({ rateLimitCount: 50 });
  const web = createWebDeliverer({ redis: rt.redis, prefix: rt.prefix });
  dispatcher = createDispatcher({ runtime: rt, deliverers: () => web });
});
after(async () => {
  if (process.env.DEBUG_WORKER_LOGS) for (const w of started) console.log(w.child.pid, JSON.stringify(w.logs.map((l) => [l.msg, l.jobId, l.queue, l.err])));
  for (const w of started) await stopWorker(w);
  await dropRuntime(rt);
});

const ask = (requestId: string, sessionId: string, phases: number) =>
  dispatcher.handle({ requestId, command: 'fourier', rawOptions: slow(phases), requester: { platform: 'web', userId: `u-${requestId}` }, target: { platform: 'web', sessionId } });

async function finalEvents(sessionId: string) {
  return (await events(rt, sessionId)).filter((e) => e.type === 'result' || e.type === 'error');
}

test('a worker killed with SIGKILL mid-job: another worker takes the job over, and it is delivered once', async () => {
  const a = start();
  await a.ready;
  assert.equal((await ask('kill-1', 'k1', 64)).kind, 'queued');
  await waitForEvent(rt, 'k1', 'progress', 30_000); // worker A is running it now
  a.child.kill('SIGKILL');
  await a.exited;
  assert.deepEqual(await finalEvents('k1'), [], 'nothing was delivered by the killed worker');

  const b = start();
  await b.ready;
  await waitForEvent(rt, 'k1', 'result', 60_000);
  await sleep(1_500);
  assert.equal((await finalEvents('k1')).length, 1, 'exactly one delivery');
  const job = await rt.queues.delivery.getJob('r-kill-1');
  assert.equal((job?.returnvalue as JobOutcome).status, 'delivered');
  assert.ok(b.logs.some((l) => l.msg === 'job finished' && l.jobId === 'r-kill-1'), 'worker B finished it');
  await stopWorker(b);
});

test('SIGTERM: the worker finishes its current job, delivers it once, and exits cleanly', async () => {
  const w = start();
  await w.ready;
  assert.equal((await ask('term-1', 't1', 63)).kind, 'queued');
  await waitForEvent(rt, 't1', 'progress', 30_000);
  w.child.kill('SIGTERM');
  assert.equal(await w.exited, 0);
  assert.equal((await finalEvents('t1')).length, 1);
  assert.equal(((await rt.queues.delivery.getJob('r-term-1'))?.returnvalue as JobOutcome).status, 'delivered');
  // With a 2 s lock, a forward pass or render on the main thread would have let the lock lapse.
  assert.ok(!w.logs.some((l) => /stalled/.test(l.msg)), 'no stalled job');
});

test('SIGTERM past the shutdown deadline returns the job to the queue untouched; the next worker delivers it once', async () => {
  const w = start({ SHUTDOWN_TIMEOUT_MS: '200' });
  await w.ready;
  assert.equal((await ask('term-2', 't2', 62)).kind, 'queued');
  await waitForEvent(rt, 't2', 'progress', 30_000);
  w.child.kill('SIGTERM');
  assert.equal(await w.exited, 0);
  const state = await (await rt.queues.light.getJob('r-term-2'))!.getState();
  assert.equal(state, 'waiting', 'back in the queue');
  assert.deepEqual(await finalEvents('t2'), []);

  const next = start();
  await next.ready;
  await waitFor(async () => (await finalEvents('t2')).length > 0, 60_000, 'the delivery');
  await sleep(1_000);
  const finals = await finalEvents('t2');
  assert.deepEqual(finals.map((e) => e.type), ['result']);
  await stopWorker(next);
});
