// /heatmap — Drawing text heatmaps to visualize LLM calculations. GPT-2 reads a text once; the
// logits at each position, log-softmaxed, give the log-probability of the token that actually
// came next. Min–max scaled, those numbers colour each token: dark tokens were expected, light
// ones surprised the model. A second figure shows one position's logits over the vocabulary.
// Before GPT-2, the notebook warms up on Lorem ipsum: words coloured by their length (raw, then
// min–max scaled, then as a text heatmap) — three figures drawn from that fixed text, not the model.
import { z } from 'zod';
import { findPost } from '../catalog/posts.ts';
import { renderChart } from '../render/chart.ts';
import { scatterChart } from '../render/charts.ts';
import { colormapNames, divergingColormaps, type ColormapName } from '../render/colormaps.ts';
import { renderTextHeatmap } from '../render/text-heatmap.ts';
import { quoted } from './lib/literal.ts';
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

/** The notebook's warm-up text (split on whitespace into 69 "words", punctuation included). */
export const LOREM_IPSUM =
  'Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut ' +
  'labore et dolore magna aliqua. Ut enim ad minim veniam, quis nostrud exercitation ullamco laboris ' +
  'nisi ut aliquip ex ea commodo consequat. Duis aute irure dolor in reprehenderit in voluptate velit ' +
  'esse cillum dolore eu fugiat nulla pariatur. Excepteur sint occaecat cupidatat non proident, sunt ' +
  'in culpa qui officia deserunt mollit anim id est laborum.';

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
      .describe('Colormap for the text heatmaps (sequential maps only)'),
    warmup: z.boolean().default(true)
      .describe("Also draw the notebook's Lorem-ipsum warm-up: word lengths and their text heatmap"),
  })
  .strict();
type Opts = z.infer<typeof Options>;

export interface WordLengths {
  words: string[];
  lengths: number[];
  /** Min–max scaled lengths (the warm-up heatmap's colour values). */
  scaled: number[];
}

export interface HeatmapData {
  /** The Lorem-ipsum warm-up (fixed text, no model). */
  warmup: WordLengths;
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

/** The notebook's warm-up: `text.split()`, each word's character count, min–max scaled. */
export function wordLengths(text: string): WordLengths {
  const words = text.split(/\s+/).filter(Boolean);
  const lengths = words.map((w) => [...w].length);
  return { words, lengths, scaled: Array.from(minMaxScale(lengths)) };
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
    warmup: wordLengths(LOREM_IPSUM),
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
  const figures: Figure[] = [
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
  if (opts.warmup) figures.push(...(await warmupFigures(d.warmup, opts)));
  return figures;
}

/** The notebook's three warm-up figures: raw and scaled word lengths, and the word-length heatmap. */
async function warmupFigures(w: WordLengths, opts: Opts): Promise<Figure[]> {
  const n = w.words.length;
  const longest = w.lengths.indexOf(Math.max(...w.lengths));
  const shortest = w.lengths.indexOf(Math.min(...w.lengths));
  const dots = (title: string, yLabel: string, values: number[], color: string, marker: 'rect' | 'circle') => {
    const config = scatterChart({ title, subtitle: `the ${n} words of the notebook's Lorem ipsum`, xLabel: 'Word index', yLabel, legend: false, series: [{ label: yLabel, values, color, pointRadius: 6 }] });
    // The notebook's markers: squares for the raw counts, round ones (its hexagons) once scaled.
    (config.data.datasets[0] as { pointStyle?: string }).pointStyle = marker;
    return config;
  };
  const [raw, scaled, heat] = await Promise.all([
    renderChart(dots('Raw word lengths', 'Word length (characters)', w.lengths, '#b3e6b3', 'rect'), { width: 1200, height: 400 }),
    renderChart(dots('Min–max scaled word lengths', 'Scaled word length', w.scaled, '#b3e6e6', 'circle'), { width: 1200, height: 400 }),
    renderTextHeatmap({
      title: 'Lorem ipsum coloured by word length (min–max scaled)',
      // A space before each word after the first keeps the words apart, as running text.
      tokens: w.words.map((x, i) => (i === 0 ? x : ` ${x}`)),
      values: w.scaled,
      colormap: opts.colormap,
      vmin: 0,
      vmax: 1,
      legendLabel: 'scaled word length: 0 = shortest, 1 = longest',
    }),
  ]);
  const range = `from ${w.lengths[shortest]} characters (${q(w.words[shortest])}) to ${w.lengths[longest]} (${q(w.words[longest])})`;
  return [
    {
      name: 'word-lengths',
      title: 'Warm-up: raw word lengths',
      alt: `Character count of each of the ${n} whitespace-separated words of the Lorem-ipsum text against word index, ${range}.`,
      png: raw,
      fromModel: false,
    },
    {
      name: 'word-lengths-scaled',
      title: 'Warm-up: min–max scaled word lengths',
      alt: `The same ${n} word lengths min–max scaled to 0–1 (${q(w.words[shortest])} at 0, ${q(w.words[longest])} at 1); the pattern of the dots is unchanged.`,
      png: scaled,
      fromModel: false,
    },
    {
      name: 'word-heatmap',
      title: 'Warm-up: text heatmap of word lengths',
      alt: `The Lorem-ipsum text drawn word by word on boxes coloured (${opts.colormap}) by scaled word length, ${range}.`,
      png: heat,
      fromModel: false,
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

const FAMOUS_LINE = 'It was the best of times, it was the worst of times';

/** One runnable next step that differs from this run and is valid for its text. */
function suggestion(d: HeatmapData, opts: Opts, best: number, worst: number): string {
  if (opts.text === DEFAULT_TEXT) {
    return `Try \`/heatmap text:"${FAMOUS_LINE}"\` to see a famous line the model has read many times.`;
  }
  // The logits just before the best- or least-predicted token, where that is not this run's position.
  const last = d.ids.length - 2;
  const before = [
    { pos: best - 1, what: 'the best-predicted token' },
    { pos: worst - 1, what: 'the biggest surprise' },
  ].find((c) => c.pos >= 0 && c.pos <= last && c.pos !== d.position);
  if (before) return `Try \`/heatmap position:${before.pos}\` with the same text to see the logits just before ${before.what} (${q(d.tokens[before.pos + 1])}).`;
  return opts.colormap === 'viridis' ? 'Try `/heatmap colormap:Blues` to read the same numbers in another colour map.' : 'Try `/heatmap colormap:viridis` to read the same numbers in another colour map.';
}

function explain(d: HeatmapData, opts: Opts): string {
  const best = bestIndex(d);
  const worst = worstIndex(d);
  const w = d.warmup;
  const longest = w.lengths.indexOf(Math.max(...w.lengths));
  const warmup = opts.warmup
    ? [`The last three figures are the notebook's warm-up on Lorem ipsum, drawn from the text alone (no model): ${w.words.length} words coloured by their length, min–max scaled so the longest, ${quoted(w.words[longest])} (${w.lengths[longest]} characters), gets the strongest colour.`]
    : [];
  return [
    `Each box is one of the text's ${d.tokens.length} tokens, coloured by the log-probability ${d.model} gave it before seeing it (${opts.colormap}: darker = better predicted).`,
    `${quoted(d.tokens[best])} was the easiest guess (log p = ${d.logProbs[best].toFixed(2)}, p = ${pct(d.logProbs[best])}) and ${quoted(d.tokens[worst])} the biggest surprise (log p = ${d.logProbs[worst].toFixed(2)}).`,
    `In the logits figure, the actual next token after ${quoted(d.tokens[d.position])} is ${quoted(d.nextToken)}: its logit ${d.nextLogit.toFixed(2)} ranks ${d.nextRank + 1} of ${d.positionLogits.length}, while the model's top choice was ${quoted(d.topToken)}.`,
    ...warmup,
    suggestion(d, opts, best, worst),
  ].join(' ');
}

const pct = (logP: number) => `${(100 * Math.exp(logP)).toPrecision(3)}%`;

function figureData(d: HeatmapData, opts: Opts): Record<string, unknown> {
  const w = d.warmup;
  const warmup = opts.warmup
    ? {
        'word-lengths': { words: w.words, lengths: w.lengths },
        'word-lengths-scaled': { words: w.words, scaled: w.scaled, min: Math.min(...w.lengths), max: Math.max(...w.lengths) },
        'word-heatmap': { words: w.words, scaled: w.scaled, colormap: opts.colormap },
      }
    : {};
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
    ...warmup,
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
