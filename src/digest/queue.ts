// The digest queue and its job payload, imported by the command (producer) and the digest
// worker (consumer). Scheduled jobs come from one BullMQ job scheduler per subscribed channel;
// `/digest now` adds a one-off job.
import { Queue } from 'bullmq';
import { z } from 'zod';
import { ReplyTargetSchema } from '../queue/jobs.ts';
import { bullConnection, type QueueRuntime } from '../queue/runtime.ts';

export const DIGEST_QUEUE = 'digest';
/** The job name scheduled digests carry (also shown in the dashboard). */
export const DIGEST_JOB = 'post-of-the-week';

export const DigestJobSchema = z.discriminatedUnion('kind', [
  /** Fired by the channel's scheduler; the subscription is read when it runs, so an unsubscribe wins. */
  z.object({ kind: z.literal('scheduled'), channel: z.string().min(1) }),
  /** `/digest now`: one extra digest, posted once per request. */
  z.object({ kind: z.literal('now'), channel: z.string().min(1), requestId: z.string().min(1), target: ReplyTargetSchema }),
]);
export type DigestJob = z.infer<typeof DigestJobSchema>;

/** Job scheduler ids and job ids: BullMQ uses ':' as its key separator. */
const safeId = (s: string) => s.replace(/[^A-Za-z0-9_.-]/g, '_');
export const schedulerIdFor = (channel: string): string => `digest-${safeId(channel)}`;
export const nowJobIdFor = (requestId: string): string => `digest-now-${safeId(requestId)}`;

export const DIGEST_JOB_OPTIONS = {
  attempts: 5,
  backoff: { type: 'exponential' as const, delay: 5_000 },
  removeOnComplete: { age: 30 * 86_400, count: 500 },
  removeOnFail: { age: 30 * 86_400, count: 500 },
};

const queues = new WeakMap<QueueRuntime, Queue<DigestJob>>();

/** The digest queue under a runtime's prefix (one per runtime, closed with closeDigestQueue). */
export function digestQueue(rt: QueueRuntime): Queue<DigestJob> {
  let q = queues.get(rt);
  if (!q) {
    q = new Queue<DigestJob>(DIGEST_QUEUE, { connection: bullConnection(rt.redisUrl), prefix: rt.prefix, defaultJobOptions: DIGEST_JOB_OPTIONS });
    queues.set(rt, q);
  }
  return q;
}

export async function closeDigestQueue(rt: QueueRuntime): Promise<void> {
  const q = queues.get(rt);
  queues.delete(rt);
  await q?.close();
}
