// The delivery queue: posting a finished request's final message, apart from computing it.
//
// An analysis job ends by handing its outcome over: the result goes to Redis (`result:<request>`,
// PNGs as binary values) and a delivery job — same id as the analysis job, on the 'delivery'
// queue — says what to post. Delivery workers run many at once (they wait on the network, not
// on a CPU), retry with a capped exponential backoff for minutes (a platform outage costs a late
// post, never a recomputation or a lost result), and post through the delivery ledger, which
// resumes a post its worker died in the middle of. Jobs and results are Redis keys like the
// analysis jobs: a worker that dies or a Redis that restarts (append-only file) loses none.
import { UnrecoverableError, Worker, type Job } from 'bullmq';
import { z } from 'zod';
import type { AnalysisResult } from '../analyses/types.ts';
import type { Deliverer } from '../chat/types.ts';
import { AdmissionControl } from './admission.ts';
import { DeliveryLedger, DeliveryRefusedError, type DeliveryAttempt } from './delivery-ledger.ts';
import { AnalysisJobSchema, type AnalysisJob, type ReplyTarget } from './jobs.ts';
import { CANCELLED_TEXT, cancelKey, type JobOutcome } from './job-status.ts';
import type { Logger } from './processor.ts';
import { decodeResult, encodeResult } from './result-codec.ts';
import { bullConnection, DELIVERY_BACKOFF, deliveryBackoffMs, queueName, type QueueRuntime } from './runtime.ts';

/** What a delivery job posts: the stored result, or a text (an error, "cancelled"). */
export const DeliveryFinalSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('result'), status: z.literal('delivered'), cached: z.boolean() }),
  z.object({ kind: z.literal('error'), status: z.enum(['cancelled', 'rejected', 'failed']), text: z.string() }),
]);
export type DeliveryFinal = z.infer<typeof DeliveryFinalSchema>;

/** A delivery job: the analysis job's payload (target, requester: /job and cancel read them) and what to post. */
export const DeliveryJobSchema = AnalysisJobSchema.extend({ final: DeliveryFinalSchema });
export type DeliveryJob = z.infer<typeof DeliveryJobSchema>;

/** A deliverer whose posts can resume from the ledger's notes (Slack, Discord); others ignore the attempt. */
interface ResumableDeliverer {
  deliverResult(target: ReplyTarget, result: AnalysisResult, attempt?: DeliveryAttempt): Promise<void>;
  deliverError(target: ReplyTarget, message: string, attempt?: DeliveryAttempt): Promise<void>;
}

/** Computed results waiting for (or in) their delivery. */
export class ResultStore {
  constructor(private readonly rt: QueueRuntime) {}

  private key(requestId: string): string {
    return this.rt.key('result', requestId);
  }

  async put(requestId: string, result: AnalysisResult): Promise<void> {
    const { json, pngs } = encodeResult(result);
    const fields: Record<string, string | Buffer> = { json, count: String(pngs.length) };
    pngs.forEach((png, i) => (fields[`png:${i}`] = png));
    const k = this.key(requestId);
    await this.rt.redis.multi().del(k).hset(k, fields).expire(k, this.rt.settings.resultTtlS).exec();
  }

  async get(requestId: string): Promise<AnalysisResult | null> {
    const fields = await this.rt.redis.hgetallBuffer(this.key(requestId));
    if (!fields.json) return null;
    const count = Number(fields.count?.toString() ?? '0');
    const pngs: Buffer[] = [];
    for (let i = 0; i < count; i++) {
      const png = fields[`png:${i}`];
      if (!png) return null;
      pngs.push(png);
    }
    return decodeResult({ json: fields.json.toString('utf8'), pngs });
  }

  async drop(requestId: string): Promise<void> {
    await this.rt.redis.del(this.key(requestId));
  }
}

/**
 * Hand a finished request over to the delivery queue. Idempotent: a request that already has a
 * delivery job (an analysis attempt that handed over and then died before completing) keeps the
 * first one, and the first result — a re-run never swaps the figures of a post in progress.
 */
export async function handOff(rt: QueueRuntime, jobId: string, data: AnalysisJob, final: DeliveryFinal, result?: AnalysisResult): Promise<void> {
  const queue = rt.queues.delivery;
  if (await queue.getJob(jobId)) return;
  if (final.kind === 'result') {
    if (!result) throw new Error('a result hand-off needs the result');
    await new ResultStore(rt).put(data.requestId, result);
  }
  const job: DeliveryJob = { ...AnalysisJobSchema.parse(data), final };
  await queue.add(`deliver:${data.analysis}`, job, { jobId });
}

/** Whether a request already went to the delivery queue (its analysis must not run again). */
export async function handedOff(rt: QueueRuntime, jobId: string): Promise<boolean> {
  return (await rt.queues.delivery.getJob(jobId)) !== undefined;
}

const platformName = (t: ReplyTarget) => (t.platform === 'web' ? 'the playground' : t.platform === 'slack' ? 'Slack' : 'Discord');

/** The notice when a result could not be posted at all: the user hears it, in plain words. */
export function undeliveredText(data: AnalysisJob, err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  if (err instanceof DeliveryRefusedError) return `Sorry — /${data.analysis} finished, but ${msg.slice(0, 300)}`;
  return `Sorry — /${data.analysis} finished, but posting it to ${platformName(data.target)} kept failing (${msg.slice(0, 200)}). Try the command again in a few minutes.`;
}

export interface DeliveryDeps {
  runtime: QueueRuntime;
  deliverers: (target: ReplyTarget) => Deliverer;
  log: Logger;
}

export function createDeliveryProcessor(deps: DeliveryDeps) {
  const { runtime: rt, log } = deps;
  const ledger = new DeliveryLedger(rt);
  const results = new ResultStore(rt);
  const admission = new AdmissionControl(rt);

  /**
   * The channel slot is freed with the final message; only a delivered result counts against the
   * user's rate. A job that failed after running (a timeout, a crash) keeps its cost charged: it
   * did hold a worker, and a command built to time out must not be free to send again.
   */
  const settle = (data: DeliveryJob, status: JobOutcome['status']) =>
    status === 'delivered'
      ? admission.release(data.requestId, data.target)
      : admission.refund(data.requestId, data.requester, data.target, { keepCost: status === 'failed' });

  return async function processDeliveryJob(job: Job<DeliveryJob>): Promise<JobOutcome> {
    const data = DeliveryJobSchema.parse(job.data);
    const jlog = { jobId: job.id, requestId: data.requestId, analysis: data.analysis, queue: 'delivery', attempt: job.attemptsMade + 1 };
    const deliverer = deps.deliverers(data.target) as Deliverer & ResumableDeliverer;

    if ((await ledger.state(data.requestId)) === 'done') {
      await settle(data, data.final.status);
      await results.drop(data.requestId);
      return { status: 'already-delivered' };
    }

    let final: DeliveryFinal = data.final;
    let result: AnalysisResult | null = null;
    if (final.kind === 'result') {
      const started = Object.keys(await ledger.notes(data.requestId)).length > 0;
      if (!started && (await rt.redis.exists(cancelKey(rt, data.requestId)))) {
        final = { kind: 'error', status: 'cancelled', text: CANCELLED_TEXT };
      } else {
        result = await results.get(data.requestId);
        if (!result) {
          final = { kind: 'error', status: 'failed', text: `Sorry — /${data.analysis} finished, but its result expired before it could be posted. Run the command again.` };
        }
      }
    }

    try {
      const t0 = Date.now();
      const outcome = await ledger.deliverResumable(data.requestId, (attempt) =>
        final.kind === 'result' ? deliverer.deliverResult(data.target, result!, attempt) : deliverer.deliverError(data.target, final.text, attempt));
      const status = outcome === 'delivered' ? final.status : 'already-delivered';
      await settle(data, final.status);
      await results.drop(data.requestId);
      const cached = final.kind === 'result' ? final.cached : undefined;
      log.info({ ...jlog, status, cached, postMs: Date.now() - t0, ms: Date.now() - data.enqueuedAt }, 'job finished');
      return { status, ...(cached !== undefined ? { cached } : {}) };
    } catch (err) {
      const lastAttempt = err instanceof DeliveryRefusedError || job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
      log.warn({ ...jlog, err, lastAttempt }, lastAttempt ? 'delivery failed for good' : 'delivery failed; retrying with backoff');
      if (!lastAttempt) throw err;
      await tellUndelivered(deps, ledger, data, final, err);
      await settle(data, 'failed');
      throw new UnrecoverableError(err instanceof Error ? err.message : String(err));
    }
  };
}

/**
 * A delivery that failed for good: the user must still hear something. A result is replaced by
 * a notice through the error path (Slack: the ephemeral note; Discord: the reply), once; an error
 * text that could not be posted has nowhere else to go.
 */
async function tellUndelivered(deps: DeliveryDeps, ledger: DeliveryLedger, data: DeliveryJob, final: DeliveryFinal, err: unknown): Promise<void> {
  if (final.kind !== 'result') return;
  const deliverer = deps.deliverers(data.target);
  await ledger.deliverOnce(data.requestId, () => deliverer.deliverError(data.target, undeliveredText(data, err)))
    .catch((e: unknown) => deps.log.error({ requestId: data.requestId, err: e }, 'could not tell the user that the result could not be posted'));
}

/** BullMQ's reason for a job whose workers kept dying (it fails it when next picked up). */
const STALLED_TOO_OFTEN = 'job stalled more than allowable limit';

/** Start a delivery worker: many concurrent posts, the capped backoff, final failures reported. */
export function startDeliveryWorker(deps: DeliveryDeps & { name?: string }): Worker<DeliveryJob, JobOutcome> {
  const s = deps.runtime.settings;
  const worker = new Worker<DeliveryJob, JobOutcome>(queueName('delivery'), createDeliveryProcessor(deps), {
    connection: bullConnection(deps.runtime.redisUrl),
    prefix: deps.runtime.prefix,
    ...(deps.name ? { name: deps.name } : {}),
    concurrency: s.deliveryConcurrency,
    lockDuration: s.jobLockMs,
    stalledInterval: s.stalledIntervalMs,
    maxStalledCount: 2,
    settings: {
      backoffStrategy: (attemptsMade: number, type?: string) => (type === DELIVERY_BACKOFF ? deliveryBackoffMs(attemptsMade, s) : 0),
    },
  });
  worker.on('error', (err) => deps.log.error({ err, queue: 'delivery' }, 'worker error'));
  worker.on('stalled', (jobId) => deps.log.warn({ jobId, queue: 'delivery' }, 'delivery stalled (its worker died?); it resumes from the ledger'));
  const ledger = new DeliveryLedger(deps.runtime);
  const admission = new AdmissionControl(deps.runtime);
  // A delivery whose workers kept dying is failed by BullMQ without our catch: tell the user anyway.
  worker.on('failed', (job, err) => {
    if (!job || err.message !== STALLED_TOO_OFTEN) return;
    const parsed = DeliveryJobSchema.safeParse(job.data);
    if (!parsed.success) return;
    const data = parsed.data;
    void (async () => {
      if (data.final.kind === 'result') await tellUndelivered(deps, ledger, data, data.final, new Error('the workers posting it kept stopping'));
      else {
        const text = data.final.text;
        await ledger.deliverOnce(data.requestId, () => deps.deliverers(data.target).deliverError(data.target, text));
      }
      await admission.refund(data.requestId, data.requester, data.target);
    })().catch((e: unknown) => deps.log.error({ err: e, jobId: job.id }, 'could not report a failed delivery'));
  });
  return worker;
}
