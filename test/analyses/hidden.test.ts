import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { hiddenAnalysis, KAFKA, PENGUINS } from '../../src/analyses/hidden.ts';
import { runAnalysis, TINY_NOTE } from '../../src/analyses/run.ts';
import { OptionError, type AnalysisResult } from '../../src/analyses/types.ts';
import { disposeEngines, getEngine } from '../../src/llm/provider.ts';
import type { Engine, Tensor } from '../../src/llm/types.ts';
import { decodePng } from '../../src/render/png.ts';
import { logSoftmaxAt } from './reference.ts';

// References written out here, independent of the analysis' helpers.
function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let ab = 0, aa = 0, bb = 0;
  for (let i = 0; i < a.length; i++) {
    ab += a[i] * b[i];
    aa += a[i] * a[i];
    bb += b[i] * b[i];
  }
  return ab / Math.sqrt(aa * bb);
}
const row = (t: Tensor, pos: number) => t.data.subarray(pos * t.dims[2], (pos + 1) * t.dims[2]);
const close = (a: number, b: number, tol: number, what: string) => assert.ok(Math.abs(a - b) <= tol, `${what}: ${a} vs ${b}`);

let engine: Engine;
let result: AnalysisResult;
let ids: number[];
let kafkaIds: number[];
const run = (opts: Record<string, unknown>) => runAnalysis(hiddenAnalysis, opts, { engine: async () => engine });

before(async () => {
  engine = await getEngine({ model: 'tiny-random' });
  result = await run({});
  ids = engine.encode(PENGUINS);
  kafkaIds = engine.encode(KAFKA);
});
after(() => disposeEngines());

describe('/hidden', () => {
  test("defaults are the notebook's: the penguin sentence and token 8 for demos 1–2; the Kafka sentence, \" insect\" and 0.8 for the scaling", () => {
    const o = hiddenAnalysis.options.parse({});
    assert.equal(o.text, 'A wise man once said: Penguins are cute.');
    assert.equal(o.scaling_text, 'As Gregor Samsa awoke one morning from uneasy dreams, he found himself transformed in his bed into a gigantic');
    assert.equal(o.target, ' insect');
    assert.equal(o.scale, 0.8);
    const a = result.data['token-activations'] as { position: number; token: string };
    assert.equal(ids.length, 10);
    assert.equal(a.position, 8);
    assert.equal(a.token, ' cute');
    assert.deepEqual((result.data['block-scaling'] as { tokens: string[] }).tokens, kafkaIds.map((i) => engine.tokenText(i)));
    assert.equal((result.data['token-similarity'] as { tokens: string[] }).tokens.join(''), PENGUINS);
  });

  test("hidden states are Hugging Face's: embeddings, block outputs, last after ln_f; variance is torch's", async () => {
    const a = result.data['token-activations'] as { activations: number[][]; variances: number[]; layers: string[] };
    const L = engine.config.n_layer;
    assert.deepEqual(a.layers, ['Emb', ...Array.from({ length: L }, (_, i) => `L${i}`)]);
    const { cache } = await engine.run(ids, { hooks: ['blocks.0.hook_resid_pre', 'blocks.*.hook_resid_post', 'unembed.hook_in'] });
    const expected = [
      cache.get('blocks.0.hook_resid_pre')!,
      ...Array.from({ length: L - 1 }, (_, l) => cache.get(`blocks.${l}.hook_resid_post`)!),
      cache.get('unembed.hook_in')!,
    ];
    assert.equal(a.activations.length, L + 1);
    expected.forEach((t, h) => {
      const want = row(t, 8);
      a.activations[h].forEach((v, i) => close(v, want[i], 1e-5, `hidden ${h}[${i}]`));
      const m = want.reduce((s, x) => s + x, 0) / want.length;
      const v = want.reduce((s, x) => s + (x - m) ** 2, 0) / (want.length - 1);
      close(a.variances[h], v, 1e-6 * Math.max(1, v), `variance ${h}`);
    });
  });

  test('cosine similarity matrices: layers for tokens 0, 3, 6, 9; tokens for each distinct hidden state', async () => {
    const hs = await engine.hiddenStates(ids);
    const H = hs.length;
    const ls = result.data['layer-similarity'] as { matrices: { position: number; cosine: number[][] }[] };
    assert.deepEqual(ls.matrices.map((m) => m.position), [0, 3, 6, 9]); // np.linspace(0, 9, 4, dtype=int)
    for (const m of ls.matrices) {
      assert.equal(m.cosine.length, H);
      for (let i = 0; i < H; i++) {
        close(m.cosine[i][i], 1, 1e-9, 'diagonal');
        for (let j = 0; j < H; j++) close(m.cosine[i][j], cosine(row(hs[i], m.position), row(hs[j], m.position)), 1e-9, `token ${m.position} layers ${i},${j}`);
      }
    }
    const ts = result.data['token-similarity'] as { matrices: { layer: string; cosine: number[][] }[] };
    // linspace(0, 2, 4) = 0, 0, 1, 2 on the 2-block model: each hidden state once.
    assert.deepEqual(ts.matrices.map((m) => m.layer), ['Emb', 'L0', 'L1']);
    ts.matrices.forEach((m, h) => {
      assert.equal(m.cosine.length, ids.length);
      close(m.cosine[3][8], cosine(row(hs[h], 3), row(hs[h], 8)), 1e-9, `layer ${h} tokens 3,8`);
      close(m.cosine[8][3], m.cosine[3][8], 0, 'symmetric');
    });
  });

  test('laminar profile: every pair of tokens after the first, per hidden state', async () => {
    const hs = await engine.hiddenStates(ids);
    const lam = (result.data['laminar-profile'] as { pair_similarities_first_token_left_out: number[][] }).pair_similarities_first_token_left_out;
    const m = ids.length - 1;
    assert.equal(lam.length, hs.length);
    for (let h = 0; h < hs.length; h++) {
      assert.equal(lam[h].length, (m * (m - 1)) / 2);
      close(lam[h][0], cosine(row(hs[h], 1), row(hs[h], 2)), 1e-9, `layer ${h} first pair`);
      close(lam[h].at(-1)!, cosine(row(hs[h], m - 1), row(hs[h], m)), 1e-9, `layer ${h} last pair`);
    }
  });

  test('block scaling (on the Kafka sentence) uses the engine\'s scale patch on hook_resid_post; the clean baseline is an unpatched run', async () => {
    const s = result.data['block-scaling'] as { target_id: number; clean_log_prob: number; log_prob_per_block: number[]; patches_per_block: unknown[][] };
    const target = engine.encode(' insect');
    assert.deepEqual([s.target_id], target);
    const clean = await engine.run(kafkaIds, { logits: 'last' });
    close(s.clean_log_prob, logSoftmaxAt(clean.logits!.data, s.target_id), 1e-9, 'clean');
    const L = engine.config.n_layer;
    assert.equal(s.log_prob_per_block.length, L);
    for (let l = 0; l < L; l++) {
      const patch = { hook: `blocks.${l}.hook_resid_post`, op: 'scale', value: 0.8 } as const;
      assert.deepEqual(s.patches_per_block[l], [patch]);
      const { logits } = await engine.run(kafkaIds, { patches: [patch], logits: 'last' });
      close(s.log_prob_per_block[l], logSoftmaxAt(logits!.data, s.target_id), 1e-9, `block ${l}`);
    }
    // Scaling the first block changes the prediction; scaling the last is undone by ln_f (up to eps).
    assert.ok(Math.abs(s.log_prob_per_block[0] - s.clean_log_prob) > 1e-4);
    close(s.log_prob_per_block[L - 1], s.clean_log_prob, 1e-3, 'last block scaled');
  });

  test('figures: five PNGs, 2400 px wide, drawn, under 8 MB; the result says it ran on the tiny model', async () => {
    assert.deepEqual(result.figures.map((f) => f.name), ['token-activations', 'layer-similarity', 'token-similarity', 'laminar-profile', 'block-scaling']);
    for (const f of result.figures) {
      const img = await decodePng(f.png);
      assert.equal(img.width, 2400, f.name);
      assert.ok(!img.isBlank(), f.name);
      assert.ok(f.png.length < 8 * 1024 * 1024, f.name);
      assert.ok(f.alt.length > 40, f.name);
    }
    // Titles and alt texts count the panels drawn: 4 tokens, but only 3 distinct hidden states
    // on the 2-block model (linspace(0, 2, 4) = 0, 0, 1, 2).
    const fig = (name: string) => result.figures.find((f) => f.name === name)!;
    assert.equal(fig('layer-similarity').title, 'Layer × layer cosine similarity for 4 tokens');
    assert.match(fig('layer-similarity').alt, /^Four 3×3 matrices/);
    assert.equal(fig('token-similarity').title, 'Token × token cosine similarity for 3 hidden states');
    assert.match(fig('token-similarity').alt, /^Three 10×10 matrices/);
    assert.match(fig('block-scaling').alt, /after the scaling text \("… one morning from uneasy dreams, he found himself transformed in his bed into a gigantic"\)/);
    assert.deepEqual(result.model, { name: 'tiny-random', tinyRandom: true });
    assert.ok(result.explanation.includes(TINY_NOTE));
    assert.match(result.explanation, /\/hidden /);
    assert.doesNotThrow(() => JSON.stringify(result.data));
  });

  test('a chosen token, a target without its space, another scale; suggestions move on from what ran', async () => {
    assert.match(result.explanation, /Try `\/hidden scale:0` to silence each block in turn, or `\/hidden token:-1`/);
    const r = await run({ text: 'The cat sat on the', scaling_text: 'The cat sat on the', target: 'mat', token: -1, scale: 0 });
    const a = r.data['token-activations'] as { position: number };
    const s = r.data['block-scaling'] as { target: string; factor: number; patches_per_block: { value: number }[][] };
    assert.equal(a.position, engine.encode('The cat sat on the').length - 1);
    assert.equal(s.target, ' mat');
    assert.equal(s.factor, 0);
    assert.equal(s.patches_per_block[0][0].value, 0);
    assert.doesNotMatch(r.explanation, /`\/hidden scale:0`|`\/hidden token:-1`/);
    assert.match(r.explanation, /Try `\/hidden scale:1.2` .* `\/hidden token:0`/);
    const three = await run({ text: 'One two three', token: 1 });
    assert.equal((three.data['layer-similarity'] as { matrices: unknown[] }).matrices.length, 3);
    assert.equal(three.figures.find((f) => f.name === 'layer-similarity')!.title, 'Layer × layer cosine similarity for 3 tokens');
  });

  test('long texts: figure data keep the first 128 tokens and summarise the laminar pairs', async () => {
    const text = 'The cat sat on the mat. '.repeat(30);
    const n = engine.encode(text).length;
    assert.ok(n > 128);
    const r = await run({ text });
    const ts = r.data['token-similarity'] as { tokens: string[]; matrices: Record<string, number[][]>[] };
    assert.equal(ts.tokens.length, 128);
    assert.equal(ts.matrices[0].cosine_first_128_tokens.length, 128);
    const lam = r.data['laminar-profile'] as { pair_similarity_summary_per_layer_first_token_left_out: { pairs: number; mean: number }[] };
    assert.equal(lam.pair_similarity_summary_per_layer_first_token_left_out[0].pairs, ((n - 1) * (n - 2)) / 2);
    assert.ok(JSON.stringify(r.data).length < 2_000_000);
  });

  test('bad input names the option and the limit', async () => {
    const isOptionError = (option: string, pattern: RegExp) => (e: unknown) =>
      e instanceof OptionError && e.option === option && pattern.test(e.message);
    await assert.rejects(run({ text: '' }), isOptionError('text', /empty/));
    await assert.rejects(run({ text: 'x'.repeat(2001) }), isOptionError('text', /2000 characters/));
    await assert.rejects(run({ text: '蓝'.repeat(400) }), isOptionError('text', /1200 tokens.*at most 1024/));
    await assert.rejects(run({ text: 'Hi there' }), isOptionError('text', /at least 3 tokens/));
    await assert.rejects(run({ target: 'xylophonist' }), isOptionError('target', /" xylophonist" is 4 tokens \(" x" \+ "yl" \+ "ophon" \+ "ist"\)/));
    await assert.rejects(run({ token: 40 }), isOptionError('token', /outside the text's 10 tokens/));
    await assert.rejects(run({ scaling_text: '' }), isOptionError('scaling_text', /empty/));
    await assert.rejects(run({ scaling_text: '蓝'.repeat(400) }), isOptionError('scaling_text', /1200 tokens.*at most 1024/));
    await assert.rejects(run({ scale: 11 }), isOptionError('scale', /at most 10/));
  });
});
