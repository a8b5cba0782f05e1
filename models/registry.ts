// The models the project knows by name (DESIGN.md §4), where each comes from, and how a name or a
// directory becomes a checkpoint directory on disk. The weights themselves live in the cache
// (models/cache/ or $HF_HOME/hub, git-ignored).
import fs from 'node:fs/promises';
import path from 'node:path';
import { config } from '../src/config.ts';
import { findSnapshot, searchCacheDirs } from '../src/llm/hf-cache.ts';
import { isBertConfig } from '../src/llm/bert/checkpoint.ts';
import { ensureTinyBertCheckpoint } from '../src/llm/bert/tiny.ts';
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
  /** Which engine runs it (default gpt2). */
  arch?: ModelArch;
  /** The files a pull fetches, when not CHECKPOINT_FILES. */
  files?: string[];
}

export type ModelArch = 'gpt2' | 'bert';

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

export const TINY_RANDOM_BERT = 'tiny-random-bert';

/** A BERT checkpoint's files: the tokenizer's vocabulary is part of it. */
export const BERT_CHECKPOINT_FILES = ['config.json', 'model.safetensors', 'vocab.txt', 'tokenizer_config.json'];

/**
 * The BERT models (the BERT engine, src/llm/bert/), kept apart from KNOWN_MODELS: those are the
 * GPT-2 models that GPT-2 analyses offer. Sizes are model.safetensors with the masked-LM and
 * next-sentence heads (bert-large's estimated from its tensor shapes: 336 226 108 F32 values and
 * a header of about 46 KB).
 */
export const KNOWN_BERT_MODELS: readonly KnownModel[] = [
  { name: 'bert-base-uncased', repo: 'google-bert/bert-base-uncased', params: '110M', n_layer: 12, n_embd: 768, n_head: 12, bytes: 440_449_768, description: 'BERT base, uncased (masked-LM head)', arch: 'bert', files: BERT_CHECKPOINT_FILES },
  { name: 'bert-large-uncased', repo: 'google-bert/bert-large-uncased', params: '336M', n_layer: 24, n_embd: 1024, n_head: 16, bytes: 1_344_951_000, description: 'BERT large, uncased: the gender-bias, king − man + woman and RSA posts', arch: 'bert', files: BERT_CHECKPOINT_FILES },
  { name: TINY_RANDOM_BERT, params: '0.17M', n_layer: 2, n_embd: 64, n_head: 4, bytes: 669_136, description: 'deterministic random BERT with a small vocabulary, generated locally (tests, offline)', arch: 'bert' },
];

export function knownModelNames(): string[] {
  return KNOWN_MODELS.map((m) => m.name);
}

/** A known model (GPT-2 or BERT) by name or by its Hub repository id ("openai-community/gpt2"). */
export function findKnownModel(nameOrRepo: string): KnownModel | undefined {
  return [...KNOWN_MODELS, ...KNOWN_BERT_MODELS].find((m) => m.name === nameOrRepo || m.repo === nameOrRepo);
}

/**
 * Which engine a model name or checkpoint directory needs: a known model's arch, else the
 * directory's config.json (model_type "bert", or a Bert* architecture, is BERT).
 */
export async function modelArch(nameOrDir: string): Promise<ModelArch> {
  const known = findKnownModel(nameOrDir);
  if (known) return known.arch ?? 'gpt2';
  const raw = await fs.readFile(path.join(nameOrDir, 'config.json'), 'utf8').catch(() => undefined);
  if (raw === undefined) return 'gpt2'; // not a checkpoint directory: resolving it says so
  try {
    return isBertConfig(JSON.parse(raw)) ? 'bert' : 'gpt2';
  } catch {
    return 'gpt2'; // the GPT-2 reader reports the broken config.json
  }
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
  const bertHub = KNOWN_BERT_MODELS.filter((m) => m.repo).map((m) => m.name);
  if (purpose === 'pull') {
    if (/bert/i.test(name)) return new Error(`unknown model "${name}": the BERT models on the Hub are ${bertHub.join(', ')}`);
    const hub = KNOWN_MODELS.filter((m) => m.repo).map((m) => m.name);
    return new Error(`unknown model "${name}": the models on the Hub are ${hub.join(', ')}`);
  }
  return new Error(
    `unknown model "${name}": known models are ${knownModelNames().join(', ')}; or give a checkpoint directory (config.json + model.safetensors, or shards listed in model.safetensors.index.json); BERT models: ${KNOWN_BERT_MODELS.map((m) => m.name).join(', ')}`,
  );
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
    const dir = await findSnapshot(cacheDir, model.repo, model.files ?? CHECKPOINT_FILES);
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
  if (known?.name === TINY_RANDOM_BERT) return ensureTinyBertCheckpoint(opts.modelsDir ?? config.MODELS_DIR);
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
  if (known?.name === TINY_RANDOM || known?.name === TINY_RANDOM_BERT) return true;
  if (await isDirectory(nameOrDir)) return true;
  return known ? (await findDownloaded(known, opts.cacheDirs)) !== undefined : false;
}
