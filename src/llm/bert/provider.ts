// Which BERT model a run uses, and the loaded BERT engines a worker keeps between jobs (keyed by
// checkpoint directory), beside ../provider.ts for GPT-2. The rule is GPT-2's: a model the user
// names must be downloaded (ModelNotDownloadedError otherwise); with none named, the notebook's
// model runs when it is downloaded, else the tiny random BERT, and the result says so.
import { isModelAvailable, resolveModelDir, TINY_RANDOM_BERT } from '../../../models/registry.ts';
import { config } from '../../config.ts';
import type { ResolvedModel } from '../provider.ts';
import { loadBertEngine } from './engine.ts';
import type { BertEngine } from './types.ts';

/** The posts' BERT. */
export const DEFAULT_BERT = 'bert-large-uncased';
const MAX_LOADED = 2;
const loaded = new Map<string, Promise<BertEngine>>();

export async function resolveBertModel(requested?: string, preferred: string = DEFAULT_BERT): Promise<ResolvedModel> {
  if (requested) return { name: requested };
  if (await isModelAvailable(preferred)) return { name: preferred };
  return {
    name: TINY_RANDOM_BERT,
    note: `The notebook uses ${preferred}, which is not downloaded here (\`npx lab models pull ${preferred}\`), so this ran on ${TINY_RANDOM_BERT}, a tiny BERT with random weights: its numbers mean nothing.`,
  };
}

export async function getBertEngine(req: { model?: string; preferred?: string; threads?: number } = {}): Promise<BertEngine> {
  const { name } = await resolveBertModel(req.model, req.preferred);
  const dir = await resolveModelDir(name);
  const cached = loaded.get(dir);
  if (cached) {
    loaded.delete(dir); // refresh LRU order
    loaded.set(dir, cached);
    return cached;
  }
  const engine = loadBertEngine(name, { threads: req.threads ?? config.ORT_THREADS });
  engine.catch(() => loaded.delete(dir));
  loaded.set(dir, engine);
  while (loaded.size > MAX_LOADED) {
    const [oldest, old] = loaded.entries().next().value as [string, Promise<BertEngine>];
    loaded.delete(oldest);
    void old.then((e) => e.dispose()).catch(() => {});
  }
  return engine;
}

export async function disposeBertEngines(): Promise<void> {
  const all = [...loaded.values()];
  loaded.clear();
  await Promise.all(all.map((p) => p.then((e) => e.dispose()).catch(() => {})));
}
