// Text generation: greedy or sampled (temperature, top-k, top-p) with a seeded PRNG, so a seed
// reproduces a continuation exactly. Each step recomputes the whole prefix with logits for the
// last position only: simpler than a KV cache, and fast enough for the posts' short continuations.
import { randomInt } from 'node:crypto';
import type { GenerateOptions } from './types.ts';

/** mulberry32: a tiny 32-bit PRNG, identical on every platform. Uniform in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function argmax(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i] > values[best]) best = i;
  return best;
}

export interface SamplingOptions {
  temperature: number;
  topK?: number;
  topP?: number;
}

/** Draw one token from logits: softmax(logits / T) restricted to the top-k, then the top-p nucleus. */
export function sampleToken(logits: ArrayLike<number>, opts: SamplingOptions, uniform: () => number): number {
  const V = logits.length;
  // Candidates by descending logit (ties: lower id first), cut to top-k.
  let ids = Array.from({ length: V }, (_, i) => i);
  if (opts.topK !== undefined || opts.topP !== undefined) {
    ids.sort((a, b) => logits[b] - logits[a] || a - b);
    if (opts.topK !== undefined) ids = ids.slice(0, Math.min(opts.topK, V));
  }
  let max = -Infinity;
  for (const i of ids) max = Math.max(max, logits[i]);
  const probs = ids.map((i) => Math.exp((logits[i] - max) / opts.temperature));
  let total = probs.reduce((a, b) => a + b, 0);
  if (opts.topP !== undefined) {
    // Smallest prefix whose probability reaches top-p (always at least one token), as Hugging Face.
    let cumulative = 0;
    let keep = 0;
    while (keep < probs.length && cumulative < opts.topP * total) cumulative += probs[keep++];
    ids = ids.slice(0, Math.max(keep, 1));
    probs.length = ids.length;
    total = probs.reduce((a, b) => a + b, 0);
  }
  let r = uniform() * total;
  for (let j = 0; j < ids.length; j++) {
    r -= probs[j];
    if (r < 0) return ids[j];
  }
  return ids[ids.length - 1];
}

function check(ok: boolean, message: string): void {
  if (!ok) throw new RangeError(message);
}

export function validateGenerateOptions(opts: GenerateOptions): void {
  check(Number.isInteger(opts.maxNewTokens) && opts.maxNewTokens >= 0, `maxNewTokens must be a whole number ≥ 0 (got ${opts.maxNewTokens})`);
  if (opts.temperature !== undefined) {
    check(Number.isFinite(opts.temperature) && opts.temperature >= 0, `temperature must be ≥ 0 (got ${opts.temperature}); 0 means greedy`);
  }
  if (opts.topK !== undefined) check(Number.isInteger(opts.topK) && opts.topK >= 1, `topK must be a whole number ≥ 1 (got ${opts.topK})`);
  if (opts.topP !== undefined) check(opts.topP > 0 && opts.topP <= 1, `topP must be in (0, 1] (got ${opts.topP})`);
  if (opts.seed !== undefined) check(Number.isInteger(opts.seed), `seed must be a whole number (got ${opts.seed})`);
}

/**
 * Extend `prompt` by up to `maxNewTokens` tokens; returns only the new tokens.
 * `lastLogits(tokens)` gives the logits at the last position of `tokens`.
 */
export async function generateTokens(
  prompt: number[],
  opts: GenerateOptions,
  lastLogits: (tokens: number[]) => Promise<ArrayLike<number>>,
): Promise<number[]> {
  validateGenerateOptions(opts);
  const greedy = opts.greedy === true || opts.temperature === 0;
  const uniform = mulberry32(opts.seed ?? randomInt(0, 2 ** 31 - 1));
  const tokens = [...prompt];
  const added: number[] = [];
  for (let step = 0; step < opts.maxNewTokens; step++) {
    const logits = await lastLogits(tokens);
    const next = greedy ? argmax(logits) : sampleToken(logits, { temperature: opts.temperature ?? 1, topK: opts.topK, topP: opts.topP }, uniform);
    tokens.push(next);
    added.push(next);
  }
  return added;
}
