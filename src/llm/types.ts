// The GPT-2 engine's public contract: what analyses, `lab trace` and the workers rely on.
// Hook names and shapes follow TransformerLens (batch first); see DESIGN.md §4.

/** A dense float32 tensor, row-major. */
export interface Tensor {
  dims: number[];
  data: Float32Array;
}

/** The fields of a Hugging Face GPT-2 `config.json` that the engine uses. */
export interface GPT2Config {
  n_layer: number;
  n_head: number;
  n_embd: number;
  n_positions: number;
  vocab_size: number;
  layer_norm_epsilon: number;
  /** MLP width; Hugging Face leaves it null for 4 × n_embd. */
  n_inner: number;
}

/** An intervention record (DESIGN.md §4); validated by `InterventionSchema` in interventions.ts. */
export type Intervention =
  | { hook: string; op: 'scale'; value: number; pos?: number; head?: number; index?: number }
  | { hook: string; op: 'set'; value: number; pos?: number; head?: number; index?: number }
  | { hook: string; op: 'mix_embed'; pos?: number; tokens: number[]; weights: number[] }
  | { hook: string; op: 'impute_topk_mean'; pos?: number; head?: number; fraction: number }
  | { hook: string; op: 'logit_boost'; pos?: number; token: number; margin: number };

export interface RunOptions {
  /** Hook names or globs (`blocks.*.attn.hook_pattern`) whose activations to return. */
  hooks?: string | string[];
  /** Interventions applied where their hook is; everything downstream is recomputed. */
  patches?: Intervention[];
  /** Which logits to compute: every position (default), only the last, or none. */
  logits?: 'all' | 'last' | 'none';
}

export interface RunResult {
  /** [batch, pos, vocab], or [batch, 1, vocab] with logits: 'last'; absent with 'none'. */
  logits?: Tensor;
  /** Requested activations by hook name, TransformerLens shapes. */
  cache: Map<string, Tensor>;
}

export interface GenerateOptions {
  maxNewTokens: number;
  /** 0 or `greedy: true` → argmax. */
  temperature?: number;
  topK?: number;
  topP?: number;
  seed?: number;
  greedy?: boolean;
  /**
   * Interventions applied at every step (e.g. a logit_boost at pos -1). Patches on `logits` run
   * through the key/value cache; any other hook makes every step a full run of the prefix.
   */
  patches?: Intervention[];
  /**
   * Stop after generating any of these tokens, which ends the result (Hugging Face's
   * eos_token_id), e.g. [END_OF_TEXT_ID]. Default: none, always maxNewTokens tokens.
   */
  stopTokens?: number[];
  /**
   * Keep each block's keys and values and run only the new token at each step (default true);
   * false re-runs the whole prefix every step, the engine's path before the cache (benchmarks, tests).
   */
  kvCache?: boolean;
}

export interface KVCacheOptions {
  /** Patches on `logits` only (logit_boost, scale, set), applied to every set of logits returned. */
  patches?: Intervention[];
  /**
   * Slots per row the caller expects to need (the longest prompt plus the tokens to come). The
   * cache doubles its buffers as it fills, up to this, and past it only if it must.
   */
  capacity?: number;
}

export interface AppendOptions {
  /**
   * Logits for each row's last new position ([batch, 1, vocab], the default) or for every new
   * position ([batch, new, vocab]; only when every row gets the same number of tokens).
   */
  logits?: 'last' | 'all';
}

/**
 * Generation state (TransformerLens's and Hugging Face's past / KV cache): every block's keys and
 * values for the positions seen so far, so each step runs only the new positions. Rows are
 * sequences; rows of different lengths are padded on the left and the padding is masked, so
 * their logits equal an unpadded run's (to float rounding).
 */
export interface KVCache {
  /** Sequences held (0 until the first append). */
  readonly batch: number;
  /** Tokens held per row. */
  readonly lengths: readonly number[];
  /**
   * Run `tokens` (one list per row, at least one token each; the first call sets the number of
   * rows) after what the cache holds, keep their keys and values, and return their logits.
   */
  append(tokens: number[][], opts?: AppendOptions): Promise<Tensor>;
  /** Keep these rows, in this order; a row may repeat (one prompt's cache for several samples). */
  select(rows: number[]): void;
}

export interface Engine {
  /** Model name as asked for (gpt2, a directory, tiny-random). */
  readonly name: string;
  readonly config: GPT2Config;
  /** True for the project's deterministic random checkpoint: results made with it must say so. */
  readonly isTinyRandom: boolean;
  encode(text: string): number[];
  decode(ids: number[]): string;
  /** The text of one token, as GPT-2's byte-level BPE would print it (" Berlin"). */
  tokenText(id: number): string;
  run(tokens: number[] | number[][], opts?: RunOptions): Promise<RunResult>;
  /** Hugging Face `output_hidden_states`: embeddings, each block's output, last after ln_f. */
  hiddenStates(tokens: number[] | number[][], patches?: Intervention[]): Promise<Tensor[]>;
  /** Continue `tokens`; returns only the new tokens. */
  generate(tokens: number[], opts: GenerateOptions): Promise<number[]>;
  /** An empty key/value cache for step-by-step generation (see KVCache). */
  kvCache(opts?: KVCacheOptions): KVCache;
  /** A raw weight by Hugging Face name without prefix ("wte.weight", "h.0.attn.c_attn.weight"). */
  weight(name: string): Tensor;
  /** Every hook name this model has, in forward order. */
  hookNames(): string[];
  dispose(): Promise<void>;
}
