// Turning user text and words into GPT-2 token ids, with errors that name the option and the
// limit: text the model cannot read in one pass, words that are not one token (and what they
// split into).
import type { Engine } from '../../llm/types.ts';
import { OptionError } from '../types.ts';
import { getTokenizer } from './tokenizers.ts';

/** Token ids of `text`, checked against the model's context length (n_positions). */
export function encodeText(engine: Engine, text: string, option = 'text', minTokens = 1): number[] {
  const ids = engine.encode(text);
  const max = engine.config.n_positions;
  if (ids.length > max) {
    throw new OptionError(option, `is ${ids.length} tokens; ${engine.name} reads at most ${max} tokens at once — shorten the text`);
  }
  if (ids.length < minTokens) {
    throw new OptionError(option, `needs at least ${minTokens} token${minTokens === 1 ? '' : 's'} (got ${ids.length})`);
  }
  return ids;
}

/**
 * A word as the user meant it. `"…"` quotes keep the text exactly; `␣` stands for a space (chat and
 * CLI lists trim spaces). With `leadingSpace`, an unquoted word gets GPT-2's mid-sentence form
 * (" coffee"), which is what a next-token prediction compares.
 */
export function wordForm(raw: string, leadingSpace: boolean): string {
  const quoted = /^"(.*)"$/s.exec(raw);
  if (quoted) return quoted[1].replace(/␣/g, ' ');
  const w = raw.replace(/␣/g, ' ');
  return leadingSpace && !w.startsWith(' ') ? ` ${w}` : w;
}

/** The single token id of `word`, or an OptionError that says which tokens it splits into. */
export async function singleToken(engine: Engine, word: string, option: string): Promise<number> {
  const ids = engine.encode(word);
  if (ids.length === 1) return ids[0];
  if (ids.length === 0) throw new OptionError(option, 'must not be empty');
  const parts = (await tokenTexts(ids)).map((t) => JSON.stringify(t)).join(' + ');
  throw new OptionError(option, `${JSON.stringify(word)} is ${ids.length} tokens (${parts}), not one; choose a word that is a single GPT-2 token`);
}

/**
 * Display text of GPT-2 tokens (bytes as <e8 93> for pieces of a character). All GPT-2 checkpoints
 * share the r50k_base vocabulary.
 */
export async function tokenTexts(ids: readonly number[]): Promise<string[]> {
  const gpt2 = await getTokenizer('gpt2');
  return ids.map((id) => gpt2.tokenText(id));
}

/** Row `row` of a [1, T, V] logits tensor as its own array. */
export function logitsRow(logits: { dims: number[]; data: Float32Array }, row: number): Float32Array {
  const V = logits.dims[logits.dims.length - 1];
  return logits.data.slice(row * V, (row + 1) * V);
}

/** Positions as the posts say them: 1 → "1st", 5 → "5th", 22 → "22nd", 11–13 → "th". */
export function ordinal(n: number): string {
  const teen = n % 100 >= 11 && n % 100 <= 13;
  const suffix = teen ? 'th' : ({ 1: 'st', 2: 'nd', 3: 'rd' } as Record<number, string>)[n % 10] ?? 'th';
  return `${n}${suffix}`;
}

/**
 * The token position whose logits predict the next token: the notebook's choice when none was
 * given (moved to the last possible one for shorter texts), else checked against the text.
 */
export function predictingPosition(requested: number | undefined, notebookDefault: number, tokenCount: number, option = 'position'): number {
  const last = tokenCount - 2; // the final token has no next token to predict
  if (requested === undefined) return Math.min(notebookDefault, last);
  if (requested > last) {
    throw new OptionError(option, `must be at most ${last}: the text has ${tokenCount} tokens, and the last one has no next token`);
  }
  return requested;
}
