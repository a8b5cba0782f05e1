// /life: the notebook's prompts sampled with its settings (top-k 50, top-p 0.95, 200 tokens in
// all, end-of-text stops a sample), seeded; the sampler's per-step numbers against numpy; the
// table and the sampling figure; options and errors; end to end through runAnalysis.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { getAnalysis } from '../../src/analyses/index.ts';
import { lifeAnalysis, NOTEBOOK_PROMPTS, stepStats, type LifeData } from '../../src/analyses/life.ts';
import { plainText, splitLiterals } from '../../src/analyses/lib/literal.ts';
import { runAnalysis } from '../../src/analyses/run.ts';
import { OptionError, type AnalysisContext } from '../../src/analyses/types.ts';
import { disposeEngines, getEngine } from '../../src/llm/provider.ts';
import type { Engine, KVCache } from '../../src/llm/types.ts';
import { decodePng } from '../../src/render/png.ts';
import { optionErrorMessage } from './reference.ts';

let engine: Engine;
let d: LifeData;
const ctxFor = (e: () => Engine): AnalysisContext => ({ progress() {}, engine: async () => e() });
const ctx = ctxFor(() => engine);
const opts = (raw: Record<string, unknown> = {}) => lifeAnalysis.options.parse({ seed: 5, ...raw });
const NOTEBOOK = { temperature: 1, topK: 50, topP: 0.95, stopTokens: [50256] };

before(async () => {
  engine = await getEngine({ model: 'tiny-random' });
  d = await lifeAnalysis.compute(opts(), ctx);
});
after(() => disposeEngines());

/** The engine, with every set of logits after the first `n` appends forced to end-of-text. */
function endOfTextAfter(inner: Engine, n: number): Engine {
  return Object.assign(Object.create(inner) as Engine, {
    kvCache(o?: Parameters<Engine['kvCache']>[0]): KVCache {
      const cache = inner.kvCache(o);
      let calls = 0;
      return {
        get batch() { return cache.batch; },
        get lengths() { return cache.lengths; },
        select: (rows: number[]) => cache.select(rows),
        async append(tokens: number[][], a?: Parameters<KVCache['append']>[1]) {
          const logits = await cache.append(tokens, a);
          if (++calls > n) for (let b = 0; b < logits.dims[0]; b++) logits.data[b * logits.dims[2] + 50256] = 1e9;
          return logits;
        },
      };
    },
  });
}

describe('the sampler, step by step', () => {
  test('candidates after top-k and top-p, and the drawn token\'s probabilities, match numpy', () => {
    const logits = Float32Array.from({ length: 60 }, (_, i) => ((i * 37) % 60) / 10);
    // numpy: ids sorted by descending logit, the first 10, w = exp((l - max) / 0.7), the smallest
    // prefix with cumsum(w) >= 0.9 · sum(w) (np.searchsorted(..., side='left') + 1) keeps 9:
    // [47, 34, 21, 8, 55, 42, 29, 16, 3]; token 21 has w / sum(w[:9]) = 0.13826083525884839 and
    // softmax(l / 0.7)[21] = 0.10005716130117308; token 50 (10th) is outside the nucleus.
    const sampling = { temperature: 0.7, topK: 10, topP: 0.9 };
    const s = stepStats(logits, sampling, 21);
    assert.equal(s.candidates, 9);
    assert.ok(Math.abs(s.drawn - 0.13826083525884839) < 1e-9, String(s.drawn));
    assert.ok(Math.abs(s.full - 0.10005716130117308) < 1e-9, String(s.full));
    assert.equal(stepStats(logits, sampling, 50).drawn, 0);
    assert.deepEqual(stepStats(logits, null, 47).candidates, 1, 'greedy: one candidate');
  });
});

describe('/life', () => {
  test("defaults: the notebook's three prompts, one seeded sample each, its sampler and length", async () => {
    assert.deepEqual(d.rows.map((r) => r.prompt), NOTEBOOK_PROMPTS);
    assert.deepEqual(d.rows.map((r) => r.seed), [5, 6, 7]);
    for (const r of d.rows) {
      assert.deepEqual(r.promptIds, engine.encode(r.prompt));
      // Each row is what engine.generate draws with that seed (Hugging Face's max_length 200 = prompt + new tokens).
      assert.deepEqual(r.ids, await engine.generate(r.promptIds, { ...NOTEBOOK, maxNewTokens: 200 - r.promptIds.length, seed: r.seed }), r.prompt);
      assert.equal(r.ids.length, r.endedAtEndOfText ? r.ids.length : 200 - r.promptIds.length);
      assert.equal(r.text, engine.decode(r.endedAtEndOfText ? r.ids.slice(0, -1) : r.ids));
      assert.equal(r.steps.length, r.ids.length);
      assert.ok(r.steps.every((s) => s.candidates >= 1 && s.candidates <= 50 && s.drawn > 0 && s.full > 0 && s.full <= 1));
    }
    const again = await lifeAnalysis.compute(opts(), ctx);
    assert.deepEqual(again.rows.map((r) => r.ids), d.rows.map((r) => r.ids), 'the same seed, the same wisdom');
  });

  test('end-of-text stops a sample; its text leaves the token out', async () => {
    const stopped = await lifeAnalysis.compute(opts(), ctxFor(() => endOfTextAfter(engine, 3)));
    for (const [i, r] of stopped.rows.entries()) {
      assert.equal(r.ids.length, 4, r.prompt);
      assert.equal(r.ids[3], 50256);
      assert.ok(r.endedAtEndOfText);
      assert.deepEqual(r.ids.slice(0, 3), d.rows[i].ids.slice(0, 3), 'the same draws until then');
      assert.equal(r.text, engine.decode(r.ids.slice(0, 3)));
      assert.equal(r.steps[3].full, 1);
    }
    const text = plainText(lifeAnalysis.explain(stopped, opts()));
    assert.match(text, /Every sample ended with end-of-text/);
    const figures = await lifeAnalysis.render(stopped, opts());
    assert.match(figures[0].alt, /ended at end-of-text/);
  });

  test('one prompt, several samples (seed + i each); greedy makes them equal', async () => {
    const three = await lifeAnalysis.compute(opts({ prompt: 'What is the secret to happiness?', samples: 3, max_length: 30 }), ctx);
    assert.deepEqual(three.rows.map((r) => r.seed), [5, 6, 7]);
    assert.ok(three.rows.every((r) => r.promptIds.length + r.ids.length <= 30));
    assert.notDeepEqual(three.rows[0].ids, three.rows[1].ids);
    const greedy = await lifeAnalysis.compute(opts({ prompt: 'Why?', samples: 2, max_length: 12, temperature: 0 }), ctx);
    assert.deepEqual(greedy.rows[0].ids, greedy.rows[1].ids);
    assert.deepEqual(greedy.rows[0].ids, await engine.generate(engine.encode('Why?'), { maxNewTokens: 12 - engine.encode('Why?').length, greedy: true, stopTokens: [50256] }));
    assert.ok(greedy.rows[0].steps.every((s) => s.candidates === 1));
  });

  test('figures, data and explanation', async () => {
    const o = opts();
    const figures = await lifeAnalysis.render(d, o);
    assert.deepEqual(figures.map((f) => f.name), ['continuations', 'sampling']);
    for (const f of figures) {
      const img = await decodePng(f.png);
      assert.ok(img.width >= 2400 && !img.isBlank(), f.name);
      assert.ok(f.png.length < 8 * 1024 * 1024, f.name);
    }
    assert.match(figures[0].alt, /Table of 3 continuations sampled from tiny-random with top-k 50, top-p 0.95/);
    const data = lifeAnalysis.figureData(d, o);
    assert.deepEqual(Object.keys(data), figures.map((f) => f.name));
    assert.doesNotThrow(() => JSON.stringify(data));
    const raw = lifeAnalysis.explain(d, o);
    const text = plainText(raw);
    for (const p of NOTEBOOK_PROMPTS) assert.ok(text.includes(JSON.stringify(p)), p);
    assert.ok(text.includes(d.rows[1].text.trim().split(/\s+/).slice(0, 3).join(' ')), 'the texts are quoted');
    assert.match(text, /Try `\/life prompt:/);
    assert.ok(raw.length < 3800, `explanation is ${raw.length} characters`);
    // A prompt with Markdown stays literal.
    const md = await lifeAnalysis.compute(opts({ prompt: '**Why** [me](https://example.com)?', max_length: 16 }), ctx);
    const segments = splitLiterals(lifeAnalysis.explain(md, opts({ prompt: '**Why** [me](https://example.com)?', max_length: 16 })));
    assert.ok(segments.some((s) => s.literal && s.text.includes('**Why** [me](https://example.com)?')));
    assert.ok(!segments.some((s) => !s.literal && s.text.includes('**Why**')));
  });

  test('options: limits name the option; too short a max_length says why', async () => {
    assert.match(optionErrorMessage(lifeAnalysis.options, { samples: 4 }), /samples/);
    assert.match(optionErrorMessage(lifeAnalysis.options, { max_length: 301 }), /max_length.*300/);
    assert.match(optionErrorMessage(lifeAnalysis.options, { top_p: 0 }), /top_p/);
    assert.match(optionErrorMessage(lifeAnalysis.options, { top_k: 1001 }), /top_k.*1000/);
    await assert.rejects(lifeAnalysis.compute(opts({ max_length: 8 }), ctx), (e: unknown) => e instanceof OptionError && e.option === 'max_length' && /more than the prompt's 8 tokens/.test(e.message));
  });

  test('end to end through runAnalysis', async () => {
    const result = await runAnalysis(getAnalysis('life'), { seed: 3, max_length: 24 }, { engine: async () => engine });
    assert.equal(result.seed, 3);
    assert.deepEqual(result.figures.map((f) => f.name), ['continuations', 'sampling']);
    assert.equal((result.data.continuations as { rows: unknown[] }).rows.length, 3);
  });
});
