// /embeddings — LLM breakdown 3/6: embeddings. Each token id picks a row of GPT-2's embedding
// matrix (wte). Two words' vectors and their cosine similarity; the whole matrix as an image;
// t-SNE of the first N tokens' vectors as scikit-learn's TSNE runs it with the notebook's
// perplexity 5 and its other defaults (PCA start, exact gradient); and the mixture experiment: replace " Germany" in
// "The capital of Germany is" by a weighted mix of the " Germany" and " France" embeddings (the
// engine's mix_embed patch) and watch P(" Berlin") and P(" Paris") trade places.
import { z } from 'zod';
import { findPost } from '../catalog/posts.ts';
import type { Engine, Intervention } from '../llm/types.ts';
import { lineChart, scatterChart } from '../render/charts.ts';
import { renderChart } from '../render/chart.ts';
import { renderMatrix } from '../render/image.ts';
import { renderPanels } from '../render/panels.ts';
import { quoted } from './lib/literal.ts';
import { encodeText, logitsRow, ordinal, singleToken, tokenTexts, wordForm } from './lib/llm-input.ts';
import { formatPercent, softmax } from './lib/probability.ts';
import { cosineSimilarity, linspace } from './lib/stats.ts';
import { tsne, TSNE_MAX_POINTS } from './lib/tsne.ts';
import { OptionError, type Analysis, type AnalysisContext, type Figure } from './types.ts';

/** Tokens drawn in the matrix image: every k-th one, as imshow samples a matrix wider than the screen. */
const IMAGE_COLUMNS = 2400;

const Options = z
  .object({
    word1: z.string().min(1).max(50).default('hello')
      .describe('First word whose embedding is plotted (one token; ␣ or "quotes" for a leading space)'),
    word2: z.string().min(1).max(50).default('world')
      .describe('Second word, compared with word1 by cosine similarity'),
    color_limit: z.number().min(0.001).max(10).default(0.1)
      .describe('Colour range ±limit of the embedding-matrix image (the notebook uses 0.1)'),
    n_tokens: z.number().int().min(10).max(TSNE_MAX_POINTS).default(100)
      .describe('t-SNE map of the first n token embeddings'),
    perplexity: z.number().min(1).max(100).default(5)
      .describe('t-SNE perplexity (about how many neighbours each point keeps; the notebook\'s 5); below n_tokens'),
    init: z.enum(['pca', 'random']).default('pca')
      .describe('t-SNE start: pca (scikit-learn\'s default, deterministic) or random (seeded)'),
    text: z.string().min(1).max(500).default('The capital of Germany is')
      .describe('Prompt for the mixture experiment; must contain the source word'),
    source: z.string().min(1).max(50).default('Germany')
      .describe('Word in the text whose embedding is mixed (leading space added unless "quoted")'),
    distractor_source: z.string().min(1).max(50).default('France')
      .describe('Word mixed into the source embedding'),
    target: z.string().min(1).max(50).default('Berlin')
      .describe('Next word expected for the source'),
    distractor_target: z.string().min(1).max(50).default('Paris')
      .describe('Next word expected for the distractor source'),
    mixtures: z.number().int().min(2).max(101).default(17)
      .describe('Number of mixture weights from 0 to 1'),
    seed: z.number().int().min(0).max(2147483647).optional()
      .describe('Seed for the t-SNE starting positions with init:random (the PCA start needs none)'),
  })
  .strict();
type Opts = z.infer<typeof Options>;

export interface EmbeddingsData {
  model: string;
  vocabSize: number;
  dims: number;
  words: { word: string; id: number; vector: Float32Array }[];
  cosine: number;
  /** The matrix image: dims × sampled tokens (every `stride`-th token), row-major. */
  image: { data: Float32Array; rows: number; cols: number; stride: number };
  /** Per-dimension mean and standard deviation over all tokens. */
  dimMean: Float64Array;
  dimStd: Float64Array;
  tsne: {
    ids: number[];
    labels: string[];
    coords: Float64Array;
    kl: number;
    initialKl: number;
    perplexity: number;
    init: 'pca' | 'random';
    /** Used only with init 'random'. */
    seed: number;
    learningRate: number;
    iterations: number;
  };
  /** A runnable next step checked against this model's tokenizer, differing from this run. */
  suggestion: { options: string; why: string } | null;
  mixture: {
    tokens: string[];
    position: number;
    source: { word: string; id: number };
    distractorSource: { word: string; id: number };
    target: { word: string; id: number };
    distractorTarget: { word: string; id: number };
    weights: number[];
    /** Softmax probability (%) of the target / distractor target at each weight of the source. */
    targetProb: number[];
    distractorProb: number[];
    /** The unpatched run: P (%) of both targets with the text as written. */
    clean: { target: number; distractor: number };
    patches: Intervention[];
  };
}

async function compute(opts: Opts, ctx: AnalysisContext): Promise<EmbeddingsData> {
  const engine = await ctx.engine();
  // Check every input before the slow parts.
  const w1 = wordForm(opts.word1, false);
  const w2 = wordForm(opts.word2, false);
  const id1 = await singleToken(engine, w1, 'word1');
  const id2 = await singleToken(engine, w2, 'word2');
  if (opts.perplexity >= opts.n_tokens) {
    throw new OptionError('perplexity', `must be below n_tokens (${opts.n_tokens}); t-SNE needs more points than neighbours`);
  }
  const ids = encodeText(engine, opts.text, 'text');
  const mix = {
    source: await named(opts.source, 'source'),
    distractorSource: await named(opts.distractor_source, 'distractor_source'),
    target: await named(opts.target, 'target'),
    distractorTarget: await named(opts.distractor_target, 'distractor_target'),
  };
  const position = ids.indexOf(mix.source.id);
  if (position < 0) {
    const shown = (await tokenTexts(ids)).map((t) => JSON.stringify(t)).join(' ');
    throw new OptionError('source', `${JSON.stringify(mix.source.word)} is not one of the text's tokens (${shown}); put it in the text or quote the exact token`);
  }

  ctx.progress('reading the embedding matrix', 0.05);
  const wte = engine.weight('wte.weight'); // [V, D]
  const [V, D] = wte.dims;
  const row = (id: number) => wte.data.slice(id * D, (id + 1) * D);
  const words = [{ word: w1, id: id1, vector: row(id1) }, { word: w2, id: id2, vector: row(id2) }];

  // Matrix image: dimensions down, every stride-th token across (the notebook's embeddings.T).
  const stride = Math.max(1, Math.ceil(V / IMAGE_COLUMNS));
  const cols = Math.ceil(V / stride);
  const image = new Float32Array(D * cols);
  for (let c = 0; c < cols; c++) {
    const base = c * stride * D;
    for (let k = 0; k < D; k++) image[k * cols + c] = wte.data[base + k];
  }
  const dimMean = new Float64Array(D);
  const dimStd = new Float64Array(D);
  for (let t = 0; t < V; t++) for (let k = 0; k < D; k++) dimMean[k] += wte.data[t * D + k] / V;
  for (let t = 0; t < V; t++) for (let k = 0; k < D; k++) dimStd[k] += (wte.data[t * D + k] - dimMean[k]) ** 2 / V;
  for (let k = 0; k < D; k++) dimStd[k] = Math.sqrt(dimStd[k]);

  ctx.progress(`t-SNE of the first ${opts.n_tokens} tokens`, 0.15);
  const seed = opts.seed ?? 0;
  const first = wte.data.subarray(0, opts.n_tokens * D);
  const map = tsne(first, opts.n_tokens, D, {
    perplexity: opts.perplexity,
    init: opts.init,
    seed,
    onProgress: (f) => ctx.progress(`t-SNE of the first ${opts.n_tokens} tokens`, 0.15 + 0.55 * f),
  });
  const tsneIds = Array.from({ length: opts.n_tokens }, (_, i) => i);

  // The mixture experiment: one forward pass per weight, the mixed vector replacing the source's
  // token embedding (before the position embedding is added), as the notebook's hook on wte.
  const probsAt = async (patches: Intervention[]) => {
    const { logits } = await engine.run(ids, { logits: 'last', patches });
    const p = softmax(logitsRow(logits!, 0));
    return [100 * p[mix.target.id], 100 * p[mix.distractorTarget.id]];
  };
  const [cleanTarget, cleanDistractor] = await probsAt([]);
  const weights = linspace(0, 1, opts.mixtures);
  const targetProb: number[] = [];
  const distractorProb: number[] = [];
  const patches: Intervention[] = [];
  for (const [i, w] of weights.entries()) {
    ctx.progress(`mixture ${i + 1}/${weights.length}`, 0.7 + (0.3 * i) / weights.length);
    const patch: Intervention = { hook: 'hook_embed', op: 'mix_embed', pos: position, tokens: [mix.source.id, mix.distractorSource.id], weights: [w, 1 - w] };
    const [pt, pd] = await probsAt([patch]);
    targetProb.push(pt);
    distractorProb.push(pd);
    patches.push(patch);
  }

  return {
    model: engine.name,
    vocabSize: V,
    dims: D,
    words,
    cosine: cosineSimilarity(words[0].vector, words[1].vector),
    image: { data: image, rows: D, cols, stride },
    dimMean,
    dimStd,
    tsne: {
      ids: tsneIds,
      labels: await tokenTexts(tsneIds),
      coords: map.coords,
      kl: map.klDivergence,
      initialKl: map.initialKl,
      perplexity: opts.perplexity,
      init: opts.init,
      seed,
      learningRate: map.learningRate,
      iterations: map.iterations,
    },
    suggestion: await suggest(engine, opts),
    mixture: {
      tokens: await tokenTexts(ids),
      position,
      ...mix,
      weights,
      targetProb,
      distractorProb,
      clean: { target: cleanTarget, distractor: cleanDistractor },
      patches,
    },
  };

  async function named(raw: string, option: string) {
    const word = wordForm(raw, true);
    return { word, id: await singleToken(engine, word, option) };
  }
}

/** Next steps to offer, in order; the first that fits this run and this tokenizer is suggested. */
const SUGGESTIONS: { options: Record<string, string | number>; why: string }[] = [
  { options: { word1: 'man', word2: 'woman' }, why: 'to compare two related words' },
  { options: { n_tokens: 300 }, why: 'for a bigger t-SNE map' },
  { options: { text: 'The capital of Japan is', source: 'Japan', target: 'Tokyo' }, why: 'to mix " Japan" with " France" instead' },
  { options: { word1: 'cat', word2: 'dog' }, why: 'to compare two everyday animals' },
];

async function suggest(engine: Engine, opts: Opts): Promise<EmbeddingsData['suggestion']> {
  for (const s of SUGGESTIONS) {
    const entries = Object.entries(s.options);
    if (entries.every(([k, v]) => (opts as Record<string, unknown>)[k] === v)) continue; // what just ran
    const merged = { ...opts, ...s.options } as Opts;
    try {
      // Every word one token, the source among the text's tokens, t-SNE still possible.
      await singleToken(engine, wordForm(merged.word1, false), 'word1');
      await singleToken(engine, wordForm(merged.word2, false), 'word2');
      const source = await singleToken(engine, wordForm(merged.source, true), 'source');
      await singleToken(engine, wordForm(merged.target, true), 'target');
      if (!engine.encode(merged.text).includes(source) || merged.perplexity >= merged.n_tokens) continue;
    } catch {
      continue;
    }
    const shown = entries.map(([k, v]) => (typeof v === 'string' && /\s/.test(v) ? `${k}:"${v}"` : `${k}:${v}`)).join(' ');
    return { options: shown, why: s.why };
  }
  return null;
}

const q = (s: string) => JSON.stringify(s);
/** A value already in percent. */
const pc = (percent: number) => formatPercent(percent / 100);

async function render(d: EmbeddingsData, opts: Opts): Promise<Figure[]> {
  const [a, b] = d.words;
  const vectorsPng = await renderPanels([
    scatterChart({
      title: 'Embeddings of two words',
      xLabel: 'Embeddings dimension',
      yLabel: 'Value',
      series: [
        { label: q(a.word), values: a.vector, pointRadius: 2.5, color: '#f2a6a6' },
        { label: q(b.word), values: b.vector, pointRadius: 2.5, color: '#a6e6a6' },
      ],
      xMin: 0,
      xMax: d.dims,
      legend: true,
    }),
    scatterChart({
      title: `Cosine similarity: ${d.cosine.toFixed(2)}`,
      xLabel: `Embeddings of ${q(a.word)}`,
      yLabel: `Embeddings of ${q(b.word)}`,
      series: [{ label: 'dimensions', points: Array.from(a.vector, (v, k) => [v, b.vector[k]] as [number, number]), pointRadius: 2.5, color: '#b3b3f2' }],
      legend: false,
    }),
  ], { columns: 2, width: 1600, panelHeight: 480, title: `${d.model} embeddings of ${q(a.word)} (id ${a.id}) and ${q(b.word)} (id ${b.id})` });

  const matrixPng = await renderMatrix({
    title: `Embeddings matrix (${d.vocabSize} tokens × ${d.dims} dimensions${d.image.stride > 1 ? `, every ${ordinal(d.image.stride)} token drawn` : ''})`,
    data: d.image.data,
    rows: d.image.rows,
    cols: d.image.cols,
    colormap: 'bwr',
    vmin: -opts.color_limit,
    vmax: opts.color_limit,
    xLabel: 'Token index',
    yLabel: 'Embeddings dimension',
    xRange: [0, d.vocabSize],
    yRange: [0, d.dims],
    aspect: 'auto',
    colorbarLabel: 'value',
    width: 1200,
    height: 520,
  });

  const t = d.tsne;
  const tsnePng = await renderChart(scatterChart({
    title: `t-SNE of the first ${t.ids.length} token embeddings`,
    subtitle: `scikit-learn's TSNE: perplexity ${t.perplexity}, ${tsneStart(t)}, early exaggeration 12, learning rate ${fmtRate(t.learningRate)} (auto), ${t.iterations} iterations, exact gradient; KL divergence ${t.kl.toFixed(3)}`,
    xLabel: 't-SNE dim 1',
    yLabel: 't-SNE dim 2',
    series: [{
      label: 'tokens',
      points: t.ids.map((_, i) => [t.coords[2 * i], t.coords[2 * i + 1]] as [number, number]),
      pointLabels: t.ids.length <= 300 ? t.labels : undefined,
      color: '#b3b3ff',
    }],
    legend: false,
  }), { width: 1100, height: 900 });

  const m = d.mixture;
  const mixturePng = await renderChart(lineChart({
    title: `Softmax probability of the next token after ${q(opts.text)}`,
    subtitle: `The ${q(m.source.word)} embedding replaced by w·${q(m.source.word)} + (1 − w)·${q(m.distractorSource.word)}`,
    xLabel: `w: share of ${q(m.source.word)} (0 = 100% ${q(m.distractorSource.word)}, 1 = 100% ${q(m.source.word)})`,
    yLabel: 'Softmax probability (%)',
    x: m.weights,
    series: [
      { label: q(m.target.word), values: m.targetProb, color: '#8fdc8f', pointRadius: 6 },
      { label: q(m.distractorTarget.word), values: m.distractorProb, color: '#a6a6f2', pointRadius: 6 },
    ],
    markers: true,
    xMin: 0,
    xMax: 1,
    yMin: 0,
    legend: true,
  }), { width: 1100, height: 560 });

  const last = m.weights.length - 1;
  return [
    { name: 'two-embeddings', title: 'Two embedding vectors', alt: `Left: the ${d.dims} embedding values of ${q(a.word)} and ${q(b.word)} by dimension. Right: one against the other; cosine similarity ${d.cosine.toFixed(3)}.`, png: vectorsPng },
    { name: 'embedding-matrix', title: 'Embedding matrix', alt: `The ${d.vocabSize} × ${d.dims} embedding matrix as an image, dimensions down and tokens across, blue negative to red positive within ±${opts.color_limit}.`, png: matrixPng },
    { name: 'tsne', title: 't-SNE of token embeddings', alt: `Two-dimensional t-SNE map of the first ${t.ids.length} tokens' embeddings${t.ids.length <= 300 ? ' with each point labelled by its token' : ''} (perplexity ${t.perplexity}, ${tsneStart(t)}, exact gradient, KL divergence ${t.kl.toFixed(3)} from ${t.initialKl.toFixed(3)} at the start).`, png: tsnePng },
    { name: 'mixture', title: 'Mixing two embeddings', alt: `Probability of ${q(m.target.word)} and ${q(m.distractorTarget.word)} after ${q(opts.text)} as the ${q(m.source.word)} embedding is mixed with ${q(m.distractorSource.word)} over ${m.weights.length} weights: ${q(m.target.word)} goes from ${pc(m.targetProb[0])} to ${pc(m.targetProb[last])}, ${q(m.distractorTarget.word)} from ${pc(m.distractorProb[0])} to ${pc(m.distractorProb[last])}.`, png: mixturePng },
  ];
}

function explain(d: EmbeddingsData): string {
  const [a, b] = d.words;
  const m = d.mixture;
  const last = m.weights.length - 1;
  // Where the two curves cross (first weight at which the target overtakes the distractor).
  const cross = m.weights.findIndex((_, i) => m.targetProb[i] >= m.distractorProb[i]);
  const crossText = cross > 0
    ? ` The curves cross near w = ${m.weights[cross].toFixed(2)}.`
    : '';
  const tryNext = d.suggestion ? `Try \`/embeddings ${d.suggestion.options}\` ${d.suggestion.why}.` : '';
  const t = d.tsne;
  return [
    `Every token is a row of ${d.model}'s ${d.vocabSize} × ${d.dims} embedding matrix; ${quoted(a.word)} and ${quoted(b.word)} have cosine similarity ${d.cosine.toFixed(2)} (1 = same direction, 0 = unrelated).`,
    `The t-SNE map squeezes the first ${t.ids.length} tokens (mostly punctuation, digits and letters) into 2-D so that neighbours stay neighbours: look for groups such as digits or capital letters. ` +
      `It runs as scikit-learn's TSNE does with the notebook's perplexity ${t.perplexity} (${tsneStart(t)}, early exaggeration 12, learning rate ${fmtRate(t.learningRate)}, ${t.iterations} iterations), but with the exact gradient instead of the Barnes–Hut approximation; KL divergence fell from ${t.initialKl.toFixed(3)} to ${t.kl.toFixed(3)}.`,
    `Mixing embeddings: with 100% ${quoted(m.distractorSource.word)} the model gives ${quoted(m.target.word)} ${pc(m.targetProb[0])} and ${quoted(m.distractorTarget.word)} ${pc(m.distractorProb[0])}; with 100% ${quoted(m.source.word)} (the clean text) ${pc(m.targetProb[last])} vs ${pc(m.distractorProb[last])}.${crossText}`,
    tryNext,
  ].filter(Boolean).join(' ');
}

const tsneStart = (t: EmbeddingsData['tsne']) => (t.init === 'pca' ? 'PCA start' : `random start, seed ${t.seed}`);
const fmtRate = (r: number) => (Number.isInteger(r) ? String(r) : r.toFixed(1));

const round = (v: number) => Number(v.toPrecision(6));

function figureData(d: EmbeddingsData): Record<string, unknown> {
  const m = d.mixture;
  return {
    'two-embeddings': {
      words: d.words.map((w) => ({ word: w.word, id: w.id, vector: Array.from(w.vector, round) })),
      cosineSimilarity: d.cosine,
    },
    'embedding-matrix': {
      note: 'the image is wte.weight transposed; the full matrix is too large for chat, so per-dimension summaries are given',
      shape: [d.vocabSize, d.dims],
      tokenStride: d.image.stride,
      dimensionMean: Array.from(d.dimMean, round),
      dimensionStd: Array.from(d.dimStd, round),
    },
    tsne: {
      method: 'exact t-SNE, scikit-learn TSNE defaults (early_exaggeration 12, learning_rate auto, max_iter 1000)',
      perplexity: d.tsne.perplexity,
      init: d.tsne.init,
      seed: d.tsne.init === 'random' ? d.tsne.seed : null,
      learningRate: d.tsne.learningRate,
      iterations: d.tsne.iterations,
      initialKlDivergence: d.tsne.initialKl,
      klDivergence: d.tsne.kl,
      points: d.tsne.ids.map((id, i) => ({ id, token: d.tsne.labels[i], x: round(d.tsne.coords[2 * i]), y: round(d.tsne.coords[2 * i + 1]) })),
    },
    mixture: {
      tokens: m.tokens,
      position: m.position,
      source: m.source,
      distractorSource: m.distractorSource,
      target: m.target,
      distractorTarget: m.distractorTarget,
      weights: m.weights,
      targetProbabilityPercent: m.targetProb,
      distractorProbabilityPercent: m.distractorProb,
      cleanPercent: m.clean,
      patches: m.patches,
    },
  };
}

export const embeddingsAnalysis: Analysis<typeof Options, EmbeddingsData> = {
  id: 'embeddings',
  post: findPost('embeddings')!,
  usesModel: true,
  options: Options,
  compute,
  render,
  explain,
  figureData,
};
