// Hugging Face GPT-2 checkpoints (DESIGN.md §4): `config.json` + `model.safetensors`, or the
// sharded form `save_pretrained` writes past its shard size (`model.safetensors.index.json`, whose
// `weight_map` names each tensor's `model-0000k-of-0000n.safetensors`); tensors renamed to one
// canonical vocabulary (Hugging Face's names without `transformer.`), converted to float32 and
// checked against the shapes the config implies before the engine ever sees them.
import fs from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { SafetensorsFile, type TensorInfo } from './safetensors.ts';
import type { GPT2Config, Tensor } from './types.ts';

export interface Checkpoint {
  dir: string;
  config: GPT2Config;
  /** Canonical name → float32 tensor. `lm_head.weight` only when it differs from `wte.weight`. */
  tensors: Map<string, Tensor>;
  isTinyRandom: boolean;
}

/** Marker the tiny generator writes into config.json so results can say the model is random. */
export const TINY_RANDOM_MARKER = 'substack_lab_tiny_random';

const PREFIX = 'transformer.';
/** Causal-mask buffers some exports carry; the engine builds its own mask. */
const MASK_BUFFER = /^h\.\d+\.attn\.(bias|masked_bias)$/;

const positiveInt = z.number().int().positive();
const ConfigSchema = z.object({
  model_type: z.string().optional(),
  n_layer: positiveInt,
  n_head: positiveInt,
  n_embd: positiveInt,
  n_positions: positiveInt.optional(),
  n_ctx: positiveInt.optional(),
  vocab_size: positiveInt,
  layer_norm_epsilon: z.number().positive().default(1e-5),
  n_inner: positiveInt.nullable().optional(),
  [TINY_RANDOM_MARKER]: z.boolean().optional(),
});

const INDEX_FILE = 'model.safetensors.index.json';
const SINGLE_FILE = 'model.safetensors';

/** A shard index as transformers writes it; shards must be plain file names beside it. */
const IndexSchema = z.object({
  metadata: z.record(z.string(), z.unknown()).optional(),
  weight_map: z.record(
    z.string(),
    z.string().regex(/^[^/\\]+\.safetensors$/, 'must be a .safetensors file name in the same directory'),
  ),
});

/** Parse a Hugging Face GPT-2 config.json object; `source` names the file in errors. */
export function parseGPT2Config(raw: unknown, source: string): { config: GPT2Config; isTinyRandom: boolean } {
  const parsed = ConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const msg = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new Error(`${source}: not a usable GPT-2 config (${msg})`);
  }
  const c = parsed.data;
  if (c.model_type !== undefined && c.model_type !== 'gpt2') {
    throw new Error(`${source}: model_type is "${c.model_type}"; only gpt2 checkpoints are supported`);
  }
  const n_positions = c.n_positions ?? c.n_ctx;
  if (n_positions === undefined) throw new Error(`${source}: neither n_positions nor n_ctx is set`);
  if (c.n_embd % c.n_head !== 0) {
    throw new Error(`${source}: n_embd (${c.n_embd}) must be a multiple of n_head (${c.n_head})`);
  }
  return {
    config: {
      n_layer: c.n_layer,
      n_head: c.n_head,
      n_embd: c.n_embd,
      n_positions,
      vocab_size: c.vocab_size,
      layer_norm_epsilon: c.layer_norm_epsilon,
      n_inner: c.n_inner ?? 4 * c.n_embd,
    },
    isTinyRandom: c[TINY_RANDOM_MARKER] === true,
  };
}

/** Every tensor a GPT-2 checkpoint must hold, canonical name → shape, in forward order. */
export function gpt2TensorShapes(config: GPT2Config): Map<string, number[]> {
  const { n_layer, n_embd: d, n_positions, vocab_size, n_inner } = config;
  const shapes = new Map<string, number[]>([
    ['wte.weight', [vocab_size, d]],
    ['wpe.weight', [n_positions, d]],
  ]);
  for (let l = 0; l < n_layer; l++) {
    const h = `h.${l}`;
    shapes.set(`${h}.ln_1.weight`, [d]);
    shapes.set(`${h}.ln_1.bias`, [d]);
    shapes.set(`${h}.attn.c_attn.weight`, [d, 3 * d]); // Conv1D: x @ W
    shapes.set(`${h}.attn.c_attn.bias`, [3 * d]);
    shapes.set(`${h}.attn.c_proj.weight`, [d, d]);
    shapes.set(`${h}.attn.c_proj.bias`, [d]);
    shapes.set(`${h}.ln_2.weight`, [d]);
    shapes.set(`${h}.ln_2.bias`, [d]);
    shapes.set(`${h}.mlp.c_fc.weight`, [d, n_inner]);
    shapes.set(`${h}.mlp.c_fc.bias`, [n_inner]);
    shapes.set(`${h}.mlp.c_proj.weight`, [n_inner, d]);
    shapes.set(`${h}.mlp.c_proj.bias`, [d]);
  }
  shapes.set('ln_f.weight', [d]);
  shapes.set('ln_f.bias', [d]);
  return shapes;
}

const sameDims = (a: number[], b: number[]) => a.length === b.length && a.every((v, i) => v === b[i]);
const fmt = (dims: number[]) => `[${dims.join(', ')}]`;

function sameValues(a: Float32Array, b: Float32Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Where a canonical tensor is stored: its file and its name there. */
interface StoredTensor {
  st: SafetensorsFile;
  name: string;
}

/**
 * The tensors of a checkpoint folder under canonical names, for any architecture (GPT-2 here,
 * BERT in bert/checkpoint.ts): one `model.safetensors`, or every shard a
 * `model.safetensors.index.json` names. `canonical` maps a stored name to the engine's name, or
 * to null for a tensor the engine does not use (buffers, heads it ignores), which is then never
 * read or checked. Used tensors must be F32, F16 or BF16; two stored names for one canonical name
 * are an error. Data is read on demand.
 */
export class TensorStore {
  private constructor(
    readonly dir: string,
    /** The file errors name: `model.safetensors` or the shard index. */
    readonly source: string,
    private readonly files: SafetensorsFile[],
    private readonly stored: Map<string, StoredTensor>,
  ) {}

  static async open(dir: string, canonical: (stored: string) => string | null): Promise<TensorStore> {
    // Which file holds each tensor (by its name in the file): one file, or a shard index.
    const { weightMap, source, single } = await weightFiles(dir);
    const byFile = new Map<string, SafetensorsFile>(single ? [[SINGLE_FILE, single]] : []);
    try {
      for (const file of new Set(weightMap.values())) {
        if (!byFile.has(file)) byFile.set(file, await SafetensorsFile.open(path.join(dir, file)));
      }
      const store = new TensorStore(path.resolve(dir), source, [...byFile.values()], new Map());
      for (const [name, file] of weightMap) {
        const st = byFile.get(file)!;
        const info = st.header.tensors.get(name) ?? store.fail(`tensor ${name} is listed in ${file}, which does not hold it`);
        const as = canonical(name);
        if (as === null) continue;
        const twice = store.stored.get(as);
        if (twice) store.fail(`tensor ${as} is stored twice (as "${twice.name}" and "${name}")`);
        if (info.dtype !== 'F32' && info.dtype !== 'F16' && info.dtype !== 'BF16') {
          store.fail(`tensor ${name} is ${info.dtype}; weights must be F32, F16 or BF16`);
        }
        store.stored.set(as, { st, name });
      }
      return store;
    } catch (err) {
      for (const st of byFile.values()) await st.close();
      throw err;
    }
  }

  /** An error naming the weights file, e.g. "model.safetensors: missing tensor … (/dir/model.safetensors)". */
  fail(msg: string): never {
    throw new Error(`${this.source}: ${msg} (${path.join(this.dir, this.source)})`);
  }

  has(name: string): boolean {
    return this.stored.has(name);
  }

  /** Canonical names of every used tensor, in file order. */
  names(): string[] {
    return [...this.stored.keys()];
  }

  /** A tensor's shape, or undefined when it is not stored. */
  dims(name: string): number[] | undefined {
    const at = this.stored.get(name);
    return at && [...at.st.header.tensors.get(at.name)!.dims];
  }

  /**
   * Check the stored tensors against the shapes a config implies (canonical name → shape);
   * names in `optional` may be absent. `context` names the config values the shapes come from,
   * briefly for a missing tensor and in full for a wrong shape.
   */
  checkShapes(expected: Map<string, number[]>, optional: Set<string>, context: { missing: string; mismatch: string }): void {
    for (const [name, want] of expected) {
      const got = this.dims(name);
      if (!got) {
        if (!optional.has(name)) this.fail(`missing tensor ${name} (expected shape ${fmt(want)} for ${context.missing})`);
      } else if (!sameDims(got, want)) {
        this.fail(`tensor ${name} has shape ${fmt(got)}, expected ${fmt(want)} (from config.json: ${context.mismatch})`);
      }
    }
  }

  private at(name: string): StoredTensor {
    const at = this.stored.get(name);
    if (!at) throw new Error(`checkpoint ${this.dir} has no tensor ${name}`);
    return at;
  }

  /** Paths of the open safetensors files (as named in the checkpoint folder, links unresolved). */
  filePaths(): string[] {
    return this.files.map((f) => f.file);
  }

  /** Where a tensor's bytes are: its file (absolute path), dtype, dims and byte range. */
  locate(name: string): TensorInfo & { file: string } {
    const at = this.at(name);
    return { ...at.st.header.tensors.get(at.name)!, file: at.st.file };
  }

  async read(name: string): Promise<Tensor> {
    const at = this.at(name);
    const t = await at.st.read(at.name);
    return { dims: t.dims, data: t.data as Float32Array };
  }

  /** `count` values of a tensor from element `from`, as float32, read synchronously (embedding rows). */
  readRangeSync(name: string, from: number, count: number): Float32Array {
    const at = this.at(name);
    return at.st.readRangeSync(at.name, from, count) as Float32Array;
  }

  async close(): Promise<void> {
    for (const st of this.files) await st.close();
  }
}

/**
 * An opened checkpoint: config parsed, tensor names mapped and shapes validated, data read on
 * demand. `loadCheckpoint` reads everything; an engine that drops weights after building its
 * sessions can re-read single tensors through this without re-validating.
 */
export class CheckpointReader {
  private constructor(
    readonly dir: string,
    readonly config: GPT2Config,
    readonly isTinyRandom: boolean,
    /** The tensors, under canonical names. */
    private readonly store: TensorStore,
    /** True when lm_head.weight is stored and differs from wte.weight. */
    readonly untiedHead: boolean,
  ) {}

  static async open(dir: string): Promise<CheckpointReader> {
    const configPath = path.join(dir, 'config.json');
    let configText: string;
    try {
      configText = await fs.readFile(configPath, 'utf8');
    } catch {
      throw new Error(`${dir} is not a GPT-2 checkpoint: it has no readable config.json`);
    }
    let configJson: unknown;
    try {
      configJson = JSON.parse(configText);
    } catch (err) {
      throw new Error(`${configPath}: not valid JSON (${(err as Error).message})`);
    }
    const { config, isTinyRandom } = parseGPT2Config(configJson, configPath);

    const store = await TensorStore.open(dir, (name) => {
      const canonical = name.startsWith(PREFIX) ? name.slice(PREFIX.length) : name;
      return MASK_BUFFER.test(canonical) ? null : canonical;
    });
    try {
      const expected = gpt2TensorShapes(config);
      expected.set('lm_head.weight', [config.vocab_size, config.n_embd]);
      // An absent lm_head is tied to wte.
      store.checkShapes(expected, new Set(['lm_head.weight']), {
        missing: `n_layer=${config.n_layer}, n_embd=${config.n_embd}`,
        mismatch: `n_embd=${config.n_embd}, n_inner=${config.n_inner}, vocab_size=${config.vocab_size}, n_positions=${config.n_positions}`,
      });
      let untiedHead = false;
      if (store.has('lm_head.weight')) {
        untiedHead = !sameValues((await store.read('lm_head.weight')).data, (await store.read('wte.weight')).data);
      }
      return new CheckpointReader(path.resolve(dir), config, isTinyRandom, store, untiedHead);
    } catch (err) {
      await store.close();
      throw err;
    }
  }

  /** Canonical names the engine needs, in forward order (`lm_head.weight` last, when untied). */
  names(): string[] {
    const names = [...gpt2TensorShapes(this.config).keys()];
    if (this.untiedHead) names.push('lm_head.weight');
    return names;
  }

  private check(name: string): string {
    if (name === 'lm_head.weight' && !this.untiedHead) {
      throw new Error(`checkpoint ${this.dir} has no tensor ${name} (the head is tied to wte.weight)`);
    }
    return name;
  }

  /** Paths of the open safetensors files (as named in the checkpoint folder, links unresolved). */
  filePaths(): string[] {
    return this.store.filePaths();
  }

  /** Where a tensor's bytes are: its file (absolute path), dtype, dims and byte range. */
  locate(name: string): TensorInfo & { file: string } {
    return this.store.locate(this.check(name));
  }

  async read(name: string): Promise<Tensor> {
    return this.store.read(this.check(name));
  }

  /** `count` values of a tensor from element `from`, as float32, read synchronously (embedding rows). */
  readRangeSync(name: string, from: number, count: number): Float32Array {
    return this.store.readRangeSync(this.check(name), from, count);
  }

  async close(): Promise<void> {
    await this.store.close();
  }
}

/**
 * Tensor name (as stored) → file name, from `model.safetensors` (each of its tensors; returned
 * open) or, when that is absent, from the shard index; `source` is the file errors should name.
 */
async function weightFiles(dir: string): Promise<{ weightMap: Map<string, string>; source: string; single?: SafetensorsFile }> {
  const singlePath = path.join(dir, SINGLE_FILE);
  if (await exists(singlePath)) {
    const single = await SafetensorsFile.open(singlePath);
    return { weightMap: new Map([...single.header.tensors.keys()].map((n) => [n, SINGLE_FILE])), source: SINGLE_FILE, single };
  }
  const indexPath = path.join(dir, INDEX_FILE);
  if (!(await exists(indexPath))) {
    const others = (await fs.readdir(dir).catch(() => [] as string[])).filter((f) => /\.(bin|pt|pth|h5|msgpack|onnx)$|\.safetensors$/.test(f));
    throw new Error(
      `${dir} has neither ${SINGLE_FILE} nor ${INDEX_FILE}` + (others.length ? ` (found ${others.join(', ')}; weights must be safetensors)` : ''),
    );
  }
  let raw: unknown;
  try {
    raw = JSON.parse(await fs.readFile(indexPath, 'utf8'));
  } catch (err) {
    throw new Error(`${indexPath}: not valid JSON (${(err as Error).message})`);
  }
  const parsed = IndexSchema.safeParse(raw);
  if (!parsed.success) {
    const msg = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new Error(`${indexPath}: not a safetensors shard index (${msg})`);
  }
  const weightMap = new Map(Object.entries(parsed.data.weight_map));
  if (weightMap.size === 0) throw new Error(`${indexPath}: weight_map is empty`);
  for (const file of new Set(weightMap.values())) {
    if (!(await exists(path.join(dir, file)))) throw new Error(`${indexPath}: shard ${file} is missing from ${dir}`);
  }
  return { weightMap, source: INDEX_FILE };
}

const exists = (file: string) =>
  fs.access(file).then(
    () => true,
    () => false,
  );

/** Load a whole checkpoint into memory as float32. */
export async function loadCheckpoint(dir: string): Promise<Checkpoint> {
  const reader = await CheckpointReader.open(dir);
  try {
    const tensors = new Map<string, Tensor>();
    for (const name of reader.names()) tensors.set(name, await reader.read(name));
    return { dir: reader.dir, config: reader.config, tensors, isTinyRandom: reader.isTinyRandom };
  } finally {
    await reader.close();
  }
}
