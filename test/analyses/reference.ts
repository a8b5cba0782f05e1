// Shared by the analysis tests: reference formulas written out independently of the analyses'
// own helpers, and a way to read the message of a rejected option.
import assert from 'node:assert/strict';
import type { z } from 'zod';
import { parseOptions } from '../../src/analyses/options.ts';
import { OptionError } from '../../src/analyses/types.ts';

/** log softmax(row)[id], with the max subtracted first for stability. */
export function logSoftmaxAt(row: Float32Array, id: number): number {
  let max = -Infinity;
  for (const v of row) max = Math.max(max, v);
  let sum = 0;
  for (const v of row) sum += Math.exp(v - max);
  return row[id] - max - Math.log(sum);
}

/** The OptionError message that parsing these raw options gives (fails if they parse). */
export function optionErrorMessage(schema: z.ZodObject, raw: Record<string, unknown>): string {
  try {
    parseOptions(schema, raw);
  } catch (err) {
    assert.ok(err instanceof OptionError);
    return err.message;
  }
  assert.fail('expected an OptionError');
}
