// The models the project knows by name (DESIGN.md §4), where each comes from, and how a name or a
// directory becomes a checkpoint directory on disk. The weights themselves live in the cache
// (models/cache/ or $HF_HOME/hub, git-ignored).
import fs from 'node:fs/promises';
import path from 'node:path';
import { config } from '../src/config.ts';
import { findSnapshot, searchCacheDirs } from '../src/llm/hf-cache.ts';
import { ensureTinyCheckpoint } from '../src/llm/tiny.ts';

export interface KnownModel {
  name: string;
  /** Hugging Face Hub repository, or undefined for a generated model. */
  repo?: string;
  params: string;
  n_layer: number;
  n_embd: number;
  n_head: number;
  /** Size of model.safetensors in bytes (as listed on the Hub; F32). */
  bytes: number;
  description: string;
}

export const TINY_RANDOM = 'tiny-random';

/** The files a pull fetches; tokenizer files are not needed (gpt-tokenizer encodes GPT-2's BPE). */
export const CHECKPOINT_FILES = ['config.json', 'model.safetensors'];

export const KNOWN_MODELS: readonly KnownModel[] = [
  { name: 'gpt2', repo: 'openai-community/gpt2', params: '124M', n_layer: 12, n_embd: 768, n_head: 12, bytes: 548_105_171, description: 'GPT-2 small, the posts\' default' },
  { name: 'gpt2-medium', repo: 'openai-community/gpt2-medium', params: '355M', n_layer: 24, n_embd: 1024, n_head: 16, bytes: 1_520_013_706, description: 'used by the MLP post' },
  { name: 'gpt2-large', repo: 'openai-community/gpt2-large', params: '774M', n_layer: 36, n_embd: 1280, n_head: 20, bytes: 3_247_202_234, description: 'used by the attention post' },
  { name: 'gpt2-xl', repo: 'openai-community/gpt2-xl', params: '1.5B', n_layer: 48, n_embd: 1600, n_head: 25, bytes: 6_431_829_964, description: 'the largest GPT-2' },
  { name: 'distilgpt2', repo: 'distilbert/distilgpt2', params: '82M', n_layer: 6, n_embd: 768, n_head: 12, bytes: 352_824_413, description: 'distilled GPT-2, 6 layers' },
  { name: TINY_RANDOM, params: '3.3M', n_layer: 2, n_embd: 64, n_head: 4, bytes: 13_530_752, description: 'deterministic random weights, generated locally (tests, offline)' },
];

export function knownModelNames(): string[] {
  return KNOWN_MODELS.map((m) => m.name);
}

/** A known model by name or by its Hub repository id ("openai-community/gpt2"). */
export function findKnownModel(nameOrRepo: string): KnownModel | undefined {
  return KNOWN_MODELS.find((m) => m.name === nameOrRepo || m.repo === nameOrRepo);
}

/**
 * A named model whose weights are not on this machine. Not a transient failure: a job that meets
 * it fails at once (no retries), and every front end shows the same message with the pull command.
 */
export class ModelNotDownloadedError extends Error {
  constructor(readonly model: string) {
    super(`${model} is not downloaded yet: run \`npx lab models pull ${model}\``);
    this.name = 'ModelNotDownloadedError';
  }
}

/** The known models whose weights this machine has (tiny-random is always there). */
export async function downloadedModels(opts: ResolveOptions = {}): Promise<string[]> {
  const present = await Promise.all(KNOWN_MODELS.map(async (m) => ((await isModelAvailable(m.name, opts)) ? m.name : undefined)));
  return present.filter((n): n is string => n !== undefined);
}

/** `purpose` 'pull' lists only what can be downloaded. */
export function unknownModelError(name: string, purpose: 'load' | 'pull' = 'load'): Error {
  if (purpose === 'pull') {
    const hub = KNOWN_MODELS.filter((m) => m.repo).map((m) => m.name);
    return new Error(`unknown model "${name}": the models on the Hub are ${hub.join(', ')}`);
  }
  return new Error(`unknown model "${name}": known models are ${knownModelNames().join(', ')}; or give a checkpoint directory (config.json + model.safetensors, or shards listed in model.safetensors.index.json)`);
}

export interface ResolveOptions {
  /** Caches to look in (default: $HF_HOME/hub or MODELS_DIR, then huggingface_hub's default). */
  cacheDirs?: string[];
  /** Where the tiny model is generated (default MODELS_DIR). */
  modelsDir?: string;
}

async function isDirectory(p: string): Promise<boolean> {
  return (await fs.stat(p).catch(() => undefined))?.isDirectory() ?? false;
}

/** The downloaded snapshot of a known Hub model, if any cache has a complete one. */
export async function findDownloaded(model: KnownModel, cacheDirs: string[] = searchCacheDirs()): Promise<string | undefined> {
  if (!model.repo) return undefined;
  for (const cacheDir of cacheDirs) {
    const dir = await findSnapshot(cacheDir, model.repo, CHECKPOINT_FILES);
    if (dir) return dir;
  }
  return undefined;
}

/**
 * A model name or a checkpoint directory → the directory to load. An existing directory is used
 * as is; `tiny-random` is generated on first use; a Hub model must have been pulled.
 */
export async function resolveModelDir(nameOrDir: string, opts: ResolveOptions = {}): Promise<string> {
  const known = findKnownModel(nameOrDir);
  if (known?.name === TINY_RANDOM) return ensureTinyCheckpoint(opts.modelsDir ?? config.MODELS_DIR);
  if (await isDirectory(nameOrDir)) return path.resolve(nameOrDir);
  if (known) {
    const dir = await findDownloaded(known, opts.cacheDirs);
    if (dir) return dir;
    throw new ModelNotDownloadedError(known.name);
  }
  if (/[\\/]/.test(nameOrDir) || nameOrDir.startsWith('.') || nameOrDir.startsWith('~')) {
    throw new Error(`no checkpoint directory at ${path.resolve(nameOrDir)}, and "${nameOrDir}" is not a known model (${knownModelNames().join(', ')})`);
  }
  throw unknownModelError(nameOrDir);
}

/** True when `resolveModelDir` would succeed without a download (tiny-random always can). */
export async function isModelAvailable(nameOrDir: string, opts: ResolveOptions = {}): Promise<boolean> {
  const known = findKnownModel(nameOrDir);
  if (known?.name === TINY_RANDOM) return true;
  if (await isDirectory(nameOrDir)) return true;
  return known ? (await findDownloaded(known, opts.cacheDirs)) !== undefined : false;
}
