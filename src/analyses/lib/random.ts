// Seeded randomness, so that a study group can reproduce each other's figures from the seed
// that every result reports. mulberry32 is a small, well-tested 32-bit generator; normal
// samples come from the Box–Muller transform.

// Uniform numbers in [0, 1) from a 32-bit seed: the same generator the engine samples with.
import { mulberry32 } from '../../llm/generate.ts';

export { mulberry32 };

export interface Rng {
  /** Uniform in [0, 1). */
  uniform(): number;
  /** Standard normal (mean 0, variance 1). */
  normal(): number;
  /** n standard normal samples (numpy's `np.random.randn(n)`). */
  normals(n: number): Float64Array;
}

export function createRng(seed: number): Rng {
  const uniform = mulberry32(seed);
  // Box–Muller yields two independent normals per pair of uniforms; keep the second for next time.
  let spare: number | undefined;
  const normal = (): number => {
    if (spare !== undefined) {
      const s = spare;
      spare = undefined;
      return s;
    }
    const u1 = 1 - uniform(); // (0, 1]: log(0) would be -Infinity
    const u2 = uniform();
    const radius = Math.sqrt(-2 * Math.log(u1));
    spare = radius * Math.sin(2 * Math.PI * u2);
    return radius * Math.cos(2 * Math.PI * u2);
  };
  return {
    uniform,
    normal,
    normals(n) {
      const out = new Float64Array(n);
      for (let i = 0; i < n; i++) out[i] = normal();
      return out;
    },
  };
}
