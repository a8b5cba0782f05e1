// Shared by the engine tests: tiny checkpoints on disk and a tolerance check that understands
// the −inf entries of masked attention scores.
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { writeTinyCheckpoint, type TinyVariant } from '../../src/llm/tiny.ts';
import type { Tensor } from '../../src/llm/types.ts';

/** Write the tiny checkpoint (default options) in a fresh temporary directory. */
export async function writeTinyDir(variant: TinyVariant = {}): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'engine-test-'));
  const dir = await writeTinyCheckpoint(path.join(root, 'tiny'), {}, variant);
  return { dir, cleanup: () => fs.rm(root, { recursive: true, force: true }) };
}

/** Largest |a − b| scaled by max(1, |b|); equal infinities count as equal. */
export function maxRelDiff(a: Float32Array, b: Float32Array): number {
  assert.equal(a.length, b.length, 'lengths differ');
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    if (a[i] === b[i]) continue;
    const diff = Math.abs(a[i] - b[i]) / Math.max(1, Math.abs(b[i]));
    worst = Math.max(worst, Number.isNaN(diff) ? Infinity : diff);
  }
  return worst;
}

export function assertClose(actual: Tensor | undefined, expected: Tensor | undefined, name: string, tol = 1e-4): void {
  assert.ok(actual, `${name}: missing from the engine's result`);
  assert.ok(expected, `${name}: missing from the reference`);
  assert.deepEqual(actual.dims, expected.dims, `${name}: shape`);
  const diff = maxRelDiff(actual.data, expected.data);
  assert.ok(diff <= tol, `${name}: differs from the reference by ${diff} (tolerance ${tol})`);
}

/** Whether two tensors differ anywhere (exactly). */
export function differs(a: Tensor, b: Tensor): boolean {
  return a.data.some((v, i) => v !== b.data[i] && !(Number.isNaN(v) && Number.isNaN(b.data[i])));
}

/** Rows along `axis` (0-based) at which the tensors differ. */
export function differingIndices(a: Tensor, b: Tensor, axis: number): number[] {
  const stride = a.dims.slice(axis + 1).reduce((x, y) => x * y, 1);
  const n = a.dims[axis];
  const out = new Set<number>();
  for (let i = 0; i < a.data.length; i++) {
    if (a.data[i] !== b.data[i]) out.add(Math.floor(i / stride) % n);
  }
  return [...out].sort((x, y) => x - y);
}
