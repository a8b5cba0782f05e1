// Layer, head and token-position options checked against the model that runs: the schema can
// only hold the largest model's limits (gpt2-xl: 48 blocks, 25 heads), so the actual limit comes
// from the engine's config and the error names it.
import type { Engine } from '../../llm/types.ts';
import { OptionError } from '../types.ts';

/**
 * A layer or head index for this model. `given` undefined → the notebook's default, or the last
 * valid index on a smaller model (the tiny checkpoint has 2 blocks and 4 heads).
 */
export function modelIndex(
  given: number | undefined,
  notebookDefault: number,
  count: number,
  option: string,
  what: string,
  engine: Engine,
): number {
  if (given === undefined) return Math.min(notebookDefault, count - 1);
  if (!Number.isInteger(given) || given < 0 || given >= count) {
    throw new OptionError(option, `must be from 0 to ${count - 1}: ${engine.name} has ${count} ${what}`);
  }
  return given;
}

/** A token position; negative counts from the end (−1 = last), as in Python. */
export function tokenPosition(given: number, nTokens: number, option: string): number {
  const pos = given < 0 ? nTokens + given : given;
  if (!Number.isInteger(given) || pos < 0 || pos >= nTokens) {
    throw new OptionError(option, `position ${given} is outside the text's ${nTokens} tokens (0 to ${nTokens - 1}, or −${nTokens} to −1)`);
  }
  return pos;
}
