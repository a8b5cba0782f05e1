// The /mlp post's warm-up: two noisy concentric rings that no straight line separates in 2-D,
// but one added feature (the radius, a non-linear function of x and y) separates with a single
// threshold — what an MLP's expansion + non-linearity buys. Also GPT-2's GELU.
import type { Rng } from './random.ts';

export interface TwoRings {
  /** Angle of each point (the same angles for both rings, as in the notebook). */
  theta: number[];
  inner: { x: number[]; y: number[]; radius: number[] };
  outer: { x: number[]; y: number[]; radius: number[] };
}

/**
 * n points per ring at radius 1 and 2, angles linspace(0, 2π − 1/n, n), x and y each jittered by
 * N(0, noise²) — the notebook's `1*np.cos(theta) + np.random.randn(n)/10`.
 */
export function twoRings(rng: Rng, n = 100, noise = 0.1): TwoRings {
  const theta = Array.from({ length: n }, (_, i) => (n === 1 ? 0 : (i * (2 * Math.PI - 1 / n)) / (n - 1)));
  const ring = (r: number) => {
    const x = theta.map((t) => r * Math.cos(t) + noise * rng.normal());
    const y = theta.map((t) => r * Math.sin(t) + noise * rng.normal());
    return { x, y, radius: x.map((xi, i) => Math.hypot(xi, y[i])) };
  };
  const inner = ring(1);
  return { theta, inner, outer: ring(2) };
}

export interface Threshold {
  /** Cut point: values below are called class A, at or above class B. */
  threshold: number;
  /** Fraction classified correctly, in [0, 1]. */
  accuracy: number;
}

/**
 * The best single cut on one feature (class `a` below, `b` above): every midpoint between sorted
 * neighbours is tried; among equally accurate cuts the one in the widest gap wins (largest margin).
 */
export function bestThreshold(a: readonly number[], b: readonly number[]): Threshold {
  const pts = [...a.map((v) => ({ v, isA: true })), ...b.map((v) => ({ v, isA: false }))].sort((p, q) => p.v - q.v);
  const n = pts.length;
  // Cut before index i: the i lowest are called A. Correct = A's among them + B's among the rest.
  let aBelow = 0;
  let bBelow = 0;
  let best = { correct: -1, gap: -1, threshold: 0 };
  for (let i = 0; i <= n; i++) {
    if (i > 0) (pts[i - 1].isA ? aBelow++ : bBelow++);
    if (i > 0 && i < n && pts[i].v === pts[i - 1].v) continue; // cannot cut between equal values
    const correct = aBelow + (b.length - bBelow);
    const lo = i > 0 ? pts[i - 1].v : pts[0].v - 1;
    const hi = i < n ? pts[i].v : pts[n - 1].v + 1;
    const gap = hi - lo;
    if (correct > best.correct || (correct === best.correct && gap > best.gap)) {
      best = { correct, gap, threshold: (lo + hi) / 2 };
    }
  }
  return { threshold: best.threshold, accuracy: best.correct / n };
}

/**
 * Accuracy of the best straight line in 2-D, searched over `directions` normal angles in [0, π)
 * with the best cut (either side) along each — how well a linear classifier can do without the
 * extra feature.
 */
export function bestLinearAccuracy(
  a: { x: readonly number[]; y: readonly number[] },
  b: { x: readonly number[]; y: readonly number[] },
  directions = 360,
): { accuracy: number; angle: number; offset: number } {
  let best = { accuracy: -1, angle: 0, offset: 0 };
  for (let k = 0; k < directions; k++) {
    const phi = (k * Math.PI) / directions;
    const c = Math.cos(phi);
    const s = Math.sin(phi);
    const pa = a.x.map((x, i) => x * c + a.y[i] * s);
    const pb = b.x.map((x, i) => x * c + b.y[i] * s);
    for (const [lowSide, highSide, flip] of [[pa, pb, false], [pb, pa, true]] as const) {
      const t = bestThreshold(lowSide, highSide);
      if (t.accuracy > best.accuracy) best = { accuracy: t.accuracy, angle: flip ? phi + Math.PI : phi, offset: flip ? -t.threshold : t.threshold };
    }
  }
  return best;
}

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

/**
 * GPT-2's GELU ("gelu_new", the tanh approximation Hugging Face and the engine use):
 * 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))). Within 0.001 of the exact erf form torch's F.gelu uses.
 */
export function gelu(x: number): number {
  return 0.5 * x * (1 + Math.tanh(SQRT_2_OVER_PI * (x + 0.044715 * x * x * x)));
}
