// Who may start an analysis now: a per-user sliding-window rate limit and a per-channel cap on
// unfinished jobs, checked and recorded in one Lua script so two simultaneous commands cannot
// both squeeze through the last slot.
import type { Requester, ReplyTarget } from './jobs.ts';
import type { QueueRuntime } from './runtime.ts';

/** A channel slot whose job never reported back (lost, removed by hand) frees itself after this. */
const CHANNEL_SLOT_MAX_AGE_MS = 30 * 60_000;

const ADMIT_LUA = `
local now, window, limit = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local channelMax, slotAge, member = tonumber(ARGV[4]), tonumber(ARGV[5]), ARGV[6]
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZSCORE', KEYS[1], member) == false and redis.call('ZCARD', KEYS[1]) >= limit then
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  return {'rate', tonumber(oldest[2]) + window - now}
end
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - slotAge)
local running = redis.call('ZCARD', KEYS[2])
if redis.call('ZSCORE', KEYS[2], member) == false and running >= channelMax then
  return {'channel', running}
end
redis.call('ZADD', KEYS[1], now, member)
redis.call('PEXPIRE', KEYS[1], window)
redis.call('ZADD', KEYS[2], now, member)
redis.call('PEXPIRE', KEYS[2], slotAge)
return {'ok', 0}
`;

export type Admission =
  | { ok: true }
  | { ok: false; reason: 'rate'; retryAfterS: number; message: string }
  | { ok: false; reason: 'channel'; running: number; message: string };

/** The channel (or DM, or playground tab) a target posts into: the unit of the concurrency cap. */
export function channelOf(target: ReplyTarget): string {
  return target.platform === 'web' ? `web:${target.sessionId}` : `${target.platform}:${target.channelId}`;
}

export class AdmissionControl {
  constructor(private readonly rt: QueueRuntime, private readonly now: () => number = Date.now) {}

  private userKey(r: Requester) {
    return this.rt.key('rate', r.platform, r.userId);
  }
  private channelKey(t: ReplyTarget) {
    return this.rt.key('channel-jobs', channelOf(t));
  }

  /** Count this request against the user's rate and take a channel slot, or say why not. */
  async admit(requestId: string, requester: Requester, target: ReplyTarget): Promise<Admission> {
    const s = this.rt.settings;
    const windowMs = s.rateLimitWindowS * 1000;
    const [verdict, n] = (await this.rt.redis.eval(
      ADMIT_LUA, 2, this.userKey(requester), this.channelKey(target),
      this.now(), windowMs, s.rateLimitCount, s.channelMaxJobs, CHANNEL_SLOT_MAX_AGE_MS, requestId,
    )) as [string, number];
    if (verdict === 'rate') {
      const retryAfterS = Math.max(1, Math.ceil(n / 1000));
      return {
        ok: false, reason: 'rate', retryAfterS,
        message: `Easy there — you can start ${s.rateLimitCount} analyses every ${s.rateLimitWindowS} s. Try again in ${retryAfterS} s.`,
      };
    }
    if (verdict === 'channel') {
      return {
        ok: false, reason: 'channel', running: n,
        message: `This channel already has ${n} analyses queued or running (the limit is ${s.channelMaxJobs}). Try again when one has finished — \`/job\` shows yours.`,
      };
    }
    return { ok: true };
  }

  /** Give the channel slot back (job finished, failed for good, cancelled, or never enqueued). */
  async release(requestId: string, target: ReplyTarget): Promise<void> {
    await this.rt.redis.zrem(this.channelKey(target), requestId);
  }

  /**
   * Give the user's rate-limit slot back too: a job that failed, was rejected or was cancelled
   * produced nothing, so it should not stop its user from trying again.
   */
  async refund(requestId: string, requester: Requester, target: ReplyTarget): Promise<void> {
    await this.rt.redis.multi().zrem(this.channelKey(target), requestId).zrem(this.userKey(requester), requestId).exec();
  }
}
