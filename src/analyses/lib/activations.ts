// Slicing and summarising activations from the engine's cache (TransformerLens shapes, batch 1),
// the small numpy one-liners the LLM posts use: x[0,1:,:].flatten(), x.var(), cosine matrices.
import type { Tensor } from '../../llm/types.ts';

/** Values per position of a [1, pos, ...] tensor. */
function positionStride(t: Tensor): number {
  if (t.dims[0] !== 1) throw new Error(`expected batch 1, got dims [${t.dims.join(', ')}]`);
  return t.dims.slice(2).reduce((a, b) => a * b, 1);
}

/** Every value from position `from` on, flattened — `x[0, from:, ...].flatten()` (a view, no copy). */
export function fromPosition(t: Tensor, from: number): Float32Array {
  return t.data.subarray(from * positionStride(t));
}

/** One position's values — `x[0, pos, ...].flatten()` (a view). */
export function atPosition(t: Tensor, pos: number): Float32Array {
  const s = positionStride(t);
  return t.data.subarray(pos * s, (pos + 1) * s);
}

export function mean(x: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i];
  return s / x.length;
}

/** Variance with `ddof` = 1 by default, like torch's `.var()` (numpy's var uses ddof 0). */
export function variance(x: ArrayLike<number>, ddof = 1): number {
  const m = mean(x);
  let s = 0;
  for (let i = 0; i < x.length; i++) s += (x[i] - m) ** 2;
  return s / (x.length - ddof);
}

/** Standard deviation with ddof 1 (torch's `.std()`). */
export function std(x: ArrayLike<number>): number {
  return Math.sqrt(variance(x));
}

/**
 * n × n cosine similarities of n vectors, row-major (F.cosine_similarity over all pairs). Norms
 * are taken once, so each pair costs one dot product (a 1000-token text has half a million pairs).
 */
export function cosineMatrix(vectors: readonly ArrayLike<number>[]): Float64Array {
  const n = vectors.length;
  const norms = vectors.map((v) => Math.sqrt(dot(v, v)));
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = i; j < n; j++) {
      const c = dot(vectors[i], vectors[j]) / (norms[i] * norms[j]);
      out[i * n + j] = c;
      out[j * n + i] = c;
    }
  }
  return out;
}

function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

/** The entries above the diagonal of an n × n matrix (each pair once). */
export function upperTriangle(m: ArrayLike<number>, n: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) out.push(m[i * n + j]);
  return out;
}

/** n evenly spaced integers from 0 to last, truncated like `np.linspace(0, last, n, dtype=int)`. */
export function evenlySpaced(last: number, n: number): number[] {
  if (n === 1) return [0];
  return Array.from({ length: n }, (_, i) => Math.trunc((i * last) / (n - 1)));
}

/**
 * The top-left k × k corner of an n × n row-major matrix as nested arrays, non-finite entries
 * (masked attention) as null — figure data stays small for long texts.
 */
export function squareRows(m: ArrayLike<number>, n: number, k = n): (number | null)[][] {
  const size = Math.min(n, k);
  return Array.from({ length: size }, (_, r) => Array.from({ length: size }, (_, c) => {
    const v = m[r * n + c];
    return Number.isFinite(v) ? v : null;
  }));
}
