// At most one final message (result, error or "cancelled") per request, however often a job is
// retried, re-run after a stall, or raced by two workers — and no final message lost when the
// worker posting it dies halfway.
//
// State machine per request id, in one Redis key (the claim), plus a hash of notes beside it:
//
//   (absent) ──claim: "posting:<token>"──▶ posting ──post succeeded──▶ "done"
//                                            │  │
//                                            │  └─post threw──▶ (absent)   (compare-and-delete;
//                                            │                              the notes are kept)
//                                            └─the worker died──▶ posting, its notes kept
//
// Notes are what a post writes down before each step it cannot take back: the Slack file ids
// before files.completeUploadExternal, the Discord message ids of the parts already posted. A
// later attempt that finds them (`attempt.resumed`) checks the platform for what the notes say
// may have happened — is the file shared in the channel? — and finishes the post from there
// instead of starting again. Notes can only be written by the attempt that holds the claim, so
// an attempt that was taken over (it stalled, another worker resumed its delivery) stops at its
// next step.
//
// Two ways in:
//  - deliverOnce: whoever finds a claim it does not own never posts ('unknown'). For short,
//    self-contained posts (the "cancelled" note, digests).
//  - deliverResumable: for the delivery queue, where BullMQ runs one attempt of a request's
//    delivery job at a time: a claim found there was left by an attempt that died (its worker
//    was killed, or it stalled past its lock), so the new attempt takes it over and resumes.
import { randomUUID } from 'node:crypto';
import type { QueueRuntime } from './runtime.ts';

/** Ledger entries outlive every retry and every cached replay of the same request. */
const LEDGER_TTL_S = 7 * 86_400;

const RELEASE_LUA = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

// KEYS[1] claim; ARGV: token, ttl, takeOver (1/0). 'done' | 'busy' | 'claimed' | 'taken'
const CLAIM_LUA = `
local v = redis.call('GET', KEYS[1])
if v == 'done' then return 'done' end
if v and ARGV[3] ~= '1' then return 'busy' end
redis.call('SET', KEYS[1], ARGV[1], 'EX', tonumber(ARGV[2]))
if v then return 'taken' end
return 'claimed'
`;

// KEYS[1] claim, KEYS[2] notes; ARGV: token, field, value, ttl.
const NOTE_LUA = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[2], ARGV[2], ARGV[3])
redis.call('EXPIRE', KEYS[2], tonumber(ARGV[4]))
return 1
`;

// KEYS[1] claim, KEYS[2] notes; ARGV: token, ttl. Done only by the claim's holder.
const DONE_LUA = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], 'done', 'EX', tonumber(ARGV[2]))
redis.call('DEL', KEYS[2])
return 1
`;

export type DeliveryState = 'none' | 'posting' | 'done';
export type DeliveryOutcome = 'delivered' | 'already-delivered' | 'unknown';

/** What a post sees of the ledger: the notes an earlier attempt left, and a way to leave its own. */
export interface DeliveryAttempt {
  /** An earlier attempt claimed this delivery and never confirmed it: check before posting again. */
  readonly resumed: boolean;
  /** A note an earlier attempt (or this one) wrote, parsed. */
  note<T = unknown>(name: string): T | undefined;
  /** Write a note before the step it protects. Throws LostClaimError when another attempt took over. */
  record(name: string, value: unknown): Promise<void>;
}

/** This attempt's claim was taken over by another attempt (it stalled): stop posting. */
export class LostClaimError extends Error {
  override name = 'LostClaimError';
}

/**
 * A delivery that retrying cannot fix (the channel is gone, the app lacks a permission or a
 * scope, the post could not be confirmed and must not be repeated): the delivery queue gives up
 * at once and tells the user, instead of retrying for minutes.
 */
export class DeliveryRefusedError extends Error {
  override name = 'DeliveryRefusedError';
}

/** Notes kept in memory: for a post made outside the ledger (tests, the CLI) or inside one attempt. */
export function localAttempt(): DeliveryAttempt {
  const notes = new Map<string, unknown>();
  return {
    resumed: false,
    note: <T>(name: string) => notes.get(name) as T | undefined,
    record: async (name, value) => void notes.set(name, JSON.parse(JSON.stringify(value)) as unknown),
  };
}

/** Anything with a post that may take a DeliveryAttempt (the Slack and Discord deliverers do). */
export type Post = (attempt: DeliveryAttempt) => Promise<void>;

export class DeliveryLedger {
  constructor(private readonly rt: QueueRuntime) {}

  private key(requestId: string) {
    return this.rt.key('delivery', requestId);
  }
  private notesKey(requestId: string) {
    return this.rt.key('delivery-notes', requestId);
  }

  async state(requestId: string): Promise<DeliveryState> {
    const v = await this.rt.redis.get(this.key(requestId));
    return v === null ? 'none' : v === 'done' ? 'done' : 'posting';
  }

  /** The notes an unfinished delivery left (empty when none). */
  async notes(requestId: string): Promise<Record<string, unknown>> {
    const raw = await this.rt.redis.hgetall(this.notesKey(requestId));
    return Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, JSON.parse(v) as unknown]));
  }

  /**
   * Run `post` only if no final message was claimed for this request yet.
   * 'already-delivered': another attempt posted it. 'unknown': another attempt claimed it and
   * never finished (crashed mid-post, or is still posting) — we do not post again.
   */
  deliverOnce(requestId: string, post: Post): Promise<DeliveryOutcome> {
    return this.run(requestId, post, false);
  }

  /**
   * Like deliverOnce, but an unconfirmed claim is taken over and its post resumed from its
   * notes: for the delivery queue only, where no other attempt of the same delivery can be
   * running (BullMQ holds the job's lock), so a claim found there belongs to an attempt that died.
   */
  async deliverResumable(requestId: string, post: Post): Promise<Exclude<DeliveryOutcome, 'unknown'>> {
    const outcome = await this.run(requestId, post, true);
    if (outcome === 'unknown') throw new Error('unreachable: a resumable delivery takes every claim over');
    return outcome;
  }

  private async run(requestId: string, post: Post, takeOver: boolean): Promise<DeliveryOutcome> {
    const key = this.key(requestId);
    const notesKey = this.notesKey(requestId);
    const token = `posting:${randomUUID()}`;
    const claim = (await this.rt.redis.eval(CLAIM_LUA, 1, key, token, LEDGER_TTL_S, takeOver ? '1' : '0')) as string;
    if (claim === 'done') return 'already-delivered';
    if (claim === 'busy') return 'unknown';
    const notes = await this.notes(requestId);
    const attempt: DeliveryAttempt = {
      resumed: claim === 'taken' || Object.keys(notes).length > 0,
      note: <T>(name: string) => notes[name] as T | undefined,
      record: async (name, value) => {
        const json = JSON.stringify(value);
        const ok = await this.rt.redis.eval(NOTE_LUA, 2, key, notesKey, token, name, json, LEDGER_TTL_S);
        if (ok !== 1) throw new LostClaimError(`another attempt took over the delivery of ${requestId}`);
        notes[name] = JSON.parse(json) as unknown;
      },
    };
    try {
      await post(attempt);
    } catch (err) {
      // The notes stay: the next attempt resumes from them.
      await this.rt.redis.eval(RELEASE_LUA, 1, key, token);
      throw err;
    }
    const done = await this.rt.redis.eval(DONE_LUA, 2, key, notesKey, token, LEDGER_TTL_S);
    if (done !== 1) throw new LostClaimError(`another attempt took over the delivery of ${requestId} while it was posted`);
    return 'delivered';
  }
}
