// Hugging Face BERT checkpoints: `config.json` + `model.safetensors` (or shards with an index),
// read through the same TensorStore as GPT-2's (../checkpoint.ts). Tensors are renamed to one
// canonical vocabulary, Hugging Face's names without the `bert.` prefix that BertForMaskedLM and
// BertForPreTraining save (a bare BertModel saves none), and with the `gamma`/`beta` LayerNorm
// names of checkpoints converted from TensorFlow (bert-base-uncased's own) read as
// `weight`/`bias`. The pooler, the next-sentence head and the `position_ids` buffer are not used.
// The masked-LM head (`cls.predictions.*`) is optional: without it the model has no logits.
import fs from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { TensorStore, TINY_RANDOM_MARKER } from '../checkpoint.ts';
import type { TensorInfo } from '../safetensors.ts';
import type { Tensor } from '../types.ts';
import type { BertConfig } from './types.ts';

const PREFIX = 'bert.';
export const WORD_EMBEDDINGS = 'embeddings.word_embeddings.weight';
export const POSITION_EMBEDDINGS = 'embeddings.position_embeddings.weight';
export const TOKEN_TYPE_EMBEDDINGS = 'embeddings.token_type_embeddings.weight';
/** The decoder's bias: `cls.predictions.bias`, which newer exports may store as the decoder's own. */
export const MLM_BIAS = 'cls.predictions.bias';
const DECODER_BIAS = 'cls.predictions.decoder.bias';
/** Stored only by exports that keep tied tensors, or for an untied decoder. */
export const MLM_DECODER = 'cls.predictions.decoder.weight';

const positiveInt = z.number().int().positive();
const ConfigSchema = z.object({
  model_type: z.string().optional(),
  architectures: z.array(z.string()).optional(),
  hidden_size: positiveInt,
  num_hidden_layers: positiveInt,
  num_attention_heads: positiveInt,
  intermediate_size: positiveInt,
  max_position_embeddings: positiveInt,
  vocab_size: positiveInt,
  type_vocab_size: positiveInt.default(2),
  layer_norm_eps: z.number().positive().default(1e-12),
  pad_token_id: z.number().int().min(0).default(0),
  hidden_act: z.string().default('gelu'),
  position_embedding_type: z.string().default('absolute'),
  is_decoder: z.boolean().optional(),
  [TINY_RANDOM_MARKER]: z.boolean().optional(),
});

/** Whether a parsed config.json describes a BERT model (its model_type, else its architectures). */
export function isBertConfig(raw: unknown): boolean {
  if (typeof raw !== 'object' || raw === null) return false;
  const c = raw as { model_type?: unknown; architectures?: unknown };
  if (c.model_type !== undefined) return c.model_type === 'bert';
  return Array.isArray(c.architectures) && c.architectures.some((a) => typeof a === 'string' && /^Bert/.test(a));
}

/** Parse a Hugging Face BERT config.json object; `source` names the file in errors. */
export function parseBertConfig(raw: unknown, source: string): { config: BertConfig; isTinyRandom: boolean } {
  const parsed = ConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const msg = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new Error(`${source}: not a usable BERT config (${msg})`);
  }
  const c = parsed.data;
  if (!isBertConfig(raw)) throw new Error(`${source}: model_type is "${c.model_type ?? '(none)'}"; the BERT engine reads bert checkpoints`);
  if (c.hidden_act !== 'gelu') throw new Error(`${source}: hidden_act is "${c.hidden_act}"; only BERT's erf GELU ("gelu") is supported`);
  if (c.position_embedding_type !== 'absolute') {
    throw new Error(`${source}: position_embedding_type is "${c.position_embedding_type}"; only absolute position embeddings are supported`);
  }
  if (c.is_decoder) throw new Error(`${source}: is_decoder is true; the BERT engine runs encoders (bidirectional attention)`);
  if (c.hidden_size % c.num_attention_heads !== 0) {
    throw new Error(`${source}: hidden_size (${c.hidden_size}) must be a multiple of num_attention_heads (${c.num_attention_heads})`);
  }
  if (c.pad_token_id >= c.vocab_size) throw new Error(`${source}: pad_token_id ${c.pad_token_id} is outside the vocabulary (vocab_size ${c.vocab_size})`);
  return {
    config: {
      num_hidden_layers: c.num_hidden_layers,
      num_attention_heads: c.num_attention_heads,
      hidden_size: c.hidden_size,
      intermediate_size: c.intermediate_size,
      max_position_embeddings: c.max_position_embeddings,
      vocab_size: c.vocab_size,
      type_vocab_size: c.type_vocab_size,
      layer_norm_eps: c.layer_norm_eps,
      pad_token_id: c.pad_token_id,
    },
    isTinyRandom: c[TINY_RANDOM_MARKER] === true,
  };
}

/** The encoder's tensors (embeddings and every layer), canonical name → shape, in forward order. */
export function bertEncoderShapes(config: BertConfig): Map<string, number[]> {
  const { num_hidden_layers: L, hidden_size: d, intermediate_size: m } = config;
  const shapes = new Map<string, number[]>([
    [WORD_EMBEDDINGS, [config.vocab_size, d]],
    [POSITION_EMBEDDINGS, [config.max_position_embeddings, d]],
    [TOKEN_TYPE_EMBEDDINGS, [config.type_vocab_size, d]],
    ['embeddings.LayerNorm.weight', [d]],
    ['embeddings.LayerNorm.bias', [d]],
  ]);
  for (let l = 0; l < L; l++) {
    const p = `encoder.layer.${l}`;
    for (const w of ['query', 'key', 'value']) {
      shapes.set(`${p}.attention.self.${w}.weight`, [d, d]); // nn.Linear: [out, in]
      shapes.set(`${p}.attention.self.${w}.bias`, [d]);
    }
    shapes.set(`${p}.attention.output.dense.weight`, [d, d]);
    shapes.set(`${p}.attention.output.dense.bias`, [d]);
    shapes.set(`${p}.attention.output.LayerNorm.weight`, [d]);
    shapes.set(`${p}.attention.output.LayerNorm.bias`, [d]);
    shapes.set(`${p}.intermediate.dense.weight`, [m, d]);
    shapes.set(`${p}.intermediate.dense.bias`, [m]);
    shapes.set(`${p}.output.dense.weight`, [d, m]);
    shapes.set(`${p}.output.dense.bias`, [d]);
    shapes.set(`${p}.output.LayerNorm.weight`, [d]);
    shapes.set(`${p}.output.LayerNorm.bias`, [d]);
  }
  return shapes;
}

/** The masked-LM head's tensors (the decoder weight is the word embeddings, tied). */
export function bertHeadShapes(config: BertConfig): Map<string, number[]> {
  const d = config.hidden_size;
  return new Map([
    ['cls.predictions.transform.dense.weight', [d, d]],
    ['cls.predictions.transform.dense.bias', [d]],
    ['cls.predictions.transform.LayerNorm.weight', [d]],
    ['cls.predictions.transform.LayerNorm.bias', [d]],
    [MLM_BIAS, [config.vocab_size]],
  ]);
}

/** A stored name → its canonical name: no `bert.` prefix, LayerNorm `gamma`/`beta` → `weight`/`bias`. */
export function canonicalBertName(stored: string): string {
  const name = stored.startsWith(PREFIX) ? stored.slice(PREFIX.length) : stored;
  return name.replace(/\.LayerNorm\.gamma$/, '.LayerNorm.weight').replace(/\.LayerNorm\.beta$/, '.LayerNorm.bias');
}

const sameValues = (a: Float32Array, b: Float32Array) => a.length === b.length && a.every((v, i) => v === b[i]);

/**
 * An opened BERT checkpoint: config parsed, names mapped, shapes validated, data read on demand.
 */
export class BertCheckpointReader {
  private constructor(
    readonly dir: string,
    readonly config: BertConfig,
    readonly isTinyRandom: boolean,
    private readonly store: TensorStore,
    /** Whether the masked-LM head is stored (BertForMaskedLM / BertForPreTraining) or not (BertModel). */
    readonly hasMlmHead: boolean,
    /** True when a decoder weight is stored and differs from the word embeddings. */
    readonly untiedDecoder: boolean,
  ) {}

  static async open(dir: string): Promise<BertCheckpointReader> {
    const configPath = path.join(dir, 'config.json');
    let configText: string;
    try {
      configText = await fs.readFile(configPath, 'utf8');
    } catch {
      throw new Error(`${dir} is not a BERT checkpoint: it has no readable config.json`);
    }
    let raw: unknown;
    try {
      raw = JSON.parse(configText);
    } catch (err) {
      throw new Error(`${configPath}: not valid JSON (${(err as Error).message})`);
    }
    const { config, isTinyRandom } = parseBertConfig(raw, configPath);
    const encoder = bertEncoderShapes(config);
    const head = bertHeadShapes(config);
    const used = new Set([...encoder.keys(), ...head.keys(), DECODER_BIAS, MLM_DECODER]);
    // Anything else (pooler, next-sentence head, position_ids) is skipped unread.
    const store = await TensorStore.open(dir, (stored) => {
      const name = canonicalBertName(stored);
      return used.has(name) ? name : null;
    });
    try {
      const d = config.hidden_size;
      const context = {
        missing: `num_hidden_layers=${config.num_hidden_layers}, hidden_size=${d}`,
        mismatch: `hidden_size=${d}, intermediate_size=${config.intermediate_size}, vocab_size=${config.vocab_size}, max_position_embeddings=${config.max_position_embeddings}, type_vocab_size=${config.type_vocab_size}`,
      };
      store.checkShapes(encoder, new Set(), context);
      const hasMlmHead = [...head.keys(), DECODER_BIAS, MLM_DECODER].some((n) => store.has(n));
      let untiedDecoder = false;
      if (hasMlmHead) {
        // The bias is cls.predictions.bias; an export may keep it under the decoder's name instead.
        if (!store.has(MLM_BIAS) && store.has(DECODER_BIAS)) {
          head.delete(MLM_BIAS);
          head.set(DECODER_BIAS, [config.vocab_size]);
        }
        head.set(MLM_DECODER, [config.vocab_size, d]);
        store.checkShapes(head, new Set([MLM_DECODER]), context);
        if (store.has(MLM_DECODER)) {
          untiedDecoder = !sameValues((await store.read(MLM_DECODER)).data, (await store.read(WORD_EMBEDDINGS)).data);
        }
      }
      return new BertCheckpointReader(path.resolve(dir), config, isTinyRandom, store, hasMlmHead, untiedDecoder);
    } catch (err) {
      await store.close();
      throw err;
    }
  }

  /** Canonical names the engine reads, in forward order; the bias as MLM_BIAS whatever it is stored as. */
  names(): string[] {
    const names = [...bertEncoderShapes(this.config).keys()];
    if (this.hasMlmHead) names.push(...bertHeadShapes(this.config).keys());
    if (this.untiedDecoder) names.push(MLM_DECODER);
    return names;
  }

  /** The stored tensor behind a canonical name. */
  private storedAs(name: string): string {
    if (name === MLM_BIAS && this.hasMlmHead && !this.store.has(MLM_BIAS)) return DECODER_BIAS;
    if (name === MLM_DECODER && !this.untiedDecoder) {
      throw new Error(`checkpoint ${this.dir} has no tensor ${name} (the decoder is tied to ${WORD_EMBEDDINGS})`);
    }
    if (!this.store.has(name)) throw new Error(`checkpoint ${this.dir} has no tensor ${name}${name.startsWith('cls.') ? ' (it has no masked-LM head)' : ''}`);
    return name;
  }

  filePaths(): string[] {
    return this.store.filePaths();
  }

  locate(name: string): TensorInfo & { file: string } {
    return this.store.locate(this.storedAs(name));
  }

  read(name: string): Promise<Tensor> {
    return this.store.read(this.storedAs(name));
  }

  readRangeSync(name: string, from: number, count: number): Float32Array {
    return this.store.readRangeSync(this.storedAs(name), from, count);
  }

  close(): Promise<void> {
    return this.store.close();
  }
}

export interface BertCheckpoint {
  dir: string;
  config: BertConfig;
  /** Canonical name → float32 tensor (`names()` of the reader). */
  tensors: Map<string, Tensor>;
  isTinyRandom: boolean;
  hasMlmHead: boolean;
}

/** Load a whole BERT checkpoint into memory as float32. */
export async function loadBertCheckpoint(dir: string): Promise<BertCheckpoint> {
  const reader = await BertCheckpointReader.open(dir);
  try {
    const tensors = new Map<string, Tensor>();
    for (const name of reader.names()) tensors.set(name, await reader.read(name));
    return { dir: reader.dir, config: reader.config, tensors, isTinyRandom: reader.isTinyRandom, hasMlmHead: reader.hasMlmHead };
  } finally {
    await reader.close();
  }
}
