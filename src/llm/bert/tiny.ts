// The deterministic random tiny BERT, like the tiny GPT-2 (../tiny.ts): BERT's architecture with
// its masked-LM head, 2 layers × 64 wide, and a small uncased WordPiece vocabulary whose special
// tokens have bert-base-uncased's ids ([PAD] 0, [UNK] 100, [CLS] 101, [SEP] 102, [MASK] 103), or
// any full vocab.txt given to it. Written as Hugging Face writes BertForMaskedLM (config.json,
// model.safetensors, vocab.txt, tokenizer_config.json); config.json carries a marker so every
// result can say the model is random. Variants cover the checkpoints the reader must take: with
// or without the `bert.` prefix, legacy gamma/beta names, F16/BF16, the unused pooler and
// next-sentence head, a stored (tied or untied) decoder, or no head at all.
import fs from 'node:fs/promises';
import path from 'node:path';
import { config as appConfig } from '../../config.ts';
import { TINY_RANDOM_MARKER } from '../checkpoint.ts';
import { mulberry32 } from '../generate.ts';
import { writeSafetensors, type TensorToWrite } from '../safetensors.ts';
import { ensureGenerated } from '../tiny.ts';
import type { Tensor } from '../types.ts';
import { bertEncoderShapes, bertHeadShapes, MLM_DECODER, WORD_EMBEDDINGS } from './checkpoint.ts';
import type { BertConfig } from './types.ts';

/** Bump when the generated values or vocabulary change, so cached copies are regenerated. */
export const TINY_BERT_GENERATOR_VERSION = 1;
export const TINY_BERT_DIR_NAME = 'tiny-random-bert';

// A small uncased vocabulary: bert-base-uncased's layout of special and unused tokens, every
// ASCII punctuation mark, digit and letter (alone and as a `##` continuation, so any lower-case
// ASCII text has WordPieces), common English words, the posts' words, and a few word pieces
// (un ##aff ##able, as in BERT's own WordPiece example).
const PUNCTUATION = [...'!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~'];
const DIGITS = [...'0123456789'];
const LETTERS = [...'abcdefghijklmnopqrstuvwxyz'];
const WORDS = (
  'the of and to a in is was he she it for on that with as his her they at by this had not but from be have are or ' +
  'an which one you we were all there their been has will would can if more when no who so what out up said about ' +
  'into than them only other time new some could these two may first then do any like my now over such our man me ' +
  'even most made after also did many before must through back years where much your way well down should because ' +
  'each just those people how too little state good very make world still own see men work long get here between ' +
  'both life being under never day same another know while last might us great old year off come since against go ' +
  'came right used take three woman women king queen boy girl mother father son daughter brother sister husband wife ' +
  'engineer informed client need nurse doctor teacher lawyer secretary chef pilot soldier scientist programmer ' +
  'eat chocolate covered raisins coffee tea water food house car dog cat city country paris france london berlin ' +
  'hello love happy sad big small red blue green black white think say tell told ask asked gave give want wanted ' +
  'running run ran walk talk sentence word words text language model bert mask '
)
  .trim()
  .split(/\s+/);
const PIECES = ['un', '##aff', '##able', '##s', '##ed', '##ing', '##ly', '##er', '##est', '##ion', '##ness', '##ment'];

/** The tiny checkpoint's vocabulary, id = index. */
export function tinyBertVocab(): string[] {
  const unused = Array.from({ length: 99 }, (_, i) => `[unused${i}]`);
  const vocab = ['[PAD]', ...unused, '[UNK]', '[CLS]', '[SEP]', '[MASK]', ...PUNCTUATION, ...DIGITS, ...LETTERS];
  vocab.push(...DIGITS.map((c) => `##${c}`), ...LETTERS.map((c) => `##${c}`));
  const seen = new Set(vocab);
  for (const w of [...WORDS, ...PIECES]) {
    if (seen.has(w)) continue;
    seen.add(w);
    vocab.push(w);
  }
  return vocab;
}

export interface TinyBertOptions {
  num_hidden_layers?: number;
  num_attention_heads?: number;
  hidden_size?: number;
  max_position_embeddings?: number;
  seed?: number;
  /** A full vocabulary (vocab.txt's lines) instead of the small one. */
  vocab?: readonly string[];
}

export interface TinyBertVariant {
  dtype?: 'F32' | 'F16' | 'BF16';
  /** Name tensors `bert.embeddings…` as BertForMaskedLM does (default true); false: `embeddings…`. */
  prefix?: boolean;
  /** LayerNorm `gamma`/`beta` instead of `weight`/`bias`, as bert-base-uncased's own file has. */
  legacyNames?: boolean;
  /** Add the tensors the engine does not use: pooler, next-sentence head, `position_ids` (I64). */
  extras?: boolean;
  /**
   * The masked-LM head: `tied` (default: the decoder is the word embeddings, not stored),
   * `stored-tied` (the decoder stored anyway), `untied` (a decoder of its own), `none` (BertModel).
   */
  head?: 'tied' | 'stored-tied' | 'untied' | 'none';
}

/** Limits keep a typo from allocating gigabytes; the keys are the option names in errors. */
export const TINY_BERT_LIMITS = {
  num_hidden_layers: [1, 48],
  num_attention_heads: [1, 64],
  hidden_size: [1, 2048],
  max_position_embeddings: [1, 8192],
  seed: [0, 2 ** 32 - 1],
} as const;

export function tinyBertConfig(opts: TinyBertOptions = {}): BertConfig & { seed: number } {
  const o = { num_hidden_layers: 2, num_attention_heads: 4, hidden_size: 64, max_position_embeddings: 512, seed: 0, ...opts };
  for (const [key, [min, max]] of Object.entries(TINY_BERT_LIMITS)) {
    const v = o[key as keyof typeof TINY_BERT_LIMITS];
    if (!Number.isInteger(v) || v < min || v > max) throw new RangeError(`tiny BERT checkpoint: ${key} must be an integer from ${min} to ${max} (got ${v})`);
  }
  if (o.hidden_size % o.num_attention_heads !== 0) {
    throw new RangeError(`tiny BERT checkpoint: hidden_size (${o.hidden_size}) must be a multiple of num_attention_heads (${o.num_attention_heads})`);
  }
  const vocab = o.vocab ?? tinyBertVocab();
  return {
    num_hidden_layers: o.num_hidden_layers,
    num_attention_heads: o.num_attention_heads,
    hidden_size: o.hidden_size,
    intermediate_size: 4 * o.hidden_size,
    max_position_embeddings: o.max_position_embeddings,
    vocab_size: vocab.length,
    type_vocab_size: 2,
    layer_norm_eps: 1e-12,
    pad_token_id: Math.max(0, vocab.indexOf('[PAD]')),
    seed: o.seed,
  };
}

/**
 * How each tensor is drawn: embeddings N(0, 0.02), projections N(0, 1/√fan_in), LayerNorm gains
 * N(1, 0.1) and biases N(0, 0.05), so a mistake in any of them changes the output measurably.
 */
function draw(name: string, dims: number[], uniform: () => number): Tensor {
  const [mean, std] = name.startsWith('embeddings.') && !name.includes('LayerNorm')
    ? [0, 0.02]
    : name.endsWith('LayerNorm.weight')
      ? [1, 0.1]
      : name.endsWith('.bias')
        ? [0, 0.05]
        : [0, 1 / Math.sqrt(dims[1])]; // nn.Linear [out, in]
  const data = new Float32Array(dims.reduce((a, b) => a * b, 1));
  for (let i = 0; i < data.length; i += 2) {
    // Box–Muller: two normals from two uniforms.
    const r = Math.sqrt(-2 * Math.log(1 - uniform()));
    const phi = 2 * Math.PI * uniform();
    data[i] = mean + std * r * Math.cos(phi);
    if (i + 1 < data.length) data[i + 1] = mean + std * r * Math.sin(phi);
  }
  return { dims, data };
}

/** The tiny checkpoint in memory: canonical names, float32, tied decoder. */
export function makeTinyBertCheckpoint(opts: TinyBertOptions = {}): { config: BertConfig; tensors: Map<string, Tensor>; vocab: string[] } {
  const { seed, ...config } = tinyBertConfig(opts);
  const uniform = mulberry32(seed);
  const tensors = new Map<string, Tensor>();
  for (const [name, dims] of [...bertEncoderShapes(config), ...bertHeadShapes(config)]) tensors.set(name, draw(name, dims, uniform));
  return { config, tensors, vocab: [...(opts.vocab ?? tinyBertVocab())] };
}

/** Write the tiny checkpoint as a Hugging Face BERT directory; returns the directory. */
export async function writeTinyBertCheckpoint(dir: string, opts: TinyBertOptions = {}, variant: TinyBertVariant = {}): Promise<string> {
  const { dtype = 'F32', prefix = true, legacyNames = false, extras = false, head = 'tied' } = variant;
  if (!['F32', 'F16', 'BF16'].includes(dtype)) throw new RangeError(`tiny BERT checkpoint: dtype must be F32, F16 or BF16 (got ${dtype})`);
  if (!['tied', 'stored-tied', 'untied', 'none'].includes(head)) throw new RangeError(`tiny BERT checkpoint: head must be tied, stored-tied, untied or none (got ${head})`);
  const { seed } = tinyBertConfig(opts);
  const { config, tensors, vocab } = makeTinyBertCheckpoint(opts);
  const d = config.hidden_size;
  const stored = (name: string) => {
    const legacy = legacyNames ? name.replace(/LayerNorm\.weight$/, 'LayerNorm.gamma').replace(/LayerNorm\.bias$/, 'LayerNorm.beta') : name;
    return prefix && !legacy.startsWith('cls.') ? `bert.${legacy}` : legacy;
  };
  const out = new Map<string, TensorToWrite>();
  for (const [name, t] of tensors) {
    if (head === 'none' && name.startsWith('cls.')) continue;
    out.set(stored(name), { dtype, dims: t.dims, data: t.data });
  }
  if (head === 'stored-tied') out.set(MLM_DECODER, { dtype, ...tensors.get(WORD_EMBEDDINGS)! });
  // An untied decoder from a stream of its own, so every other tensor equals the tied variant's.
  if (head === 'untied') out.set(MLM_DECODER, { dtype, ...draw('untied', [config.vocab_size, d], mulberry32(seed ^ 0x9e3779b9)) });
  if (extras) {
    const more = mulberry32(seed ^ 0x85ebca6b);
    out.set(stored('pooler.dense.weight'), { dtype, ...draw('pooler.dense.weight', [d, d], more) });
    out.set(stored('pooler.dense.bias'), { dtype, ...draw('pooler.dense.bias', [d], more) });
    out.set('cls.seq_relationship.weight', { dtype, ...draw('cls.seq_relationship.weight', [2, d], more) });
    out.set('cls.seq_relationship.bias', { dtype, ...draw('cls.seq_relationship.bias', [2], more) });
    const positions = config.max_position_embeddings;
    out.set(stored('embeddings.position_ids'), { dtype: 'I64', dims: [1, positions], data: Array.from({ length: positions }, (_, i) => i) });
  }

  const hfConfig = {
    architectures: [head === 'none' ? 'BertModel' : extras ? 'BertForPreTraining' : 'BertForMaskedLM'],
    model_type: 'bert',
    hidden_act: 'gelu',
    hidden_size: d,
    num_hidden_layers: config.num_hidden_layers,
    num_attention_heads: config.num_attention_heads,
    intermediate_size: config.intermediate_size,
    max_position_embeddings: config.max_position_embeddings,
    type_vocab_size: config.type_vocab_size,
    vocab_size: config.vocab_size,
    layer_norm_eps: config.layer_norm_eps,
    pad_token_id: config.pad_token_id,
    position_embedding_type: 'absolute',
    hidden_dropout_prob: 0.1,
    attention_probs_dropout_prob: 0.1,
    initializer_range: 0.02,
    torch_dtype: { F32: 'float32', F16: 'float16', BF16: 'bfloat16' }[dtype],
    [TINY_RANDOM_MARKER]: true,
    substack_lab_tiny_version: TINY_BERT_GENERATOR_VERSION,
    substack_lab_tiny_seed: seed,
  };
  await fs.mkdir(dir, { recursive: true });
  await fs.writeFile(path.join(dir, 'config.json'), JSON.stringify(hfConfig, null, 2) + '\n');
  await fs.writeFile(path.join(dir, 'vocab.txt'), vocab.join('\n') + '\n');
  await fs.writeFile(path.join(dir, 'tokenizer_config.json'), JSON.stringify({ do_lower_case: true, model_max_length: config.max_position_embeddings }, null, 2) + '\n');
  await writeSafetensors(path.join(dir, 'model.safetensors'), out, { format: 'pt' });
  return dir;
}

/** True when `dir` holds a tiny BERT made by this version of the generator. */
export async function isCurrentTinyBertDir(dir: string): Promise<boolean> {
  try {
    const cfg = JSON.parse(await fs.readFile(path.join(dir, 'config.json'), 'utf8'));
    await fs.access(path.join(dir, 'model.safetensors'));
    await fs.access(path.join(dir, 'vocab.txt'));
    return cfg[TINY_RANDOM_MARKER] === true && cfg.model_type === 'bert' && cfg.substack_lab_tiny_version === TINY_BERT_GENERATOR_VERSION;
  } catch {
    return false;
  }
}

/**
 * The default tiny BERT under the models cache, generated on first use (ensureGenerated in
 * ../tiny.ts: written aside and renamed, so concurrent workers never read a half-written one).
 */
export async function ensureTinyBertCheckpoint(modelsDir: string = appConfig.MODELS_DIR): Promise<string> {
  return ensureGenerated(path.join(modelsDir, TINY_BERT_DIR_NAME), isCurrentTinyBertDir, (tmp) => writeTinyBertCheckpoint(tmp));
}
