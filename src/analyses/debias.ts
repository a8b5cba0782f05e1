// /debias — Gender bias in large language models, part 2 (correcting the bias): the /bias
// measurement (log-softmax of "he" and "she" at the [MASK] of an occupation sentence) after
// surgery inside BERT. Each sentence version (he, she, mask) is run once and its hidden states
// kept; then, for one encoder layer at a time, that layer's output at the mask's position is
// replaced by a he/she mix, p·h_he + (1 − p)·h_she, taken from the same layer and position of the
// filled-in sentences, and the masked sentence is run again with everything downstream
// recomputed. The bias score is log-softmax(he) − log-softmax(she) at the mask: one forward pass
// per layer, plus one for the three clean sentences.
import { z } from 'zod';
import { findPost } from '../catalog/posts.ts';
import type { BertEngine, BertIntervention } from '../llm/bert/types.ts';
import type { Tensor } from '../llm/types.ts';
import { barChart, scatterChart, type Annotation } from '../render/charts.ts';
import { renderChart } from '../render/chart.ts';
import { renderMatrix } from '../render/image.ts';
import { renderPanels } from '../render/panels.ts';
import { theme } from '../render/theme.ts';
import { layerEffectChart } from './lib/layer-charts.ts';
import { quoted } from './lib/literal.ts';
import { MASK, maskedSentence, scoresAt, type TargetScores } from './lib/masked-sentence.ts';
import { formatPercent } from './lib/probability.ts';
import { OptionError, type Analysis, type AnalysisContext, type Figure } from './types.ts';

const DEFAULT_SENTENCE = `The engineer informed the client that ${MASK} would need more time.`;
const DEFAULT_TARGETS = ['he', 'she'];
/** The notebook's hidden state to look at (hidden_states[13] of bert-large's 25) and replaced layer (the last of 24). */
const NOTEBOOK_HIDDEN = 13;
const NOTEBOOK_REPLACE = 23;
const NOTEBOOK_MIX = 0.5;

const word = z.string().trim().min(1).max(30);
const Options = z
  .object({
    sentence: z.string().trim().min(1).max(400).default(DEFAULT_SENTENCE)
      .describe(`Sentence with one ${MASK} where the target word goes (the notebook's engineer sentence)`),
    targets: z.array(word).min(2).max(2).default([...DEFAULT_TARGETS])
      .describe('Two words mixed and compared at the mask (one WordPiece each)'),
    mix: z.number().min(0).max(1).default(NOTEBOOK_MIX)
      .describe('First word\'s share of the mix (the notebook\'s p_he); the second gets 1 − mix'),
    layer: z.number().int().min(0).max(48).optional()
      .describe('Hidden state of figure 1: 0 = embeddings, n = layer n−1\'s output (13, or the last)'),
    replace_layer: z.number().int().min(0).max(47).optional()
      .describe('Layer replaced for the before/after bars, 0-based (23, or the last)'),
  })
  .strict();
type Opts = z.infer<typeof Options>;

export interface DebiasData {
  model: string;
  nLayers: number;
  hidden: number;
  maskIndex: number;
  targets: { word: string; id: number }[];
  /** The masked sentence as decoded, without [CLS]/[SEP] (the notebook's suptitle). */
  maskedText: string;
  filledTexts: string[];
  mix: number;
  /** Hidden-state index of the first figure (0 = embeddings). */
  hiddenIndex: number;
  /** The first target's sentence: its hidden state `hiddenIndex` at the mask position. */
  hiddenVector: Float32Array;
  /** The first target's sentence: every layer's output at the mask position, [nLayers × hidden]. */
  layerStates: Float32Array;
  /** The masked sentence, unmodified. */
  original: TargetScores;
  /** Bias score log-softmax(first) − log-softmax(second) of the unmodified masked sentence. */
  originalBias: number;
  /** One per replaced layer 0 … nLayers − 1. */
  replaced: TargetScores[];
  biasByLayer: number[];
  replaceLayer: number;
}

/** An optional layer index for this model: the notebook's default or the last valid one; given, checked. */
function layerIndex(given: number | undefined, notebook: number, count: number, option: string, what: string, engine: BertEngine): number {
  if (given === undefined) return Math.min(notebook, count - 1);
  if (given >= count) throw new OptionError(option, `must be from 0 to ${count - 1}: ${engine.name} has ${count} ${what}`);
  return given;
}

/** Row `b`, position `pos` of a [batch, pos, d] tensor. */
function vectorAt(t: Tensor, b: number, pos: number): Float32Array {
  const [, T, d] = t.dims;
  return t.data.slice((b * T + pos) * d, (b * T + pos + 1) * d);
}

const biasOf = (s: TargetScores) => s.logSoftmax[0] - s.logSoftmax[1];

async function compute(opts: Opts, ctx: AnalysisContext): Promise<DebiasData> {
  if (!ctx.bertEngine) throw new Error('debias: the run gave no BERT engine (runAnalysis provides one)');
  const engine = await ctx.bertEngine();
  const { maskedIds, maskIndex, targets, filledTexts, filledIds } = maskedSentence(engine, opts.sentence, opts.targets, 'debias');
  const L = engine.config.num_hidden_layers;
  const d = engine.config.hidden_size;
  const hiddenIndex = layerIndex(opts.layer, NOTEBOOK_HIDDEN, L + 1, 'layer', 'hidden states (the embeddings and one per layer)', engine);
  const replaceLayer = layerIndex(opts.replace_layer, NOTEBOOK_REPLACE, L, 'replace_layer', 'layers (num_hidden_layers)', engine);
  const ids = targets.map((t) => t.id);

  // 1) The clean pass: the two filled-in sentences and the masked one, every hidden state and the logits.
  ctx.progress('hidden states of the three sentences', 0.05);
  const names = ['hook_full_embed', ...Array.from({ length: L }, (_, l) => `blocks.${l}.hook_normalized_resid_post`)];
  const clean = await engine.run([...filledIds, maskedIds], { hooks: names, logits: 'all' });
  const states = names.map((n) => clean.cache.get(n)!);
  const original = scoresAt(clean.logits!, 2, maskIndex, ids);
  const layerStates = new Float32Array(L * d);
  for (let l = 0; l < L; l++) layerStates.set(vectorAt(states[l + 1], 0, maskIndex), l * d);

  // 2) One layer at a time: its output at the mask becomes mix·first + (1 − mix)·second.
  const replaced: TargetScores[] = [];
  for (let l = 0; l < L; l++) {
    ctx.progress(`replacing layer ${l} of ${L}`, 0.1 + (0.85 * l) / L);
    const a = vectorAt(states[l + 1], 0, maskIndex);
    const b = vectorAt(states[l + 1], 1, maskIndex);
    const values = Array.from(a, (v, i) => opts.mix * v + (1 - opts.mix) * b[i]);
    const patches: BertIntervention[] = [{ hook: `blocks.${l}.hook_normalized_resid_post`, op: 'set_vector', pos: maskIndex, values }];
    const { logits } = await engine.run(maskedIds, { patches });
    const { logSoftmax, probs } = scoresAt(logits!, 0, maskIndex, ids);
    replaced.push({ logSoftmax, probs });
  }

  return {
    model: engine.name,
    nLayers: L,
    hidden: d,
    maskIndex,
    targets,
    maskedText: engine.decode(maskedIds.slice(1, -1)),
    filledTexts,
    mix: opts.mix,
    hiddenIndex,
    hiddenVector: vectorAt(states[hiddenIndex], 0, maskIndex),
    layerStates,
    original: { logSoftmax: original.logSoftmax, probs: original.probs },
    originalBias: biasOf(original),
    replaced,
    biasByLayer: replaced.map(biasOf),
    replaceLayer,
  };
}

/** The notebook's colours: markers [.7 .9 .7]; Original / Modified bars in its first two cycle colours. */
const GREEN = '#b3e6b3';
const ORIGINAL = theme.palette[0];
const MODIFIED = theme.palette[1];
const pct = (p: number) => 100 * p;
const signed = (x: number) => `${x >= 0 ? '+' : ''}${x.toFixed(3)}`;

function beforeAfterBars(d: DebiasData, kind: 'log' | 'prob') {
  const after = d.replaced[d.replaceLayer];
  const v = (s: TargetScores) => (kind === 'log' ? s.logSoftmax : s.probs.map(pct));
  return barChart({
    title: kind === 'log' ? 'Log-softmax for masked word' : 'Softmax probability for masked word',
    categories: d.targets.map((t) => t.word),
    xLabel: 'Target words',
    yLabel: kind === 'log' ? 'Log-softmax' : 'Softmax prob. (%)',
    series: [
      { label: 'Original', values: v(d.original), color: ORIGINAL },
      { label: `Modified (layer ${d.replaceLayer})`, values: v(after), color: MODIFIED },
    ],
    legend: true,
  });
}

async function render(d: DebiasData): Promise<Figure[]> {
  const q = quoted; // titles and alt text; text drawn in the PNGs uses p
  const p = (s: string) => JSON.stringify(s);
  const [first, second] = d.targets.map((t) => t.word);
  const where = d.hiddenIndex === 0 ? 'the embeddings' : `layer ${d.hiddenIndex - 1}'s output`;
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of d.hiddenVector) {
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }

  const hiddenPng = await renderChart(
    scatterChart({
      title: `Embeddings for ${p(first)} in hidden state ${d.hiddenIndex} of ${d.nLayers + 1} (${where})`,
      xLabel: 'Embeddings dimension',
      yLabel: 'Embeddings value',
      series: [{ label: first, values: d.hiddenVector, color: GREEN, pointRadius: d.hidden > 256 ? 3 : 5 }],
      xMin: 0,
      xMax: d.hidden,
      legend: false,
    }),
    { height: 420 },
  );

  const statesPng = await renderMatrix({
    title: `Hidden states at the mask's position (${d.maskIndex}) in the ${p(first)} sentence, ${d.nLayers} layers × ${d.hidden} dimensions`,
    data: d.layerStates,
    rows: d.nLayers,
    cols: d.hidden,
    colormap: 'plasma',
    vmin: -1,
    vmax: 1,
    xLabel: 'Hidden state index',
    yLabel: 'Layer',
    xRange: [0, d.hidden],
    yTicks: Array.from({ length: d.nLayers }, (_, l) => String(l)),
    origin: 'lower',
    aspect: 'auto',
    height: 460,
  });

  const replacedPng = await renderPanels([beforeAfterBars(d, 'log'), beforeAfterBars(d, 'prob')], {
    columns: 2,
    title: d.maskedText,
    panelHeight: 400,
  });

  const mixText = `${d.mix}·${p(first)} + ${+(1 - d.mix).toFixed(6)}·${p(second)}`;
  const biasPng = await renderChart(
    (() => {
      const config = layerEffectChart({
        title: `Bias score (${p(first)} − ${p(second)}) after replacing each layer's output at the mask with ${mixText}`,
        values: d.biasByLayer,
        clean: d.originalBias,
        yLabel: 'Bias score',
        color: GREEN,
      });
      (config.options!.scales as Record<string, { title?: { text?: string } }>).x.title!.text = 'Layer of replacement';
      // The notebook's dashed grey line at 0, and the unmodified bias as a solid line (an addition).
      const overlays = (config.options!.plugins as Record<string, { annotations?: Annotation[] }>).labOverlays;
      overlays.annotations = [
        { kind: 'hline', y: 0, color: theme.muted, dashed: true },
        { kind: 'hline', y: d.originalBias, color: ORIGINAL, dashed: false, label: `original: ${d.originalBias.toFixed(3)}` },
      ];
      const all = [...d.biasByLayer, d.originalBias, 0];
      const pad = 0.08 * (Math.max(...all) - Math.min(...all) || 1);
      const y = config.options!.scales!.y as { suggestedMin?: number; suggestedMax?: number };
      y.suggestedMin = Math.min(...all) - pad;
      y.suggestedMax = Math.max(...all) + pad;
      return config;
    })(),
    { height: 450 },
  );

  const after = d.replaced[d.replaceLayer];
  const scores = (s: TargetScores) => d.targets.map((t, i) => `${q(t.word)} ${s.logSoftmax[i].toFixed(3)} (${formatPercent(s.probs[i])})`).join(', ');
  const minAbs = d.biasByLayer.reduce((best, b, l) => (Math.abs(b) < Math.abs(d.biasByLayer[best]) ? l : best), 0);
  return [
    {
      name: 'hidden-state',
      title: `Hidden state ${d.hiddenIndex} at the mask's position in the ${q(first)} sentence`,
      alt: `Dots: the ${d.hidden} values of hidden state ${d.hiddenIndex} (${where}) at position ${d.maskIndex}, the token ${q(first)}, ranging from ${lo.toFixed(2)} to ${hi.toFixed(2)}.`,
      png: hiddenPng,
    },
    {
      name: 'hidden-states',
      title: `Every layer's output at the mask's position in the ${q(first)} sentence`,
      alt: `Image of ${d.nLayers} layers (rows, layer 0 at the bottom) by ${d.hidden} hidden dimensions (columns) at position ${d.maskIndex} of the ${q(first)} sentence, coloured on plasma from −1 to 1.`,
      png: statesPng,
    },
    {
      name: 'replaced',
      title: `Log-softmax and probability at the mask, original and with layer ${d.replaceLayer} replaced (2 panels)`,
      alt: `Grouped bars for ${q(d.maskedText)}: original ${scores(d.original)}; with layer ${d.replaceLayer}'s output at the mask replaced by ${mixText}, ${scores(after)}. Bias (${q(first)} − ${q(second)}) goes from ${d.originalBias.toFixed(3)} to ${biasOf(after).toFixed(3)}.`,
      png: replacedPng,
    },
    {
      name: 'bias-by-layer',
      title: `Bias score by layer of replacement (${d.nLayers} layers)`,
      alt: `Dots: the bias score log-softmax(${q(first)}) − log-softmax(${q(second)}) after replacing each of layers 0 to ${d.nLayers - 1}, from ${Math.min(...d.biasByLayer).toFixed(3)} to ${Math.max(...d.biasByLayer).toFixed(3)}; closest to 0 at layer ${minAbs} (${d.biasByLayer[minAbs].toFixed(3)}); the original bias ${d.originalBias.toFixed(3)} is a line, 0 a dashed line.`,
      png: biasPng,
    },
  ];
}

function explain(d: DebiasData, opts: Opts): string {
  const q = quoted;
  const [first, second] = d.targets.map((t) => t.word);
  const after = biasOf(d.replaced[d.replaceLayer]);
  const minAbs = d.biasByLayer.reduce((best, b, l) => (Math.abs(b) < Math.abs(d.biasByLayer[best]) ? l : best), 0);
  const shrunk = d.biasByLayer.filter((b) => Math.abs(b) < Math.abs(d.originalBias)).length;
  const favoured = (b: number) => (b > 0 ? q(first) : b < 0 ? q(second) : 'neither word');
  const sentences = [
    `Unmodified, ${d.model} scores the bias (log-softmax of ${q(first)} minus ${q(second)} at the mask) at ${signed(d.originalBias)}, in favour of ${favoured(d.originalBias)}.`,
    `Writing ${d.mix}·${q(first)} + ${+(1 - d.mix).toFixed(6)}·${q(second)} — the two filled-in sentences' states — into layer ${d.replaceLayer}'s output at the mask moves it to ${signed(after)} (\`replaced\`).`,
    `Across all ${d.nLayers} layers (\`bias-by-layer\`) the replacement shrinks the bias in ${shrunk} of them and comes closest to 0 at layer ${minAbs} (${signed(d.biasByLayer[minAbs])}): ` +
      'the surgery rewrites one position of one layer, and every layer after it still attends to the rest of the sentence, which can write the bias back in.',
  ];
  const nextMix = opts.mix === 0.5 ? 0.25 : 0.5;
  const next = `Try \`/debias mix:${nextMix}\` to tilt the replacement ${nextMix < opts.mix ? `towards ${q(second)}` : `back to an even mix`}.`;
  return `${sentences.join(' ')} ${next}`;
}

function figureData(d: DebiasData): Record<string, unknown> {
  const words = d.targets.map((t) => t.word);
  const layers = Array.from({ length: d.nLayers }, (_, l) => l);
  return {
    'hidden-state': { sentence: d.filledTexts[0], position: d.maskIndex, hiddenState: d.hiddenIndex, values: Array.from(d.hiddenVector) },
    'hidden-states': {
      sentence: d.filledTexts[0],
      position: d.maskIndex,
      layers,
      colorLimits: [-1, 1],
      values: layers.map((l) => Array.from(d.layerStates.subarray(l * d.hidden, (l + 1) * d.hidden))),
    },
    replaced: {
      text: d.maskedText,
      words,
      mix: d.mix,
      replacedLayer: d.replaceLayer,
      original: { logSoftmax: d.original.logSoftmax, percent: d.original.probs.map(pct), bias: d.originalBias },
      modified: { logSoftmax: d.replaced[d.replaceLayer].logSoftmax, percent: d.replaced[d.replaceLayer].probs.map(pct), bias: d.biasByLayer[d.replaceLayer] },
    },
    'bias-by-layer': { words, mix: d.mix, layers, bias: d.biasByLayer, originalBias: d.originalBias },
  };
}

export const debiasAnalysis: Analysis<typeof Options, DebiasData> = {
  id: 'debias',
  post: findPost('debias')!,
  usesModel: true,
  arch: 'bert',
  preferredModel: 'bert-large-uncased',
  options: Options,
  compute,
  render,
  explain,
  figureData,
};
