// Test support for the queue tests: a runtime under a fresh key prefix on the shared Redis, and
// its removal (queues obliterated, every key under the prefix deleted).
import { randomUUID } from 'node:crypto';
import { openRuntime, type QueueRuntime, type QueueSettings } from '../../src/queue/runtime.ts';

export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

export function testPrefix(): string {
  return `test-core-${randomUUID().slice(0, 8)}`;
}

export function testRuntime(settings: Partial<QueueSettings> = {}, prefix = testPrefix()): QueueRuntime {
  return openRuntime({ prefix, redisUrl: REDIS_URL, settings });
}

export async function dropRuntime(rt: QueueRuntime): Promise<void> {
  for (const q of Object.values(rt.queues)) await q.obliterate({ force: true }).catch(() => {});
  let cursor = '0';
  do {
    const [next, keys] = await rt.redis.scan(cursor, 'MATCH', `${rt.prefix}:*`, 'COUNT', 500);
    cursor = next;
    if (keys.length) await rt.redis.del(...keys);
  } while (cursor !== '0');
  await rt.close();
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Poll until `fn` returns a truthy value or the time is up. */
export async function waitFor<T>(fn: () => Promise<T> | T, timeoutMs: number, what: string, everyMs = 50): Promise<NonNullable<T>> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v as NonNullable<T>;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}
