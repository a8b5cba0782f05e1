// Who may start an analysis now, checked and recorded in one Lua script so two simultaneous
// commands cannot both squeeze through the last slot:
//   - a per-user sliding-window count (RATE_LIMIT_COUNT per RATE_LIMIT_WINDOW_S);
//   - a per-channel cap on unfinished jobs (CHANNEL_MAX_JOBS);
//   - per-user and per-channel budgets of work, in model-seconds per RATE_COST_WINDOW_S (the
//     job's estimated cost: cost.ts), so that a few heavy commands cannot fill the model queue;
//   - and, for fair scheduling, the user's rank among their own unfinished jobs in the queue the
//     job goes to (1 = their only one), which the dispatcher turns into a BullMQ priority.
// A job that delivered its result keeps its count and its cost in the windows; one that failed,
// was rejected or cancelled gives both back (refund).
import { config as appConfig, type Config } from '../config.ts';
import { formatDuration } from './cost.ts';
import type { Requester, ReplyTarget } from './jobs.ts';
import type { QueueRuntime } from './runtime.ts';

/** A channel slot (or fair-scheduling entry) whose job never reported back frees itself after this. */
const CHANNEL_SLOT_MAX_AGE_MS = 30 * 60_000;

/** The work budgets (model-seconds per window); 0 turns a budget off. */
export interface CostBudgets {
  windowS: number;
  userS: number;
  channelS: number;
}

export function budgetsFromConfig(c: Config = appConfig): CostBudgets {
  return { windowS: c.RATE_COST_WINDOW_S, userS: c.RATE_COST_USER_S, channelS: c.RATE_COST_CHANNEL_S };
}

// KEYS: 1 user count window, 2 channel slots, 3/4 user cost window (zset of request ids by time,
// hash of their costs), 5/6 channel cost window, 7 the user's unfinished jobs in the target queue,
// 8 this request's record (which fair-scheduling set it is in, for release).
// ARGV: now, count window, count limit, channel cap, slot age, request id, cost window, cost (ms),
// user budget (ms, 0 = off), channel budget (ms, 0 = off), record the fair-scheduling entry (0/1).
const ADMIT_LUA = `
local now, window, limit = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local channelMax, slotAge, member = tonumber(ARGV[4]), tonumber(ARGV[5]), ARGV[6]
local costWindow, cost = tonumber(ARGV[7]), tonumber(ARGV[8])
local userBudget, channelBudget, track = tonumber(ARGV[9]), tonumber(ARGV[10]), ARGV[11] == '1'

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

-- Drop the costs that left the window; sum what is left.
local function used(zkey, hkey)
  local old = redis.call('ZRANGEBYSCORE', zkey, '-inf', now - costWindow)
  if #old > 0 then
    redis.call('ZREMRANGEBYSCORE', zkey, '-inf', now - costWindow)
    redis.call('HDEL', hkey, unpack(old))
  end
  local total = 0
  for _, v in ipairs(redis.call('HVALS', hkey)) do total = total + tonumber(v) end
  return total
end
-- When enough of the oldest costs leave the window for this one to fit.
local function freesIn(zkey, hkey, total, charge, budget)
  local freed = 0
  local entries = redis.call('ZRANGE', zkey, 0, -1, 'WITHSCORES')
  for i = 1, #entries, 2 do
    freed = freed + tonumber(redis.call('HGET', hkey, entries[i]) or '0')
    if total - freed + charge <= budget then return tonumber(entries[i + 1]) + costWindow - now end
  end
  return costWindow
end
local charges = {}
local scopes = {{'user', KEYS[3], KEYS[4], userBudget}, {'channel', KEYS[5], KEYS[6], channelBudget}}
for i, s in ipairs(scopes) do
  local scope, zkey, hkey, budget = s[1], s[2], s[3], s[4]
  if budget > 0 and redis.call('ZSCORE', zkey, member) == false then
    local total = used(zkey, hkey)
    -- A job dearer than the whole budget takes all of it: it runs when the window is empty.
    local charge = math.min(cost, budget)
    if total + charge > budget then
      return {'cost-' .. scope, total, freesIn(zkey, hkey, total, charge, budget), charge}
    end
    charges[i] = charge
  end
end

redis.call('ZADD', KEYS[1], now, member)
redis.call('PEXPIRE', KEYS[1], window)
redis.call('ZADD', KEYS[2], now, member)
redis.call('PEXPIRE', KEYS[2], slotAge)
for i, s in ipairs(scopes) do
  if charges[i] then
    redis.call('ZADD', s[2], now, member)
    redis.call('HSET', s[3], member, charges[i])
    redis.call('PEXPIRE', s[2], costWindow)
    redis.call('PEXPIRE', s[3], costWindow)
  end
end

local rank = 1
if track then
  redis.call('ZREMRANGEBYSCORE', KEYS[7], '-inf', now - slotAge)
  redis.call('ZADD', KEYS[7], 'NX', now, member)
  redis.call('PEXPIRE', KEYS[7], slotAge)
  rank = redis.call('ZRANK', KEYS[7], member) + 1
  redis.call('SET', KEYS[8], KEYS[7], 'PX', slotAge)
end
return {'ok', rank}
`;

/** What the dispatcher knows about the job when it asks. */
export interface AdmitRequest {
  /** Estimated model-seconds (cost.ts); 0 for a cache hit. */
  costS?: number;
  /** The queue the job goes to: the user's rank is counted among their unfinished jobs there. */
  queue?: string;
  /** The command as the user typed it ("/logits"), for the refusal message. */
  what?: string;
}

export type Admission =
  /** rank: 1 + how many of the user's jobs in that queue are unfinished (1 without a queue). */
  | { ok: true; rank: number }
  | { ok: false; reason: 'rate'; retryAfterS: number; message: string }
  | { ok: false; reason: 'channel'; running: number; message: string }
  | { ok: false; reason: 'cost'; scope: 'user' | 'channel'; usedS: number; budgetS: number; costS: number; retryAfterS: number; message: string };

/** The channel (or DM, or playground tab) a target posts into: the unit of the concurrency cap. */
export function channelOf(target: ReplyTarget): string {
  return target.platform === 'web' ? `web:${target.sessionId}` : `${target.platform}:${target.channelId}`;
}

/** Whole seconds for messages: "about 48 s", never "0 s". */
const roundS = (s: number) => Math.max(1, Math.round(s));

export class AdmissionControl {
  readonly budgets: CostBudgets;

  constructor(
    private readonly rt: QueueRuntime,
    private readonly now: () => number = Date.now,
    budgets: Partial<CostBudgets> = {},
  ) {
    this.budgets = { ...budgetsFromConfig(), ...budgets };
  }

  private userKey(r: Requester) {
    return this.rt.key('rate', r.platform, r.userId);
  }
  private channelKey(t: ReplyTarget) {
    return this.rt.key('channel-jobs', channelOf(t));
  }
  private userCostKeys(r: Requester): [string, string] {
    return [this.rt.key('cost', 'user', r.platform, r.userId), this.rt.key('cost', 'user', r.platform, r.userId, 'ms')];
  }
  private channelCostKeys(t: ReplyTarget): [string, string] {
    const c = channelOf(t);
    return [this.rt.key('cost', 'channel', c), this.rt.key('cost', 'channel', c, 'ms')];
  }
  private unfinishedKey(queue: string, r: Requester) {
    return this.rt.key('unfinished', queue, r.platform, r.userId);
  }
  private recordKey(requestId: string) {
    return this.rt.key('admitted', requestId);
  }

  /**
   * Count this request against the user's rate and both work budgets and take a channel slot, or
   * say why not. With a queue, also records the job among the user's unfinished ones there.
   */
  async admit(requestId: string, requester: Requester, target: ReplyTarget, job: AdmitRequest = {}): Promise<Admission> {
    const s = this.rt.settings;
    const b = this.budgets;
    const windowMs = s.rateLimitWindowS * 1000;
    // No job runs past its timeout, so none costs more than that.
    const costMs = Math.round(1000 * Math.min(Math.max(0, job.costS ?? 0), s.jobTimeoutMs / 1000));
    const [verdict, n, wait, charge] = (await this.rt.redis.eval(
      ADMIT_LUA, 8,
      this.userKey(requester), this.channelKey(target), ...this.userCostKeys(requester), ...this.channelCostKeys(target),
      this.unfinishedKey(job.queue ?? 'none', requester), this.recordKey(requestId),
      this.now(), windowMs, s.rateLimitCount, s.channelMaxJobs, CHANNEL_SLOT_MAX_AGE_MS, requestId,
      b.windowS * 1000, costMs, Math.round(b.userS * 1000), Math.round(b.channelS * 1000), job.queue ? '1' : '0',
    )) as [string, number, number?, number?];
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
    if (verdict === 'cost-user' || verdict === 'cost-channel') {
      const scope = verdict === 'cost-user' ? 'user' : 'channel';
      const budgetS = scope === 'user' ? b.userS : b.channelS;
      const usedS = n / 1000;
      const costS = (charge ?? costMs) / 1000;
      const retryAfterS = Math.max(1, Math.ceil((wait ?? 0) / 1000));
      const what = job.what ?? 'this analysis';
      const whose = scope === 'user' ? 'You have' : 'This channel has';
      const share = scope === 'user' ? 'your' : 'its';
      const window = formatDuration(b.windowS);
      const needs = costS >= budgetS
        ? `${what} with these options needs all of it (about ${formatDuration(costS)} or more)`
        : `${what} with these options needs about ${formatDuration(roundS(costS))}`;
      const lighter = scope === 'user' ? ' Smaller options (a shorter text, fewer tokens or samples) need less.' : '';
      return {
        ok: false, reason: 'cost', scope, usedS, budgetS, costS, retryAfterS,
        message: `${whose} used ${formatDuration(roundS(usedS))} of ${share} ${formatDuration(budgetS)} of compute time per ${window}, and ${needs}. Enough frees up in ${formatDuration(retryAfterS)}.${lighter}`,
      };
    }
    return { ok: true, rank: Math.max(1, n) };
  }

  /** Forget the job among its user's unfinished ones (fair scheduling). */
  private async dropUnfinished(requestId: string): Promise<void> {
    const record = this.recordKey(requestId);
    const key = await this.rt.redis.get(record);
    if (key) await this.rt.redis.multi().zrem(key, requestId).del(record).exec();
  }

  /** Give the channel slot back (job finished, failed for good, cancelled, or never enqueued). */
  async release(requestId: string, target: ReplyTarget): Promise<void> {
    await this.rt.redis.zrem(this.channelKey(target), requestId);
    await this.dropUnfinished(requestId);
  }

  /**
   * Give the user's rate-limit slot and both budgets back too: a job that failed, was rejected or
   * was cancelled produced nothing, so it should not stop its user (or channel) from trying again.
   * `keepCost` keeps the work charged while giving the count back: for a job that did use the
   * model, such as one stopped at its timeout (otherwise a command built to time out could be
   * sent again and again, each time holding a worker for the whole timeout).
   */
  async refund(requestId: string, requester: Requester, target: ReplyTarget, opts: { keepCost?: boolean } = {}): Promise<void> {
    const [uz, uh] = this.userCostKeys(requester);
    const [cz, ch] = this.channelCostKeys(target);
    const tx = this.rt.redis.multi().zrem(this.channelKey(target), requestId).zrem(this.userKey(requester), requestId);
    if (!opts.keepCost) tx.zrem(uz, requestId).hdel(uh, requestId).zrem(cz, requestId).hdel(ch, requestId);
    await tx.exec();
    await this.dropUnfinished(requestId);
  }

  /** Model-seconds used in the current window, for /job-style reports and tests. */
  async usedS(scope: { requester: Requester } | { target: ReplyTarget }): Promise<number> {
    const [z, h] = 'requester' in scope ? this.userCostKeys(scope.requester) : this.channelCostKeys(scope.target);
    const from = this.now() - this.budgets.windowS * 1000;
    const members = await this.rt.redis.zrangebyscore(z, `(${from}`, '+inf');
    if (members.length === 0) return 0;
    const costs = await this.rt.redis.hmget(h, ...members);
    return costs.reduce((t, c) => t + Number(c ?? 0), 0) / 1000;
  }
}
