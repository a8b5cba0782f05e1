// The BERT engine's public contract, beside GPT-2's (../types.ts): the same tensors, hook
// vocabulary (TransformerLens's HookedEncoder names; see hooks.ts) and intervention records, plus
// what an encoder needs: token types, an attention mask for padded batches, masked-LM logits.
import type { Intervention, Tensor } from '../types.ts';
import type { WordPieceTokenizer } from './tokenizer.ts';

/** The fields of a Hugging Face BERT `config.json` that the engine uses (its own names). */
export interface BertConfig {
  num_hidden_layers: number;
  num_attention_heads: number;
  hidden_size: number;
  /** MLP width (3072 for bert-base). */
  intermediate_size: number;
  /** Longest input, [CLS] and [SEP] included (512). */
  max_position_embeddings: number;
  vocab_size: number;
  /** Segment ids are 0 … type_vocab_size − 1 (2: sentence A and B). */
  type_vocab_size: number;
  layer_norm_eps: number;
  /** The id padded batch rows are filled with (0, `[PAD]`). */
  pad_token_id: number;
}

/**
 * `set_vector`: the whole vector at `pos` (every position when absent) becomes `values`, in every
 * batch row. A vector is what one position holds: [d] in the residual stream, [H·dh] at q/k/v/z
 * (or [dh] with `head`), [H·T] of keys in attention scores and patterns (or [T] with `head`).
 * Gender bias part 2 writes one sentence's hidden state into another this way.
 */
export interface SetVector {
  hook: string;
  op: 'set_vector';
  pos?: number;
  head?: number;
  values: number[];
}

/** GPT-2's intervention records, and `set_vector`. */
export type BertIntervention = Intervention | SetVector;

export interface BertRunOptions {
  /** Hook names or globs (`blocks.*.attn.hook_pattern`) whose activations to return. */
  hooks?: string | string[];
  /** Interventions applied where their hook is; everything downstream is recomputed. */
  patches?: BertIntervention[];
  /** Masked-LM logits at every position (default), or none. */
  logits?: 'all' | 'none';
  /** Segment ids per token (0 = sentence A, 1 = sentence B), shaped like the tokens; default all 0. */
  tokenTypes?: number[] | number[][];
}

export interface BertRunResult {
  /** Masked-LM logits [batch, pos, vocab]; absent with logits: 'none'. */
  logits?: Tensor;
  /** Requested activations by hook name, TransformerLens shapes. */
  cache: Map<string, Tensor>;
  /**
   * 1 for a real token, 0 for padding, per row: rows shorter than the longest were padded at the
   * end with [PAD], which no token attends to (their own activations are computed but meaningless).
   */
  attentionMask: number[][];
}

export interface BertEngine {
  readonly arch: 'bert';
  /** Model name as asked for (bert-large-uncased, a directory, tiny-random-bert). */
  readonly name: string;
  readonly config: BertConfig;
  /** True for the project's deterministic random checkpoint: results made with it must say so. */
  readonly isTinyRandom: boolean;
  /** False for a bare encoder (BertModel): no masked-LM head, so no `mlm_logits`. */
  readonly hasMlmHead: boolean;
  readonly tokenizer: WordPieceTokenizer;
  /** `[CLS] text [SEP]` as ids; `[MASK]` (and the other special tokens) in the text are kept. */
  encode(text: string): number[];
  /** `[CLS] a [SEP] b [SEP]`, with token types 0 for a and 1 for b, as BERT's tokenizer pairs them. */
  encodePair(a: string, b: string): { ids: number[]; tokenTypes: number[] };
  decode(ids: number[]): string;
  /** The WordPiece of one id ("engineer", "##s", "[MASK]"). */
  tokenText(id: number): string;
  /** The id of a word that is one WordPiece; an error naming the pieces when it is several. */
  wordId(word: string): number;
  /**
   * Token ids, one sequence or a batch: rows may differ in length (they are padded, and masked).
   */
  run(tokens: number[] | number[][], opts?: BertRunOptions): Promise<BertRunResult>;
  /**
   * Hugging Face `output_hidden_states`: the embeddings (after their LayerNorm), then each
   * layer's output; num_hidden_layers + 1 tensors [batch, pos, d].
   */
  hiddenStates(tokens: number[] | number[][], opts?: Omit<BertRunOptions, 'hooks' | 'logits'>): Promise<Tensor[]>;
  /** A raw weight by Hugging Face name without `bert.` ("embeddings.word_embeddings.weight"). */
  weight(name: string): Tensor;
  /** Every hook name this model has, in forward order. */
  hookNames(): string[];
  dispose(): Promise<void>;
}
