// What a worker does with one job: cached result or a run in an analysis thread, then exactly
// one final message through the platform's deliverer. Every path ends in one of the JobOutcome
// statuses, or in a thrown error that BullMQ retries with backoff.
import { UnrecoverableError, WaitingError, type Job, type Worker } from 'bullmq';
import type { Analysis, AnalysisResult } from '../analyses/types.ts';
import type { Deliverer } from '../chat/types.ts';
import { AdmissionControl } from './admission.ts';
import { JobCancelledError, JobTimeoutError, type RunHooks, type ThreadJob } from './analysis-thread.ts';
import { cacheable, ResultCache, type CacheIdentity } from './cache.ts';
import { DeliveryLedger, type DeliveryOutcome } from './delivery-ledger.ts';
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
  const admission = new AdmissionControl(rt);

  return async function processAnalysisJob(job: Job<AnalysisJob>, token?: string, signal?: AbortSignal): Promise<JobOutcome> {
    const data = AnalysisJobSchema.parse(job.data);
    const deliverer = deps.deliverers(data.target);
    const jlog = { jobId: job.id, requestId: data.requestId, analysis: data.analysis, queue: deps.kind, attempt: job.attemptsMade + 1 };

    /** The final message, at most once per request; the channel slot is freed with it. */
    const finish = async (status: JobOutcome['status'], post: () => Promise<void>, extra: Partial<JobOutcome> = {}): Promise<JobOutcome> => {
      const delivery: DeliveryOutcome = await ledger.deliverOnce(data.requestId, post);
      // Only a delivered result counts against the user's rate limit.
      if (status === 'delivered') await admission.release(data.requestId, data.target);
      else await admission.refund(data.requestId, data.requester, data.target);
      if (delivery === 'unknown') log.warn(jlog, 'an earlier attempt claimed delivery and never confirmed it; not posting again');
      const outcome: JobOutcome['status'] = delivery === 'delivered' ? status : delivery === 'already-delivered' ? 'already-delivered' : 'delivery-unknown';
      return { status: outcome, ...extra };
    };

    if ((await ledger.state(data.requestId)) === 'done') {
      await admission.release(data.requestId, data.target);
      return { status: 'already-delivered' };
    }
    if (await rt.redis.exists(cancelKey(rt, data.requestId))) {
      return finish('cancelled', () => deliverer.deliverError(data.target, CANCELLED_TEXT));
    }

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
      const final = result;
      const outcome = await finish('delivered', () => deliverer.deliverResult(data.target, final), { cached });
      log.info({ ...jlog, status: outcome.status, cached, ms: Date.now() - data.enqueuedAt }, 'job finished');
      return outcome;
    } catch (err) {
      await throttle.close();
      if (signal?.aborted && signal.reason === SHUTDOWN_REASON && token) {
        // Graceful shutdown ran out of time: put the job back for another worker, untouched.
        await job.moveToWait(token);
        throw new WaitingError();
      }
      if (err instanceof JobCancelledError || (signal?.aborted && signal.reason === USER_CANCEL_REASON)) {
        return finish('cancelled', () => deliverer.deliverError(data.target, CANCELLED_TEXT));
      }
      if (err instanceof Error && (err.name === 'OptionError' || err.name === 'ModelNotDownloadedError' || err.name === 'UnreachableSourceError')) {
        // Bad input discovered while computing (a word that is not one token, a text too long for
        // the model, a named model whose weights are absent, a URL whose host does not resolve):
        // the message says what to change or run; retrying cannot help.
        return finish('rejected', () => deliverer.deliverError(data.target, err.message));
      }
      const lastAttempt = err instanceof JobTimeoutError || job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
      log.error({ ...jlog, err, lastAttempt }, 'job failed');
      if (lastAttempt) {
        await finish('failed', () => deliverer.deliverError(data.target, finalErrorText(data.analysis, err))).catch((e: unknown) =>
          log.error({ ...jlog, err: e }, 'could not tell the user about the failure'));
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
 * sure the user was told (through the ledger: a no-op when the processor already did) and that
 * the channel slot is free.
 */
export function watchFinalFailures(worker: Worker<AnalysisJob>, deps: Pick<ProcessorDeps, 'runtime' | 'deliverers' | 'log'>): void {
  const ledger = new DeliveryLedger(deps.runtime);
  const admission = new AdmissionControl(deps.runtime);
  worker.on('failed', (job: Job<AnalysisJob> | undefined, err: Error) => {
    if (!job) return;
    void (async () => {
      if ((await job.getState()) !== 'failed') return; // a retry is coming
      const parsed = AnalysisJobSchema.safeParse(job.data);
      if (!parsed.success) return;
      const data = parsed.data;
      const text = err.message === STALLED_TOO_OFTEN
        ? `Sorry — /${data.analysis} could not finish: the workers running it stopped before it was done. Try again, perhaps with smaller options.`
        : finalErrorText(data.analysis, err);
      const delivery = await ledger.deliverOnce(data.requestId, () => deps.deliverers(data.target).deliverError(data.target, text));
      await admission.refund(data.requestId, data.requester, data.target);
      if (delivery === 'delivered') deps.log.warn({ jobId: job.id, requestId: data.requestId, reason: err.message }, 'job failed outside the processor; the user was told');
    })().catch((e: unknown) => deps.log.error({ err: e, jobId: job.id }, 'could not report a failed job'));
  });
}
