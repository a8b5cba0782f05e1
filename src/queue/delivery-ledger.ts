// At most one final message (result, error or "cancelled") per request, however often a job is
// retried, re-run after a stall, or raced by two workers.
//
// State machine per request id, in one Redis key:
//   (absent) ──claim: SET NX "posting:<token>"──▶ posting ──post succeeded──▶ "done"
//                                                   │
//                                                   └─post threw──▶ (absent)   (compare-and-delete)
//
// A worker claims the key just before posting — after the analysis ran and its result was
// cached — so the window in which a crash leaves an unfinished claim is the post itself, not the
// analysis. Whoever finds a claim it does not own never posts. The trade-off: if a worker dies
// *during* the post (request sent, answer not yet back), we cannot tell whether the platform got
// it, and we choose a possibly missing message (the user re-runs; the cache answers at once) over
// a possible duplicate in the channel. A post that fails with an error is taken as not posted and
// the claim is released for a retry — platforms answer an error only when nothing was created.
import { randomUUID } from 'node:crypto';
import type { QueueRuntime } from './runtime.ts';

/** Ledger entries outlive every retry and every cached replay of the same request. */
const LEDGER_TTL_S = 7 * 86_400;

const RELEASE_LUA = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

export type DeliveryState = 'none' | 'posting' | 'done';
export type DeliveryOutcome = 'delivered' | 'already-delivered' | 'unknown';

export class DeliveryLedger {
  constructor(private readonly rt: QueueRuntime) {}

  private key(requestId: string) {
    return this.rt.key('delivery', requestId);
  }

  async state(requestId: string): Promise<DeliveryState> {
    const v = await this.rt.redis.get(this.key(requestId));
    return v === null ? 'none' : v === 'done' ? 'done' : 'posting';
  }

  /**
   * Run `post` only if no final message was claimed for this request yet.
   * 'already-delivered': another attempt posted it. 'unknown': another attempt claimed it and
   * never finished (crashed mid-post, or is still posting) — we do not post again.
   */
  async deliverOnce(requestId: string, post: () => Promise<void>): Promise<DeliveryOutcome> {
    const key = this.key(requestId);
    const token = `posting:${randomUUID()}`;
    const claimed = await this.rt.redis.set(key, token, 'EX', LEDGER_TTL_S, 'NX');
    if (claimed !== 'OK') return (await this.rt.redis.get(key)) === 'done' ? 'already-delivered' : 'unknown';
    try {
      await post();
    } catch (err) {
      await this.rt.redis.eval(RELEASE_LUA, 1, key, token);
      throw err;
    }
    await this.rt.redis.set(key, 'done', 'EX', LEDGER_TTL_S);
    return 'delivered';
  }
}
