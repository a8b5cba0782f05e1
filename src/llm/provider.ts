// Which engine an analysis runs on. A worker keeps loaded engines between jobs (loading GPT-2
// takes seconds; a forward pass takes milliseconds), keyed by model directory.
import { config } from '../config.ts';
import { KNOWN_MODELS, isModelAvailable, resolveModelDir } from '../../models/registry.ts';
import { loadEngine } from './engine.ts';
import type { Engine } from './types.ts';

export const TINY_MODEL = 'tiny-random';
const MAX_LOADED = 2;
const loaded = new Map<string, Promise<Engine>>();

export interface EngineRequest {
  /** Model asked for by the user; undefined → the configured default (MODEL). */
  model?: string;
  threads?: number;
}

/**
 * Resolve the model to run. The configured default falls back to the tiny random checkpoint
 * when its weights are absent (offline use, tests), and the result says so; a model the user
 * named explicitly must be present, or the error says how to get it.
 */
export async function resolveEngineModel(requested?: string): Promise<string> {
  if (requested && requested !== config.MODEL) return requested;
  const name = config.MODEL;
  if (name === TINY_MODEL) return name;
  if (!(KNOWN_MODELS as readonly { name: string }[]).some((m) => m.name === name)) return name; // a directory
  return (await isModelAvailable(name)) ? name : TINY_MODEL;
}

export async function getEngine(req: EngineRequest = {}): Promise<Engine> {
  const name = await resolveEngineModel(req.model);
  const dir = await resolveModelDir(name);
  const cached = loaded.get(dir);
  if (cached) {
    // Refresh LRU order.
    loaded.delete(dir);
    loaded.set(dir, cached);
    return cached;
  }
  const engine = loadEngine(name, { threads: req.threads ?? config.ORT_THREADS });
  engine.catch(() => loaded.delete(dir));
  loaded.set(dir, engine);
  while (loaded.size > MAX_LOADED) {
    const [oldest, old] = loaded.entries().next().value as [string, Promise<Engine>];
    loaded.delete(oldest);
    void old.then((e) => e.dispose()).catch(() => {});
  }
  return engine;
}

export async function disposeEngines(): Promise<void> {
  const all = [...loaded.values()];
  loaded.clear();
  await Promise.all(all.map((p) => p.then((e) => e.dispose()).catch(() => {})));
}
