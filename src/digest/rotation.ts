// Which post a channel's digest features. Each channel walks the whole catalog, one post per
// period, with no repeats until every post has been featured; then a new round starts.
//
// Claiming a period and advancing the rotation happen in one Lua script: the first claim of
// (channel, period) picks the next post, marks it featured and records the choice; every later
// claim of that period — a scheduler that fired twice, a retry after a crash, a second worker —
// gets the same post back and advances nothing. So the rotation can neither skip a post nor
// feature one twice, and whoever posts, posts the same thing. (Posting itself is at most once per
// period through the delivery ledger; see processor.ts.)
import type { QueueRuntime } from '../queue/runtime.ts';

/** A period's claim outlives the period by far, so a very late duplicate still finds it. */
const CLAIM_TTL_S = 35 * 86_400;

// KEYS: claim key, featured set. ARGV: claim TTL, then the catalog order of post ids.
// Returns { post id, 1 if this call claimed the period (0: it was claimed before), featured count }.
const CLAIM_LUA = `
local claimed = redis.call('GET', KEYS[1])
if claimed then return {claimed, 0, redis.call('SCARD', KEYS[2])} end
local pick = false
for i = 2, #ARGV do
  if redis.call('SISMEMBER', KEYS[2], ARGV[i]) == 0 then pick = ARGV[i] break end
end
if not pick then
  redis.call('DEL', KEYS[2])
  pick = ARGV[2]
end
redis.call('SADD', KEYS[2], pick)
redis.call('SET', KEYS[1], pick, 'EX', tonumber(ARGV[1]))
return {pick, 1, redis.call('SCARD', KEYS[2])}
`;

export interface Claim {
  postId: string;
  /** False when another firing claimed this period first (the same post comes back). */
  fresh: boolean;
  /** 1-based place of the post in the current round. */
  index: number;
}

export class Rotation {
  constructor(private readonly rt: QueueRuntime, private readonly order: readonly string[]) {
    if (order.length === 0) throw new Error('a digest rotation needs at least one post');
  }

  private featuredKey(channel: string) {
    return this.rt.key('digest', 'featured', channel);
  }

  claimKey(channel: string, period: string): string {
    return this.rt.key('digest', 'claim', channel, period);
  }

  /** The post for (channel, period): chosen (and the rotation advanced) by the first caller only. */
  async claim(channel: string, period: string): Promise<Claim> {
    const [postId, fresh, count] = (await this.rt.redis.eval(
      CLAIM_LUA, 2, this.claimKey(channel, period), this.featuredKey(channel), CLAIM_TTL_S, ...this.order,
    )) as [string, number, number];
    return { postId, fresh: fresh === 1, index: count };
  }

  /** The post the next claim would pick, without claiming anything (preview, status). */
  async peek(channel: string): Promise<{ postId: string; index: number }> {
    const featured = new Set(await this.rt.redis.smembers(this.featuredKey(channel)));
    const next = this.order.find((id) => !featured.has(id));
    if (next === undefined) return { postId: this.order[0]!, index: 1 };
    return { postId: next, index: this.order.filter((id) => featured.has(id)).length + 1 };
  }
}
