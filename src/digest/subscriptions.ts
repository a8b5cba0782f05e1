// A channel's subscription: where digests go, on which schedule, and who set it up — stored in
// Redis next to its BullMQ job scheduler, so both survive restarts of the bot and the workers.
// Re-subscribing replaces the scheduler (same id) and keeps the channel's place in the rotation.
import { z } from 'zod';
import { ReplyTargetSchema, type ReplyTarget, type Requester } from '../queue/jobs.ts';
import type { QueueRuntime } from '../queue/runtime.ts';
import { DIGEST_JOB, DIGEST_JOB_OPTIONS, digestQueue, schedulerIdFor, type DigestJob } from './queue.ts';
import { ScheduleSchema, type Schedule } from './schedule.ts';

export const SubscriptionSchema = z.object({
  channel: z.string(),
  target: ReplyTargetSchema,
  schedule: ScheduleSchema,
  by: z.object({ userId: z.string(), userName: z.string().optional() }),
  at: z.number(),
});
export type Subscription = z.infer<typeof SubscriptionSchema>;

export const LastDigestSchema = z.object({ period: z.string(), postId: z.string(), title: z.string(), at: z.number() });
export type LastDigest = z.infer<typeof LastDigestSchema>;

/**
 * Only what a channel post needs: a digest goes to the channel itself, not to the thread or the
 * ephemeral note of the command that subscribed it.
 */
export function channelTarget(target: ReplyTarget): ReplyTarget {
  switch (target.platform) {
    case 'slack': {
      const { threadTs: _t, responseUrl: _r, ...rest } = target;
      return rest;
    }
    case 'web': {
      const { requestId: _q, ...rest } = target;
      return rest;
    }
    default:
      return target;
  }
}

export class Subscriptions {
  constructor(private readonly rt: QueueRuntime) {}

  private key(channel: string) {
    return this.rt.key('digest', 'sub', channel);
  }
  private lastKey(channel: string) {
    return this.rt.key('digest', 'last', channel);
  }

  async get(channel: string): Promise<Subscription | null> {
    const raw = await this.rt.redis.get(this.key(channel));
    return raw === null ? null : SubscriptionSchema.parse(JSON.parse(raw));
  }

  /** Store the subscription and (re)place its job scheduler; returns when the next digest is due. */
  async subscribe(channel: string, target: ReplyTarget, schedule: Schedule, by: Requester, now = Date.now()): Promise<Subscription> {
    const sub: Subscription = {
      channel,
      target: channelTarget(target),
      schedule,
      by: { userId: by.userId, ...(by.userName ? { userName: by.userName } : {}) },
      at: now,
    };
    await this.rt.redis.set(this.key(channel), JSON.stringify(sub));
    const data: DigestJob = { kind: 'scheduled', channel };
    await digestQueue(this.rt).upsertJobScheduler(
      schedulerIdFor(channel),
      { pattern: schedule.pattern, tz: schedule.tz },
      { name: DIGEST_JOB, data, opts: DIGEST_JOB_OPTIONS },
    );
    return sub;
  }

  /** Remove the scheduler (and its next pending firing) and the subscription; false if there was none. */
  async unsubscribe(channel: string): Promise<boolean> {
    const removed = await digestQueue(this.rt).removeJobScheduler(schedulerIdFor(channel));
    const deleted = await this.rt.redis.del(this.key(channel));
    return removed || deleted > 0;
  }

  /** When the scheduler fires next (ms since the epoch), or null. */
  async nextRun(channel: string): Promise<number | null> {
    const s = await digestQueue(this.rt).getJobScheduler(schedulerIdFor(channel));
    return s?.next ?? null;
  }

  async recordPosted(channel: string, last: LastDigest): Promise<void> {
    await this.rt.redis.set(this.lastKey(channel), JSON.stringify(last));
  }

  async lastPosted(channel: string): Promise<LastDigest | null> {
    const raw = await this.rt.redis.get(this.lastKey(channel));
    return raw === null ? null : LastDigestSchema.parse(JSON.parse(raw));
  }
}
