// Which Deliverer answers a given reply target. Workers deliver to every platform, so importing
// this module registers all three; each is built lazily from the config on first use, so a worker
// without Discord or Slack credentials starts fine and only fails a job that needs them.
import { createDiscordDeliverer } from './discord/deliver.ts';
import { createSlackDeliverer } from './slack/deliver.ts';
import { createWebDeliverer } from './web/deliver.ts';
import type { Deliverer } from './types.ts';
import { config } from '../config.ts';
import type { ReplyTarget } from '../queue/jobs.ts';
import { sharedRuntime } from '../queue/runtime.ts';

type Platform = ReplyTarget['platform'];

const registry = new Map<Platform, Deliverer>();

/** Register (or replace) the deliverer for a platform: the bot shares its own clients this way, tests their fakes. */
export function registerDeliverer<T extends ReplyTarget>(d: Deliverer<T>): void {
  registry.set(d.platform, d as unknown as Deliverer);
}

export function delivererFor<T extends ReplyTarget>(target: T): Deliverer<T> {
  const d = registry.get(target.platform);
  if (!d) throw new Error(`No deliverer registered for platform "${target.platform}"`);
  return d as unknown as Deliverer<T>;
}

/** Defer construction until first use; the discord and slack factories defer their clients too. */
function lazy<T extends ReplyTarget>(platform: T['platform'], make: () => Deliverer<T>): Deliverer<T> {
  let d: Deliverer<T> | undefined;
  const get = () => (d ??= make());
  return {
    platform,
    progress: (t, text) => get().progress(t, text),
    // The ledger's attempt (src/queue/delivery-ledger.ts) travels on to deliverers that resume posts.
    deliverResult: (t, r, ...attempt: unknown[]) => (get().deliverResult as (...a: unknown[]) => Promise<void>)(t, r, ...attempt),
    deliverError: (t, m, ...attempt: unknown[]) => (get().deliverError as (...a: unknown[]) => Promise<void>)(t, m, ...attempt),
    postDigest: async (t, digest) => {
      const d = get();
      if (!d.postDigest) throw new Error(`the ${platform} deliverer cannot post digests`);
      await d.postDigest(t, digest);
    },
  };
}

registerDeliverer(createDiscordDeliverer(config));
registerDeliverer(createSlackDeliverer(config));
registerDeliverer(lazy('web', () => {
  const rt = sharedRuntime();
  return createWebDeliverer({ redis: rt.redis, prefix: rt.prefix });
}));
