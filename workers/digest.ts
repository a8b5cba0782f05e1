// The digest worker: takes the jobs that channels' job schedulers fire (and `/digest now`) and
// posts each channel's post of the week. `npm run worker` runs it beside the analysis queues;
// `node --import tsx workers/digest.ts` runs it alone. Any number may run: one digest per
// channel per period is enforced in Redis, not by having a single scheduler process.
import os from 'node:os';
import { pathToFileURL } from 'node:url';
import { Worker } from 'bullmq';
import { pino } from 'pino';
import type { AnalysisResult } from '../src/analyses/types.ts';
import { delivererFor } from '../src/chat/deliverers.ts';
import { config } from '../src/config.ts';
import { createDigestProcessor, type DigestOutcome } from '../src/digest/processor.ts';
import { closeDigestQueue, DIGEST_QUEUE, type DigestJob } from '../src/digest/queue.ts';
import { AnalysisThread, type ThreadJob } from '../src/queue/analysis-thread.ts';
import type { Logger } from '../src/queue/processor.ts';
import { bullConnection, openRuntime, type QueueRuntime } from '../src/queue/runtime.ts';

/** Digests are rare and cheap to schedule; two at once keeps one slow headline from holding up the rest. */
const DIGEST_CONCURRENCY = 2;

export interface RunningDigestWorker {
  worker: Worker<DigestJob, DigestOutcome>;
  shutdown(): Promise<void>;
}

/**
 * A headline analysis runs in a thread of its own that lives only for that run: digests come
 * once a week per channel, so keeping a second model loaded between them would waste memory.
 */
async function runInFreshThread(job: ThreadJob, timeoutMs: number): Promise<AnalysisResult> {
  const thread = new AnalysisThread({ ortThreads: Math.min(config.ORT_THREADS, os.availableParallelism()), warmModel: false });
  try {
    return await thread.run(job, { progress: () => {}, timeoutMs });
  } finally {
    await thread.terminate();
  }
}

export async function startDigestWorker(opts: { log: Logger; runtime?: QueueRuntime }): Promise<RunningDigestWorker> {
  const ownRuntime = !opts.runtime;
  const runtime = opts.runtime ?? openRuntime();
  const s = runtime.settings;
  const processor = createDigestProcessor({
    runtime,
    deliverers: (t) => delivererFor(t),
    run: (job) => runInFreshThread(job, s.jobTimeoutMs),
    log: opts.log,
  });
  const worker = new Worker<DigestJob, DigestOutcome>(DIGEST_QUEUE, processor, {
    connection: bullConnection(runtime.redisUrl),
    prefix: runtime.prefix,
    name: `${os.hostname()}-${process.pid}-digest`,
    concurrency: DIGEST_CONCURRENCY,
    lockDuration: s.jobLockMs,
    stalledInterval: s.stalledIntervalMs,
  });
  worker.on('error', (err) => opts.log.error({ err, queue: DIGEST_QUEUE }, 'digest worker error'));
  worker.on('failed', (job, err) => opts.log.warn({ err, jobId: job?.id, attempt: job?.attemptsMade }, 'digest job failed'));
  await worker.waitUntilReady();
  opts.log.info({ prefix: runtime.prefix }, 'digest worker ready');

  let stopping: Promise<void> | undefined;
  return {
    worker,
    shutdown: () => (stopping ??= (async () => {
      await worker.close();
      await closeDigestQueue(runtime);
      if (ownRuntime) await runtime.close();
    })()),
  };
}

async function main(): Promise<void> {
  const log = pino({ level: config.LOG_LEVEL, base: { proc: 'digest-worker', pid: process.pid } });
  const running = await startDigestWorker({ log });
  const stop = () => running.shutdown().then(() => process.exit(0), (err: unknown) => {
    log.error({ err }, 'shutdown failed');
    process.exit(1);
  });
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
