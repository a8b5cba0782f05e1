// End to end with a real Redis and a real worker process, delivering to the web target (a Redis
// stream the test can read): one delivery per command, progress before it, cache hits at once,
// a running job cancelled through /job.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createWebDeliverer } from '../../src/chat/web/deliver.ts';
import { createDispatcher, type Dispatcher } from '../../src/commands/dispatch.ts';
import type { JobOutcome } from '../../src/queue/job-status.ts';
import type { QueueRuntime } from '../../src/queue/runtime.ts';
import { dropRuntime, sleep, testRuntime, waitFor } from '../queue/support.ts';
import { events, spawnWorker, stopWorker, waitForEvent, type WorkerProcess } from './support.ts';

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
let rt: QueueRuntime;
let dispatcher: Dispatcher;
let worker: WorkerProcess;

before(async () => {
  rt = testRuntime({ rateLimitCount: 50 });
  // Same deliverer the worker uses for web targets, so the bot side writes where workers write.
  const web = createWebDeliverer({ redis: rt.redis, prefix: rt.prefix });
  dispatcher = createDispatcher({ runtime: rt, deliverers: () => web });
  worker = spawnWorker(rt.prefix, { WORKER_QUEUES: 'model,light,cached' });
  await worker.ready;
});
after(async () => {
  await stopWorker(worker);
  await dropRuntime(rt);
});

const web = (sessionId: string) => ({ platform: 'web' as const, sessionId });
const ask = (requestId: string, command: string, rawOptions: Record<string, unknown>, sessionId: string) =>
  dispatcher.handle({ requestId, command, rawOptions, requester: { platform: 'web', userId: 'tester' }, target: web(sessionId) });

test('a command ends with exactly one result, PNGs and progress included; a repeat comes from the cache at once', async () => {
  const out = await ask('e2e-1', 'fourier', { srate: '500', duration: '2' }, 's1');
  assert.equal(out.kind, 'queued');
  await waitForEvent(rt, 's1', 'result', 60_000);
  await sleep(1_500); // any second delivery would have arrived by now
  const evs = await events(rt, 's1');
  const results = evs.filter((e) => e.type === 'result');
  assert.equal(results.length, 1, 'exactly one result');
  assert.ok(evs.findIndex((e) => e.type === 'progress') < evs.findIndex((e) => e.type === 'result'), 'progress before the result');
  const firstProgress = evs.find((e) => e.type === 'progress');
  assert.match(firstProgress?.type === 'progress' ? firstProgress.text : '', /^running \/fourier · /);
  const r = results[0]!.type === 'result' ? results[0]!.result : undefined;
  assert.ok(r && r.analysis === 'fourier' && r.options.srate === 500);
  assert.ok(r.figures.length >= 3 && r.figures.every((f) => f.png.subarray(0, 8).equals(PNG_SIGNATURE)));
  const job = await rt.queues.delivery.getJob('r-e2e-1');
  assert.equal((job?.returnvalue as JobOutcome).status, 'delivered');
  assert.equal(((await rt.queues.light.getJob('r-e2e-1'))?.returnvalue as JobOutcome).status, 'forwarded', 'the analysis handed its result to the delivery queue');
  assert.equal(await rt.redis.zcard(rt.key('channel-jobs', 'web:s1')), 0, 'the channel slot is free again');

  const t0 = Date.now();
  const again = await ask('e2e-2', 'fourier', { duration: '2', srate: '500' }, 's2');
  assert.ok(again.kind === 'queued' && again.position === 0, 'a cache hit');
  const hit = await waitForEvent(rt, 's2', 'result', 10_000);
  const ms = Date.now() - t0;
  assert.ok(ms < 2_000, `cache hit delivered in ${ms} ms`);
  assert.ok(hit.type === 'result');
  assert.deepEqual(hit.result.figures.map((f) => f.png.toString('base64')), r.figures.map((f) => f.png.toString('base64')));
  assert.equal(((await rt.queues.delivery.getJob('r-e2e-2'))?.returnvalue as JobOutcome).cached, true);
});

test('a GPT-2 command runs on the model thread (tiny random checkpoint) and is delivered once', async () => {
  const out = await ask('e2e-3', 'heatmap', { model: 'tiny-random' }, 's3');
  assert.equal(out.kind, 'queued');
  const ev = await waitForEvent(rt, 's3', 'result', 90_000);
  assert.ok(ev.type === 'result' && ev.result.model?.name === 'tiny-random' && ev.result.model.tinyRandom);
  await sleep(500);
  assert.equal((await events(rt, 's3')).filter((e) => e.type === 'result').length, 1);
});

test('/job cancel stops a running job at its next stage; the user is told once', async () => {
  const out = await ask('e2e-4', 'fourier', { duration: '10', srate: '2000', phases: '64' }, 's4');
  assert.equal(out.kind, 'queued');
  await waitForEvent(rt, 's4', 'progress', 30_000);
  const status = await dispatcher.handle({ requestId: 'e2e-4s', command: 'job', rawOptions: {}, requester: { platform: 'web', userId: 'tester' }, target: web('s4') });
  assert.ok(status.kind === 'reply');
  assert.match(status.reply.text, /• `e2e-4` \/fourier — running: (starting|rendering figures) \(\d+ s ago\)/);
  const reply = await dispatcher.handle({ requestId: 'e2e-5', command: 'job', rawOptions: { id: 'e2e-4', cancel: 'true' }, requester: { platform: 'web', userId: 'tester' }, target: web('s4') });
  assert.ok(reply.kind === 'reply');
  assert.match(reply.reply.text, /^Stopping job `e2e-4` \(\/fourier\)/);
  const err = await waitForEvent(rt, 's4', 'error', 30_000);
  assert.ok(err.type === 'error' && err.message === 'Cancelled at your request.');
  const job = await waitFor(async () => {
    const j = await rt.queues.delivery.getJob('r-e2e-4');
    return j?.returnvalue ? j : undefined;
  }, 10_000, 'the job to finish');
  assert.equal((job.returnvalue as JobOutcome).status, 'cancelled');
  assert.equal((await events(rt, 's4')).filter((e) => e.type === 'result' || e.type === 'error').length, 1);
});
