// The engine against the independent plain-TypeScript forward pass: every hook point and the
// logits, on the tiny checkpoint as written to disk, on the `transformer.`-prefixed F16 variant
// with mask buffers, on a sharded copy (weights read from three files), and with an untied head;
// batch of one and of two. Hook runs this short go through one session for all blocks; the F32
// checkpoint is checked once more with a session per block, the path of runs with larger hooks.
import assert from 'node:assert/strict';
import * as ort from 'onnxruntime-node';
import { after, before, describe, test } from 'node:test';
import { loadCheckpoint } from '../../src/llm/checkpoint.ts';
import { loadEngine } from '../../src/llm/engine.ts';
import type { LoadOptions } from '../../src/llm/engine.ts';
import type { TinyVariant } from '../../src/llm/tiny.ts';
import type { Engine } from '../../src/llm/types.ts';
import { referenceForward, type ReferenceModel } from '../reference/gpt2-reference.ts';
import { assertClose, maxRelDiff, writeTinyDir } from './fixtures.ts';

const ROW_A = [40, 588, 262, 2392, 12, 687, 6851, 319]; // "I like the longer-form posts on"
const ROW_B = [464, 3139, 286, 4881, 318, 6342, 13, 50256];

function checkpointSuite(label: string, variant: TinyVariant, opts: LoadOptions = {}): void {
  describe(label, () => {
    let engine: Engine;
    let model: ReferenceModel;
    let cleanup: () => Promise<void>;

    before(async () => {
      const tiny = await writeTinyDir(variant);
      cleanup = tiny.cleanup;
      engine = await loadEngine(tiny.dir, { threads: 1, ...opts });
      // The reference reads the same file through the checkpoint loader (F16 already rounded).
      model = await loadCheckpoint(tiny.dir);
    });
    after(async () => {
      await engine?.dispose();
      await cleanup?.();
    });

    test('every hook point and the logits agree with the reference (batch of 2)', async () => {
      const batch = [ROW_A, ROW_B];
      const ref = referenceForward(model, batch);
      const run = await engine.run(batch, { hooks: '*' });
      assert.deepEqual([...run.cache.keys()], engine.hookNames(), 'the cache holds every hook, in forward order');
      for (const name of engine.hookNames()) assertClose(run.cache.get(name), ref.cache.get(name), name);
      assertClose(run.logits, ref.logits, 'logits');
    });

    test("a later run leaves an earlier run's activations as they were (blocks share output buffers within a run)", async () => {
      const ref = referenceForward(model, [ROW_A]);
      const first = await engine.run(ROW_A, { hooks: '*' });
      await engine.run(ROW_B, { hooks: '*' });
      await engine.run(ROW_B, { hooks: 'blocks.*.attn.*', patches: [{ hook: 'blocks.0.attn.hook_pattern', op: 'scale', value: 0.5 }] });
      for (const name of engine.hookNames()) assertClose(first.cache.get(name), ref.cache.get(name), name);
    });

    test('a single sequence without hooks returns only logits, equal to the reference', async () => {
      const ref = referenceForward(model, [ROW_B]);
      const run = await engine.run(ROW_B);
      assert.equal(run.cache.size, 0);
      assertClose(run.logits, ref.logits, 'logits');
    });

    test('with fused attention (no attention hook asked for), the residual stream still agrees', async () => {
      const ref = referenceForward(model, [ROW_A, ROW_B]);
      const run = await engine.run([ROW_A, ROW_B], { hooks: 'blocks.*.hook_resid_post' });
      for (const [name, t] of run.cache) assertClose(t, ref.cache.get(name), name);
      assertClose(run.logits, ref.logits, 'logits');
    });

    test("logits: 'last' is the last row of the full logits; 'none' returns none", async () => {
      const full = await engine.run([ROW_A, ROW_B]);
      const last = await engine.run([ROW_A, ROW_B], { logits: 'last' });
      const [B, T, V] = full.logits!.dims;
      assert.deepEqual(last.logits!.dims, [B, 1, V]);
      for (let b = 0; b < B; b++) {
        const want = full.logits!.data.subarray((b * T + T - 1) * V, (b * T + T) * V);
        assert.ok(maxRelDiff(last.logits!.data.subarray(b * V, (b + 1) * V), want) < 1e-5);
      }
      const none = await engine.run(ROW_A, { logits: 'none', hooks: 'blocks.0.hook_resid_post' });
      assert.equal(none.logits, undefined);
      assert.deepEqual([...none.cache.keys()], ['blocks.0.hook_resid_post']);
    });

    test("last-position logits (the last block computed for that row only) agree with the reference's last row", async () => {
      const L = engine.config.n_layer;
      const lastRows = (logits: { dims: number[]; data: Float32Array }) => {
        const [B, T, V] = logits.dims;
        const data = new Float32Array(B * V);
        for (let b = 0; b < B; b++) data.set(logits.data.subarray((b * T + T - 1) * V, (b * T + T) * V), b * V);
        return { dims: [B, 1, V], data };
      };
      for (const batch of [[ROW_A, ROW_B], [ROW_A.slice(0, 1)]]) {
        const ref = referenceForward(model, batch);
        assertClose((await engine.run(batch, { logits: 'last' })).logits, lastRows(ref.logits), `plain run, ${batch[0].length} tokens`);
        assertClose((await engine.run(batch)).logits, ref.logits, `all positions, ${batch[0].length} tokens`);
        // Hooks before the last block leave it computing one row; a hook inside it or after it needs every row.
        const early = await engine.run(batch, { logits: 'last', hooks: 'blocks.0.hook_resid_post' });
        assertClose(early.cache.get('blocks.0.hook_resid_post'), ref.cache.get('blocks.0.hook_resid_post'), 'blocks.0.hook_resid_post');
        assertClose(early.logits, lastRows(ref.logits), 'with an early hook');
        for (const hook of [`blocks.${L - 1}.attn.hook_pattern`, `blocks.${L - 1}.hook_resid_post`, 'unembed.hook_in']) {
          const late = await engine.run(batch, { logits: 'last', hooks: hook });
          assertClose(late.cache.get(hook), ref.cache.get(hook), hook);
          assertClose(late.logits, lastRows(ref.logits), `with ${hook}`);
        }
      }
    });

    test("hiddenStates matches Hugging Face's output_hidden_states", async () => {
      const ref = referenceForward(model, [ROW_A]);
      const states = await engine.hiddenStates(ROW_A);
      const L = engine.config.n_layer;
      assert.equal(states.length, L + 1);
      assertClose(states[0], ref.cache.get('blocks.0.hook_resid_pre'), 'hidden state 0 (embeddings)');
      for (let l = 1; l < L; l++) assertClose(states[l], ref.cache.get(`blocks.${l - 1}.hook_resid_post`), `hidden state ${l}`);
      assertClose(states[L], ref.cache.get('unembed.hook_in'), `hidden state ${L} (after ln_f)`);
    });

    test('weight() returns the raw Hugging Face tensors', () => {
      for (const name of ['wte.weight', 'wpe.weight', 'h.1.attn.c_attn.weight', 'h.0.mlp.c_proj.bias', 'ln_f.weight']) {
        const got = engine.weight(name);
        const want = model.tensors.get(name)!;
        assert.deepEqual(got.dims, want.dims, name);
        assert.equal(maxRelDiff(got.data, want.data), 0, name);
      }
      assert.throws(() => engine.weight('h.9.attn.c_attn.weight'), /no weight named "h\.9\.attn\.c_attn\.weight"/);
    });
  });
}

checkpointSuite('tiny checkpoint, F32', {});
checkpointSuite('tiny checkpoint, F32, a session per block for every hook run', {}, { oneSessionHookBytes: 0 });
checkpointSuite('tiny checkpoint, transformer.-prefixed, F16, with mask buffers', { prefix: true, dtype: 'F16', withMaskBuffers: true });
checkpointSuite('tiny checkpoint, F32 in three shards with an index, transformer.-prefixed', { shards: 3, prefix: true });

describe('tiny checkpoint with an untied lm_head', () => {
  test('logits use lm_head.weight, not wte', async () => {
    const tiny = await writeTinyDir({ untiedHead: true });
    const engine = await loadEngine(tiny.dir, { threads: 1 });
    try {
      const model = await loadCheckpoint(tiny.dir);
      assert.ok(model.tensors.has('lm_head.weight'));
      const ref = referenceForward(model, [ROW_A]);
      assertClose((await engine.run(ROW_A)).logits, ref.logits, 'logits');
    } finally {
      await engine.dispose();
      await tiny.cleanup();
    }
  });
});

describe('logits for more positions than one unembedding call takes', () => {
  // The engine computes the logits of long inputs a chunk of positions per call: 64 at full
  // context, more for shorter single sequences (see unembedRows). Every row is checked against
  // h · wteᵀ through a random projection (logits[t] · r = h[t] · (wteᵀ r)), whatever the chunk
  // size, and a few rows in full.
  test('every row is h · wteᵀ of its own position (one sequence of 1000 and of 300, a batch of 2 × 300)', async () => {
    const tiny = await writeTinyDir();
    const engine = await loadEngine(tiny.dir, { threads: 1 });
    try {
      const wte = engine.weight('wte.weight');
      const [V, d] = wte.dims;
      const r = Float64Array.from({ length: V }, (_, v) => Math.sin(v * 12.9898) * 43758.5453 % 1);
      const u = new Float64Array(d); // wteᵀ r
      for (let v = 0; v < V; v++) for (let i = 0; i < d; i++) u[i] += wte.data[v * d + i] * r[v];
      const row = (T: number, seed: number) => Array.from({ length: T }, (_, i) => (i * seed + 13) % 50257);
      for (const batch of [[row(1000, 7919)], [row(300, 7919)], [row(300, 7919), row(300, 104729)]]) {
        const T = batch[0].length;
        const label = `${batch.length} × ${T}`;
        const run = await engine.run(batch, { hooks: 'unembed.hook_in' });
        const h = run.cache.get('unembed.hook_in')!;
        assert.deepEqual(run.logits!.dims, [batch.length, T, V]);
        for (let bt = 0; bt < batch.length * T; bt++) {
          const logits = run.logits!.data.subarray(bt * V, (bt + 1) * V);
          let got = 0;
          let scale = 0;
          for (let v = 0; v < V; v++) {
            got += logits[v] * r[v];
            scale += Math.abs(logits[v] * r[v]);
          }
          let want = 0;
          for (let i = 0; i < d; i++) want += h.data[bt * d + i] * u[i];
          assert.ok(Math.abs(got - want) <= 1e-4 * scale, `${label}: row ${bt} projects to ${got}, expected ${want}`);
        }
        for (const t of [0, 63, 64, 127, 128, T - 1]) {
          const x = h.data.subarray(t * d, (t + 1) * d);
          const want = new Float32Array(V);
          for (let v = 0; v < V; v++) {
            let dot = 0;
            for (let i = 0; i < d; i++) dot += x[i] * wte.data[v * d + i];
            want[v] = dot;
          }
          assert.ok(maxRelDiff(run.logits!.data.subarray(t * V, (t + 1) * V), want) < 1e-4, `${label}: position ${t}`);
        }
        // A plain run (every block as one session, chunks written in place) gives the same logits.
        const plain = await engine.run(batch);
        assert.deepEqual(plain.logits!.dims, run.logits!.dims);
        assert.ok(maxRelDiff(plain.logits!.data, run.logits!.data) < 1e-4, `plain run, ${label}`);
      }
    } finally {
      await engine.dispose();
      await tiny.cleanup();
    }
  });
});

describe('which sessions a hook run uses', () => {
  // Counted where the engine creates them: each distinct set of sessions is built once and cached.
  test('small hooks without patches inside the network: one session for all blocks; larger hooks or a patch: one per block', async () => {
    const tiny = await writeTinyDir();
    const create = ort.InferenceSession.create;
    let created = 0;
    const arenas: boolean[] = []; // each session's enableCpuMemArena, in order of creation
    ort.InferenceSession.create = ((...args: Parameters<typeof create>) => {
      created++;
      arenas.push((args[1] as ort.InferenceSession.SessionOptions).enableCpuMemArena !== false);
      return (create as (...a: unknown[]) => ReturnType<typeof create>).apply(ort.InferenceSession, args);
    }) as typeof create;
    // 8 tokens: ln1.hook_scale of block 0 is 32 bytes, the full cache far more than 1 KiB.
    const engine = await loadEngine(tiny.dir, { threads: 1, oneSessionHookBytes: 1024 });
    try {
      const L = engine.config.n_layer;
      const newSessions = async (opts: Parameters<Engine['run']>[1]) => {
        const before = created;
        await engine.run(ROW_A, opts);
        return created - before;
      };
      assert.equal(created, 2, 'loading builds the plain run: all blocks with ln_final, and the unembedding');
      assert.deepEqual(arenas, [true, true], 'both keep an arena');
      assert.equal(await newSessions({ hooks: 'blocks.0.ln1.hook_scale' }), 1, 'small hooks: all blocks as one session exporting them');
      assert.equal(arenas[2], false, 'a session that exports hooks keeps no arena: its outputs go back to malloc');
      assert.equal(await newSessions({ hooks: 'blocks.0.ln1.hook_scale', patches: [{ hook: 'logits', op: 'logit_boost', token: 3, margin: 2 }] }), 0, 'a logits patch needs no cut: the same session');
      assert.equal(await newSessions({ hooks: '*' }), L + 1, 'the full cache exceeds the limit: one session per block and one for ln_final');
      assert.deepEqual(arenas.slice(3), Array(L + 1).fill(false), 'per-block sessions keep no arena');
      assert.equal(
        await newSessions({ hooks: 'blocks.0.ln1.hook_scale', patches: [{ hook: 'blocks.0.hook_resid_mid', op: 'scale', value: 0.5 }] }),
        L + 2,
        'a patch inside the network: per-block sessions, block 0 cut after the patched value',
      );
      assert.equal(await newSessions({ hooks: '*' }), 0, 'sessions are cached');
    } finally {
      ort.InferenceSession.create = create;
      await engine.dispose();
      await tiny.cleanup();
    }
  });

  test('oneSessionHookBytes must be a number ≥ 0', async () => {
    const tiny = await writeTinyDir();
    try {
      await assert.rejects(loadEngine(tiny.dir, { oneSessionHookBytes: -1 }), /oneSessionHookBytes must be a number ≥ 0 \(got -1\)/);
    } finally {
      await tiny.cleanup();
    }
  });
});
