// A per-user rate limit for text commands (/help, /posts, /job, /digest …): they run in the bot
// itself, not on a worker, so the analyses' limits (admission.ts) do not cover them, and a
// script sending /job in a loop would keep the bot and Redis busy. Generous — 30 a minute by
// default, far more than a person types — and counted apart from analyses. A sliding window in
// one Lua script (as admission.ts does), so simultaneous commands cannot both take the last slot;
// a request id counts once, however often it is retried.
import { config as appConfig, type Config } from '../config.ts';
import type { Requester } from './jobs.ts';
import type { QueueRuntime } from './runtime.ts';

export interface TextRateLimit {
  /** Text commands allowed per window and user. */
  count: number;
  windowS: number;
}

export function textRateFromConfig(c: Config = appConfig): TextRateLimit {
  return { count: c.TEXT_RATE_LIMIT_COUNT, windowS: c.TEXT_RATE_LIMIT_WINDOW_S };
}

export type TextRateVerdict = { ok: true; remaining: number } | { ok: false; retryAfterS: number; message: string };

// KEYS: 1 the user's window (zset of request ids by time). ARGV: now, window (ms), limit, request id.
const TEXT_RATE_LUA = `
local now, window, limit, member = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4]
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZSCORE', KEYS[1], member) == false then
  local n = redis.call('ZCARD', KEYS[1])
  if n >= limit then
    local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
    return {0, tonumber(oldest[2]) + window - now}
  end
  redis.call('ZADD', KEYS[1], now, member)
end
redis.call('PEXPIRE', KEYS[1], window)
return {1, limit - redis.call('ZCARD', KEYS[1])}
`;

/**
 * Count one text command of `requester` (identified by `requestId`) against their window, or say
 * when they may send the next. Call it before running the command.
 */
export async function checkTextRate(
  rt: QueueRuntime,
  requester: Requester,
  requestId: string,
  opts: { limit?: Partial<TextRateLimit>; now?: number } = {},
): Promise<TextRateVerdict> {
  const limit = { ...textRateFromConfig(), ...opts.limit };
  const windowMs = limit.windowS * 1000;
  const [ok, n] = (await rt.redis.eval(
    TEXT_RATE_LUA, 1,
    rt.key('text-rate', requester.platform, requester.userId),
    opts.now ?? Date.now(), windowMs, limit.count, requestId,
  )) as [number, number];
  if (ok === 1) return { ok: true, remaining: n };
  const retryAfterS = Math.max(1, Math.ceil(n / 1000));
  return {
    ok: false,
    retryAfterS,
    message: `Easy there — you can send ${limit.count} commands such as /help, /posts and /job every ${limit.windowS} s. Try again in ${retryAfterS} s.`,
  };
}
