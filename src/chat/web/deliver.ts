// The web deliverer: the local playground's "channel". Progress and results for a playground
// session go to a Redis stream, which the playground server reads with XREAD BLOCK — unlike
// pub/sub, a tab that reconnects (or a server that restarts) misses nothing, and a result posted
// twice would show up twice, which is what the exactly-once tests look for.
import type { Redis } from 'ioredis';
import type { AnalysisResult } from '../../analyses/types.ts';
import type { ReplyTarget } from '../../queue/jobs.ts';
import { decodeResult, encodeResult } from '../../queue/result-codec.ts';
import type { Deliverer } from '../types.ts';

export type WebTarget = Extract<ReplyTarget, { platform: 'web' }>;

/** A playground session's stream lives an hour after its last event. */
const SESSION_TTL_S = 3_600;
/** Keep at most this many events per session (results carry PNGs). */
const SESSION_MAX_EVENTS = 200;

export interface WebDelivererOptions {
  redis: Redis;
  /** Key prefix (QUEUE_PREFIX): the stream is `<prefix>:web:<sessionId>`. */
  prefix: string;
}

export type WebEvent =
  | { id: string; type: 'progress'; text: string }
  | { id: string; type: 'result'; result: AnalysisResult }
  | { id: string; type: 'error'; message: string };

export const webStreamKey = (prefix: string, sessionId: string): string => `${prefix}:web:${sessionId}`;

export function createWebDeliverer(opts: WebDelivererOptions): Deliverer<WebTarget> {
  const append = async (t: WebTarget, fields: (string | Buffer)[]) => {
    const key = webStreamKey(opts.prefix, t.sessionId);
    await opts.redis.multi()
      .xadd(key, 'MAXLEN', '~', SESSION_MAX_EVENTS, '*', ...fields)
      .expire(key, SESSION_TTL_S)
      .exec();
  };
  return {
    platform: 'web',
    progress: (t, text) => append(t, ['type', 'progress', 'text', text]),
    deliverResult: (t, result) => {
      const { json, pngs } = encodeResult(result);
      return append(t, ['type', 'result', 'json', json, ...pngs.flatMap((png, i) => [`png:${i}`, png])]);
    },
    deliverError: (t, message) => append(t, ['type', 'error', 'message', message]),
  };
}

function parseEvent(id: string, raw: Buffer[]): WebEvent {
  const f = new Map<string, Buffer>();
  for (let i = 0; i + 1 < raw.length; i += 2) f.set(raw[i]!.toString('utf8'), raw[i + 1]!);
  const text = (k: string) => f.get(k)?.toString('utf8') ?? '';
  switch (text('type')) {
    case 'progress':
      return { id, type: 'progress', text: text('text') };
    case 'error':
      return { id, type: 'error', message: text('message') };
    default: {
      const pngs: Buffer[] = [];
      for (let i = 0; f.has(`png:${i}`); i++) pngs.push(f.get(`png:${i}`)!);
      return { id, type: 'result', result: decodeResult({ json: text('json'), pngs }) };
    }
  }
}

/**
 * Events of a session after `afterId` ('0' = from the start). With `blockMs`, waits that long for
 * new ones (XREAD BLOCK); the playground server calls this in a loop per open tab.
 */
export async function readWebEvents(
  redis: Redis, prefix: string, sessionId: string, afterId = '0', blockMs?: number,
): Promise<WebEvent[]> {
  const key = webStreamKey(prefix, sessionId);
  const reply = blockMs === undefined
    ? await redis.xreadBuffer('COUNT', 100, 'STREAMS', key, afterId)
    : await redis.xreadBuffer('COUNT', 100, 'BLOCK', blockMs, 'STREAMS', key, afterId);
  if (!reply) return [];
  const entries = reply[0]![1];
  return entries.map(([id, raw]) => parseEvent(id.toString('utf8'), raw));
}
