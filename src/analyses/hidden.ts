// /hidden — LLM breakdown 4/6: transformer outputs (hidden states). Hugging Face's
// output_hidden_states for one text ("A wise man once said: Penguins are cute."): one token's
// activations through the layers, how alike the layers are for a token and the tokens are within
// a layer; then, on a second text (Kafka's), how much the prediction of the next word leans on
// each block (scale its output by 0.8 and watch log P(" insect")).
import { z } from 'zod';
import { findPost } from '../catalog/posts.ts';
import type { Engine, Intervention } from '../llm/types.ts';
import { renderChart } from '../render/chart.ts';
import type { MatrixOptions } from '../render/image.ts';
import { renderPanels } from '../render/panels.ts';
import { quoted } from './lib/literal.ts';
import { atPosition, cosineMatrix, evenlySpaced, squareRows, upperTriangle, variance } from './lib/activations.ts';
import { hiddenStateLabels, layerEffectChart, layerStripChart, layerValueChart } from './lib/layer-charts.ts';
import { encodeText, singleToken, wordForm } from './lib/llm-input.ts';
import { tokenPosition } from './lib/model-limits.ts';
import { logSoftmax, topK } from './lib/probability.ts';
import type { Analysis, AnalysisContext, Figure } from './types.ts';

/** The notebook's text for demos 1–2 (hidden states and cosine similarities). */
export const PENGUINS = 'A wise man once said: Penguins are cute.';
/** The notebook's sentence for demo 3 (Kafka, The Metamorphosis); GPT-2 should continue it with " insect". */
export const KAFKA = 'As Gregor Samsa awoke one morning from uneasy dreams, he found himself transformed in his bed into a gigantic';
const NOTEBOOK_TOKEN = 8;

const Options = z
  .object({
    text: z.string().min(1).max(2000).default(PENGUINS)
      .describe('Text for the activation and similarity figures (demos 1–2; at least 3 tokens)'),
    token: z.number().int().min(-1024).max(1023).optional()
      .describe('Token position in `text` for the activations figure (default 8, or the last; negative from the end)'),
    scaling_text: z.string().min(1).max(2000).default(KAFKA)
      .describe('Text whose next word the block-scaling demo predicts (demo 3)'),
    target: z.string().min(1).max(50).default(' insect')
      .describe('Next word to track after scaling_text; one GPT-2 token, leading space added ("…" keeps it exact)'),
    scale: z.number().min(-10).max(10).default(0.8).describe("Factor each block's output is multiplied by"),
  })
  .strict();

type Opts = z.infer<typeof Options>;

/** How many tokens and layers the similarity figures sample (the notebook's 4). */
const SAMPLES = 4;

export interface HiddenData {
  model: string;
  tokens: string[];
  nLayers: number;
  hiddenDim: number;
  /** Token position of the activations figure. */
  position: number;
  /** Per hidden state (embeddings, then each block): the position's activations. */
  activations: Float32Array[];
  /** Per hidden state: variance of those activations (torch's .var(), ddof 1). */
  variances: number[];
  /** Layer × layer cosine similarities for 4 evenly spaced tokens. */
  layerSimilarity: { position: number; matrix: Float64Array }[];
  /** Token × token cosine similarities for 4 evenly spaced hidden states. */
  tokenSimilarity: { hidden: number; matrix: Float64Array }[];
  /** Per hidden state: similarities of every pair of tokens after the first. */
  laminar: number[][];
  scaling: {
    /** Tokens of scaling_text. */
    tokens: string[];
    target: string;
    targetId: number;
    factor: number;
    clean: number;
    /** Log-probability of the target with block l's output scaled. */
    perLayer: number[];
    cleanTop: { token: string; logProb: number }[];
    patches: Intervention[][];
  };
}

async function blockScaling(engine: Engine, tokens: number[], opts: Opts, ctx: AnalysisContext): Promise<HiddenData['scaling']> {
  const target = wordForm(opts.target, true);
  const targetId = await singleToken(engine, target, 'target');
  const logProbs = async (patches: Intervention[]) => logSoftmax((await engine.run(tokens, { patches, logits: 'last' })).logits!.data);
  const clean = await logProbs([]);
  const L = engine.config.n_layer;
  const perLayer: number[] = [];
  const patches: Intervention[][] = [];
  for (let l = 0; l < L; l++) {
    ctx.progress(`scaling block ${l + 1}/${L}`, 0.2 + (0.8 * l) / L);
    // The notebook's forward hook on transformer.h[l] multiplies the block's output hidden state.
    const p: Intervention[] = [{ hook: `blocks.${l}.hook_resid_post`, op: 'scale', value: opts.scale }];
    patches.push(p);
    perLayer.push((await logProbs(p))[targetId]);
  }
  return {
    tokens: tokens.map((t) => engine.tokenText(t)),
    target,
    targetId,
    factor: opts.scale,
    clean: clean[targetId],
    perLayer,
    cleanTop: topK(clean, 5).map((id) => ({ token: engine.tokenText(id), logProb: clean[id] })),
    patches,
  };
}

async function compute(opts: Opts, ctx: AnalysisContext): Promise<HiddenData> {
  const engine = await ctx.engine();
  const ids = encodeText(engine, opts.text, 'text', 3);
  const n = ids.length;
  const position = tokenPosition(opts.token ?? Math.min(NOTEBOOK_TOKEN, n - 1), n, 'token');
  const scalingIds = encodeText(engine, opts.scaling_text, 'scaling_text', 1);
  await singleToken(engine, wordForm(opts.target, true), 'target');

  ctx.progress('hidden states', 0.05);
  const hs = await engine.hiddenStates(ids);
  const H = hs.length;
  const activations = hs.map((t) => Float32Array.from(atPosition(t, position)));
  const rowsOf = (h: number, from = 0) => Array.from({ length: n - from }, (_, i) => atPosition(hs[h], i + from));

  // Fewer than 4 distinct tokens or layers (short text, tiny model): each one once.
  const layerSimilarity = [...new Set(evenlySpaced(n - 1, SAMPLES))].map((p) => ({
    position: p,
    matrix: cosineMatrix(hs.map((t) => atPosition(t, p))),
  }));
  const tokenSimilarity = [...new Set(evenlySpaced(H - 1, SAMPLES))].map((h) => ({ hidden: h, matrix: cosineMatrix(rowsOf(h)) }));
  // The first token is left out: its hidden states are outliers that dominate every similarity.
  const laminar = hs.map((_, h) => upperTriangle(cosineMatrix(rowsOf(h, 1)), n - 1));

  const scaling = await blockScaling(engine, scalingIds, opts, ctx);
  return {
    model: engine.name,
    tokens: ids.map((t) => engine.tokenText(t)),
    nLayers: engine.config.n_layer,
    hiddenDim: engine.config.n_embd,
    position,
    activations,
    variances: activations.map((a) => variance(a)),
    layerSimilarity,
    tokenSimilarity,
    laminar,
    scaling,
  };
}

// ─── Figures ────────────────────────────────────────────────────────────────────────────────

const q = (s: string) => JSON.stringify(s);

/**
 * Lower colour limit: the notebook's (0.8 for layers, 0.5 for tokens) shows GPT-2's structure;
 * for data below it (other models, the tiny one) round the minimum down to a tenth instead.
 */
function lowerLimit(matrices: Float64Array[], notebook: number): number {
  let min = Infinity;
  for (const m of matrices) for (const v of m) if (Number.isFinite(v) && v < min) min = v;
  return Math.min(notebook, Math.max(-1, Math.floor(min * 10) / 10));
}

function similarityPanels(
  mats: { matrix: Float64Array; title: string }[],
  size: number,
  labels: readonly string[],
  vmin: number,
  axis: string,
): { matrix: MatrixOptions }[] {
  return mats.map((m) => ({
    matrix: {
      data: m.matrix,
      rows: size,
      cols: size,
      colormap: 'plasma',
      vmin,
      vmax: 1,
      origin: 'lower',
      aspect: 'equal',
      xTicks: labels,
      yTicks: labels,
      title: m.title,
      xLabel: axis,
      yLabel: axis,
      colorbarLabel: 'cosine similarity',
      // Colour only, as in the notebook: printed values crowd the cells of a 10-token text.
      annotate: false,
    },
  }));
}

async function render(d: HiddenData): Promise<Figure[]> {
  const labels = hiddenStateLabels(d.nLayers);
  const H = labels.length;
  const tok = d.tokens[d.position];
  const lastNote = `${labels[H - 1]} = block ${d.nLayers - 1}'s output after the final LayerNorm`;
  const s = d.scaling;

  const activations = renderPanels(
    [
      layerStripChart({ title: `Hidden-state activations for ${q(tok)}`, subtitle: lastNote, yLabel: 'activation value', labels, values: d.activations }),
      layerValueChart({ title: `Activation variances for ${q(tok)}`, subtitle: `${d.hiddenDim} values per layer`, yLabel: 'activation variance', labels, values: d.variances }),
    ],
    { columns: 2, panelHeight: 520 },
  );

  const layerMats = d.layerSimilarity.map((x) => ({ matrix: x.matrix, title: `token ${x.position}: ${q(d.tokens[x.position])}` }));
  const layerSim = renderPanels(similarityPanels(layerMats, H, labels, lowerLimit(layerMats.map((m) => m.matrix), 0.8), 'hidden layer'), {
    columns: 2,
    panelHeight: 500,
    title: `Cosine similarity between layers, for ${count(layerMats.length, 'token')}`,
  });

  const tokenMats = d.tokenSimilarity.map((x) => ({ matrix: x.matrix, title: `hidden state ${labels[x.hidden]}` }));
  const tokenSim = renderPanels(similarityPanels(tokenMats, d.tokens.length, d.tokens, lowerLimit(tokenMats.map((m) => m.matrix), 0.5), 'token'), {
    columns: 2,
    panelHeight: 560,
    title: `Cosine similarity between tokens, for ${count(tokenMats.length, 'hidden state')}`,
  });

  const laminar = renderChart(
    layerStripChart({
      title: 'Laminar profile of inter-token cosine similarities',
      subtitle: `every pair of the ${d.tokens.length - 1} tokens after the first`,
      yLabel: 'cosine similarity',
      labels,
      values: d.laminar,
    }),
    { height: 560 },
  );

  const scaling = renderChart(
    layerEffectChart({
      title: `Impact of scaling each block's output by ${s.factor} on log P(${q(s.target)})`,
      subtitle: `after ${q(abbreviate(s.tokens.join('')))}`,
      values: s.perLayer,
      clean: s.clean,
      yLabel: 'log softmax',
    }),
    { height: 480 },
  );

  const [a, b, c, e, f] = await Promise.all([activations, layerSim, tokenSim, laminar, scaling]);
  const last = d.layerSimilarity.at(-1)!;
  return [
    {
      name: 'token-activations',
      title: `Hidden-state activations and their variance for ${q(tok)} (2 panels)`,
      alt: `Left: the ${d.hiddenDim} activations of token ${d.position} (${q(tok)}) in each of the ${H} hidden states, as jittered dots per layer. Right: their variance per layer, from ${fmt(d.variances[0])} (embeddings) to ${fmt(d.variances[H - 1])} (${labels[H - 1]}).`,
      png: a,
    },
    {
      name: 'layer-similarity',
      title: `Layer × layer cosine similarity for ${count(d.layerSimilarity.length, 'token')}`,
      alt: `${capitalized(numberWord(d.layerSimilarity.length))} ${H}×${H} matri${d.layerSimilarity.length === 1 ? 'x' : 'ces'} of cosine similarity between hidden layers, one per token (${d.layerSimilarity.map((x) => q(d.tokens[x.position])).join(', ')}); e.g. for ${q(d.tokens[last.position])} the embeddings and the last layer have similarity ${fmt(last.matrix[H - 1])}.`,
      png: b,
    },
    {
      name: 'token-similarity',
      title: `Token × token cosine similarity for ${count(d.tokenSimilarity.length, 'hidden state')}`,
      alt: `${capitalized(numberWord(d.tokenSimilarity.length))} ${d.tokens.length}×${d.tokens.length} matri${d.tokenSimilarity.length === 1 ? 'x' : 'ces'} of cosine similarity between the text's tokens, at hidden states ${d.tokenSimilarity.map((x) => labels[x.hidden]).join(', ')}, with token labels on both axes.`,
      png: c,
    },
    {
      name: 'laminar-profile',
      title: 'Laminar profile of inter-token similarities',
      alt: `Cosine similarity of every pair of tokens (first token left out) in each hidden layer, as jittered dots; mean ${fmt(avg(d.laminar[0]))} for the embeddings and ${fmt(avg(d.laminar[H - 2]))} at ${labels[H - 2]}.`,
      png: e,
    },
    {
      name: 'block-scaling',
      title: `Scaling each block by ${s.factor}`,
      alt: `Log-probability of ${q(s.target)} after the scaling text (${q(abbreviate(s.tokens.join('')))}) when one block's output is multiplied by ${s.factor}, for each of the ${d.nLayers} blocks; the dashed line is the clean value ${s.clean.toFixed(3)}.`,
      png: f,
    },
  ];
}

const NUMBER_WORDS = ['no', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine', 'ten'];
const numberWord = (n: number) => NUMBER_WORDS[n] ?? String(n);
const capitalized = (t: string) => t[0].toUpperCase() + t.slice(1);
/** "4 tokens", "1 hidden state": what a figure's panels really are. */
const count = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;
const fmt = (x: number) => (Math.abs(x) >= 100 ? x.toFixed(0) : Math.abs(x) >= 1 ? x.toFixed(2) : x.toFixed(3));
const signed = (x: number) => (x >= 0 ? '+' : '−') + (Math.abs(x) < 1e-3 && x !== 0 ? Math.abs(x).toExponential(1) : Math.abs(x).toFixed(3));
const avg = (x: readonly number[]) => x.reduce((a, b) => a + b, 0) / Math.max(1, x.length);
const abbreviate = (t: string, max = 90) => (t.length > max ? `…${t.slice(-(max - 2))}` : t);

/** One runnable next step that differs from this run. */
function suggestion(d: HiddenData, opts: Opts): string {
  const scale = opts.scale !== 0 ? '`/hidden scale:0` to silence each block in turn' : '`/hidden scale:1.2` to amplify each block instead';
  const token = d.position !== d.tokens.length - 1 ? '`/hidden token:-1` to follow the last token' : '`/hidden token:0` to see how the first token stands apart';
  return `Try ${scale}, or ${token}.`;
}

function explain(d: HiddenData, opts: Opts): string {
  const labels = hiddenStateLabels(d.nLayers);
  const H = labels.length;
  const s = d.scaling;
  const effects = s.perLayer.map((v) => v - s.clean);
  const biggest = effects.reduce((best, e, i) => (Math.abs(e) > Math.abs(effects[best]) ? i : best), 0);
  const maxVar = d.variances.reduce((best, v, i) => (v > d.variances[best] ? i : best), 0);
  const first = avg(d.laminar[0]);
  const deep = avg(d.laminar[H - 2]);
  const lastEffect = Math.abs(effects[d.nLayers - 1]);
  const sentences = [
    `In ${quoted(abbreviate(d.tokens.join(''), 60))}, look at how the activations of token ${d.position} (${quoted(d.tokens[d.position])}) change with depth: their variance goes from ${fmt(d.variances[0])} in the embeddings to ${fmt(d.variances[maxVar])} at ${labels[maxVar]}` +
      (maxVar < H - 1 ? `, and the final LayerNorm brings it to ${fmt(d.variances[H - 1])}.` : '.'),
    `The mean similarity between tokens (first one left out) is ${fmt(first)} in the embeddings and ${fmt(deep)} at ${labels[H - 2]}: tokens grow ${deep > first ? 'more' : 'less'} alike with depth.`,
    `After the scaling text (${quoted(abbreviate(s.tokens.join(''), 40))}), the clean log-probability of ${quoted(s.target)} is ${s.clean.toFixed(3)} (top guess ${quoted(s.cleanTop[0].token)}); scaling block ${biggest}'s output by ${s.factor} changes it most, to ${s.perLayer[biggest].toFixed(3)}.`,
  ];
  if (s.factor > 0 && lastEffect < 0.01) {
    sentences.push(`Scaling the last block hardly matters (change ${signed(effects[d.nLayers - 1])}): the final LayerNorm divides the scale out again.`);
  }
  sentences.push(suggestion(d, opts));
  return sentences.join(' ');
}

function figureData(d: HiddenData): Record<string, unknown> {
  const labels = hiddenStateLabels(d.nLayers);
  const s = d.scaling;
  return {
    'token-activations': {
      token: d.tokens[d.position],
      position: d.position,
      layers: labels,
      activations: d.activations.map((a) => Array.from(a)),
      variances: d.variances,
    },
    'layer-similarity': {
      layers: labels,
      matrices: d.layerSimilarity.map((x) => ({ position: x.position, token: d.tokens[x.position], cosine: squareRows(x.matrix, labels.length) })),
    },
    'token-similarity': tokenSimilarityData(d, labels),
    'laminar-profile': laminarData(d, labels),
    'block-scaling': {
      tokens: s.tokens,
      target: s.target,
      target_id: s.targetId,
      factor: s.factor,
      clean_log_prob: s.clean,
      log_prob_per_block: s.perLayer,
      clean_top5: s.cleanTop,
      patches_per_block: s.patches,
    },
  };
}

/** Token × token matrices grow with the square of the text: long texts keep the first tokens. */
const DATA_TOKENS = 128;
/** Above this many pairs per layer the laminar data are summarised. */
const DATA_PAIRS = 5000;

function tokenSimilarityData(d: HiddenData, labels: string[]) {
  const n = d.tokens.length;
  const key = n > DATA_TOKENS ? `cosine_first_${DATA_TOKENS}_tokens` : 'cosine';
  return {
    tokens: d.tokens.slice(0, DATA_TOKENS),
    matrices: d.tokenSimilarity.map((x) => ({ layer: labels[x.hidden], [key]: squareRows(x.matrix, n, DATA_TOKENS) })),
  };
}

function laminarData(d: HiddenData, labels: string[]) {
  if (d.laminar[0].length <= DATA_PAIRS) return { layers: labels, pair_similarities_first_token_left_out: d.laminar };
  return {
    layers: labels,
    pair_similarity_summary_per_layer_first_token_left_out: d.laminar.map((x) => {
      const m = avg(x);
      return { pairs: x.length, mean: m, std: Math.sqrt(x.reduce((s, v) => s + (v - m) ** 2, 0) / (x.length - 1)), min: Math.min(...x), max: Math.max(...x) };
    }),
  };
}

export const hiddenAnalysis: Analysis<typeof Options, HiddenData> = {
  id: 'hidden',
  post: findPost('hidden')!,
  usesModel: true,
  options: Options,
  compute,
  render,
  explain,
  figureData,
};
