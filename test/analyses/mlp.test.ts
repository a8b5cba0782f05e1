import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { bestLinearAccuracy, bestThreshold, gelu } from '../../src/analyses/lib/separation.ts';
import { mlpAnalysis, mlpSuggestions, strongestBlock, type MlpData } from '../../src/analyses/mlp.ts';
import { parseOptions } from '../../src/analyses/options.ts';
import { inkIn } from '../render/helpers.ts';
import { runAnalysis, TINY_NOTE } from '../../src/analyses/run.ts';
import { OptionError, type AnalysisResult } from '../../src/analyses/types.ts';
import { disposeEngines, getEngine } from '../../src/llm/provider.ts';
import type { Engine, Tensor } from '../../src/llm/types.ts';
import { decodePng } from '../../src/render/png.ts';
import { logSoftmaxAt } from './reference.ts';

/** numpy.histogram(x, bins=np.linspace(lo, hi, bins + 1)) counts. */
function npCounts(x: ArrayLike<number>, lo: number, hi: number, bins: number): number[] {
  const counts = new Array<number>(bins).fill(0);
  for (let i = 0; i < x.length; i++) if (x[i] >= lo && x[i] <= hi) counts[Math.min(bins - 1, Math.floor(((x[i] - lo) / (hi - lo)) * bins))]++;
  return counts;
}
const close = (a: number, b: number, tol: number, what: string) => assert.ok(Math.abs(a - b) <= tol, `${what}: ${a} vs ${b}`);

let engine: Engine;
let result: AnalysisResult;
const run = (opts: Record<string, unknown>) => runAnalysis(mlpAnalysis, opts, { engine: async () => engine });

before(async () => {
  engine = await getEngine({ model: 'tiny-random' });
  result = await run({ seed: 7 });
});
after(() => disposeEngines());

describe('/mlp without a model: rings, thresholds, GELU', () => {
  test('GELU is GPT-2\'s tanh form', () => {
    assert.equal(gelu(0), 0);
    close(gelu(1), 0.8411919906, 1e-9, 'gelu(1)');
    close(gelu(-1), -0.1588080094, 1e-9, 'gelu(-1)');
    close(gelu(3), 2.9963627, 1e-6, 'gelu(3)');
    // Its minimum is about −0.17 near x = −0.75.
    close(Math.min(...Array.from({ length: 601 }, (_, i) => gelu(-3 + i / 100))), -0.17, 0.001, 'min');
  });

  test('bestThreshold finds the widest perfect cut, and the best partial one', () => {
    assert.deepEqual(bestThreshold([1, 2, 3], [5, 6]), { threshold: 4, accuracy: 1 });
    assert.deepEqual(bestThreshold([1, 4], [3, 6]), { threshold: 2, accuracy: 0.75 }); // cut 2 or 5: 3 of 4; the wider gap wins
    const line = bestLinearAccuracy({ x: [-1, -1], y: [0, 1] }, { x: [1, 1], y: [0, 1] });
    assert.equal(line.accuracy, 1);
  });

  test('two rings: seeded, separable by radius, not by a line; GELU histograms on the notebook bins', async () => {
    const r = result.data['two-rings'] as { seed: number; inner: { x: number[]; radius: number[] }; outer: { radius: number[] }; threshold: number; radius_accuracy: number; best_line_accuracy: number };
    assert.equal(r.seed, 7);
    assert.equal(r.inner.x.length, 100);
    assert.equal(r.radius_accuracy, 1);
    assert.ok(Math.max(...r.inner.radius) < r.threshold && r.threshold < Math.min(...r.outer.radius));
    assert.ok(r.best_line_accuracy > 0.5 && r.best_line_accuracy < 0.8, `best line ${r.best_line_accuracy}`);
    const again = await run({ seed: 7 });
    assert.deepEqual(again.data['two-rings'], r);
    const other = await run({ seed: 8 });
    assert.notDeepEqual((other.data['two-rings'] as typeof r).inner.x, r.inner.x);

    const g = result.data.gelu as { x: number[]; gelu_x: number[]; bin_edges: number[]; counts_input: number[]; counts_gelu: number[] };
    assert.equal(g.x.length, 4000);
    g.x.forEach((x, i) => assert.equal(g.gelu_x[i], gelu(x)));
    assert.equal(g.bin_edges.length, 71);
    assert.deepEqual(g.counts_input, npCounts(g.x, -3, 3, 70));
    assert.deepEqual(g.counts_gelu, npCounts(g.gelu_x, -3, 3, 70));
  });
});

describe('/mlp on the tiny model', () => {
  test('stage histograms pool the four hooks over both sentences, first token left out', async () => {
    const o = mlpAnalysis.options.parse({});
    assert.deepEqual(o.sentences, ['If the sun is round, then the moon is round.', "If a square is square, then why isn't a triangle square?"]);
    const L = engine.config.n_layer;
    const hooks = ['ln2.hook_out', 'mlp.hook_pre', 'mlp.hook_post', 'hook_mlp_out'];
    const caches = await Promise.all(o.sentences.map(async (s) => (await engine.run(engine.encode(s), { hooks: hooks.map((h) => `blocks.*.${h}`) })).cache));
    const fromSecond = (t: Tensor) => t.data.subarray(t.dims[2]);
    const h = result.data['mlp-stages-by-layer'] as { bin_edges: number[]; counts_block_by_bin: Record<string, number[][]>; values_per_block: Record<string, number> };
    assert.equal(h.bin_edges.length, 201);
    const labels = Object.keys(h.counts_block_by_bin);
    assert.deepEqual(labels, ['Input to MLP', 'Expanded pre-GELU', 'Expanded post-GELU', 'Contraction (MLP output)']);
    hooks.forEach((hook, k) => {
      for (let l = 0; l < L; l++) {
        const pooled = caches.flatMap((c) => Array.from(fromSecond(c.get(`blocks.${l}.${hook}`)!)));
        assert.deepEqual(h.counts_block_by_bin[labels[k]][l], npCounts(pooled, -3, 2, 200), `${hook} block ${l}`);
        assert.equal(h.values_per_block[labels[k]], pooled.length);
      }
    });
    // The stages are what the notebook hooks: post-GELU is GELU of pre-GELU.
    const pre = caches[0].get('blocks.0.mlp.hook_pre')!.data;
    const post = caches[0].get('blocks.0.mlp.hook_post')!.data;
    for (let i = 0; i < pre.length; i += 97) close(post[i], gelu(pre[i]), 1e-5, `gelu at ${i}`);
    // layer defaults to the notebook's 10, or the last block of a smaller model.
    assert.equal((result.data['mlp-stages-layer'] as { layer: number }).layer, L - 1);
  });

  test('imputation: impute_topk_mean on hook_mlp_out at pos -1, fraction 0.08; clean baseline = unpatched run', async () => {
    const m = result.data['mlp-imputation'] as { target_id: number; units_imputed: number; width: number; clean_log_prob: number; log_prob_per_block: number[]; patches_per_block: unknown[][] };
    const ids = engine.encode('It was a dark and stormy');
    assert.deepEqual([m.target_id], engine.encode(' night'));
    assert.equal(m.width, 64);
    assert.equal(m.units_imputed, Math.floor(0.08 * 64));
    close(m.clean_log_prob, logSoftmaxAt((await engine.run(ids, { logits: 'last' })).logits!.data, m.target_id), 1e-9, 'clean');
    for (let l = 0; l < engine.config.n_layer; l++) {
      const patch = { hook: `blocks.${l}.hook_mlp_out`, op: 'impute_topk_mean', pos: -1, fraction: 0.08 } as const;
      assert.deepEqual(m.patches_per_block[l], [patch]);
      const { logits } = await engine.run(ids, { patches: [patch], logits: 'last' });
      close(m.log_prob_per_block[l], logSoftmaxAt(logits!.data, m.target_id), 1e-9, `block ${l}`);
      assert.notEqual(m.log_prob_per_block[l], m.clean_log_prob);
    }
  });

  test('figures: five PNGs, 2400 px wide (the three-panel rings 3600), drawn, under 8 MB; tiny-model note', () => {
    assert.deepEqual(result.figures.map((f) => f.name), ['two-rings', 'gelu', 'mlp-stages-layer', 'mlp-stages-by-layer', 'mlp-imputation']);
    return Promise.all(
      result.figures.map(async (f) => {
        const img = await decodePng(f.png);
        assert.equal(img.width, f.name === 'two-rings' ? 3600 : 2400, f.name);
        if (f.name === 'two-rings') {
          // Three panels: the plane, the notebook's 3-D view (radius as height), radius against angle.
          for (let p = 0; p < 3; p++) assert.ok(inkIn(img, p * 1200 + 100, 300, p * 1200 + 1100, 1200) > 2000, `rings panel ${p}`);
        }
        assert.ok(!img.isBlank(), f.name);
        assert.ok(f.png.length < 8 * 1024 * 1024, f.name);
      }),
    ).then(() => {
      assert.equal(result.seed, 7);
      assert.ok(result.explanation.includes(TINY_NOTE));
      assert.match(result.explanation, /\/mlp /);
      assert.doesNotThrow(() => JSON.stringify(result.data));
    });
  });

  test('the notebook ran gpt2-medium: it is the preferred model', () => {
    assert.equal(mlpAnalysis.preferredModel, 'gpt2-medium');
  });

  test('alt text and explanation name the same block: the largest move from clean, either way', () => {
    // Both blocks raise log P (as on the tiny model): block 0 moves it +0.055, block 1 +0.031.
    // The lowest value (block 1) is not the block that matters most.
    assert.deepEqual(strongestBlock({ perLayer: [-11.006, -11.030], clean: -11.061 }), { block: 0, effect: -11.006 - -11.061 });
    assert.equal(strongestBlock({ perLayer: [-3.2, -1.9, -2.4], clean: -2 }).block, 0);
    assert.equal(strongestBlock({ perLayer: [-2.1, -0.9, -2.4], clean: -2 }).block, 1);
    const m = result.data['mlp-imputation'] as { log_prob_per_block: number[]; clean_log_prob: number };
    const { block } = strongestBlock({ perLayer: m.log_prob_per_block, clean: m.clean_log_prob });
    const alt = result.figures.find((f) => f.name === 'mlp-imputation')!.alt;
    assert.match(alt, new RegExp(`block ${block} moves it most: it (falls|rises) to ${m.log_prob_per_block[block].toFixed(3)}`));
    assert.match(result.explanation, new RegExp(`most in block ${block} \\(`));
    const rings = result.figures.find((f) => f.name === 'two-rings')!.alt;
    assert.match(rings, /^Three panels\./);
    assert.match(rings, /in 3-D with their radius as height, seen from elevation 20° and azimuth 20°/);
  });

  test('Try hints fit the model and differ from the run', async () => {
    const L = engine.config.n_layer;
    const check = async (raw: Record<string, unknown>) => {
      const r = await run({ ...raw, sentences: 'A short one here.' });
      const opts = parseOptions(mlpAnalysis.options, { ...raw, sentences: 'A short one here.' }) as never;
      const commands = [...r.explanation.matchAll(/`(\/mlp [^`]+)`/g)].map((x) => x[1]);
      assert.ok(commands.length >= 1, r.explanation);
      for (const c of commands) {
        const [key, value] = c.replace('/mlp ', '').split(':');
        assert.notEqual(String((opts as Record<string, unknown>)[key] ?? (key === 'layer' ? L - 1 : undefined)), value, `${c} repeats the run`);
        if (key === 'layer') assert.ok(Number(value) >= 0 && Number(value) < L, `${c} is not a block of ${engine.name}`);
        if (key === 'fraction') assert.ok(Math.floor(Number(value) * engine.config.n_embd) >= 1, c);
        parseOptions(mlpAnalysis.options, { [key]: value }); // a valid option value
      }
      return commands;
    };
    assert.deepEqual(await check({}), ['/mlp fraction:0.2', '/mlp layer:0']);
    assert.deepEqual(await check({ fraction: 0.2, layer: 0 }), ['/mlp fraction:0.5', `/mlp layer:${L - 1}`]);
    assert.deepEqual(await check({ fraction: 0.5 }), ['/mlp fraction:0.08', '/mlp layer:0']);
    // On a one-block model there is no other block to suggest.
    const one = mlpSuggestions({ layer: 0, nLayers: 1, imputation: { width: 64 } } as MlpData, mlpAnalysis.options.parse({}));
    assert.deepEqual(one.map((t) => t.command), ['/mlp fraction:0.2']);
  });

  test('bad input names the option and the limit', async () => {
    const isOptionError = (option: string, pattern: RegExp) => (e: unknown) =>
      e instanceof OptionError && e.option === option && pattern.test(e.message);
    await assert.rejects(run({ target: 'nightfall' }), isOptionError('target', /" nightfall" is 2 tokens \(" night" \+ "fall"\)/));
    await assert.rejects(run({ layer: 10 }), isOptionError('layer', /0 to 1: tiny-random has 2 blocks \(n_layer\)/));
    await assert.rejects(run({ fraction: 0.01 }), isOptionError('fraction', /rounds down to 0.*0\.0156/));
    await assert.rejects(run({ fraction: 1.5 }), isOptionError('fraction', /at most 1/));
    await assert.rejects(run({ sentences: 'Hi|A fine day' }), isOptionError('sentences', /at least 2 tokens/));
    await assert.rejects(run({ sentences: [] }), isOptionError('sentences', /at least 1 item\b/));
    await assert.rejects(run({ text: '' }), isOptionError('text', /empty/));
    await assert.rejects(run({ text: '蓝'.repeat(400) }), isOptionError('text', /at most 1024/));
  });
});
