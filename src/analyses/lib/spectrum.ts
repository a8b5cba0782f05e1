// The discrete Fourier transform two ways: the post's for-loop of dot products with complex
// sine waves, and a fast transform (fft.js) to check it against. fft.js only does powers of
// two; other lengths (the post's signals have 3001 samples) go through Bluestein's chirp-z
// algorithm, which rewrites a length-N DFT as a convolution done with power-of-two FFTs.
import FFT from 'fft.js';

/** Complex vector as separate real and imaginary parts. */
export interface ComplexArray {
  re: Float64Array;
  im: Float64Array;
}

/**
 * The Fourier transform as a loop: for each frequency index k, the dot product of the signal
 * with the complex sine wave exp(−2πi·k·t), t = n/N. The sine wave's values are looked up in a
 * table of N points (k·n mod N indexes it exactly), which saves recomputing cos/sin N² times.
 */
export function loopDft(signal: ArrayLike<number>): ComplexArray {
  const n = signal.length;
  const { cos, sin } = unitCircleTable(n);
  const re = new Float64Array(n);
  const im = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    let sr = 0;
    let si = 0;
    let idx = 0; // (k·t) mod n without overflow
    for (let t = 0; t < n; t++) {
      // exp(−iθ) = cos θ − i sin θ
      sr += signal[t] * cos[idx];
      si -= signal[t] * sin[idx];
      idx += k;
      if (idx >= n) idx -= n;
    }
    re[k] = sr;
    im[k] = si;
  }
  return { re, im };
}

/** cos and sin of 2π·j/N for j = 0…N−1. */
function unitCircleTable(n: number): { cos: Float64Array; sin: Float64Array } {
  const cos = new Float64Array(n);
  const sin = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    const a = (2 * Math.PI * j) / n;
    cos[j] = Math.cos(a);
    sin[j] = Math.sin(a);
  }
  return { cos, sin };
}

const isPowerOfTwo = (n: number) => n > 1 && (n & (n - 1)) === 0;
const nextPowerOfTwo = (n: number) => 2 ** Math.ceil(Math.log2(n));

/** Forward DFT of a real or complex signal of any length ≥ 1 (same sign and scale as numpy.fft.fft). */
export function fft(re: ArrayLike<number>, im?: ArrayLike<number>): ComplexArray {
  const n = re.length;
  if (n === 0) throw new Error('fft: empty signal');
  if (n === 1) return { re: Float64Array.of(re[0]), im: Float64Array.of(im?.[0] ?? 0) };
  return isPowerOfTwo(n) ? radix2(re, im, false) : bluestein(re, im);
}

/** fft.js on interleaved complex data; `inverse` includes the 1/N scale. */
function radix2(re: ArrayLike<number>, im: ArrayLike<number> | undefined, inverse: boolean): ComplexArray {
  const n = re.length;
  const f = new FFT(n);
  const input = f.createComplexArray() as number[];
  for (let i = 0; i < n; i++) {
    input[2 * i] = re[i];
    input[2 * i + 1] = im ? im[i] : 0;
  }
  const out = f.createComplexArray() as number[];
  if (inverse) f.inverseTransform(out, input);
  else f.transform(out, input);
  const res = { re: new Float64Array(n), im: new Float64Array(n) };
  for (let i = 0; i < n; i++) {
    res.re[i] = out[2 * i];
    res.im[i] = out[2 * i + 1];
  }
  return res;
}

/**
 * Bluestein: k·n = (k² + n² − (k−n)²)/2, so X_k = w_k · Σ_n (x_n·w_n)·conj(w_{k−n}) with
 * w_j = exp(−πi·j²/N) — a convolution, done by zero-padded power-of-two FFTs.
 */
function bluestein(re: ArrayLike<number>, im: ArrayLike<number> | undefined): ComplexArray {
  const n = re.length;
  const m = nextPowerOfTwo(2 * n - 1);
  // Chirp w_j for j = 0…N−1. j² mod 2N keeps the angle small (and exact) for long signals.
  const wr = new Float64Array(n);
  const wi = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    const a = (Math.PI * ((j * j) % (2 * n))) / n;
    wr[j] = Math.cos(a);
    wi[j] = -Math.sin(a);
  }
  // a_j = x_j · w_j, zero-padded to m
  const ar = new Float64Array(m);
  const ai = new Float64Array(m);
  for (let j = 0; j < n; j++) {
    const xr = re[j];
    const xi = im ? im[j] : 0;
    ar[j] = xr * wr[j] - xi * wi[j];
    ai[j] = xr * wi[j] + xi * wr[j];
  }
  // b_j = conj(w_j) for j = −(N−1)…N−1, wrapped around index 0
  const br = new Float64Array(m);
  const bi = new Float64Array(m);
  br[0] = wr[0];
  bi[0] = -wi[0];
  for (let j = 1; j < n; j++) {
    br[j] = br[m - j] = wr[j];
    bi[j] = bi[m - j] = -wi[j];
  }
  const A = radix2(ar, ai, false);
  const B = radix2(br, bi, false);
  const pr = new Float64Array(m);
  const pi = new Float64Array(m);
  for (let j = 0; j < m; j++) {
    pr[j] = A.re[j] * B.re[j] - A.im[j] * B.im[j];
    pi[j] = A.re[j] * B.im[j] + A.im[j] * B.re[j];
  }
  const conv = radix2(pr, pi, true);
  const out = { re: new Float64Array(n), im: new Float64Array(n) };
  for (let k = 0; k < n; k++) {
    out.re[k] = conv.re[k] * wr[k] - conv.im[k] * wi[k];
    out.im[k] = conv.re[k] * wi[k] + conv.im[k] * wr[k];
  }
  return out;
}

/** |z| for each entry, times `scale` (e.g. 2/N for the amplitude of a real signal's spectrum). */
export function magnitudes(z: ComplexArray, scale = 1): Float64Array {
  const out = new Float64Array(z.re.length);
  for (let i = 0; i < out.length; i++) out[i] = scale * Math.hypot(z.re[i], z.im[i]);
  return out;
}

/** Largest |a_k − b_k| over two complex vectors of equal length. */
export function maxAbsDifference(a: ComplexArray, b: ComplexArray): number {
  if (a.re.length !== b.re.length) throw new Error('maxAbsDifference: lengths differ');
  let max = 0;
  for (let i = 0; i < a.re.length; i++) max = Math.max(max, Math.hypot(a.re[i] - b.re[i], a.im[i] - b.im[i]));
  return max;
}
