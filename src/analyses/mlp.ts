// /mlp — LLM breakdown 6/6: the MLP. Why expand and bend (two rings become separable with one
// extra non-linear feature: the notebook's 3-D view with the radius as height, plus the
// radius-against-angle view; GELU), what GPT-2's MLP does to activations stage by stage, and how
// much the prediction leans on each block's largest MLP outputs (mean-imputing the top 8 %).
// The notebook runs gpt2-medium: that is the preferred model when downloaded.
import { z } from 'zod';
import { findPost } from '../catalog/posts.ts';
import type { Engine, Intervention } from '../llm/types.ts';
import { scatterChart, lineChart, type Series } from '../render/charts.ts';
import { renderChart } from '../render/chart.ts';
import { renderPanels } from '../render/panels.ts';
import { renderPanelsWith3d } from '../render/scatter3d.ts';
import { theme } from '../render/theme.ts';
import { quoted } from './lib/literal.ts';
import { fromPosition } from './lib/activations.ts';
import { distribution, histogramMatrix, imageLimit, leftEdges, type Distribution, type HistogramMatrix } from './lib/histogram.ts';
import { encodeText, singleToken, wordForm } from './lib/llm-input.ts';
import { modelIndex } from './lib/model-limits.ts';
import { logSoftmax, topK } from './lib/probability.ts';
import { createRng } from './lib/random.ts';
import { bestLinearAccuracy, bestThreshold, gelu, twoRings, type TwoRings } from './lib/separation.ts';
import { blockLabels, LINE_ONLY, layerEffectChart } from './lib/layer-charts.ts';
import { linspace } from './lib/stats.ts';
import { OptionError, type Analysis, type AnalysisContext, type Figure } from './types.ts';

const NOTEBOOK_LAYER = 10;
/** The notebook's view_init(20, 20) of the rings in 3-D. */
const RINGS_VIEW = { elev: 20, azim: 20 } as const;

const Options = z
  .object({
    sentences: z
      .array(z.string().min(1).max(500))
      .min(1)
      .max(8)
      .default(['If the sun is round, then the moon is round.', "If a square is square, then why isn't a triangle square?"])
      .describe('Sentences whose MLP activations are pooled for the stage distributions (| separates)'),
    layer: z
      .number().int().min(0).max(47).optional()
      .describe('Block for the one-layer distribution figure (default 10 as in the notebook, or the last)'),
    text: z.string().min(1).max(2000).default('It was a dark and stormy')
      .describe('Text for the imputation experiment'),
    target: z.string().min(1).max(50).default(' night')
      .describe('Next word to track; one GPT-2 token, leading space added ("…" keeps it exact)'),
    fraction: z.number().min(0.001).max(1).default(0.08)
      .describe('Share of MLP output units (largest first) set to their mean at the last token'),
    seed: z.number().int().min(0).max(2147483647).optional()
      .describe('Seed for the simulated rings and GELU inputs'),
  })
  .strict();

type Opts = z.infer<typeof Options>;

/** The four places the notebook hooks in each MLP, with this project's hook names. */
export const MLP_STAGES = [
  { hook: 'ln2.hook_out', label: 'Input to MLP' },
  { hook: 'mlp.hook_pre', label: 'Expanded pre-GELU' },
  { hook: 'mlp.hook_post', label: 'Expanded post-GELU' },
  { hook: 'hook_mlp_out', label: 'Contraction (MLP output)' },
] as const;

/** The notebook's common bins for the stage histograms: np.linspace(-3, 2, 201). */
export const STAGE_BINS = { bins: 200, range: [-3, 2] as [number, number] };
/** The GELU demo's bins: np.linspace(-3, 3, 71). */
export const GELU_BINS = { bins: 70, range: [-3, 3] as [number, number] };

export interface MlpData {
  seed: number;
  rings: TwoRings & { threshold: number; radiusAccuracy: number; lineAccuracy: number };
  gelu: { x: number[]; y: number[]; inputHist: Distribution; outputHist: Distribution };
  /** Tokens (as text) of each sentence; position 0 of each is left out of the distributions. */
  sentenceTokens: string[][];
  nLayers: number;
  layer: number;
  /** Per stage: layer × bin counts on STAGE_BINS. */
  stageHists: HistogramMatrix[];
  /** Per stage: number of values pooled per layer (tokens after the first × width). */
  stageCounts: number[];
  /** Per layer: share of pre-GELU values below zero (all of them, not only those in the bins). */
  preGeluNegative: number[];
  imputation: {
    tokens: string[];
    target: string;
    targetId: number;
    k: number;
    width: number;
    clean: number;
    /** Log-probability of the target with block l's top-k MLP outputs mean-imputed. */
    perLayer: number[];
    cleanTop: { token: string; logProb: number }[];
    patches: Intervention[][];
  };
}

function simulate(seed: number): Pick<MlpData, 'rings' | 'gelu'> {
  const rng = createRng(seed);
  const rings = twoRings(rng);
  const cut = bestThreshold(rings.inner.radius, rings.outer.radius);
  const line = bestLinearAccuracy(rings.inner, rings.outer);
  // np.random.randn(4000) → GELU; histograms on the notebook's bins (counts).
  const x = Array.from(rng.normals(4000));
  const y = x.map(gelu);
  return {
    rings: { ...rings, threshold: cut.threshold, radiusAccuracy: cut.accuracy, lineAccuracy: line.accuracy },
    gelu: { x, y, inputHist: distribution(x, GELU_BINS), outputHist: distribution(y, GELU_BINS) },
  };
}

/** Values of each stage per layer from position 1 on, pooled over the sentences. */
async function stageDistributions(engine: Engine, sentences: string[], ctx: AnalysisContext) {
  const L = engine.config.n_layer;
  const pooled = MLP_STAGES.map(() => Array.from({ length: L }, () => [] as Float32Array[]));
  const sentenceTokens: string[][] = [];
  for (const [i, s] of sentences.entries()) {
    ctx.progress(`MLP activations, sentence ${i + 1}/${sentences.length}`, (0.4 * i) / sentences.length);
    const tokens = encodeText(engine, s, 'sentences', 2);
    sentenceTokens.push(tokens.map((t) => engine.tokenText(t)));
    const { cache } = await engine.run(tokens, { hooks: MLP_STAGES.map((st) => `blocks.*.${st.hook}`), logits: 'none' });
    MLP_STAGES.forEach((st, k) => {
      for (let l = 0; l < L; l++) pooled[k][l].push(fromPosition(cache.get(`blocks.${l}.${st.hook}`)!, 1));
    });
  }
  const stageValues = pooled.map((perLayer) => perLayer.map(concat));
  const stageHists = stageValues.map((perLayer) => histogramMatrix(perLayer, STAGE_BINS));
  const stageCounts = stageValues.map((perLayer) => perLayer[0].length);
  const preGeluNegative = stageValues[1].map((v) => v.reduce((n, x) => n + (x < 0 ? 1 : 0), 0) / v.length);
  return { sentenceTokens, stageHists, stageCounts, preGeluNegative };
}

function concat(parts: Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Clean run, then one run per block with its top-k MLP outputs at the last token set to their mean. */
async function imputation(engine: Engine, opts: Opts, ctx: AnalysisContext): Promise<MlpData['imputation']> {
  const tokens = encodeText(engine, opts.text, 'text');
  const target = wordForm(opts.target, true);
  const targetId = await singleToken(engine, target, 'target');
  const width = engine.config.n_embd;
  const k = Math.floor(opts.fraction * width);
  if (k < 1) {
    throw new OptionError('fraction', `${opts.fraction} × ${width} units rounds down to 0; use at least ${(1 / width).toFixed(4)} for ${engine.name}`);
  }
  const logProbOf = async (patches: Intervention[]) => {
    const { logits } = await engine.run(tokens, { patches, logits: 'last' });
    return logSoftmax(logits!.data);
  };
  const cleanLp = await logProbOf([]);
  const L = engine.config.n_layer;
  const perLayer: number[] = [];
  const patches: Intervention[][] = [];
  for (let l = 0; l < L; l++) {
    ctx.progress(`imputation, block ${l + 1}/${L}`, 0.4 + (0.6 * l) / L);
    const p: Intervention[] = [{ hook: `blocks.${l}.hook_mlp_out`, op: 'impute_topk_mean', pos: -1, fraction: opts.fraction }];
    patches.push(p);
    perLayer.push((await logProbOf(p))[targetId]);
  }
  return {
    tokens: tokens.map((t) => engine.tokenText(t)),
    target,
    targetId,
    k,
    width,
    clean: cleanLp[targetId],
    perLayer,
    cleanTop: topK(cleanLp, 5).map((id) => ({ token: engine.tokenText(id), logProb: cleanLp[id] })),
    patches,
  };
}

async function compute(opts: Opts, ctx: AnalysisContext): Promise<MlpData> {
  const seed = opts.seed ?? 0;
  const sim = simulate(seed);
  const engine = await ctx.engine();
  const L = engine.config.n_layer;
  const layer = modelIndex(opts.layer, NOTEBOOK_LAYER, L, 'layer', 'blocks (n_layer)', engine);
  // Check every input before the slow part.
  for (const s of opts.sentences) encodeText(engine, s, 'sentences', 2);
  await singleToken(engine, wordForm(opts.target, true), 'target');
  encodeText(engine, opts.text, 'text');
  const stages = await stageDistributions(engine, opts.sentences, ctx);
  const imp = await imputation(engine, opts, ctx);
  return { seed, ...sim, ...stages, nLayers: L, layer, imputation: imp };
}

// ─── Figures ────────────────────────────────────────────────────────────────────────────────

const INNER = '#a6e3a6';
const OUTER = '#e6a6a6';
const q = (s: string) => JSON.stringify(s);
const pct = (x: number) => `${(100 * x).toFixed(0)} %`;

function ringsFigure(d: MlpData): Promise<Buffer> {
  const r = d.rings;
  const circle = linspace(0, 2 * Math.PI, 181).map((t) => [r.threshold * Math.cos(t), r.threshold * Math.sin(t)] as const);
  const lim = 2.5;
  const plane = lineChart({
    title: 'Not linearly separable in 2-D',
    subtitle: `best straight line: ${pct(r.lineAccuracy)} correct`,
    xLabel: 'x',
    yLabel: 'y',
    xMin: -lim, xMax: lim, yMin: -lim, yMax: lim,
    series: [
      { label: 'inner ring', points: r.inner.x.map((x, i) => [x, r.inner.y[i]] as const), color: INNER, lineWidth: 0, pointRadius: 4 },
      { label: 'outer ring', points: r.outer.x.map((x, i) => [x, r.outer.y[i]] as const), color: OUTER, lineWidth: 0, pointRadius: 4 },
      { label: `threshold circle r = ${r.threshold.toFixed(2)}`, points: circle, color: theme.muted, dashed: true, pointRadius: LINE_ONLY, lineWidth: 1.5 },
    ],
  });
  // The notebook's second panel: the same points lifted to height = radius, seen from (20°, 20°).
  const lifted = {
    scatter3d: {
      title: 'Linearly separable in 3-D',
      subtitle: `height = radius: a flat plane at height ${r.threshold.toFixed(2)} would separate ${pct(r.radiusAccuracy)}`,
      xLabel: 'x',
      yLabel: 'y',
      zLabel: 'Radius',
      ...RINGS_VIEW,
      tickLabels: { x: false, y: false },
      series: [
        { label: 'inner ring', x: r.inner.x, y: r.inner.y, z: r.inner.radius, color: INNER, edgeColor: '#000000', pointRadius: 4.5 },
        { label: 'outer ring', x: r.outer.x, y: r.outer.y, z: r.outer.radius, color: OUTER, edgeColor: '#000000', pointRadius: 4.5, marker: 'square' as const },
      ],
    },
  };
  const deg = r.theta.map((t) => (t * 180) / Math.PI);
  const radius = scatterChart({
    title: 'The radius against the angle',
    subtitle: `radius = √(x² + y²) < ${r.threshold.toFixed(2)}: ${pct(r.radiusAccuracy)} correct`,
    xLabel: 'angle (degrees)',
    yLabel: 'radius (the added feature)',
    xMin: 0, xMax: 360, yMin: 0,
    series: [
      { label: 'inner ring', values: r.inner.radius, x: deg, color: INNER },
      { label: 'outer ring', values: r.outer.radius, x: deg, color: OUTER },
    ],
    annotations: [{ kind: 'hline', y: r.threshold, color: theme.foreground, label: `threshold ${r.threshold.toFixed(2)}` }],
  });
  return renderPanelsWith3d([plane, lifted, radius], { columns: 3, width: 1800, panelHeight: 620, title: 'Linear separation after a non-linear expansion' });
}

function geluFigure(d: MlpData): Promise<Buffer> {
  const g = d.gelu;
  const io = scatterChart({
    title: 'Impact of GELU activation',
    xLabel: 'input',
    yLabel: 'output',
    series: [
      { label: 'data (y = x)', values: g.x, x: g.x, color: INNER },
      { label: 'GELU(x)', values: g.y, x: g.x, color: '#b3b3e6' },
    ],
  });
  const hist = lineChart({
    title: 'Distributions',
    xLabel: 'activation value',
    yLabel: 'count',
    xMin: GELU_BINS.range[0], xMax: GELU_BINS.range[1],
    series: [
      { label: 'data', values: g.inputHist.values, x: leftEdges(g.inputHist), color: INNER, pointRadius: LINE_ONLY },
      { label: 'GELU', values: g.outputHist.values, x: leftEdges(g.outputHist), color: '#b3b3e6', pointRadius: LINE_ONLY },
    ],
  });
  return renderPanels([io, hist], { columns: 2, panelHeight: 460, title: `GELU on ${g.x.length} standard-normal values (GPT-2's tanh form)` });
}

function stageSeries(d: MlpData, layer: number): Series[] {
  return d.stageHists.map((h, k) => ({
    label: MLP_STAGES[k].label,
    values: Array.from(h.data.subarray(layer * h.bins, (layer + 1) * h.bins)),
    x: leftEdges(h),
    pointRadius: LINE_ONLY,
  }));
}

function stagesLayerFigure(d: MlpData): Promise<Buffer> {
  return renderChart(
    lineChart({
      title: `Distribution of MLP activations in block ${d.layer}`,
      subtitle: `${d.sentenceTokens.length} sentence(s), first token left out; ${STAGE_BINS.bins} bins on [${STAGE_BINS.range.join(', ')}]`,
      xLabel: 'activation value',
      yLabel: 'count',
      xMin: STAGE_BINS.range[0],
      xMax: STAGE_BINS.range[1],
      yMin: 0,
      series: stageSeries(d, d.layer),
    }),
    { height: 560 },
  );
}

function stagesByLayerFigure(d: MlpData): Promise<Buffer> {
  const panels = d.stageHists.map((h, k) => ({
    matrix: {
      data: h.data,
      rows: h.rows,
      cols: h.bins,
      colormap: 'magma' as const,
      vmin: 0,
      vmax: imageLimit(h),
      origin: 'lower' as const,
      aspect: 'auto' as const,
      xRange: STAGE_BINS.range,
      yTicks: blockLabels(d.nLayers),
      title: MLP_STAGES[k].label,
      xLabel: 'activation value',
      yLabel: 'transformer block',
      colorbarLabel: 'count',
    },
  }));
  return renderPanels(panels, { columns: 2, panelHeight: 420, title: 'MLP activation histograms per block (rows: blocks 0 at the bottom)' });
}

function imputationFigure(d: MlpData): Promise<Buffer> {
  const m = d.imputation;
  return renderChart(
    layerEffectChart({
      title: `Mean-imputing the top ${(100 * (m.k / m.width)).toFixed(1)} % of MLP outputs (${m.k} of ${m.width}) at the last token`,
      subtitle: `log P(${q(m.target)} | ${q(m.tokens.join(''))})`,
      values: m.perLayer,
      clean: m.clean,
    }),
    { height: 480 },
  );
}

async function render(d: MlpData): Promise<Figure[]> {
  const L = d.nLayers;
  const m = d.imputation;
  const top = strongestBlock(m);
  const r = d.rings;
  return [
    {
      name: 'two-rings',
      title: 'Linear separation after a non-linear expansion',
      alt: `Three panels. Left: two noisy rings of ${r.theta.length} points each (radius 1 and 2) in the x–y plane with the separating circle at radius ${r.threshold.toFixed(2)}; no straight line does better than ${pct(r.lineAccuracy)}. ` +
        `Middle: the same points in 3-D with their radius as height, seen from elevation ${RINGS_VIEW.elev}° and azimuth ${RINGS_VIEW.azim}°: the inner ring lies ${r.radiusAccuracy === 1 ? 'wholly' : 'mostly'} below the outer one. ` +
        `Right: each point's radius against its angle; one horizontal threshold at ${r.threshold.toFixed(2)} separates ${pct(r.radiusAccuracy)}.`,
      png: await ringsFigure(d),
    },
    {
      name: 'gelu',
      title: 'GELU and its histograms',
      alt: `Left: GELU output against input for ${d.gelu.x.length} standard-normal values, next to the identity line. Right: histograms before and after GELU; negative values are squashed towards zero.`,
      png: await geluFigure(d),
    },
    {
      name: 'mlp-stages-layer',
      title: `MLP activation distributions, block ${d.layer}`,
      alt: `Histograms (counts) of the four MLP stages in block ${d.layer} — input, pre-GELU, post-GELU and output — pooled over ${d.sentenceTokens.length} sentence(s).`,
      png: await stagesLayerFigure(d),
    },
    {
      name: 'mlp-stages-by-layer',
      title: 'MLP activation histograms per block',
      alt: `Four images, one per MLP stage: rows are the ${L} transformer blocks, columns are activation bins from −3 to 2, brightness is the count.`,
      png: await stagesByLayerFigure(d),
    },
    {
      name: 'mlp-imputation',
      title: 'Mean-imputing the largest MLP outputs',
      alt: `Log-probability of ${q(m.target)} after the text when the top ${m.k} MLP output units at the last token of one block are set to their mean, per block; the dashed line is the clean value ${m.clean.toFixed(3)}. ` +
        `Imputing in block ${top.block} moves it most: it ${top.effect < 0 ? 'falls' : 'rises'} to ${m.perLayer[top.block].toFixed(3)} (${signed(top.effect)}).`,
      png: await imputationFigure(d),
    },
  ];
}

/** The block whose imputation moves log P(target) furthest from the clean run, either way. */
export function strongestBlock(m: Pick<MlpData['imputation'], 'perLayer' | 'clean'>): { block: number; effect: number } {
  let block = 0;
  for (let l = 1; l < m.perLayer.length; l++) {
    if (Math.abs(m.perLayer[l] - m.clean) > Math.abs(m.perLayer[block] - m.clean)) block = l;
  }
  return { block, effect: m.perLayer[block] - m.clean };
}

const signed = (v: number) => `${v >= 0 ? '+' : '−'}${Math.abs(v).toFixed(3)}`;

/** Runnable suggestions that differ from this run and fit this model (block numbers, unit counts). */
export function mlpSuggestions(d: MlpData, opts: Opts): { command: string; why: string }[] {
  const out: { command: string; why: string }[] = [];
  const fraction = opts.fraction < 0.2 ? 0.2 : opts.fraction < 0.5 ? 0.5 : 0.08;
  if (Math.floor(fraction * d.imputation.width) >= 1) {
    out.push({ command: `/mlp fraction:${fraction}`, why: fraction === 0.08 ? 'to impute the notebook\'s 8 %' : 'to impute more units' });
  }
  const layer = d.layer === 0 ? d.nLayers - 1 : 0;
  if (layer !== d.layer) out.push({ command: `/mlp layer:${layer}`, why: `to see block ${layer}'s distributions` });
  return out;
}

function explain(d: MlpData, opts: Opts): string {
  const m = d.imputation;
  const top = strongestBlock(m);
  const pre = d.preGeluNegative[d.layer];
  const dir = top.effect < 0 ? 'lowers' : 'raises';
  const tries = mlpSuggestions(d, opts).map((t) => `\`${t.command}\` ${t.why}`);
  return [
    `The rings show why an MLP expands and bends: no straight line sorts the two rings (best ${pct(d.rings.lineAccuracy)}), but lifting each point to its radius as a third feature lets one flat threshold (${d.rings.threshold.toFixed(2)}) get ${pct(d.rings.radiusAccuracy)} right.`,
    `In block ${d.layer}, ${pct(pre)} of the expanded pre-GELU values are negative; GELU squeezes all of them into (−0.17, 0), the tall spike just left of zero in the post-GELU histogram.`,
    `Mean-imputing the ${m.k} largest of ${m.width} MLP outputs at the last token ${dir} log P(${quoted(m.target)}) most in block ${top.block} (${m.clean.toFixed(3)} → ${m.perLayer[top.block].toFixed(3)}), and across blocks it spans ${Math.min(...m.perLayer).toFixed(3)} to ${Math.max(...m.perLayer).toFixed(3)}.`,
    tries.length ? `Try ${tries.join(', or ')}.` : '',
  ].filter(Boolean).join(' ');
}

function figureData(d: MlpData): Record<string, unknown> {
  const m = d.imputation;
  const stageRows = (layer: number) =>
    Object.fromEntries(MLP_STAGES.map((st, k) => [st.label, Array.from(d.stageHists[k].data.subarray(layer * STAGE_BINS.bins, (layer + 1) * STAGE_BINS.bins))]));
  return {
    'two-rings': {
      seed: d.seed,
      theta: d.rings.theta,
      inner: d.rings.inner,
      outer: d.rings.outer,
      threshold: d.rings.threshold,
      radius_accuracy: d.rings.radiusAccuracy,
      best_line_accuracy: d.rings.lineAccuracy,
    },
    gelu: {
      seed: d.seed,
      x: d.gelu.x,
      gelu_x: d.gelu.y,
      bin_edges: d.gelu.inputHist.edges,
      counts_input: d.gelu.inputHist.values,
      counts_gelu: d.gelu.outputHist.values,
    },
    'mlp-stages-layer': {
      layer: d.layer,
      sentence_tokens: d.sentenceTokens,
      bin_edges: d.stageHists[0].edges,
      counts: stageRows(d.layer),
    },
    'mlp-stages-by-layer': {
      bin_edges: d.stageHists[0].edges,
      values_per_block: Object.fromEntries(MLP_STAGES.map((st, k) => [st.label, d.stageCounts[k]])),
      pre_gelu_negative_share_per_block: d.preGeluNegative,
      counts_block_by_bin: Object.fromEntries(
        MLP_STAGES.map((st, k) => [st.label, Array.from({ length: d.nLayers }, (_, l) => Array.from(d.stageHists[k].data.subarray(l * STAGE_BINS.bins, (l + 1) * STAGE_BINS.bins)))]),
      ),
    },
    'mlp-imputation': {
      tokens: m.tokens,
      target: m.target,
      target_id: m.targetId,
      units_imputed: m.k,
      width: m.width,
      clean_log_prob: m.clean,
      log_prob_per_block: m.perLayer,
      clean_top5: m.cleanTop,
      patches_per_block: m.patches,
    },
  };
}

export const mlpAnalysis: Analysis<typeof Options, MlpData> = {
  id: 'mlp',
  post: findPost('mlp')!,
  usesModel: true,
  preferredModel: 'gpt2-medium',
  options: Options,
  compute,
  render,
  explain,
  figureData,
};
