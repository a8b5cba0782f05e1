// The deterministic random tiny GPT-2 (DESIGN.md §4): same architecture and full 50 257-token
// vocabulary as gpt2, small enough (2 layers × 64 wide, ~13 MB) to generate in well under a second.
// It serves tests and offline use; config.json carries a marker so every result can say it is random.
import fs from 'node:fs/promises';
import path from 'node:path';
import { config as appConfig } from '../config.ts';
import { gpt2TensorShapes, TINY_RANDOM_MARKER } from './checkpoint.ts';
import { writeSafetensors, type TensorToWrite } from './safetensors.ts';
import type { GPT2Config, Tensor } from './types.ts';
import { mulberry32 } from './generate.ts';

export const TINY_VOCAB_SIZE = 50257;
/** Bump when the generated values change, so cached copies are regenerated. */
export const TINY_GENERATOR_VERSION = 2;
export const TINY_DIR_NAME = 'tiny-random-gpt2';

export interface TinyOptions {
  n_layer?: number;
  n_head?: number;
  n_embd?: number;
  n_positions?: number;
  seed?: number;
}

export interface TinyVariant {
  dtype?: 'F32' | 'F16' | 'BF16';
  /** Name tensors `transformer.wte.weight` … as GPT2LMHeadModel.save_pretrained does. */
  prefix?: boolean;
  /** Add the `h.{l}.attn.bias` / `h.{l}.attn.masked_bias` buffers older exports carry. */
  withMaskBuffers?: boolean;
  /** Store an `lm_head.weight` with its own random values (an untied head). */
  untiedHead?: boolean;
  /** Store an `lm_head.weight` equal to `wte.weight` (tied, but saved anyway). */
  storeTiedHead?: boolean;
  /**
   * Split the weights over this many `model-0000k-of-0000n.safetensors` files with a
   * `model.safetensors.index.json`, as save_pretrained does past its shard size (default 1: one
   * `model.safetensors`).
   */
  shards?: number;
}

/** Limits keep a typo from allocating gigabytes; the keys are the option names in errors. */
export const TINY_LIMITS = {
  n_layer: [1, 48],
  n_head: [1, 64],
  n_embd: [1, 2048],
  n_positions: [1, 8192],
  seed: [0, 2 ** 32 - 1],
} as const;

function checkOptions(o: Required<TinyOptions>): void {
  for (const [key, [min, max]] of Object.entries(TINY_LIMITS)) {
    const v = o[key as keyof TinyOptions];
    if (!Number.isInteger(v) || v < min || v > max) {
      throw new RangeError(`tiny checkpoint: ${key} must be an integer from ${min} to ${max} (got ${v})`);
    }
  }
  if (o.n_embd % o.n_head !== 0) {
    throw new RangeError(`tiny checkpoint: n_embd (${o.n_embd}) must be a multiple of n_head (${o.n_head})`);
  }
}


/**
 * Fill `out` with N(mean, std²) draws by Marsaglia's polar method, inlined: a GPT-2-small-shaped
 * checkpoint is 124 M draws, and this is ~3× faster than a per-value Box–Muller closure.
 */
function fillNormal(out: Float32Array, mean: number, std: number, uniform: () => number): void {
  for (let i = 0; i < out.length; i += 2) {
    let x: number, y: number, s: number;
    do {
      x = 2 * uniform() - 1;
      y = 2 * uniform() - 1;
      s = x * x + y * y;
    } while (s >= 1 || s === 0);
    const f = Math.sqrt((-2 * Math.log(s)) / s);
    out[i] = mean + std * x * f;
    if (i + 1 < out.length) out[i + 1] = mean + std * y * f;
  }
}

/**
 * How each kind of tensor is drawn. Embeddings follow GPT-2's N(0, 0.02) init; projections use
 * N(0, 1/√fan_in) so attention patterns and GELU inputs are far from uniform/linear, and LayerNorm
 * gains and biases are perturbed so a mistake in any of them changes the output measurably.
 */
function initFor(name: string, dims: number[]): { mean: number; std: number } {
  if (name === 'wte.weight' || name === 'wpe.weight' || name === 'lm_head.weight') return { mean: 0, std: 0.02 };
  if (/ln_\w+\.weight$/.test(name)) return { mean: 1, std: 0.1 };
  if (/ln_\w+\.bias$/.test(name)) return { mean: 0, std: 0.05 };
  if (name.endsWith('.bias')) return { mean: 0, std: 0.05 };
  return { mean: 0, std: 1 / Math.sqrt(dims[0]) };
}

function drawTensor(name: string, dims: number[], uniform: () => number): Tensor {
  const { mean, std } = initFor(name, dims);
  const data = new Float32Array(dims.reduce((a, b) => a * b, 1));
  fillNormal(data, mean, std, uniform);
  return { dims, data };
}

export function tinyConfig(opts: TinyOptions = {}): GPT2Config & { seed: number } {
  const o = { n_layer: 2, n_head: 4, n_embd: 64, n_positions: 1024, seed: 0, ...opts };
  checkOptions(o);
  return {
    n_layer: o.n_layer,
    n_head: o.n_head,
    n_embd: o.n_embd,
    n_positions: o.n_positions,
    vocab_size: TINY_VOCAB_SIZE,
    layer_norm_epsilon: 1e-5,
    n_inner: 4 * o.n_embd,
    seed: o.seed,
  };
}

/** The tiny checkpoint in memory: canonical names, float32, tied head (no `lm_head.weight`). */
export function makeTinyCheckpoint(opts: TinyOptions = {}): { config: GPT2Config; tensors: Map<string, Tensor> } {
  const { seed, ...config } = tinyConfig(opts);
  const uniform = mulberry32(seed);
  const tensors = new Map<string, Tensor>();
  for (const [name, dims] of gpt2TensorShapes(config)) tensors.set(name, drawTensor(name, dims, uniform));
  return { config, tensors };
}

/** A separate stream, so the untied variant shares every other tensor with the tied one. */
function untiedHeadTensor(config: GPT2Config, seed: number): Tensor {
  return drawTensor('lm_head.weight', [config.vocab_size, config.n_embd], mulberry32(seed ^ 0x9e3779b9));
}

/** Write the tiny checkpoint as a Hugging Face GPT-2 directory; returns the directory. */
export async function writeTinyCheckpoint(dir: string, opts: TinyOptions = {}, variant: TinyVariant = {}): Promise<string> {
  const { dtype = 'F32', prefix = false, withMaskBuffers = false, untiedHead = false, storeTiedHead = false, shards = 1 } = variant;
  if (!Number.isInteger(shards) || shards < 1) throw new RangeError(`tiny checkpoint: shards must be a whole number ≥ 1 (got ${shards})`);
  if (!['F32', 'F16', 'BF16'].includes(dtype)) throw new RangeError(`tiny checkpoint: dtype must be F32, F16 or BF16 (got ${dtype})`);
  const { seed } = tinyConfig(opts);
  const { config, tensors } = makeTinyCheckpoint(opts);
  if (shards > tensors.size) throw new RangeError(`tiny checkpoint: shards must be at most ${tensors.size}, one tensor each (got ${shards})`);

  const out = new Map<string, TensorToWrite>();
  const body = (name: string) => (prefix ? `transformer.${name}` : name);
  for (const [name, t] of tensors) {
    out.set(body(name), { dtype, dims: t.dims, data: t.data });
    const block = /^h\.(\d+)\.ln_1\.bias$/.exec(name);
    if (withMaskBuffers && block) {
      // Where transformers' older GPT2Attention kept its causal mask and masking constant.
      const P = config.n_positions;
      const mask = new Float32Array(P * P);
      for (let q = 0; q < P; q++) mask.fill(1, q * P, q * P + q + 1);
      out.set(body(`h.${block[1]}.attn.bias`), { dtype, dims: [1, 1, P, P], data: mask });
      out.set(body(`h.${block[1]}.attn.masked_bias`), { dtype, dims: [], data: [-1e4] });
    }
  }
  // The head is never prefixed: GPT2LMHeadModel keeps lm_head beside `transformer`.
  if (untiedHead) out.set('lm_head.weight', { dtype, ...untiedHeadTensor(config, seed) });
  else if (storeTiedHead) out.set('lm_head.weight', { dtype, ...tensors.get('wte.weight')! });

  const hfConfig = {
    architectures: ['GPT2LMHeadModel'],
    model_type: 'gpt2',
    activation_function: 'gelu_new',
    n_layer: config.n_layer,
    n_head: config.n_head,
    n_embd: config.n_embd,
    n_positions: config.n_positions,
    n_ctx: config.n_positions,
    n_inner: null,
    vocab_size: config.vocab_size,
    layer_norm_epsilon: config.layer_norm_epsilon,
    bos_token_id: 50256,
    eos_token_id: 50256,
    tie_word_embeddings: !untiedHead,
    torch_dtype: { F32: 'float32', F16: 'float16', BF16: 'bfloat16' }[dtype],
    [TINY_RANDOM_MARKER]: true,
    substack_lab_tiny_version: TINY_GENERATOR_VERSION,
    substack_lab_tiny_seed: seed,
  };
  await fs.mkdir(dir, { recursive: true });
  await fs.writeFile(path.join(dir, 'config.json'), JSON.stringify(hfConfig, null, 2) + '\n');
  if (shards === 1) {
    await writeSafetensors(path.join(dir, 'model.safetensors'), out, { format: 'pt' });
    return dir;
  }
  // Tensors in order, cut into `shards` runs of about equal size, as transformers' sharding does.
  const entries = [...out];
  const bytesOf = ([, t]: [string, TensorToWrite]) => t.data.length * (dtype === 'F32' ? 4 : 2);
  const total = entries.reduce((a, e) => a + bytesOf(e), 0);
  const weightMap: Record<string, string> = {};
  let at = 0;
  for (let k = 0; k < shards; k++) {
    const file = `model-${String(k + 1).padStart(5, '0')}-of-${String(shards).padStart(5, '0')}.safetensors`;
    const part = new Map<string, TensorToWrite>();
    let size = 0;
    const leave = shards - 1 - k; // at least one tensor for each later shard
    while (entries.length - at > leave && (k === shards - 1 || size === 0 || size + bytesOf(entries[at]) <= total / shards)) {
      part.set(entries[at][0], entries[at][1]);
      size += bytesOf(entries[at]);
      weightMap[entries[at][0]] = file;
      at++;
    }
    await writeSafetensors(path.join(dir, file), part, { format: 'pt' });
  }
  const index = { metadata: { total_size: total }, weight_map: weightMap };
  await fs.writeFile(path.join(dir, 'model.safetensors.index.json'), JSON.stringify(index, null, 2) + '\n');
  return dir;
}

/** True when `dir` holds a tiny checkpoint made by this version of the generator. */
export async function isCurrentTinyDir(dir: string): Promise<boolean> {
  try {
    const cfg = JSON.parse(await fs.readFile(path.join(dir, 'config.json'), 'utf8'));
    await fs.access(path.join(dir, 'model.safetensors'));
    return cfg[TINY_RANDOM_MARKER] === true && cfg.substack_lab_tiny_version === TINY_GENERATOR_VERSION;
  } catch {
    return false;
  }
}

/**
 * The default tiny checkpoint under the models cache, generated on first use (ensureGenerated).
 */
export async function ensureTinyCheckpoint(modelsDir: string = appConfig.MODELS_DIR): Promise<string> {
  return ensureGenerated(path.join(modelsDir, TINY_DIR_NAME), isCurrentTinyDir, (tmp) => writeTinyCheckpoint(tmp));
}

/**
 * A generated checkpoint directory, made on first use: written into a temporary directory and
 * renamed, so concurrent workers never read a half-written one. Shared by the tiny GPT-2 and BERT.
 */
export async function ensureGenerated(dir: string, isCurrent: (dir: string) => Promise<boolean>, write: (tmp: string) => Promise<unknown>): Promise<string> {
  if (await isCurrent(dir)) return dir;
  const unique = `${process.pid}-${Math.random().toString(36).slice(2)}`;
  const tmp = `${dir}.tmp-${unique}`;
  try {
    await write(tmp);
    try {
      await fs.rename(tmp, dir);
    } catch {
      // Another process may have finished first; its copy is as good as ours.
      if (await isCurrent(dir)) return dir;
      // An outdated or broken copy: move it aside rather than delete it under a reader.
      const old = `${dir}.old-${unique}`;
      await fs.rename(dir, old);
      await fs.rename(tmp, dir);
      await fs.rm(old, { recursive: true, force: true });
    }
    return dir;
  } finally {
    await fs.rm(tmp, { recursive: true, force: true });
  }
}
