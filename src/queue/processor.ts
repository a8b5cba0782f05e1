// What a worker does with one analysis job: cached result or a run in an analysis thread, then
// the final message handed over to the delivery queue (src/queue/delivery.ts), which posts it
// exactly once, with retries of its own — so a slow or failing platform never holds an analysis
// slot, and a result computed once is never computed again because posting it failed. Every
// path ends in a hand-off (status 'forwarded': /job follows the request to the delivery queue),
// or in a thrown error that BullMQ retries with backoff.
import { UnrecoverableError, WaitingError, type Job, type Worker } from 'bullmq';
import type { Analysis, AnalysisResult } from '../analyses/types.ts';
import type { Deliverer } from '../chat/types.ts';
import { JobCancelledError, JobTimeoutError, type RunHooks, type ThreadJob } from './analysis-thread.ts';
import { cacheable, ResultCache, type CacheIdentity } from './cache.ts';
import { handedOff, handOff, type DeliveryFinal } from './delivery.ts';
import { DeliveryLedger } from './delivery-ledger.ts';
import { AnalysisJobSchema, type AnalysisJob, type ReplyTarget } from './jobs.ts';
import { CANCELLED_TEXT, cancelKey, type JobOutcome, type JobProgressData } from './job-status.ts';
import { ProgressThrottle, progressText, stageText } from './progress.ts';
import type { QueueKind, QueueRuntime } from './runtime.ts';

/** Why a worker aborts a job through BullMQ's cancelJob. */
export const SHUTDOWN_REASON = 'worker shutting down';
export const USER_CANCEL_REASON = 'cancelled by its requester';

export interface Logger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface ProcessorDeps {
  runtime: QueueRuntime;
  kind: QueueKind;
  /** Runs the analysis (in a thread, in production). Absent for the cache-hit queue. */
  run?: (job: ThreadJob, hooks: RunHooks) => Promise<AnalysisResult>;
  deliverers: (target: ReplyTarget) => Deliverer;
  /** Looks up an analysis by id (usesModel decides the queue a forwarded job goes to). */
  analysis: (id: string) => Analysis | undefined;
  log: Logger;
}

/**
 * What a result is cached under. A job names a model only when the user did; otherwise it runs on
 * the notebook's model or the default (provider.ts), and is cached under that name — a result
 * that ran on another model (the notebook's was absent) is not cached at all.
 */
export function cacheIdentity(data: AnalysisJob, analysis: Pick<Analysis, 'usesModel' | 'preferredModel'>, defaultModel: string): CacheIdentity {
  const model = analysis.usesModel ? (data.model ?? analysis.preferredModel ?? defaultModel) : null;
  return { analysis: data.analysis, options: data.options, model };
}

/** The user-facing text of a failure that retrying will not fix. */
function finalErrorText(analysis: string, err: unknown): string {
  if (err instanceof JobTimeoutError) return `/${analysis} ${err.message} and was stopped. Try smaller options.`;
  const msg = err instanceof Error ? err.message : String(err);
  return `Sorry — /${analysis} failed: ${msg.slice(0, 300)}`;
}

export function createProcessor(deps: ProcessorDeps) {
  const { runtime: rt, log } = deps;
  const cache = new ResultCache(rt);
  const ledger = new DeliveryLedger(rt);

  return async function processAnalysisJob(job: Job<AnalysisJob>, token?: string, signal?: AbortSignal): Promise<JobOutcome> {
    const data = AnalysisJobSchema.parse(job.data);
    const deliverer = deps.deliverers(data.target);
    const jlog = { jobId: job.id, requestId: data.requestId, analysis: data.analysis, queue: deps.kind, attempt: job.attemptsMade + 1 };

    /** The final message goes to the delivery queue; the channel slot is freed when it is posted. */
    const finish = async (final: DeliveryFinal, result?: AnalysisResult): Promise<JobOutcome> => {
      await handOff(rt, job.id!, data, final, result);
      log.info({ ...jlog, status: final.status, ms: Date.now() - data.enqueuedAt }, 'handed over for delivery');
      return { status: 'forwarded', ...(final.kind === 'result' ? { cached: final.cached } : {}) };
    };
    const finishError = (status: 'cancelled' | 'rejected' | 'failed', text: string) => finish({ kind: 'error', status, text });

    // A replay of a request already posted, or already handed over (its attempt died after the
    // hand-off, before completing): nothing to compute.
    if ((await ledger.state(data.requestId)) === 'done' || (await handedOff(rt, job.id!))) {
      return { status: 'forwarded' };
    }
    if (await rt.redis.exists(cancelKey(rt, data.requestId))) return finishError('cancelled', CANCELLED_TEXT);

    const analysis = deps.analysis(data.analysis);
    if (!analysis) {
      // A worker running older code than the bot: let a worker that knows the analysis retry it.
      throw new Error(`this worker does not know the analysis "${data.analysis}"`);
    }
    const identity = cacheIdentity(data, analysis, rt.settings.defaultModel);

    // The throttle carries the stage; the pending message gets it with the command, /job without.
    const throttle = new ProgressThrottle(
      async (stage) => {
        await Promise.all([deliverer.progress(data.target, progressText(data.analysis, stage)), job.updateProgress({ stage } satisfies JobProgressData)]);
      },
      rt.settings.progressIntervalMs,
      (err) => log.warn({ ...jlog, err }, 'progress update failed'),
    );

    let result: AnalysisResult | null = cacheable(analysis, data.options) ? await cache.get(identity) : null;
    const cached = result !== null;
    try {
      if (!result) {
        if (!deps.run) {
          // The cache entry expired between dispatch and now: hand the job to the analysis queue.
          const target = analysis.usesModel ? 'model' : 'light';
          await rt.queues[target].add(job.name, data, { jobId: job.id! });
          log.info({ ...jlog, to: target }, 'cache entry gone; forwarded to the analysis queue');
          return { status: 'forwarded' };
        }
        throttle.update('starting');
        result = await deps.run(
          { analysis: data.analysis, options: data.options, ...(data.model ? { model: data.model } : {}) },
          {
            progress: (stage, fraction) => throttle.update(stageText(stage, fraction)),
            signal,
            timeoutMs: rt.settings.jobTimeoutMs,
          },
        );
        // Results made on a fallback model (tiny random weights because the named model's weights
        // are absent) must not answer later requests for the real model.
        const modelMatches = !analysis.usesModel || result.model?.name === identity.model;
        if (modelMatches) await cache.put(identity, result).catch((err: unknown) => log.warn({ ...jlog, err }, 'caching the result failed'));
      }
      await throttle.close();
      return await finish({ kind: 'result', status: 'delivered', cached }, result);
    } catch (err) {
      await throttle.close();
      if (signal?.aborted && signal.reason === SHUTDOWN_REASON && token) {
        // Graceful shutdown ran out of time: put the job back for another worker, untouched.
        await job.moveToWait(token);
        throw new WaitingError();
      }
      if (err instanceof JobCancelledError || (signal?.aborted && signal.reason === USER_CANCEL_REASON)) {
        return finishError('cancelled', CANCELLED_TEXT);
      }
      if (err instanceof Error && (err.name === 'OptionError' || err.name === 'ModelNotDownloadedError' || err.name === 'UnreachableSourceError')) {
        // Bad input discovered while computing (a word that is not one token, a text too long for
        // the model, a named model whose weights are absent, a URL whose host does not resolve):
        // the message says what to change or run; retrying cannot help.
        return finishError('rejected', err.message);
      }
      const lastAttempt = err instanceof JobTimeoutError || job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
      log.error({ ...jlog, err, lastAttempt }, 'job failed');
      if (lastAttempt) {
        await finishError('failed', finalErrorText(data.analysis, err)).catch((e: unknown) =>
          log.error({ ...jlog, err: e }, 'could not hand the failure notice over for delivery'));
        throw err instanceof UnrecoverableError ? err : new UnrecoverableError(err instanceof Error ? err.message : String(err));
      }
      throw err;
    }
  };
}

/** BullMQ's reason for a job whose workers kept dying (it fails it when next picked up). */
const STALLED_TOO_OFTEN = 'job stalled more than allowable limit';

/**
 * Some jobs fail without our processor's catch running: BullMQ fails a job that stalled more
 * often than maxStalledCount as soon as a worker picks it up again. On every final failure, make
 * sure the user is told (a delivery job; a no-op when the processor already handed one over) —
 * the delivery frees the channel slot and gives the user's rate slot back.
 */
export function watchFinalFailures(worker: Worker<AnalysisJob>, deps: Pick<ProcessorDeps, 'runtime' | 'log'> & Partial<Pick<ProcessorDeps, 'deliverers'>>): void {
  worker.on('failed', (job: Job<AnalysisJob> | undefined, err: Error) => {
    if (!job) return;
    void (async () => {
      if ((await job.getState()) !== 'failed') return; // a retry is coming
      const parsed = AnalysisJobSchema.safeParse(job.data);
      if (!parsed.success) return;
      const data = parsed.data;
      if (await handedOff(deps.runtime, job.id!)) return;
      const text = err.message === STALLED_TOO_OFTEN
        ? `Sorry — /${data.analysis} could not finish: the workers running it stopped before it was done. Try again, perhaps with smaller options.`
        : finalErrorText(data.analysis, err);
      await handOff(deps.runtime, job.id!, data, { kind: 'error', status: 'failed', text });
      deps.log.warn({ jobId: job.id, requestId: data.requestId, reason: err.message }, 'job failed outside the processor; the user is told');
    })().catch((e: unknown) => deps.log.error({ err: e, jobId: job.id }, 'could not report a failed job'));
  });
}
