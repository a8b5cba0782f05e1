// Turning one position's logits into probabilities, and finding tokens among them — what the
// LLM posts do with F.softmax, F.log_softmax, torch.topk and torch.argsort.
// Sums run in float64 and subtract the maximum first, so 50 257 float32 logits never overflow.

type Vec = ArrayLike<number>;

/** log Σ exp(x), stably. */
export function logSumExp(x: Vec): number {
  let max = -Infinity;
  for (let i = 0; i < x.length; i++) if (x[i] > max) max = x[i];
  if (!Number.isFinite(max)) return max;
  let s = 0;
  for (let i = 0; i < x.length; i++) s += Math.exp(x[i] - max);
  return max + Math.log(s);
}

/** x − log Σ exp(x): log-probabilities (torch's F.log_softmax). */
export function logSoftmax(x: Vec): Float64Array {
  const lse = logSumExp(x);
  const out = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = x[i] - lse;
  return out;
}

/** exp(x) / Σ exp(x): probabilities that sum to 1 (torch's F.softmax). */
export function softmax(x: Vec): Float64Array {
  const out = logSoftmax(x);
  for (let i = 0; i < out.length; i++) out[i] = Math.exp(out[i]);
  return out;
}

/** Index of the largest value (first one on ties). */
export function argmax(x: Vec): number {
  let best = 0;
  for (let i = 1; i < x.length; i++) if (x[i] > x[best]) best = i;
  return best;
}

/** Indices of the k largest values, largest first (ties: lower index first). */
export function topK(x: Vec, k: number): number[] {
  const n = Math.min(k, x.length);
  // A sorted list of the k best so far: O(V·k), faster than sorting 50k entries for k ≈ 10.
  const best: number[] = [];
  for (let i = 0; i < x.length; i++) {
    if (best.length === n && !(x[i] > x[best[n - 1]])) continue;
    let j = best.length < n ? best.length : n - 1;
    while (j > 0 && x[i] > x[best[j - 1]]) {
      best[j] = best[j - 1];
      j--;
    }
    best[j] = i;
  }
  return best;
}

/**
 * 0-based rank of entry `index` when sorted descending (0 = the largest), as
 * `torch.where(torch.argsort(x, descending=True) == index)` gives. Ties count lower indices first.
 */
export function rankOf(x: Vec, index: number): number {
  const v = x[index];
  let rank = 0;
  for (let i = 0; i < x.length; i++) if (x[i] > v || (x[i] === v && i < index)) rank++;
  return rank;
}

/** Min–max scale to [0, 1] (all equal → 0.5: no token stands out). */
export function minMaxScale(x: Vec): Float64Array {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < x.length; i++) {
    if (x[i] < lo) lo = x[i];
    if (x[i] > hi) hi = x[i];
  }
  const out = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = hi > lo ? (x[i] - lo) / (hi - lo) : 0.5;
  return out;
}

/** A probability as a percentage with 3 significant digits: 0.462 → "46.2%", 3.9e-5 → "3.9e-3%". */
export function formatPercent(p: number): string {
  const v = 100 * p;
  return v >= 0.01 || v === 0 ? `${Number(v.toPrecision(3))}%` : `${v.toExponential(1)}%`;
}
