// The web deliverer: the local playground's "channel". Progress and results for a playground
// session go to a Redis stream, which the playground server reads with XREAD BLOCK — unlike
// pub/sub, a tab that reconnects (or a server that restarts) misses nothing, and a result posted
// twice would show up twice, which is what the exactly-once tests look for.
import type { Redis } from 'ioredis';
import type { AnalysisResult, Figure } from '../../analyses/types.ts';
import type { ReplyTarget } from '../../queue/jobs.ts';
import { decodeResult, encodeResult } from '../../queue/result-codec.ts';
import type { Deliverer, Digest, TextReply } from '../types.ts';

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

/**
 * `requestId` ties an event to the playground command it answers (web targets carry it), so the
 * page shows progress and the result under that command. 'command' and 'reply' are written by
 * the playground server itself: what was typed, and the answers of text commands (/help, /posts).
 */
export type WebEvent = { id: string; requestId?: string } & (
  | { type: 'progress'; text: string }
  | { type: 'result'; result: AnalysisResult }
  | { type: 'error'; message: string }
  | { type: 'digest'; digest: Digest }
  | { type: 'command'; text: string }
  | { type: 'reply'; reply: TextReply }
);

export const webStreamKey = (prefix: string, sessionId: string): string => `${prefix}:web:${sessionId}`;

async function append(opts: WebDelivererOptions, t: WebTarget, fields: (string | Buffer)[]): Promise<void> {
  const key = webStreamKey(opts.prefix, t.sessionId);
  const request = t.requestId ? ['request', t.requestId] : [];
  await opts.redis.multi()
    .xadd(key, 'MAXLEN', '~', SESSION_MAX_EVENTS, '*', ...fields, ...request)
    .expire(key, SESSION_TTL_S)
    .exec();
}

export function createWebDeliverer(opts: WebDelivererOptions): Deliverer<WebTarget> {
  return {
    platform: 'web',
    progress: (t, text) => append(opts, t, ['type', 'progress', 'text', text]),
    deliverResult: (t, result) => {
      const { json, pngs } = encodeResult(result);
      return append(opts, t, ['type', 'result', 'json', json, ...pngs.flatMap((png, i) => [`png:${i}`, png])]);
    },
    deliverError: (t, message) => append(opts, t, ['type', 'error', 'message', message]),
    postDigest: (t, digest) => {
      const { figure, ...rest } = digest;
      const meta = figure ? { ...rest, figure: { name: figure.name, title: figure.title, alt: figure.alt } } : rest;
      return append(opts, t, ['type', 'digest', 'json', JSON.stringify(meta), ...(figure ? ['png:0', figure.png] : [])]);
    },
  };
}

/** The playground echoes each typed command into its session, so a reloaded page shows it again. */
export function appendWebCommand(opts: WebDelivererOptions, t: WebTarget, text: string): Promise<void> {
  return append(opts, t, ['type', 'command', 'text', text]);
}

/** A text command's answer (help, posts, job status) in the session. */
export function appendWebReply(opts: WebDelivererOptions, t: WebTarget, reply: TextReply): Promise<void> {
  return append(opts, t, ['type', 'reply', 'json', JSON.stringify(reply)]);
}

function parseEvent(id: string, raw: Buffer[]): WebEvent {
  const f = new Map<string, Buffer>();
  for (let i = 0; i + 1 < raw.length; i += 2) f.set(raw[i]!.toString('utf8'), raw[i + 1]!);
  const text = (k: string) => f.get(k)?.toString('utf8') ?? '';
  const base = f.has('request') ? { id, requestId: text('request') } : { id };
  switch (text('type')) {
    case 'progress':
      return { ...base, type: 'progress', text: text('text') };
    case 'error':
      return { ...base, type: 'error', message: text('message') };
    case 'command':
      return { ...base, type: 'command', text: text('text') };
    case 'reply':
      return { ...base, type: 'reply', reply: JSON.parse(text('json')) as TextReply };
    case 'digest': {
      const meta = JSON.parse(text('json')) as Omit<Digest, 'figure'> & { figure?: Omit<Figure, 'png'> };
      const png = f.get('png:0');
      const { figure, ...rest } = meta;
      return { ...base, type: 'digest', digest: figure && png ? { ...rest, figure: { ...figure, png } } : rest };
    }
    default: {
      const pngs: Buffer[] = [];
      for (let i = 0; f.has(`png:${i}`); i++) pngs.push(f.get(`png:${i}`)!);
      return { ...base, type: 'result', result: decodeResult({ json: text('json'), pngs }) };
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

/** One event by id (the playground serves a result's figures from it), or undefined once trimmed or expired. */
export async function readWebEvent(redis: Redis, prefix: string, sessionId: string, id: string): Promise<WebEvent | undefined> {
  const entries = await redis.xrangeBuffer(webStreamKey(prefix, sessionId), id, id);
  const entry = entries[0];
  return entry ? parseEvent(entry[0].toString('utf8'), entry[1]) : undefined;
}
