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
  /** Interventions applied at every step (e.g. a logit_boost at pos -1). */
  patches?: Intervention[];
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
  /** A raw weight by Hugging Face name without prefix ("wte.weight", "h.0.attn.c_attn.weight"). */
  weight(name: string): Tensor;
  /** Every hook name this model has, in forward order. */
  hookNames(): string[];
  dispose(): Promise<void>;
}
