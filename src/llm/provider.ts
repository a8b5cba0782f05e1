// Which engine an analysis runs on (resolveEngineModel states the rule). A worker keeps loaded engines between jobs (loading GPT-2
// takes seconds; a forward pass takes milliseconds), keyed by model directory.
import { config } from '../config.ts';
import { KNOWN_MODELS, TINY_RANDOM_BERT, isModelAvailable, resolveModelDir } from '../../models/registry.ts';
import { DEFAULT_BERT_MODEL } from '../analyses/types.ts';
import { loadEngine } from './engine.ts';
import type { Engine } from './types.ts';

export const TINY_MODEL = 'tiny-random';
const MAX_LOADED = 2;
const loaded = new Map<string, Promise<Engine>>();

export interface EngineRequest {
  /** Model named by the user: it must be present (ModelNotDownloadedError otherwise). */
  model?: string;
  /** When no model is named: the notebook's model, used if it is downloaded. */
  preferred?: string;
  threads?: number;
}

export interface ResolvedModel {
  name: string;
  /** Set when the notebook's model was absent and another ran: says which, and how to get it. */
  note?: string;
}

/**
 * The one rule for which model runs, the same in chat, the playground and the CLI:
 * - a model the user names must be downloaded, or the run fails at once with the pull command;
 * - with no model named, the notebook's own model (`preferred`) runs when it is downloaded, else
 *   the configured default (MODEL), else the tiny random checkpoint; the result says which.
 */
export async function resolveEngineModel(requested?: string, preferred?: string): Promise<ResolvedModel> {
  if (requested) return { name: requested };
  const fallback = await defaultModel();
  if (!preferred || preferred === fallback) return { name: fallback };
  if (await isModelAvailable(preferred)) return { name: preferred };
  return {
    name: fallback,
    note: `The notebook uses ${preferred}, which is not downloaded here (\`npx lab models pull ${preferred}\`), so this ran on ${fallback}.`,
  };
}

/**
 * resolveEngineModel's rule for BERT analyses: a named model runs (it must be downloaded); with
 * none named, the notebook's model (`preferred`) when downloaded, else bert-base-uncased when
 * downloaded, else the tiny random BERT. The note says which ran when it is not the notebook's.
 */
export async function resolveBertEngineModel(requested?: string, preferred?: string): Promise<ResolvedModel> {
  if (requested) return { name: requested };
  if (preferred && (await isModelAvailable(preferred))) return { name: preferred };
  const fallback = (await isModelAvailable(DEFAULT_BERT_MODEL)) ? DEFAULT_BERT_MODEL : TINY_RANDOM_BERT;
  if (!preferred || preferred === fallback) return { name: fallback };
  return {
    name: fallback,
    note: `The notebook uses ${preferred}, which is not downloaded here (\`npx lab models pull ${preferred}\`), so this ran on ${fallback}.`,
  };
}

/** MODEL when its weights are here (or it is a directory), else the tiny random checkpoint. */
async function defaultModel(): Promise<string> {
  const name = config.MODEL;
  if (name === TINY_MODEL) return name;
  if (!(KNOWN_MODELS as readonly { name: string }[]).some((m) => m.name === name)) return name; // a directory
  return (await isModelAvailable(name)) ? name : TINY_MODEL;
}

export async function getEngine(req: EngineRequest = {}): Promise<Engine> {
  const { name } = await resolveEngineModel(req.model, req.preferred);
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
