// What one analysis job costs, in model-seconds: the seconds of work it takes on the reference
// worker (2 cores, GPT-2 small at about 185 GFLOP/s: README, Performance). The admission control
// budgets model-seconds per user and per channel (admission.ts), so one person can no longer fill
// the model queue with a few heavy commands that each pass the count limit.
//
// The estimate is computed before the job runs, from the validated options and the model's
// shape: forward passes × tokens × layers × width², plus the attention's tokens², the logit rows
// the run asks for, and the analysis' own JS work (histograms, similarity matrices, t-SNE) and
// rendering. The per-analysis recipes live here, in one table keyed by analysis id, rather than in
// the analysis modules: each recipe restates how its analysis uses the model (how many passes of
// which length). An analysis missing from the table gets a conservative default (one pass per
// block over all its text options for a model analysis, a small constant for data science).
//
// Calibration: the pass constants (RATES) reproduce the engine benchmark's single-pass times on
// the reference worker (README, Performance); the recipes' render and JS terms make each LLM
// analysis with default options land on the analyses benchmark's totals there (within 20 %), and
// were checked against whole runs with heavy options on a GPT-2-small-shaped checkpoint, each
// normalised by a 64-token pass timed right after it (within about ±50 % on a loaded 2-core VM).
// test/queue/cost.test.ts holds the reference numbers.
import fs from 'node:fs';
import path from 'node:path';
import { findKnownModel } from '../../models/registry.ts';
import { encode } from '../llm/tokenizer.ts';

/** The dimensions a cost depends on. */
export interface ModelShape {
  name: string;
  n_layer: number;
  n_embd: number;
  n_head: number;
  n_positions: number;
  vocab: number;
}

const GPT2_VOCAB = 50257;
const GPT2_CONTEXT = 1024;

/**
 * Reference rates (seconds on the reference worker). The engine benchmark (README, Performance)
 * has GPT-2 small at 25 / 64 / 240 / 1080 ms for 16 / 64 / 256 / 1024 tokens with the last
 * position's logits and 28 / 94 / 348 / 1682 ms with every position's: about 10 ms a pass, 0.92 ms
 * a token (24·L·d² FLOPs at 185 GFLOP/s), 1.25e-4 ms a token² (the causal attention, 2·L·d·T²
 * FLOPs at 150 GFLOP/s) and 0.5 ms a logit row (2·V·d FLOPs at 155 GFLOP/s).
 */
export const RATES = {
  /** Fixed cost of a pass, per block (onnxruntime session dispatch, copies): 10 ms for GPT-2 small. */
  passPerLayerS: 0.0008,
  /** Each further sequence of a batch (its own attention and copies): ~2 ms. */
  perSequenceS: 0.002,
  /** FLOP/s of the blocks' matrix products. */
  blockFlops: 185e9,
  /** FLOP/s of the attention scores and mixing (T² work). */
  attentionFlops: 150e9,
  /** FLOP/s of the unembedding, per logit row. */
  unembedFlops: 155e9,
  /**
   * A patch on a block's output or its MLP runs one session per block, without the fusions across
   * blocks: +0.5 ms a block and 10 % (min-of-7 timings on GPT-2-small shape: +20–40 ms a pass).
   */
  blockPatch: { perLayerS: 0.0005, factor: 1.1 },
  /**
   * A patch inside attention (hook_z) costs about +150 ms a pass on GPT-2 small at any length (min-of-7: 197 vs 45 ms at 16 tokens, 313 vs 109 at 64, 797 vs 618
   * at 256), which is what makes the default /attention lesion 2.4 of its 2.6 s of compute.
   */
  attentionPatch: { perLayerS: 0.0125, factor: 1.1 },
  /** Returning activations: about +50 ms a pass on GPT-2 small and README's 1.2× logits-only. */
  hooks: { perLayerS: 0.004, factor: 1.2 },
  /** Multiply-adds per second of the analyses' plain JS loops (histograms, cosines, t-SNE). */
  jsMacs: 0.5e9,
  /**
   * A generation step through the key/value cache (kv-cache.ts): one new position per row, the
   * cache handed in and copied back one position longer (bytes a second), ~30 ms fixed. Timed on
   * GPT-2-small shape (min of 2 × 20 steps, a loaded VM ~1.5× the reference): 46 ms a step for 1
   * row, 43 for 12 rows after 40 tokens, 162 for 12 rows after 200 (the copy: 177 MB a step);
   * whole /logits runs with 20 and 50 new tokens for 12 rows took 1.5–2× a first fit, hence these
   * rounded-up values.
   */
  decodeStepS: 0.03,
  kvCopyBytes: 2e9,
  /**
   * Drawing one token in JS (generate.ts sampleToken): over the whole vocabulary (top_k 0) a
   * softmax and a cumulative search, ~9 ms on that VM; among the top k, ~0.9 ms; argmax ~0.1 ms.
   */
  sampleAllS: 0.009,
  sampleTopKS: 0.0009,
  argmaxS: 0.0001,
};

/** Every job costs at least this (queueing, loading the options, one small figure). */
export const MIN_COST_S = 0.2;
/** A data-science analysis with no recipe of its own: the benchmark's ~0.2–0.6 s, rounded up. */
export const DEFAULT_LIGHT_COST_S = 1;

/** One forward pass as the engine runs it. */
export interface Pass {
  /** Tokens per sequence. */
  tokens: number;
  /** Sequences in the batch (default 1). */
  batch?: number;
  /** Which logit rows it computes (engine RunOptions.logits; default 'all'). */
  logits?: 'all' | 'last' | 'none';
  /** Where it applies an intervention: on the embedding (free), a block's output or MLP, inside attention. */
  patch?: 'embedding' | 'block' | 'attention';
  /** It returns activations. */
  hooks?: boolean;
}

/** Seconds of one forward pass on the reference worker. */
export function passSeconds(shape: ModelShape, p: Pass): number {
  const { n_layer: L, n_embd: d, vocab: V } = shape;
  const B = p.batch ?? 1;
  const T = Math.max(1, Math.min(shape.n_positions, p.tokens));
  const rows = p.logits === 'none' ? 0 : p.logits === 'last' ? B : B * T;
  const blocks = (B * T * 24 * L * d * d) / RATES.blockFlops;
  const attention = (B * T * T * 2 * L * d) / RATES.attentionFlops;
  const unembed = (rows * 2 * V * d) / RATES.unembedFlops;
  const extras = [p.patch === 'block' ? RATES.blockPatch : p.patch === 'attention' ? RATES.attentionPatch : undefined, p.hooks ? RATES.hooks : undefined]
    .filter((x) => x !== undefined);
  const factor = extras.reduce((f, x) => f * x.factor, 1);
  const fixed = L * (RATES.passPerLayerS + extras.reduce((s, x) => s + x.perLayerS, 0)) + (B - 1) * RATES.perSequenceS;
  return fixed + (blocks + attention) * factor + unembed;
}

/** Seconds of one generation step through the key/value cache: `batch` rows, `past` positions each already cached. */
export function decodeStepSeconds(shape: ModelShape, batch: number, past: number): number {
  const { n_layer: L, n_embd: d, vocab: V } = shape;
  const blocks = (batch * 24 * L * d * d) / RATES.blockFlops;
  const attention = (batch * past * 2 * L * d) / RATES.attentionFlops;
  const unembed = (batch * 2 * V * d) / RATES.unembedFlops;
  const copy = (batch * 2 * L * (past + 1) * d * 4) / RATES.kvCopyBytes;
  return RATES.decodeStepS + blocks + attention + unembed + copy;
}

/** Seconds of `macs` multiply-adds in the analyses' JS loops. */
export const jsSeconds = (macs: number): number => macs / RATES.jsMacs;

/** What a recipe gets: the model's shape and a token counter that knows its context length. */
export interface CostInput {
  opts: Record<string, unknown>;
  shape: ModelShape;
  /** GPT-2 tokens of a text, at least 1, at most the context (a longer text is refused by the run). */
  tokens(text: unknown): number;
}

export type CostRecipe = (x: CostInput) => number;

const num = (opts: Record<string, unknown>, key: string, fallback: number): number => {
  const v = opts[key];
  return typeof v === 'number' && Number.isFinite(v) ? v : fallback;
};

/**
 * The recipes, keyed by analysis id. Each follows its analysis' compute (the comments name the
 * passes) and adds its render time from the analyses benchmark (README, Performance).
 */
export const COST_RECIPES: Record<string, CostRecipe> = {
  // One pass with every logit row; a log-sum-exp per row in JS (an exp costs ~5 multiply-adds);
  // a word map whose drawing grows with the words, and a line chart.
  heatmap: ({ opts, shape, tokens }) => {
    const T = tokens(opts.text);
    return passSeconds(shape, { tokens: T, logits: 'all' }) + jsSeconds(5 * T * shape.vocab) + 0.1 + 0.0012 * T;
  },

  // The text with every logit row; the prompt twice (clean, boosted) and once more into a
  // key/value cache; then max_new_tokens − 1 steps of one batch through the cache: samples +
  // greedy + boosted rows, each drawing its token in JS (sampled rows over the whole vocabulary
  // unless top_k, greedy and boosted by argmax).
  logits: ({ opts, shape, tokens }) => {
    const text = tokens(opts.text);
    const prompt = tokens(opts.prompt);
    const steps = num(opts, 'max_new_tokens', 10);
    const samples = num(opts, 'samples', 5);
    const draw = num(opts, 'temperature', 1) === 0 ? RATES.argmaxS : num(opts, 'top_k', 0) > 0 ? RATES.sampleTopKS : RATES.sampleAllS;
    const rows = samples + 2;
    let s = passSeconds(shape, { tokens: text, logits: 'all' }) + 3 * passSeconds(shape, { tokens: prompt, logits: 'last' });
    s += samples * draw;
    for (let step = 1; step < steps; step++) s += decodeStepSeconds(shape, rows, prompt + step) + samples * draw + 2 * RATES.argmaxS;
    return s + jsSeconds(6 * shape.vocab * 8) + 0.8;
  },

  // One pass with the Q/K/V/score/pattern hooks; per block histograms of q, k, v and the scores
  // (the 'full' scores are a T × T × d product in JS); then the lesion: one patched pass with every
  // logit row per block (one_head) or per block and head (every_head).
  attention: ({ opts, shape, tokens }) => {
    const T = tokens(opts.text);
    const { n_layer: L, n_head: H, n_embd: d } = shape;
    const lesions = L * (opts.lesion === 'every_head' ? H : 1);
    const scores = opts.scores === 'per_head' ? L * H * T * T : L * T * T * d;
    return passSeconds(shape, { tokens: T, logits: 'all', hooks: true })
      + lesions * passSeconds(shape, { tokens: T, logits: 'all', patch: 'attention' })
      + jsSeconds(3 * L * T * d * 4 + scores + L * H * T * T * 4)
      + 0.7 + 3e-6 * H * T * T;
  },

  // hiddenStates over the text (every block's output); cosine matrices between layers at 4
  // positions, between tokens at 4 layers and between every pair of tokens per layer (L + 1
  // matrices of T² × d); then the scaling text once clean and once per block scaled.
  hidden: ({ opts, shape, tokens }) => {
    const T = tokens(opts.text);
    const S = tokens(opts.scaling_text);
    const { n_layer: L, n_embd: d } = shape;
    const cosines = 4 * (L + 1) * (L + 1) * d + (4 + L + 1) * T * T * d;
    return passSeconds(shape, { tokens: T, logits: 'none', hooks: true })
      + passSeconds(shape, { tokens: S, logits: 'last' })
      + L * passSeconds(shape, { tokens: S, logits: 'last', patch: 'block' })
      + jsSeconds(cosines) + 0.55 + 1e-6 * (L + 1) * T * T;
  },

  // One pass per sentence returning four MLP stages per block (histogrammed in JS); the clean text
  // and one imputed pass per block; the simulated rings and GELU curve.
  mlp: ({ opts, shape, tokens }) => {
    const { n_layer: L, n_embd: d } = shape;
    const sentences = Array.isArray(opts.sentences) ? opts.sentences : [opts.sentences];
    let s = 0;
    let values = 0;
    for (const sentence of sentences) {
      const T = tokens(sentence);
      s += passSeconds(shape, { tokens: T, logits: 'none', hooks: true });
      values += 4 * L * T * 4 * d; // four stages, MLP width 4d, binned
    }
    const T = tokens(opts.text);
    s += passSeconds(shape, { tokens: T, logits: 'last' }) + L * passSeconds(shape, { tokens: T, logits: 'last', patch: 'block' });
    return s + jsSeconds(4 * values) + 1.5 + 0.5;
  },

  // Statistics over the whole embedding matrix (V × d, three sweeps); exact t-SNE of n_tokens rows
  // (up to 1000 iterations of N² pairs); the clean text and one pass per mixture weight.
  embeddings: ({ opts, shape, tokens }) => {
    const { n_embd: d, vocab: V } = shape;
    const N = num(opts, 'n_tokens', 100);
    const mixtures = num(opts, 'mixtures', 17);
    const T = tokens(opts.text);
    return jsSeconds(3 * V * d + N * N * d + 1000 * N * N * 5)
      + (1 + mixtures) * passSeconds(shape, { tokens: T, logits: 'last', patch: 'embedding' })
      + 0.8;
  },

  // Analyses added later (their modules' compute as of this writing; a recipe that falls behind
  // its analysis only makes the budget less exact, never a run fail):
  // /effdim: the hidden states of an excerpt and of its shuffle (two hook passes of `tokens`), and
  // the singular values of every hidden state (n × d × min(n, d) each, ~2.3e9 a second).
  effdim: ({ opts, shape }) => {
    const T = Math.min(shape.n_positions, num(opts, 'tokens', 1024));
    const { n_layer: L, n_embd: d } = shape;
    return 2 * passSeconds(shape, { tokens: T, logits: 'none', hooks: true }) + (2 * (L + 1) * T * d * Math.min(T, d)) / 2.3e9 + 0.5;
  },
  // /life: one batch of prompts × samples sampled through the key/value cache up to max_length
  // tokens, top-k (then top-p) per row.
  life: ({ opts, shape, tokens }) => {
    const prompts = typeof opts.prompt === 'string' ? [opts.prompt] : ['Why did the chicken cross the road?', 'What is the meaning of life?', 'What is the origin of the word "butterfly"?'];
    const rows = prompts.length * num(opts, 'samples', 1);
    const P = Math.max(...prompts.map((x) => tokens(x)));
    const end = Math.min(shape.n_positions, num(opts, 'max_length', 200));
    const draw = num(opts, 'temperature', 1) === 0 ? RATES.argmaxS : num(opts, 'top_k', 50) > 0 ? RATES.sampleTopKS : RATES.sampleAllS;
    let s = passSeconds(shape, { tokens: P, batch: rows, logits: 'last' }) + 0.4;
    for (let past = P; past < end; past++) s += decodeStepSeconds(shape, rows, past) + rows * draw;
    return s;
  },
  // /rsa-qkv: one sentence per word, run as one batch with the Q/K/V hooks; similarity matrices
  // between the words per block and Q/K/V.
  'rsa-qkv': ({ opts, shape }) => {
    const W = typeof opts.words === 'string' ? opts.words.split(/[\s,;|:]+/).filter(Boolean).length : 34;
    const { n_layer: L, n_embd: d } = shape;
    return passSeconds(shape, { tokens: 6, batch: Math.max(1, W), logits: 'none', hooks: true }) + jsSeconds(3 * L * W * W * d) + 1;
  },
  // /lstsq-gpt2: one pass with every block's attention output (default text 95 tokens), then a
  // small regression per block.
  'lstsq-gpt2': ({ opts, shape, tokens }) => {
    const T = typeof opts.text === 'string' ? tokens(opts.text) : 95;
    return passSeconds(shape, { tokens: T, logits: 'none', hooks: true }) + jsSeconds(shape.n_layer * T * shape.n_embd * 4) + 0.9;
  },

  // Data science with its own numbers: the heavier ones (README: data science < 3 s, dependence < 8 s).
  dependence: () => 5,
};

/**
 * A model analysis without a recipe: a clean pass and one patched pass per block over all its
 * text (string options, and numeric options named like token counts: tokens, max_length, …).
 */
const defaultModelRecipe: CostRecipe = ({ opts, shape, tokens }) => {
  let T = 0;
  for (const [key, v] of Object.entries(opts)) {
    if (typeof v === 'string') T += tokens(v);
    else if (Array.isArray(v)) T += v.reduce((n: number, x) => n + (typeof x === 'string' ? tokens(x) : 0), 0);
    else if (typeof v === 'number' && /tokens|length/.test(key)) T += Math.max(0, v);
  }
  return (shape.n_layer + 1) * passSeconds(shape, { tokens: Math.max(16, T), logits: 'all', patch: 'attention' }) + 1;
};

const shapes = new Map<string, ModelShape>();

/**
 * The shape of a model by name: a known model's, or a checkpoint directory's config.json (MODEL
 * may name one); GPT-2 small's when neither is readable.
 */
export function modelShape(nameOrDir: string): ModelShape {
  const cached = shapes.get(nameOrDir);
  if (cached) return cached;
  const known = findKnownModel(nameOrDir);
  let shape: ModelShape;
  if (known) {
    shape = { name: known.name, n_layer: known.n_layer, n_embd: known.n_embd, n_head: known.n_head, n_positions: GPT2_CONTEXT, vocab: GPT2_VOCAB };
  } else {
    shape = { ...modelShape('gpt2'), name: nameOrDir };
    try {
      const c = JSON.parse(fs.readFileSync(path.join(nameOrDir, 'config.json'), 'utf8')) as Record<string, unknown>;
      const int = (k: string, fallback: number) => (Number.isInteger(c[k]) && (c[k] as number) > 0 ? (c[k] as number) : fallback);
      shape = { name: nameOrDir, n_layer: int('n_layer', shape.n_layer), n_embd: int('n_embd', shape.n_embd), n_head: int('n_head', shape.n_head), n_positions: int('n_positions', shape.n_positions), vocab: int('vocab_size', shape.vocab) };
    } catch {
      // Not a readable checkpoint: the run will say so; estimate as GPT-2 small.
    }
  }
  shapes.set(nameOrDir, shape);
  return shape;
}

export interface JobCost {
  /** Estimated model-seconds (at least MIN_COST_S). */
  seconds: number;
  /** The model it was estimated for (null: no model). */
  model: string | null;
}

/** A GPT-2 token count memo: the dispatcher estimates the same default texts again and again. */
const tokenMemo = new Map<string, number>();
function countTokens(text: string): number {
  let n = tokenMemo.get(text);
  if (n === undefined) {
    n = encode(text).length;
    if (tokenMemo.size > 500) tokenMemo.clear();
    tokenMemo.set(text, n);
  }
  return n;
}

/**
 * The estimated cost of running `analysis` with validated `opts` on `model` (a known name or a
 * checkpoint directory; ignored for analyses without a model).
 */
export function estimateCost(analysis: { id: string; usesModel: boolean }, opts: Record<string, unknown>, model: string): JobCost {
  const recipe = COST_RECIPES[analysis.id];
  if (!analysis.usesModel) {
    return { seconds: Math.max(MIN_COST_S, recipe ? recipe({ opts, shape: modelShape('gpt2'), tokens: () => 1 }) : DEFAULT_LIGHT_COST_S), model: null };
  }
  const shape = modelShape(model);
  const tokens = (text: unknown) => (typeof text === 'string' ? Math.min(shape.n_positions, Math.max(1, countTokens(text))) : 1);
  const seconds = (recipe ?? defaultModelRecipe)({ opts, shape, tokens });
  return { seconds: Math.max(MIN_COST_S, seconds), model: shape.name };
}

/** "45 s", "3 min 20 s", "1 h 5 min": a duration as a user reads it. */
export function formatDuration(seconds: number): string {
  const s = Math.max(1, Math.round(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) {
    const m = Math.floor(s / 60);
    const r = s % 60;
    return r ? `${m} min ${r} s` : `${m} min`;
  }
  const h = Math.floor(s / 3600);
  const m = Math.round((s % 3600) / 60);
  return m ? `${h} h ${m} min` : `${h} h`;
}
