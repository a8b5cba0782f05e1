// Generation: reproducible for a seed, greedy equals argmax chaining, and the sampler's filters.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createEngine } from '../../src/llm/engine.ts';
import { argmax, mulberry32, sampleToken } from '../../src/llm/generate.ts';
import { makeTinyCheckpoint } from '../../src/llm/tiny.ts';
import type { Engine } from '../../src/llm/types.ts';

const PROMPT = [464, 3139, 286, 4881, 318];

describe('engine.generate', () => {
  let engine: Engine;
  before(async () => {
    engine = await createEngine('tiny-random', makeTinyCheckpoint(), { threads: 1 });
  });
  after(() => engine.dispose());

  test('the same seed gives the same continuation; another seed another', async () => {
    const opts = { maxNewTokens: 6, temperature: 1, seed: 1234 };
    const a = await engine.generate(PROMPT, opts);
    const b = await engine.generate(PROMPT, opts);
    assert.equal(a.length, 6);
    assert.deepEqual(a, b);
    const c = await engine.generate(PROMPT, { ...opts, seed: 99 });
    assert.notDeepEqual(a, c);
  });

  test('greedy equals chaining argmax of the last logits', async () => {
    const tokens = [...PROMPT];
    for (let i = 0; i < 4; i++) {
      const { logits } = await engine.run(tokens, { logits: 'last' });
      tokens.push(argmax(logits!.data));
    }
    assert.deepEqual(await engine.generate(PROMPT, { maxNewTokens: 4, greedy: true }), tokens.slice(PROMPT.length));
    assert.deepEqual(await engine.generate(PROMPT, { maxNewTokens: 4, temperature: 0, seed: 5 }), tokens.slice(PROMPT.length));
    assert.deepEqual(await engine.generate(PROMPT, { maxNewTokens: 4, topK: 1, seed: 5 }), tokens.slice(PROMPT.length));
  });

  test('options are checked, and the context limit is named', async () => {
    await assert.rejects(engine.generate(PROMPT, { maxNewTokens: -1 }), /maxNewTokens must be a whole number ≥ 0/);
    await assert.rejects(engine.generate(PROMPT, { maxNewTokens: 2, temperature: -1 }), /temperature must be ≥ 0/);
    await assert.rejects(engine.generate(PROMPT, { maxNewTokens: 2, topP: 0 }), /topP must be in \(0, 1\]/);
    await assert.rejects(engine.generate(PROMPT, { maxNewTokens: 2, topK: 0 }), /topK must be a whole number ≥ 1/);
    await assert.rejects(engine.generate(PROMPT, { maxNewTokens: 1020 }), /prompt \(5 tokens\) \+ maxNewTokens \(1020\) exceeds tiny-random's 1024-token context/);
    assert.deepEqual(await engine.generate(PROMPT, { maxNewTokens: 0 }), []);
  });
});

describe('sampleToken', () => {
  const logits = Float32Array.from([1, 5, 3, 4.9, -2]);

  test('top-k keeps only the k best tokens', () => {
    const uniform = mulberry32(7);
    const seen = new Set<number>();
    for (let i = 0; i < 500; i++) seen.add(sampleToken(logits, { temperature: 5, topK: 2 }, uniform));
    assert.deepEqual([...seen].sort(), [1, 3]);
  });

  test('top-p keeps the smallest prefix reaching p (at least one token)', () => {
    const uniform = mulberry32(7);
    for (let i = 0; i < 200; i++) assert.equal(sampleToken(logits, { temperature: 1, topP: 0.01 }, uniform), 1);
    const seen = new Set<number>();
    // p(1) ≈ 0.49, p(3) ≈ 0.44: top-p 0.9 keeps both, not token 2 (≈ 0.06).
    for (let i = 0; i < 500; i++) seen.add(sampleToken(logits, { temperature: 1, topP: 0.9 }, uniform));
    assert.deepEqual([...seen].sort(), [1, 3]);
  });

  test('low temperature concentrates on the argmax; frequencies follow the softmax at T = 1', () => {
    const uniform = mulberry32(3);
    for (let i = 0; i < 100; i++) assert.equal(sampleToken(logits, { temperature: 0.01 }, uniform), 1);
    const counts = new Array(5).fill(0);
    const n = 20000;
    for (let i = 0; i < n; i++) counts[sampleToken(logits, { temperature: 1 }, uniform)]++;
    const z = [...logits].reduce((s, v) => s + Math.exp(v), 0);
    [...logits].forEach((v, i) => assert.ok(Math.abs(counts[i] / n - Math.exp(v) / z) < 0.015, `token ${i}`));
  });

  test('top-k over a large vocabulary (heap selection) draws exactly what sorting every logit would', () => {
    // The rule written out plainly: sort all ids by logit (ties: lower id first), keep k, softmax
    // at temperature T, keep the smallest prefix reaching top-p, draw one uniform.
    const plain = (l: Float32Array, T: number, k: number, p: number | undefined, u: number) => {
      const ids = Array.from(l.keys()).sort((a, b) => l[b] - l[a] || a - b).slice(0, k);
      let w = ids.map((i) => Math.exp((l[i] - l[ids[0]]) / T));
      let keep = ids.length;
      if (p !== undefined) {
        const total = w.reduce((a, b) => a + b, 0);
        let c = 0;
        keep = 0;
        while (keep < w.length && c < p * total) c += w[keep++];
        keep = Math.max(keep, 1);
      }
      w = w.slice(0, keep);
      let r = u * w.reduce((a, b) => a + b, 0);
      for (let j = 0; j < keep; j++) if ((r -= w[j]) < 0) return ids[j];
      return ids[keep - 1];
    };
    const values = mulberry32(5);
    for (const [k, p] of [[1, undefined], [5, undefined], [50, 0.95], [50, undefined], [600, 0.5]] as const) {
      for (let rep = 0; rep < 5; rep++) {
        // Coarse values, so many logits tie.
        const l = Float32Array.from({ length: 50257 }, () => Math.round(values() * 40) / 4);
        const a = mulberry32(100 + rep);
        const b = mulberry32(100 + rep);
        for (let i = 0; i < 20; i++) {
          assert.equal(sampleToken(l, { temperature: 0.7, topK: k, topP: p }, a), plain(l, 0.7, k, p, b()), `k ${k}, p ${p}`);
        }
      }
    }
  });

  test('mulberry32 is reproducible', () => {
    const a = mulberry32(42);
    const b = mulberry32(42);
    for (let i = 0; i < 10; i++) assert.equal(a(), b());
  });
});
