// `npm run worker`: a worker process. Run as many as you like, on any machine that reaches Redis.
// It serves the model queue with one analysis thread (which keeps its GPT-2 loaded between jobs),
// the light queue with LIGHT_CONCURRENCY threads, and the cache-hit queue on its main thread,
// so BullMQ's lock renewal never waits behind a forward pass. Every worker also posts finished
// requests (the delivery queue, many at once on its main thread: posting waits on the network),
// so results are posted while the analysis slots already run the next jobs.
import os from 'node:os';
import { pathToFileURL } from 'node:url';
import { Worker } from 'bullmq';
import { pino } from 'pino';
import { ANALYSES } from '../src/analyses/index.ts';
import { delivererFor } from '../src/chat/deliverers.ts';
import { config } from '../src/config.ts';
import { missingEngineFlags } from '../src/llm/node-flags.ts';
import type { ReplyTarget } from '../src/queue/jobs.ts';
import { AnalysisThread, ThreadPool } from '../src/queue/analysis-thread.ts';
import { cancelChannel } from '../src/queue/job-status.ts';
import { keepPublishingModels } from '../src/queue/model-presence.ts';
import { startDeliveryWorker } from '../src/queue/delivery.ts';
import { createProcessor, SHUTDOWN_REASON, USER_CANCEL_REASON, watchFinalFailures, type Logger } from '../src/queue/processor.ts';
import { bullConnection, connectRedis, jobIdFor, openRuntime, queueName, type AnalysisKind, type QueueRuntime } from '../src/queue/runtime.ts';
import { startDigestWorker } from './digest.ts';

/** Cache hits only read Redis and post: several at once cost nothing. */
const CACHED_CONCURRENCY = 4;

export interface RunningWorker {
  runtime: QueueRuntime;
  workers: Worker[];
  /** Stop taking jobs, finish the current ones within the deadline, return the rest to the queue. */
  shutdown(): Promise<void>;
}

export async function startWorker(opts: { kinds: AnalysisKind[]; log: Logger & pino.Logger }): Promise<RunningWorker> {
  const { log } = opts;
  const runtime = openRuntime();
  const s = runtime.settings;
  const cores = os.availableParallelism();
  // Each model thread runs onnxruntime with ORT_THREADS intra-op threads; more than the cores this
  // worker may use would only make the threads fight (set both with `cpus:` in docker-compose).
  const ortThreads = Math.min(config.ORT_THREADS, cores);
  if (ortThreads < config.ORT_THREADS) log.warn({ ORT_THREADS: config.ORT_THREADS, cores }, 'ORT_THREADS exceeds the available cores; using fewer');

  const threadEvents = {
    warm: (i: { model?: string; error?: string }) => (i.error ? log.warn({ error: i.error }, 'could not preload the model') : log.info({ model: i.model }, 'model loaded')),
    exit: (i: { code: number; running: boolean }) => log.warn(i, 'analysis thread exited; a new one starts with the next job'),
  };
  const pools: Partial<Record<AnalysisKind, ThreadPool>> = {};
  if (opts.kinds.includes('model')) pools.model = new ThreadPool(1, () => new AnalysisThread({ ortThreads, warmModel: true }, threadEvents));
  if (opts.kinds.includes('light')) pools.light = new ThreadPool(s.lightConcurrency, () => new AnalysisThread({ ortThreads: 1, warmModel: false }, threadEvents));
  await Promise.all(Object.values(pools).map((p) => p.start()));

  const analysis = (id: string) => ANALYSES.find((a) => a.id === id);
  const workerName = `${os.hostname()}-${process.pid}`;
  const deliverers = (t: ReplyTarget) => delivererFor(t);
  const analysisWorkers = opts.kinds.map((kind) => {
    const pool = pools[kind];
    const processor = createProcessor({
      runtime, kind, analysis, log, deliverers,
      ...(pool ? { run: (job, hooks) => pool.run(job, hooks) } : {}),
    });
    const worker = new Worker(queueName(kind), processor, {
      connection: bullConnection(runtime.redisUrl),
      prefix: runtime.prefix,
      name: workerName,
      concurrency: pool ? pool.threads.length : CACHED_CONCURRENCY,
      lockDuration: s.jobLockMs,
      stalledInterval: s.stalledIntervalMs,
      // A job whose worker died twice is likely what kills workers: fail it rather than loop.
      maxStalledCount: 2,
    });
    worker.on('error', (err) => log.error({ err, queue: kind }, 'worker error'));
    worker.on('stalled', (jobId) => log.warn({ jobId, queue: kind }, 'job stalled (its worker died?); it runs again'));
    watchFinalFailures(worker, { runtime, log });
    return worker;
  });
  const delivery = startDeliveryWorker({ runtime, deliverers, log, name: `${workerName}-delivery` });
  const workers: Worker[] = [...analysisWorkers, delivery];

  // /job cancel: whoever holds the job aborts it; the others ignore the message.
  const subscriber = connectRedis(runtime.redisUrl);
  await subscriber.subscribe(cancelChannel(runtime));
  subscriber.on('message', (_channel: string, requestId: string) => {
    for (const w of analysisWorkers) if (w.cancelJob(jobIdFor(requestId), USER_CANCEL_REASON)) log.info({ requestId }, 'cancelling job at its requester\'s request');
  });

  // Digests ride with the light queue: scheduling them is cheap, and most headlines need no model.
  const digests = opts.kinds.includes('light') ? await startDigestWorker({ log, runtime }) : undefined;

  const missing = missingEngineFlags();
  if (opts.kinds.includes('model') && missing.length) {
    log.warn({ missing }, `started without ${missing.join(' ')}: GPT-2 runs that return activations are slower (src/llm/node-flags.ts); npm run worker passes them`);
  }
  log.info({ queues: [...opts.kinds, 'delivery'], deliveryConcurrency: s.deliveryConcurrency, prefix: runtime.prefix, ortThreads, lightThreads: pools.light?.threads.length ?? 0, digests: digests !== undefined }, 'worker ready');

  // /help and the playground mark the models some worker has downloaded (the bot has no weights).
  const stopPresence = opts.kinds.includes('model')
    ? keepPublishingModels(runtime, (err) => log.warn({ err }, 'could not publish the downloaded models'))
    : undefined;

  let stopping: Promise<void> | undefined;
  const shutdown = () => (stopping ??= (async () => {
    stopPresence?.();
    log.info({ deadlineMs: s.shutdownTimeoutMs }, 'shutting down: finishing current jobs');
    const deadline = setTimeout(() => {
      log.warn({}, 'shutdown deadline reached: returning unfinished jobs to the queue');
      for (const w of analysisWorkers) w.cancelAllJobs(SHUTDOWN_REASON);
    }, s.shutdownTimeoutMs);
    // Analyses first: what they finish meanwhile is handed to the delivery worker, still open.
    await Promise.all([...analysisWorkers.map((w) => w.close()), digests?.shutdown()]);
    await delivery.close();
    clearTimeout(deadline);
    subscriber.disconnect();
    await Promise.all(Object.values(pools).map((p) => p.terminate()));
    await runtime.close();
    log.info({}, 'worker stopped');
  })());

  return { runtime, workers, shutdown };
}

async function main(): Promise<void> {
  const log = pino({ level: config.LOG_LEVEL, base: { proc: 'worker', pid: process.pid } });
  const kinds = config.WORKER_QUEUES.split(',') as AnalysisKind[];
  const running = await startWorker({ kinds, log });
  let signals = 0;
  const onSignal = (sig: NodeJS.Signals) => {
    if (++signals > 1) {
      log.warn({ sig }, 'second signal: exiting now');
      process.exit(1);
    }
    running.shutdown().then(() => process.exit(0), (err: unknown) => {
      log.error({ err }, 'shutdown failed');
      process.exit(1);
    });
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
