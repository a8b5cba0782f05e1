// /heatmap — Drawing text heatmaps to visualize LLM calculations. GPT-2 reads a text once; the
// logits at each position, log-softmaxed, give the log-probability of the token that actually
// came next. Min–max scaled, those numbers colour each token: dark tokens were expected, light
// ones surprised the model. A second figure shows one position's logits over the vocabulary.
import { z } from 'zod';
import { findPost } from '../catalog/posts.ts';
import { renderChart } from '../render/chart.ts';
import { colormapNames, divergingColormaps, type ColormapName } from '../render/colormaps.ts';
import { renderTextHeatmap } from '../render/text-heatmap.ts';
import { encodeText, logitsRow, ordinal, predictingPosition, tokenTexts } from './lib/llm-input.ts';
import { vocabDotsChart } from './lib/vocab-charts.ts';
import { argmax, logSumExp, minMaxScale, rankOf } from './lib/probability.ts';
import type { Analysis, AnalysisContext, Figure } from './types.ts';

/** The notebook's paragraph: the opening of the correlation-vs-cosine-similarity post. */
const DEFAULT_TEXT =
  'There are many statistical analyses that quantify bivariate (two variables) ' +
  'relationships; in this post I will describe two — correlation and cosine ' +
  'similarity — discuss how they relate to each other, and advise you on when ' +
  'to use which one. The upshot is that the measures can be identical but are ' +
  'often different. Which one to use depends entirely on whether the scale of ' +
  'the data is important.';

/** The notebook plots the logits of the 49th token. */
const NOTEBOOK_POSITION = 48;

const SEQUENTIAL = colormapNames.filter((c) => !divergingColormaps.has(c)) as [ColormapName, ...ColormapName[]];

const Options = z
  .object({
    text: z.string().min(1).max(4000).default(DEFAULT_TEXT)
      .describe('Text to colour by how well GPT-2 predicted each token'),
    position: z.number().int().min(0).max(8191).optional()
      .describe('Token position (0-based) whose logits to plot (default 48 as in the notebook, or the last)'),
    colormap: z.enum(SEQUENTIAL).default('Reds')
      .describe('Colormap for the text heatmap (sequential maps only)'),
  })
  .strict();
type Opts = z.infer<typeof Options>;

export interface HeatmapData {
  model: string;
  ids: number[];
  tokens: string[];
  /** log p(token t | tokens < t) for t ≥ 1; NaN for t = 0 (nothing predicts the first token). */
  logProbs: number[];
  /** logProbs min–max scaled over t ≥ 1 (the notebook's colour values); NaN for t = 0. */
  scaled: number[];
  position: number;
  /** Logits at `position` over the vocabulary. */
  positionLogits: Float32Array;
  nextId: number;
  nextToken: string;
  nextLogit: number;
  /** 0-based rank of the actual next token among all logits at `position`. */
  nextRank: number;
  topId: number;
  topToken: string;
}

async function compute(opts: Opts, ctx: AnalysisContext): Promise<HeatmapData> {
  const engine = await ctx.engine();
  const ids = encodeText(engine, opts.text, 'text', 2);
  const position = predictingPosition(opts.position, NOTEBOOK_POSITION, ids.length);
  ctx.progress('running GPT-2 over the text');
  const { logits } = await engine.run(ids, { logits: 'all' });
  // log_softmax(row)[id] = row[id] − logsumexp(row): one pass per row, no 50k-entry copies.
  const V = logits!.dims[2];
  const logProbs = ids.map((id, t) => {
    if (t === 0) return NaN;
    const row = logits!.data.subarray((t - 1) * V, t * V);
    return row[id] - logSumExp(row);
  });
  const scaledTail = minMaxScale(logProbs.slice(1));
  const positionLogits = logitsRow(logits!, position);
  const nextId = ids[position + 1];
  const topId = argmax(positionLogits);
  const tokens = await tokenTexts(ids);
  const [nextToken, topToken] = await tokenTexts([nextId, topId]);
  return {
    model: engine.name,
    ids,
    tokens,
    logProbs,
    scaled: [NaN, ...scaledTail],
    position,
    positionLogits,
    nextId,
    nextToken,
    nextLogit: positionLogits[nextId],
    nextRank: rankOf(positionLogits, nextId),
    topId,
    topToken,
  };
}

const q = (s: string) => JSON.stringify(s);

async function render(d: HeatmapData, opts: Opts): Promise<Figure[]> {
  const heat = await renderTextHeatmap({
    title: `How well ${d.model} predicted each token (min–max scaled log-probability)`,
    tokens: d.tokens,
    values: d.scaled,
    colormap: opts.colormap,
    vmin: 0,
    vmax: 1,
    legendLabel: 'scaled log p(token | text before it): 0 = least expected, 1 = best predicted; the first token has no prediction',
  });
  const logitsChart = vocabDotsChart({
    title: `Logits from the ${ordinal(d.position + 1)} token (${q(d.tokens[d.position])}) over the vocabulary`,
    yLabel: 'Logits (raw)',
    values: d.positionLogits,
    mark: { id: d.nextId, label: `Logit for next token ${q(d.nextToken)} (rank ${d.nextRank + 1})` },
  });
  const logitsPng = await renderChart(logitsChart, { width: 1200, height: 460 });
  return [
    {
      name: 'text-heatmap',
      title: 'Text heatmap of next-token log-probabilities',
      alt: `The ${d.tokens.length}-token text drawn as boxes coloured by ${d.model}'s min–max scaled log-probability of each token given the text before it; ` +
        `best predicted ${q(d.tokens[bestIndex(d)])}, least expected ${q(d.tokens[worstIndex(d)])}.`,
      png: heat,
    },
    {
      name: 'position-logits',
      title: `Logits at token ${d.position}`,
      alt: `Scatter of the ${d.positionLogits.length} logits at token position ${d.position} (${q(d.tokens[d.position])}) against vocabulary index; ` +
        `the actual next token ${q(d.nextToken)} (id ${d.nextId}, logit ${d.nextLogit.toFixed(2)}) is marked in red and ranks ${d.nextRank + 1}.`,
      png: logitsPng,
    },
  ];
}

function bestIndex(d: HeatmapData): number {
  let best = 1;
  for (let t = 2; t < d.logProbs.length; t++) if (d.logProbs[t] > d.logProbs[best]) best = t;
  return best;
}
function worstIndex(d: HeatmapData): number {
  let worst = 1;
  for (let t = 2; t < d.logProbs.length; t++) if (d.logProbs[t] < d.logProbs[worst]) worst = t;
  return worst;
}

function explain(d: HeatmapData, opts: Opts): string {
  const best = bestIndex(d);
  const worst = worstIndex(d);
  const tryNext = opts.text === DEFAULT_TEXT
    ? 'Try `/heatmap text:"It was the best of times, it was the worst of times"` to see a famous line the model has read many times.'
    : `Try \`/heatmap position:${Math.min(d.ids.length - 2, Math.max(0, best - 1))}\` to see the logits just before the best-predicted token.`;
  return [
    `Each box is one of the text's ${d.tokens.length} tokens, coloured by the log-probability ${d.model} gave it before seeing it (${opts.colormap}: darker = better predicted).`,
    `${q(d.tokens[best])} was the easiest guess (log p = ${d.logProbs[best].toFixed(2)}, p = ${pct(d.logProbs[best])}) and ${q(d.tokens[worst])} the biggest surprise (log p = ${d.logProbs[worst].toFixed(2)}).`,
    `In the logits figure, the actual next token after ${q(d.tokens[d.position])} is ${q(d.nextToken)}: its logit ${d.nextLogit.toFixed(2)} ranks ${d.nextRank + 1} of ${d.positionLogits.length}, while the model's top choice was ${q(d.topToken)}.`,
    tryNext,
  ].join(' ');
}

const pct = (logP: number) => `${(100 * Math.exp(logP)).toPrecision(3)}%`;

function figureData(d: HeatmapData): Record<string, unknown> {
  return {
    'text-heatmap': {
      tokenIds: d.ids,
      tokens: d.tokens,
      logProbs: d.logProbs.map(jsonNumber),
      scaled: d.scaled.map(jsonNumber),
      note: 'logProbs[t] = log_softmax(logits[t-1])[token t]; the first token has none (null)',
    },
    'position-logits': {
      position: d.position,
      token: d.tokens[d.position],
      nextTokenId: d.nextId,
      nextToken: d.nextToken,
      nextLogit: d.nextLogit,
      nextRank: d.nextRank + 1,
      logits: Array.from(d.positionLogits, (v) => Number(v.toPrecision(6))),
    },
  };
}

/** NaN is not JSON: write null. */
const jsonNumber = (v: number) => (Number.isFinite(v) ? v : null);

export const heatmapAnalysis: Analysis<typeof Options, HeatmapData> = {
  id: 'heatmap',
  post: findPost('heatmap')!,
  usesModel: true,
  options: Options,
  compute,
  render,
  explain,
  figureData,
};
