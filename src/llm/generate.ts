// Text generation: greedy or sampled (temperature, top-k, top-p) with a seeded PRNG, so a seed
// reproduces a continuation exactly. The engine runs each step through a key/value cache
// (kv-cache.ts): the prompt once, then one new position per step; generateBatch does that for
// several sequences at once, each with its own seed, length limit and stop.
import { randomInt } from 'node:crypto';
import type { Engine, GenerateOptions, Intervention } from './types.ts';

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

/** The tokens a sample is drawn from, by descending logit, with unnormalized weights (their sum: total). */
export interface Candidates {
  ids: number[];
  weights: number[];
  total: number;
}

/** softmax(logits / T) restricted to the top-k, then to the top-p nucleus: what sampleToken draws from. */
export function samplingCandidates(logits: ArrayLike<number>, opts: SamplingOptions): Candidates {
  const V = logits.length;
  // Candidates by descending logit (ties: lower id first), cut to top-k.
  let ids: number[];
  if (opts.topK !== undefined && opts.topK * 8 < V) ids = topCandidates(logits, opts.topK);
  else {
    ids = Array.from({ length: V }, (_, i) => i);
    if (opts.topK !== undefined || opts.topP !== undefined) {
      ids.sort((a, b) => logits[b] - logits[a] || a - b);
      if (opts.topK !== undefined) ids = ids.slice(0, Math.min(opts.topK, V));
    }
  }
  let max = -Infinity;
  for (const i of ids) max = Math.max(max, logits[i]);
  const weights = ids.map((i) => Math.exp((logits[i] - max) / opts.temperature));
  let total = weights.reduce((a, b) => a + b, 0);
  if (opts.topP !== undefined) {
    // Smallest prefix whose probability reaches top-p (always at least one token), as Hugging Face.
    let cumulative = 0;
    let keep = 0;
    while (keep < weights.length && cumulative < opts.topP * total) cumulative += weights[keep++];
    ids = ids.slice(0, Math.max(keep, 1));
    weights.length = ids.length;
    total = weights.reduce((a, b) => a + b, 0);
  }
  return { ids, weights, total };
}

/** Draw one token from logits: softmax(logits / T) restricted to the top-k, then the top-p nucleus. */
export function sampleToken(logits: ArrayLike<number>, opts: SamplingOptions, uniform: () => number): number {
  const { ids, weights, total } = samplingCandidates(logits, opts);
  let r = uniform() * total;
  for (let j = 0; j < ids.length; j++) {
    r -= weights[j];
    if (r < 0) return ids[j];
  }
  return ids[ids.length - 1];
}

/** `a` ranks before `b`: a higher logit, or the same and a lower id (the order sampleToken sorts by). */
const ranksBefore = (logits: ArrayLike<number>, a: number, b: number) => logits[a] > logits[b] || (logits[a] === logits[b] && a < b);

/**
 * The k best ids in sampleToken's order, through a k-entry heap instead of sorting all V (a
 * full sort of GPT-2's 50 257 logits took ~10 ms a token, as long as a GPT-2-small step).
 */
function topCandidates(logits: ArrayLike<number>, k: number): number[] {
  const heap: number[] = []; // the worst kept id at the root
  const worse = (i: number, j: number) => ranksBefore(logits, heap[j], heap[i]);
  const down = (i: number) => {
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let w = i;
      if (l < heap.length && worse(l, w)) w = l;
      if (r < heap.length && worse(r, w)) w = r;
      if (w === i) return;
      [heap[i], heap[w]] = [heap[w], heap[i]];
      i = w;
    }
  };
  for (let id = 0; id < logits.length; id++) {
    if (heap.length < k) {
      heap.push(id);
      for (let i = heap.length - 1; i > 0; ) {
        const parent = (i - 1) >> 1;
        if (!worse(i, parent)) break;
        [heap[i], heap[parent]] = [heap[parent], heap[i]];
        i = parent;
      }
    } else if (ranksBefore(logits, id, heap[0])) {
      heap[0] = id;
      down(0);
    }
  }
  return heap.sort((a, b) => (ranksBefore(logits, a, b) ? -1 : 1));
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
  if (opts.stopTokens !== undefined) {
    check(Array.isArray(opts.stopTokens) && opts.stopTokens.every((t) => Number.isInteger(t) && t >= 0), `stopTokens must be a list of token ids (got ${JSON.stringify(opts.stopTokens)})`);
  }
}

/** The next-token rule for one sequence: argmax, or a draw from its own seeded stream. */
function picker(opts: Omit<GenerateOptions, 'maxNewTokens'>): (logits: ArrayLike<number>) => number {
  if (opts.greedy === true || opts.temperature === 0) return argmax;
  const uniform = mulberry32(opts.seed ?? randomInt(0, 2 ** 31 - 1));
  const sampling = { temperature: opts.temperature ?? 1, topK: opts.topK, topP: opts.topP };
  return (logits) => sampleToken(logits, sampling, uniform);
}

/**
 * Extend `prompt` by up to `maxNewTokens` tokens (fewer when a stop token comes, which ends the
 * result); returns only the new tokens. `lastLogits(tokens)` gives the logits at the last
 * position of `tokens`, which is always the previous call's `tokens` plus one.
 */
export async function generateTokens(
  prompt: number[],
  opts: GenerateOptions,
  lastLogits: (tokens: number[]) => Promise<ArrayLike<number>>,
): Promise<number[]> {
  validateGenerateOptions(opts);
  const pick = picker(opts);
  const stop = new Set(opts.stopTokens ?? []);
  const tokens = [...prompt];
  const added: number[] = [];
  for (let step = 0; step < opts.maxNewTokens; step++) {
    const next = pick(await lastLogits(tokens));
    tokens.push(next);
    added.push(next);
    if (stop.has(next)) break;
  }
  return added;
}

export interface BatchRow {
  prompt: number[];
  maxNewTokens: number;
  /** This row's sampling seed (ignored when greedy); a random one when absent. */
  seed?: number;
}

export interface BatchOptions {
  temperature?: number;
  topK?: number;
  topP?: number;
  greedy?: boolean;
  /** Patches on `logits` only (the cache's rule): applied at every step of every row. */
  patches?: Intervention[];
  /** Each row stops after any of these (included in its result). */
  stopTokens?: number[];
  /** Called after each step with the tokens generated so far and the most there can be. */
  progress?: (done: number, total: number) => void;
  /** Called for every token chosen: the row, the logits it was chosen from (patched), the token. */
  observe?: (row: number, logits: Float32Array, token: number) => void;
}

/**
 * Continue several prompts at once through one key/value cache: a step runs one new position of
 * every unfinished row as one batch (what a batch of 8 costs is close to one row: each step reads
 * every weight once), rows that stop or reach their limit leave the batch, and identical prompts
 * run once. Each row draws from its own mulberry32 stream, so a row's tokens are those of
 * engine.generate(prompt, { ...opts, maxNewTokens, seed }) (batched logits equal single-row ones
 * to float rounding). Returns each row's new tokens.
 */
export async function generateBatch(engine: Engine, rows: BatchRow[], opts: BatchOptions = {}): Promise<number[][]> {
  const { progress, observe, ...rest } = opts;
  for (const r of rows) {
    validateGenerateOptions({ ...rest, maxNewTokens: r.maxNewTokens, seed: r.seed });
    if (r.prompt.length + r.maxNewTokens > engine.config.n_positions) {
      throw new RangeError(`prompt (${r.prompt.length} tokens) + maxNewTokens (${r.maxNewTokens}) exceeds ${engine.name}'s ${engine.config.n_positions}-token context`);
    }
  }
  const picks = rows.map((r) => picker({ ...rest, seed: r.seed }));
  const stop = new Set(opts.stopTokens ?? []);
  const out: number[][] = rows.map(() => []);
  const total = rows.reduce((n, r) => n + r.maxNewTokens, 0);
  let done = 0;
  // Cache row j continues rows[current[j]].
  let current = rows.flatMap((r, i) => (r.maxNewTokens > 0 ? [i] : []));
  if (current.length === 0) return out;
  // Room for every step: the longest prompt, then one slot per step for every row.
  const capacity = Math.max(...current.map((i) => rows[i].prompt.length)) + Math.max(...current.map((i) => rows[i].maxNewTokens));
  const cache = engine.kvCache({ patches: opts.patches, capacity });
  const unique = new Map<string, number>();
  for (const i of current) {
    const key = rows[i].prompt.join(',');
    if (!unique.has(key)) unique.set(key, i);
  }
  const firsts = [...unique.values()];
  let logits = await cache.append(firsts.map((i) => rows[i].prompt));
  // Logits row of each cache row: after the prefill, its prompt's; then its own.
  let logitRow = current.map((i) => firsts.indexOf(unique.get(rows[i].prompt.join(','))!));
  if (firsts.length !== current.length) cache.select(logitRow);
  for (;;) {
    const V = logits.dims[2];
    current.forEach((i, j) => {
      const row = logits.data.subarray(logitRow[j] * V, (logitRow[j] + 1) * V);
      const next = picks[i](row);
      observe?.(i, row, next);
      out[i].push(next);
    });
    const keep: number[] = [];
    current.forEach((i, j) => {
      const stopped = stop.has(out[i][out[i].length - 1]);
      if (out[i].length < rows[i].maxNewTokens && !stopped) keep.push(j);
      // A row that stopped early counts its unused tokens as done.
      done += stopped ? 1 + rows[i].maxNewTokens - out[i].length : 1;
    });
    progress?.(done, total);
    if (keep.length === 0) break;
    if (keep.length < current.length) {
      cache.select(keep);
      current = keep.map((j) => current[j]);
    }
    logits = await cache.append(current.map((i) => [out[i][out[i].length - 1]]));
    logitRow = current.map((_, j) => j);
  }
  return out;
}
