// Which models the workers have downloaded, as the bot and the playground see it: a bot process
// has no weights of its own (in docker compose only workers mount the model cache), so each
// worker writes what it has into Redis when it starts and every few minutes after.
import { downloadedModels } from '../../models/registry.ts';
import type { QueueRuntime } from './runtime.ts';

/** A worker's report older than this no longer counts (the worker is probably gone). */
export const PRESENCE_TTL_MS = 10 * 60_000;
export const PRESENCE_REFRESH_MS = 3 * 60_000;

const presenceKey = (rt: QueueRuntime) => rt.key('models', 'present');

/** Record that this worker has `models` (default: what its cache holds now). */
export async function publishModels(rt: QueueRuntime, models?: string[], now = Date.now()): Promise<string[]> {
  const names = models ?? (await downloadedModels());
  if (names.length > 0) {
    await rt.redis.hset(presenceKey(rt), Object.fromEntries(names.map((n) => [n, String(now)])));
  }
  return names;
}

/** Models some worker reported within PRESENCE_TTL_MS. */
export async function presentModels(rt: QueueRuntime, now = Date.now()): Promise<Set<string>> {
  const all = await rt.redis.hgetall(presenceKey(rt));
  return new Set(Object.entries(all).filter(([, at]) => now - Number(at) <= PRESENCE_TTL_MS).map(([name]) => name));
}

/** Publish now and every PRESENCE_REFRESH_MS; returns a stop function. */
export function keepPublishingModels(rt: QueueRuntime, onError: (err: unknown) => void): () => void {
  const tick = () => void publishModels(rt).catch(onError);
  tick();
  const timer = setInterval(tick, PRESENCE_REFRESH_MS);
  timer.unref();
  return () => clearInterval(timer);
}
