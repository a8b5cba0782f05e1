// Prime factors of every integer up to a limit, by sieving: for each prime p in increasing order,
// every multiple of p is stamped with p, so each number ends up holding its largest prime factor.
// O(n log log n), a few milliseconds for a million numbers (trial division per number would be
// O(n √n)). Smooth numbers and their counts follow from the table.

/**
 * `lpf[n]` = the largest prime factor of n, for 0 ≤ n ≤ maxN. 0 and 1 have no prime factor and
 * hold 0, so that 1 counts as smooth for every bound (as in OEIS A051037, which starts at 1).
 */
export function largestPrimeFactors(maxN: number): Int32Array {
  if (!Number.isInteger(maxN) || maxN < 1) throw new Error(`largestPrimeFactors: maxN must be a positive integer (got ${maxN})`);
  const lpf = new Int32Array(maxN + 1);
  for (let p = 2; p <= maxN; p++) {
    if (lpf[p] !== 0) continue; // already stamped by a smaller prime: composite
    for (let m = p; m <= maxN; m += p) lpf[m] = p;
  }
  return lpf;
}

/** Primes up to maxN (a number is prime when it is its own largest prime factor). */
export function primesFromTable(lpf: Int32Array): number[] {
  const out: number[] = [];
  for (let n = 2; n < lpf.length; n++) if (lpf[n] === n) out.push(n);
  return out;
}

/** The numbers 1…maxN whose prime factors are all ≤ bound (the bound-smooth numbers). */
export function smoothNumbers(lpf: Int32Array, bound: number): number[] {
  const out: number[] = [];
  for (let n = 1; n < lpf.length; n++) if (lpf[n] <= bound) out.push(n);
  return out;
}

/**
 * Ψ(x, bound) — how many of 1…x are bound-smooth — at each x in `at` (ascending, each ≤ maxN),
 * in one pass over the table.
 */
export function smoothCounts(lpf: Int32Array, bound: number, at: readonly number[]): number[] {
  const out: number[] = [];
  let count = 0;
  let n = 1;
  for (const x of at) {
    if (x >= lpf.length) throw new Error(`smoothCounts: ${x} is beyond the table (max ${lpf.length - 1})`);
    for (; n <= x; n++) if (lpf[n] <= bound) count++;
    out.push(count);
  }
  return out;
}

/** How many of 2…maxN have each prime as their largest prime factor, primes ascending. */
export function largestFactorCounts(lpf: Int32Array): { primes: number[]; counts: number[] } {
  const tally = new Int32Array(lpf.length);
  for (let n = 2; n < lpf.length; n++) tally[lpf[n]]++;
  const primes: number[] = [];
  const counts: number[] = [];
  for (let p = 2; p < lpf.length; p++) {
    if (tally[p] > 0) {
      primes.push(p);
      counts.push(tally[p]);
    }
  }
  return { primes, counts };
}
