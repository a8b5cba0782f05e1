// Hook names and globs, cutting the node list into sessions, and that a run without hooks leaves
// onnxruntime free to fuse (LayerNorm, FastGelu) while a run exporting hooks keeps the primitives.
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import onnxProto from 'onnx-proto';
import { createEngine } from '../../src/llm/engine.ts';
import { allBlocksGraph, buildGpt2Graph, LOGIT_POSITIONS } from '../../src/llm/gpt2-graph.ts';
import { hookInfos, resolveHookPatterns } from '../../src/llm/hooks.ts';
import { planSegments } from '../../src/llm/segments.ts';
import { makeTinyCheckpoint, tinyConfig } from '../../src/llm/tiny.ts';

const config = tinyConfig();
const names = hookInfos(config).map((h) => h.name);

test('hook names follow TransformerLens, in forward order', () => {
  assert.equal(names.length, 2 + 19 * config.n_layer + 4);
  assert.deepEqual(names.slice(0, 4), ['hook_embed', 'hook_pos_embed', 'blocks.0.hook_resid_pre', 'blocks.0.ln1.hook_scale']);
  assert.deepEqual(names.slice(-4), ['ln_final.hook_scale', 'ln_final.hook_normalized', 'unembed.hook_in', 'logits']);
  const info = new Map(hookInfos(config).map((h) => [h.name, h]));
  assert.deepEqual(info.get('blocks.1.attn.hook_q')!.shape, ['batch', 'pos', 4, 16]);
  assert.deepEqual(info.get('blocks.1.attn.hook_pattern')!.shape, ['batch', 4, 'pos', 'pos']);
  assert.deepEqual(info.get('blocks.0.ln2.hook_scale')!.shape, ['batch', 'pos', 1]);
  assert.equal(info.get('blocks.1.hook_resid_pre')!.value, 'blocks.0.hook_resid_post');
});

test('globs: * matches any characters; exact names otherwise', () => {
  assert.deepEqual(resolveHookPatterns(['blocks.*.attn.hook_pattern'], names), ['blocks.0.attn.hook_pattern', 'blocks.1.attn.hook_pattern']);
  assert.deepEqual(resolveHookPatterns(['logits', 'hook_embed'], names), ['hook_embed', 'logits']);
  assert.equal(resolveHookPatterns(['*'], names).length, names.length);
  assert.deepEqual(resolveHookPatterns(['blocks.1.ln*.hook_scale'], names), ['blocks.1.ln1.hook_scale', 'blocks.1.ln2.hook_scale']);
  assert.throws(() => resolveHookPatterns(['blocks.0.attn.hook_Q'], names), /unknown hook "blocks\.0\.attn\.hook_Q"/);
});

test('clean run: one segment per block, ln_final and unembed, outputs only what the next needs', () => {
  const graph = buildGpt2Graph(config);
  const { segments } = planSegments(graph, { targets: ['logits'], cutAfter: [] });
  assert.equal(segments.length, config.n_layer + 2);
  assert.deepEqual(segments.map((s) => s.outputs), [['blocks.0.hook_resid_post'], ['blocks.1.hook_resid_post'], ['unembed.hook_in'], ['logits']]);
  assert.deepEqual(segments[1].inputs, ['blocks.0.hook_resid_post']);
  assert.ok(segments[0].initializers.includes('h.0.attn.c_attn.weight'));
  assert.ok(!segments[0].initializers.includes('h.1.attn.c_attn.weight'));
});

test('the last block for the logit rows only: used unless a hook inside it, in ln_final or unembed.hook_in is read or patched', () => {
  const allBlocks = allBlocksGraph(buildGpt2Graph(config));
  const ops = (targets: string[], cutAfter: string[] = []) => planSegments(allBlocks, { targets, cutAfter }).segments[0];
  const plain = ops(['logits']);
  assert.ok(plain.inputs.includes(LOGIT_POSITIONS), 'the blocks read the logit positions');
  assert.ok(plain.ops.some((n) => n.op === 'MultiHeadAttention'));
  assert.ok(ops(['blocks.0.hook_resid_post', 'logits']).inputs.includes(LOGIT_POSITIONS), 'a hook in an earlier block leaves it');
  assert.ok(ops(['logits'], ['logits']).inputs.includes(LOGIT_POSITIONS), 'a logits patch leaves it');
  for (const hook of ['blocks.1.attn.hook_z', 'blocks.1.hook_resid_post', 'ln_final.hook_scale', 'unembed.hook_in']) {
    const seg = ops([hook, 'logits']);
    assert.ok(!seg.inputs.includes(LOGIT_POSITIONS) && !seg.ops.some((n) => n.op === 'MultiHeadAttention'), hook);
  }
});

test('a patch inside a block splits it; the back half gets what it needs from the front', () => {
  const graph = buildGpt2Graph(config);
  const { segments } = planSegments(graph, { targets: ['logits'], cutAfter: ['blocks.1.attn.hook_z'] });
  assert.equal(segments.length, config.n_layer + 3);
  const [front, back] = [segments[1], segments[2]];
  assert.deepEqual(front.outputs.sort(), ['blocks.1.attn.hook_z']);
  assert.ok(back.inputs.includes('blocks.1.attn.hook_z'));
  assert.ok(back.inputs.includes('blocks.0.hook_resid_post'), 'the residual skips the front half');
  assert.ok(front.initializers.includes('h.1.attn.c_attn.weight') && !front.initializers.includes('h.1.mlp.c_fc.weight'));
  assert.ok(back.initializers.includes('h.1.mlp.c_fc.weight') && !back.initializers.includes('h.1.attn.c_attn.weight'));
});

test('nothing downstream of the last request is computed', () => {
  const graph = buildGpt2Graph(config);
  const { segments } = planSegments(graph, { targets: ['blocks.0.attn.hook_pattern'], cutAfter: [] });
  assert.equal(segments.length, 1);
  const ops = segments[0].nodes.map((i) => graph.nodes[i].op);
  assert.ok(!ops.includes('Tanh') && !ops.includes('FusedMatMul'));
});

/** The ops of every session a run builds, after onnxruntime's fusions; per block unless `oneSession`. */
async function optimizedOps(hooks?: string, oneSession = false): Promise<string[][]> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'engine-fusion-'));
  try {
    const opts = { threads: 1, dumpOptimizedDir: dir, ...(oneSession ? {} : { oneSessionHookBytes: 0 }) };
    const engine = await createEngine('tiny-random', makeTinyCheckpoint(), opts);
    await engine.run([1, 2, 3], { hooks });
    await engine.dispose();
    const files = (await fs.readdir(dir)).filter((f) => f.endsWith('.onnx')).sort();
    return Promise.all(files.map(async (f) => onnxProto.onnx.ModelProto.decode(await fs.readFile(path.join(dir, f))).graph!.node!.map((n) => n.opType!)));
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

test('without hooks: fused attention, LayerNorm and GELU; exporting hooks keeps the primitives they need', async () => {
  const blocks = (sessions: string[][]) => sessions.filter((ops) => ops.includes('FastGelu'));
  // A plain run: the decode session (buildDecodeGraph, shared with generation), every block and
  // ln_final in one session, every block fused (a residual Add and the next LayerNorm may fuse
  // further, into SkipLayerNormalization), onnxruntime's Attention with a key/value past.
  const clean = blocks(await optimizedOps());
  assert.equal(clean.length, 1);
  const ops = clean[0];
  const count = (op: string) => ops.filter((o) => o === op).length;
  assert.equal(count('Attention'), config.n_layer, `fused attention: ${ops.join(' ')}`);
  assert.equal(count('FastGelu'), config.n_layer);
  assert.equal(count('LayerNormalization') + count('SkipLayerNormalization'), 2 * config.n_layer + 1);
  assert.ok(!ops.includes('Softmax') && !ops.includes('Pow') && !ops.includes('Tanh'));
  // The load-time clean sessions are dumped too; pick the ones the hooked runs added. GELU stays
  // fused even with its output exported (no hook lies inside it); LayerNorm 1, read but not
  // patched, becomes the read-only rewrite (LayerNormalization twice and a Reciprocal).
  const lnAndMlp = (await optimizedOps('blocks.*.ln1.hook_scale,blocks.*.mlp.hook_post')).filter((ops) => ops.includes('Reciprocal'));
  assert.equal(lnAndMlp.length, config.n_layer);
  for (const ops of lnAndMlp) {
    assert.ok(ops.includes('FastGelu') && !ops.includes('Tanh') && ops.includes('Attention'));
    assert.ok(!ops.includes('Sqrt') && !ops.includes('Pow'), `LayerNorm read-only rewrite: ${ops.join(' ')}`);
  }
  const withPattern = (await optimizedOps('blocks.1.attn.hook_pattern')).filter((ops) => ops.includes('Softmax'));
  assert.equal(withPattern.length, 1, 'only block 1 computes its pattern');
  assert.ok(!withPattern[0].includes('Attention'));
  // The same hook in a run whose hooks are small: one session for all blocks, fused but for block 1.
  const [oneSession, ...others] = (await optimizedOps('blocks.1.attn.hook_pattern', true)).filter((ops) => ops.includes('Softmax'));
  assert.equal(others.length, 0);
  assert.equal(oneSession.filter((o) => o === 'Softmax').length, 1, 'one block computes its pattern');
  assert.equal(oneSession.filter((o) => o === 'Attention').length, config.n_layer - 1, 'the others keep fused attention');
});

test('a tiny session budget evicts and rebuilds sessions without changing results', async () => {
  const ckpt = makeTinyCheckpoint();
  const roomy = await createEngine('tiny-random', ckpt, { threads: 1 });
  const tight = await createEngine('tiny-random', ckpt, { threads: 1, sessionBudgetBytes: 1 });
  try {
    const patches = [{ hook: 'blocks.1.attn.hook_z', op: 'set' as const, value: 0, head: 2 }];
    for (const opts of [{}, { patches }, { hooks: 'blocks.0.mlp.*' }, {}, { patches }]) {
      const a = await roomy.run([5, 6, 7], opts);
      const b = await tight.run([5, 6, 7], opts);
      assert.deepEqual(b.logits!.data, a.logits!.data);
      assert.deepEqual([...b.cache.keys()], [...a.cache.keys()]);
    }
  } finally {
    await roomy.dispose();
    await tight.dispose();
  }
});
