// One blocking Redis reader for all of the playground's open event streams. XREAD BLOCK holds
// its connection while it waits, so a reader per open tab meant a Redis connection per tab
// (issue 20). Here a single connection XREADs every stream that an open tab waits on, and wakes
// the tabs whose stream got something new; each tab then reads its own events on the shared,
// non-blocking connection. A tab that starts waiting on a stream the blocked XREAD does not
// cover (a new tab, or one further behind) interrupts it with CLIENT UNBLOCK, so the read is
// re-issued with that stream at once.
import type { Redis } from 'ioredis';

export interface EventHub {
  /**
   * Resolves true once stream `key` has an entry after `afterId`, false after `timeoutMs`, on
   * `signal`'s abort or when the hub closes.
   */
  waitForNew(key: string, afterId: string, timeoutMs: number, signal?: AbortSignal): Promise<boolean>;
  /** The blocking connection, for tests (undefined until the first wait). */
  readonly reader: Redis | undefined;
  close(): void;
}

interface Waiter {
  after: string;
  done(woke: boolean): void;
}

export interface EventHubOptions {
  /** Longest single XREAD BLOCK; waits longer than this are re-issued. */
  blockMs?: number;
  onError?: (err: unknown) => void;
}

/** Stream ids "ms-seq" (or "0") in order. */
export function compareStreamIds(a: string, b: string): number {
  const [am = 0, as = 0] = a.split('-').map(Number);
  const [bm = 0, bs = 0] = b.split('-').map(Number);
  return am - bm || as - bs;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** `redis` is the shared non-blocking connection; the hub makes its one blocking reader from it. */
export function createEventHub(redis: Redis, opts: EventHubOptions = {}): EventHub {
  const blockMs = opts.blockMs ?? 5_000;
  const waiters = new Map<string, Set<Waiter>>();
  let reader: Redis | undefined;
  let readerId: Promise<number> | undefined;
  /** The cursors of the XREAD in flight (null between reads). */
  let inFlight: Map<string, string> | null = null;
  let running = false;
  let closed = false;

  function cursors(): Map<string, string> {
    const out = new Map<string, string>();
    for (const [key, set] of waiters) {
      let min: string | undefined;
      for (const w of set) if (min === undefined || compareStreamIds(w.after, min) < 0) min = w.after;
      if (min !== undefined) out.set(key, min);
    }
    return out;
  }

  async function loop(): Promise<void> {
    running = true;
    try {
      while (!closed && waiters.size > 0) {
        reader ??= redis.duplicate();
        readerId ??= reader.client('ID') as Promise<number>;
        const flight = cursors();
        inFlight = flight;
        let reply: [Buffer, [Buffer, Buffer[]][]][] | null = null;
        try {
          await readerId;
          reply = await reader.xreadBuffer('COUNT', 1, 'BLOCK', blockMs, 'STREAMS', ...flight.keys(), ...flight.values());
        } catch (err) {
          if (closed) break;
          opts.onError?.(err);
          await sleep(500); // Redis away: the tabs' own timeouts keep them polling meanwhile
          continue;
        } finally {
          inFlight = null;
        }
        for (const [keyBuf, entries] of reply ?? []) {
          const newest = entries.at(-1)?.[0].toString('utf8');
          const set = waiters.get(keyBuf.toString('utf8'));
          if (!newest || !set) continue;
          for (const w of [...set]) if (compareStreamIds(w.after, newest) < 0) w.done(true);
        }
      }
    } finally {
      running = false;
    }
  }

  /** Make the blocked XREAD return now (its cursors no longer cover every waiter). */
  async function interrupt(flight: Map<string, string>): Promise<void> {
    const id = await readerId;
    // The XREAD may not have reached Redis yet: then UNBLOCK finds nothing, so try again shortly.
    for (let i = 0; i < 50 && inFlight === flight && !closed; i++) {
      const n = Number(await redis.client('UNBLOCK', id!).catch(() => 0));
      if (n === 1) return;
      await sleep(10);
    }
  }

  return {
    get reader() {
      return reader;
    },
    waitForNew(key, afterId, timeoutMs, signal) {
      if (closed || signal?.aborted) return Promise.resolve(false);
      return new Promise<boolean>((resolve) => {
        let set = waiters.get(key);
        if (!set) waiters.set(key, (set = new Set()));
        const timer = setTimeout(() => waiter.done(false), timeoutMs);
        const onAbort = () => waiter.done(false);
        const waiter: Waiter = {
          after: afterId,
          done(woke) {
            clearTimeout(timer);
            signal?.removeEventListener('abort', onAbort);
            const s = waiters.get(key);
            if (s?.delete(waiter) && s.size === 0) waiters.delete(key);
            resolve(woke);
          },
        };
        set.add(waiter);
        signal?.addEventListener('abort', onAbort, { once: true });
        if (!running) {
          void loop();
        } else if (inFlight) {
          const covered = inFlight.get(key);
          if (covered === undefined || compareStreamIds(afterId, covered) < 0) void interrupt(inFlight);
        }
      });
    },
    close() {
      closed = true;
      for (const set of [...waiters.values()]) for (const w of [...set]) w.done(false);
      reader?.disconnect();
    },
  };
}
