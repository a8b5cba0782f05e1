// A sentence with one [MASK] and the words compared there, for the masked-LM posts (/bias,
// /debias): the checks that make "the mask's position" one token in every version of the sentence
// (exactly one mask, each target one WordPiece that stays one token in place of the mask), and
// the target words' log-softmax and softmax at that position.
import type { BertEngine } from '../../llm/bert/types.ts';
import { logSoftmax } from './probability.ts';
import { OptionError } from '../types.ts';

export const MASK = '[MASK]';

export interface TargetScores {
  /** log-softmax at the mask position, one per target word (natural log). */
  logSoftmax: number[];
  /** softmax probability at the mask position, one per target word, in [0, 1]. */
  probs: number[];
}

export interface MaskedSentence {
  /** `[CLS] … [MASK] … [SEP]` as ids. */
  maskedIds: number[];
  /** Index of [MASK] in maskedIds ([CLS] is 0). */
  maskIndex: number;
  targets: { word: string; id: number }[];
  /** The sentence with each target written in the mask's place, and its ids (same length). */
  filledTexts: string[];
  filledIds: number[][];
}

/**
 * Tokenize `sentence` and its filled-in versions; OptionErrors name `sentence` or `targets`
 * (`analysis` is the command, for the messages).
 */
export function maskedSentence(engine: BertEngine, sentence: string, words: readonly string[], analysis: string): MaskedSentence {
  if (!engine.hasMlmHead) throw new OptionError('model', `${engine.name} has no masked-LM head (a bare BertModel); /${analysis} needs BertForMaskedLM weights`);
  const maxLen = engine.config.max_position_embeddings;
  const parts = sentence.split(MASK);
  if (parts.length !== 2) {
    throw new OptionError('sentence', `must contain ${MASK} exactly once (found ${parts.length - 1}) in ${JSON.stringify(sentence)}`);
  }
  const lower = words.map((t) => t.toLowerCase());
  const dup = lower.find((t, i) => lower.indexOf(t) !== i);
  if (dup !== undefined) throw new OptionError('targets', `lists ${JSON.stringify(dup)} twice; give different words`);
  const targets = words.map((w) => {
    try {
      return { word: w, id: engine.wordId(w) };
    } catch (err) {
      // The tokenizer's message names the word and its pieces; say which model's vocabulary it is.
      throw new OptionError('targets', `${(err as Error).message} (${engine.name}'s vocabulary)`);
    }
  });
  const maskedIds = engine.encode(sentence);
  if (maskedIds.length > maxLen) throw new OptionError('sentence', `is ${maskedIds.length} tokens, more than ${engine.name}'s ${maxLen}`);
  const maskIndex = maskedIds.findIndex((id) => engine.tokenText(id) === MASK);
  // Each target written into the mask's place: one WordPiece, so every other token keeps its position.
  const filledTexts = targets.map((t) => parts.join(t.word));
  const filledIds = filledTexts.map((text, i) => {
    const ids = engine.encode(text);
    if (ids.length !== maskedIds.length || ids[maskIndex] !== targets[i].id) {
      throw new OptionError('targets', `${JSON.stringify(targets[i].word)} does not stay one token in the sentence (it merges with the text around ${MASK}); put spaces around ${MASK}`);
    }
    return ids;
  });
  return { maskedIds, maskIndex, targets, filledTexts, filledIds };
}

/** One row's logits at `pos` of a [batch, pos, vocab] tensor, with the targets' (log-)softmax there. */
export function scoresAt(logits: { dims: number[]; data: Float32Array }, row: number, pos: number, ids: number[]): { row: Float32Array } & TargetScores {
  const [, T, V] = logits.dims;
  const start = (row * T + pos) * V;
  const r = logits.data.slice(start, start + V);
  const ls = logSoftmax(r);
  return { row: r, logSoftmax: ids.map((id) => ls[id]), probs: ids.map((id) => Math.exp(ls[id])) };
}
