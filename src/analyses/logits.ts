// /logits — LLM breakdown 2/6: logits and next-token prediction. One score per vocabulary entry
// at every position; softmax makes them probabilities and log-softmax puts those on a readable
// scale; the top-10 and the rank of a chosen word (" coffee" after "I like oat milk in my");
// sampling (temperature, top-k, seed) vs greedy generation; and boosting the chosen word's logit
// to the maximum plus a margin (the engine's logit_boost patch), which changes the generation.
import { z } from 'zod';
import { findPost } from '../catalog/posts.ts';
import { mulberry32, sampleToken } from '../llm/generate.ts';
import type { Engine, Intervention } from '../llm/types.ts';
import { barChart } from '../render/charts.ts';
import { renderChart } from '../render/chart.ts';
import { renderPanels } from '../render/panels.ts';
import { theme } from '../render/theme.ts';
import { encodeText, logitsRow, ordinal, predictingPosition, singleToken, tokenTexts, wordForm } from './lib/llm-input.ts';
import { argmax, formatPercent, logSoftmax, logSumExp, rankOf, softmax, topK } from './lib/probability.ts';
import { renderTableFigure } from '../render/table.ts';
import { quoted } from './lib/literal.ts';
import { vocabCurveChart, vocabDotsChart } from './lib/vocab-charts.ts';
import { OptionError, type Analysis, type AnalysisContext, type Figure } from './types.ts';

const DEFAULT_TEXT = 'I think more people would eat turmeric if it were purple.';
const DEFAULT_PROMPT = 'I like oat milk in my';
const TOP = 10;
/** The notebook plots the logits of the 5th token. */
const NOTEBOOK_POSITION = 4;

const Options = z
  .object({
    text: z.string().min(1).max(2000).default(DEFAULT_TEXT)
      .describe('Text whose logits at one position are plotted'),
    position: z.number().int().min(0).max(8191).optional()
      .describe('Token position (0-based) in text for the logits and softmax figures (default 4, or the last)'),
    prompt: z.string().min(1).max(500).default(DEFAULT_PROMPT)
      .describe('Prompt whose next token is predicted, ranked, sampled and boosted'),
    word: z.string().min(1).max(50).default('coffee')
      .describe('Next word to rank and boost (gets a leading space unless "quoted"); must be one token'),
    max_new_tokens: z.number().int().min(1).max(50).default(10)
      .describe('Tokens to generate after the prompt'),
    samples: z.number().int().min(1).max(10).default(5)
      .describe('Number of sampled continuations'),
    temperature: z.number().min(0).max(5).default(1)
      .describe('Sampling temperature (0 = greedy; higher = more surprising tokens)'),
    top_k: z.number().int().min(0).max(50257).default(0)
      .describe('Sample only among the k most likely tokens (0 = all tokens)'),
    margin: z.number().min(0).max(100).default(10)
      .describe("Logit boost: the word's logit is set to the maximum logit plus this margin"),
    seed: z.number().int().min(0).max(2147483647).optional()
      .describe('Seed for the sampled continuations (continuation i uses seed + i)'),
  })
  .strict();
type Opts = z.infer<typeof Options>;

export interface Continuation {
  kind: 'sampled' | 'greedy' | 'boosted';
  seed: number | null;
  ids: number[];
  text: string;
}

export interface LogitsData {
  model: string;
  /** The text figure: logits at `position` and their softmax / log-softmax. */
  textTokens: string[];
  position: number;
  positionLogits: Float32Array;
  positionSoftmax: Float64Array;
  positionLogSoftmax: Float64Array;
  nextId: number;
  nextToken: string;
  nextRank: number;
  /** The prompt: next-token logits after it, clean and with the word boosted. */
  promptIds: number[];
  finalLogits: Float32Array;
  finalProbs: Float64Array;
  top: { id: number; token: string; logit: number; prob: number }[];
  word: string;
  wordId: number;
  wordRank: number;
  wordProb: number;
  boostPatch: Intervention;
  boostedLogits: Float32Array;
  boostedProbs: Float64Array;
  boostedTopId: number;
  boostedTopToken: string;
  continuations: Continuation[];
}

async function compute(opts: Opts, ctx: AnalysisContext): Promise<LogitsData> {
  const engine = await ctx.engine();
  // Check every input before the first forward pass.
  const textIds = encodeText(engine, opts.text, 'text', 2);
  const position = predictingPosition(opts.position, NOTEBOOK_POSITION, textIds.length);
  const promptIds = encodeText(engine, opts.prompt, 'prompt');
  if (promptIds.length + opts.max_new_tokens > engine.config.n_positions) {
    throw new OptionError('max_new_tokens', `prompt (${promptIds.length} tokens) plus ${opts.max_new_tokens} new tokens exceeds ${engine.name}'s ${engine.config.n_positions}-token context`);
  }
  const word = wordForm(opts.word, true);
  const wordId = await singleToken(engine, word, 'word');

  ctx.progress('logits of the text', 0.05);
  const { logits } = await engine.run(textIds, { logits: 'all' });
  const positionLogits = logitsRow(logits!, position);
  const nextId = textIds[position + 1];

  ctx.progress('next-token prediction after the prompt', 0.15);
  const finalLogits = await lastLogits(engine, promptIds);
  const finalProbs = softmax(finalLogits);

  // The notebook's hook: the word's logit becomes the position's maximum plus the margin.
  const boostPatch: Intervention = { hook: 'logits', op: 'logit_boost', pos: -1, token: wordId, margin: opts.margin };
  const boostedLogits = await lastLogits(engine, promptIds, [boostPatch]);
  const boostedTopId = argmax(boostedLogits);

  ctx.progress('sampled, greedy and boosted continuations', 0.2);
  const continuations = await generateAll(engine, promptIds, boostedTopId, opts, (f) => ctx.progress('generating', 0.2 + 0.75 * f));
  for (const c of continuations) c.text = engine.decode(c.ids);

  const [textTokens, [nextToken, boostedTopToken], topIds] = await Promise.all([
    tokenTexts(textIds),
    tokenTexts([nextId, boostedTopId]),
    Promise.resolve(topK(finalLogits, TOP)),
  ]);
  const topTexts = await tokenTexts(topIds);
  return {
    model: engine.name,
    textTokens,
    position,
    positionLogits,
    positionSoftmax: softmax(positionLogits),
    positionLogSoftmax: logSoftmax(positionLogits),
    nextId,
    nextToken,
    nextRank: rankOf(positionLogits, nextId),
    promptIds,
    finalLogits,
    finalProbs,
    top: topIds.map((id, i) => ({ id, token: topTexts[i], logit: finalLogits[id], prob: finalProbs[id] })),
    word,
    wordId,
    wordRank: rankOf(finalLogits, wordId),
    wordProb: finalProbs[wordId],
    boostPatch,
    boostedLogits,
    boostedProbs: softmax(boostedLogits),
    boostedTopId,
    boostedTopToken,
    continuations,
  };
}

/**
 * The sampled, greedy and boosted continuations, all extended together through one key/value
 * cache (a step runs one new position of every row as one batch). Each sampled row draws with the
 * engine's own sampler and a mulberry32 stream seeded seed + i, so it equals engine.generate with
 * that seed; the greedy row equals engine.generate({ greedy: true }). The prompt runs once; the
 * boosted row starts with the token the boosted logits chose and joins the batch from step 1,
 * from the prompt's cache.
 */
async function generateAll(engine: Engine, prompt: number[], boostedFirst: number, opts: Opts, progress: (f: number) => void): Promise<Continuation[]> {
  const seed = opts.seed ?? 0;
  const n = opts.max_new_tokens;
  const sampling = { temperature: opts.temperature, topK: opts.top_k > 0 ? opts.top_k : undefined };
  const rows: (Continuation & { pick: (logits: Float32Array) => number })[] = [];
  for (let i = 0; i < opts.samples; i++) {
    const uniform = mulberry32(seed + i);
    // Temperature 0 is greedy, as in engine.generate.
    const pick = opts.temperature === 0 ? argmax : (l: Float32Array) => sampleToken(l, sampling, uniform);
    rows.push({ kind: 'sampled', seed: seed + i, ids: [], text: '', pick });
  }
  rows.push({ kind: 'greedy', seed: null, ids: [], text: '', pick: argmax });
  const boosted = { kind: 'boosted' as const, seed: null, ids: [boostedFirst], text: '', pick: argmax };
  const cache = engine.kvCache();
  progress(0);
  const first = logitsRow(await cache.append([prompt]), 0);
  for (const r of rows) r.ids.push(r.pick(first));
  const all = [...rows, boosted];
  if (n > 1) cache.select(all.map(() => 0));
  for (let step = 1; step < n; step++) {
    progress(step / n);
    const logits = await cache.append(all.map((r) => [r.ids[r.ids.length - 1]]));
    all.forEach((r, b) => r.ids.push(r.pick(logitsRow(logits, b))));
  }
  return all.map(({ kind, seed: s, ids, text }) => ({ kind, seed: s, ids, text }));
}

async function lastLogits(engine: Engine, ids: number[], patches?: Intervention[]): Promise<Float32Array> {
  const { logits } = await engine.run(ids, { logits: 'last', patches });
  return logitsRow(logits!, 0);
}

const q = (s: string) => JSON.stringify(s);
const pct = formatPercent;


async function render(d: LogitsData, opts: Opts): Promise<Figure[]> {
  const at = `${ordinal(d.position + 1)} token (${q(d.textTokens[d.position])})`;
  const nextMark = { id: d.nextId, label: `Next token ${q(d.nextToken)}` };
  const positionPng = await renderChart(
    vocabDotsChart({ title: `Logits from the ${at}`, yLabel: 'Logits (raw)', values: d.positionLogits, mark: { ...nextMark, label: `Logit for next token ${q(d.nextToken)} (rank ${d.nextRank + 1})` } }),
    { width: 1200, height: 460 },
  );
  const panel = { columns: 3, width: 1500, panelHeight: 440 };
  const softmaxPng = await renderPanels([
    vocabDotsChart({ title: 'Raw logits', yLabel: 'Logits (raw)', values: d.positionLogits, mark: nextMark }),
    vocabDotsChart({ title: 'Softmax logits', yLabel: 'Softmax probability', values: d.positionSoftmax, mark: nextMark, color: '#e6b3b3' }),
    vocabCurveChart({ title: 'Logits vs. softmax', xLabel: 'Logits (raw)', yLabel: 'Softmax probability', x: d.positionLogits, y: d.positionSoftmax }),
  ], { ...panel, title: `Softmax of the logits from the ${at}` });
  const logSoftmaxPng = await renderPanels([
    vocabDotsChart({ title: 'Softmax logits', yLabel: 'Softmax probability', values: d.positionSoftmax, mark: nextMark }),
    vocabDotsChart({ title: 'Log-softmax logits', yLabel: 'Log-softmax', values: d.positionLogSoftmax, mark: nextMark, color: '#e6b3b3' }),
    vocabCurveChart({ title: 'Softmax vs. log-softmax', xLabel: 'Softmax probability', yLabel: 'Log-softmax', x: d.positionSoftmax, y: d.positionLogSoftmax }),
  ], { ...panel, title: `Log-softmax of the logits from the ${at}` });

  const top = d.top[0];
  const finalPng = await renderChart(
    vocabDotsChart({
      title: `Logits from the final token of ${q(opts.prompt)}`,
      yLabel: 'Logits (raw)',
      values: d.finalLogits,
      mark: { id: top.id, label: `Max logit (${q(top.token)})` },
      extraMarks: d.wordId === top.id ? [] : [{ id: d.wordId, label: `${q(d.word)}: rank ${d.wordRank + 1}` }],
    }),
    { width: 1200, height: 460 },
  );

  const wordInTop = d.wordRank < TOP;
  const topRows = d.top.map((t, i) => [String(i + 1), t.logit.toFixed(3), pct(t.prob), q(t.token)]);
  if (!wordInTop) topRows.push(['…', '', '', ''], [String(d.wordRank + 1), d.finalLogits[d.wordId].toFixed(3), pct(d.wordProb), q(d.word)]);
  const topPng = await renderTableFigure({
    title: `Top ${TOP} next tokens after ${q(opts.prompt)}`,
    subtitle: `${q(d.word)} (id ${d.wordId}) ranks ${d.wordRank + 1} of ${d.finalLogits.length}`,
    tables: [{
      columns: [{ header: 'Rank', align: 'right' }, { header: 'Logit', align: 'right', mono: true }, { header: 'Probability', align: 'right', mono: true }, { header: 'Token', mono: true }],
      rows: topRows,
      highlightRows: [wordInTop ? d.wordRank : topRows.length - 1],
    }],
  });

  const kindLabel = (c: Continuation) =>
    c.kind === 'sampled' ? `sampled (seed ${c.seed})` : c.kind === 'greedy' ? 'greedy' : `greedy, ${q(d.word)} boosted`;
  const sampling = `temperature ${opts.temperature}${opts.top_k > 0 ? `, top-k ${opts.top_k}` : ''}`;
  const genPng = await renderTableFigure({
    title: `${opts.max_new_tokens} new tokens after ${q(opts.prompt)}`,
    subtitle: `Sampled with ${sampling}; greedy takes the top token each step; the last row starts from the boosted logits`,
    tables: [{
      columns: [{ header: 'How' }, { header: 'Continuation', wrap: 820 }],
      rows: d.continuations.map((c) => [kindLabel(c), `${opts.prompt}▸${c.text}`]),
      highlightRows: [d.continuations.length - 1],
    }],
  });

  const cleanTop = d.top[0];
  const boostPng = await renderPanels([
    vocabDotsChart({
      title: `Logits after boosting ${q(d.word)} (max + ${opts.margin})`,
      yLabel: 'Logits (raw)',
      values: d.boostedLogits,
      mark: { id: d.boostedTopId, label: `Max logit (${q(d.boostedTopToken)})` },
    }),
    barChart({
      title: 'Softmax probability before and after',
      categories: [d.word, cleanTop.id === d.wordId ? `${cleanTop.token} ` : cleanTop.token].map((s) => q(s)),
      yLabel: 'Probability (%)',
      series: [
        { label: 'Clean', values: [100 * d.wordProb, 100 * cleanTop.prob], color: theme.palette[0] },
        { label: 'Boosted', values: [100 * d.boostedProbs[d.wordId], 100 * d.boostedProbs[cleanTop.id]], color: theme.highlight },
      ],
      yMin: 0,
      yMax: 100,
      legend: true,
    }),
  ], { columns: 2, width: 1400, panelHeight: 460, title: `Logit boost of ${q(d.word)} after ${q(opts.prompt)}` });

  const boosted = d.continuations[d.continuations.length - 1];
  const greedy = d.continuations[d.continuations.length - 2];
  return [
    { name: 'position-logits', title: `Logits at token ${d.position}`, alt: `Logits of all ${d.positionLogits.length} vocabulary entries at token ${d.position} of the text (${q(d.textTokens[d.position])}), with the actual next token ${q(d.nextToken)} marked at rank ${d.nextRank + 1}.`, png: positionPng },
    { name: 'softmax', title: 'Logits and softmax', alt: `Three panels for the same position: raw logits over the vocabulary, their softmax probabilities (the next token ${q(d.nextToken)} has ${pct(d.positionSoftmax[d.nextId])}), and softmax against logits, an exponential curve.`, png: softmaxPng },
    { name: 'log-softmax', title: 'Softmax and log-softmax', alt: `Three panels: softmax probabilities over the vocabulary, log-softmax over the vocabulary (a shifted copy of the logits), and log-softmax against softmax, a logarithm curve.`, png: logSoftmaxPng },
    { name: 'final-logits', title: 'Logits after the prompt', alt: `Logits over the vocabulary after ${q(opts.prompt)}; the maximum, ${q(top.token)}, and ${q(d.word)} (rank ${d.wordRank + 1}) are marked.`, png: finalPng },
    { name: 'top-tokens', title: 'Top next tokens', alt: `Table of the ${TOP} most likely next tokens after ${q(opts.prompt)} with logits and probabilities: ${d.top.map((t) => `${q(t.token)} ${pct(t.prob)}`).join(', ')}; ${q(d.word)} ranks ${d.wordRank + 1}.`, png: topPng },
    { name: 'generations', title: 'Sampled and greedy continuations', alt: `Table of ${opts.samples} sampled continuations (${sampling}), the greedy one (${q(greedy.text)}) and the greedy one after boosting ${q(d.word)} (${q(boosted.text)}).`, png: genPng },
    { name: 'logit-boost', title: 'Logit boost', alt: `Left: logits after setting ${q(d.word)} to the maximum plus ${opts.margin}. Right: its probability rises from ${pct(d.wordProb)} to ${pct(d.boostedProbs[d.wordId])} while ${q(cleanTop.token)} falls from ${pct(cleanTop.prob)} to ${pct(d.boostedProbs[cleanTop.id])}.`, png: boostPng },
  ];
}

function explain(d: LogitsData, opts: Opts): string {
  const top = d.top[0];
  const boosted = d.continuations[d.continuations.length - 1];
  const greedy = d.continuations[d.continuations.length - 2];
  const tryNext = opts.temperature === 1 && opts.top_k === 0
    ? 'Try `/logits temperature:0.5 top_k:20` for tamer samples, or `temperature:2` for wilder ones.'
    : `Try \`/logits word:tea margin:${Math.max(1, opts.margin / 2)}\` to boost a different word by less.`;
  return [
    `At the ${ordinal(d.position + 1)} token of the text, ${d.model} scores all ${d.positionLogits.length} tokens; the one that actually came next, ${quoted(d.nextToken)}, ranks ${d.nextRank + 1} with probability ${pct(d.positionSoftmax[d.nextId])} after softmax, and log-softmax shows the same ranking as a shifted copy of the logits.`,
    `After ${quoted(opts.prompt)} the top prediction is ${quoted(top.token)} (${pct(top.prob)}), and ${quoted(d.word)} ranks ${d.wordRank + 1} (${pct(d.wordProb)}).`,
    `Greedy decoding continues ${quoted(greedy.text)}; the samples differ because each draws from the softmax.`,
    `Boosting ${quoted(d.word)}'s logit to the maximum + ${opts.margin} raises its probability to ${pct(d.boostedProbs[d.wordId])}, and the generation becomes ${quoted(boosted.text)}.`,
    tryNext,
  ].join(' ');
}

const round = (v: number) => Number(v.toPrecision(6));

function figureData(d: LogitsData, opts: Opts): Record<string, unknown> {
  // Full vocabulary vectors only where they are the figure's raw numbers (two logit vectors);
  // softmax and log-softmax follow from them exactly, so their top 100 entries stand in.
  const vocab = (a: ArrayLike<number>) => Array.from(a, round);
  const top100 = (values: ArrayLike<number>) => topK(d.positionLogits, 100).map((id) => ({ id, value: values[id] }));
  return {
    'position-logits': { position: d.position, token: d.textTokens[d.position], nextTokenId: d.nextId, nextToken: d.nextToken, nextRank: d.nextRank + 1, logits: vocab(d.positionLogits) },
    softmax: {
      note: 'softmax(position-logits.logits) = exp(logit − logSumExp); the 100 most likely tokens shown',
      logSumExp: logSumExp(d.positionLogits),
      nextTokenProbability: d.positionSoftmax[d.nextId],
      top100: top100(d.positionSoftmax),
    },
    'log-softmax': {
      note: 'log_softmax(position-logits.logits) = logit − logSumExp; the 100 most likely tokens shown',
      logSumExp: logSumExp(d.positionLogits),
      nextTokenLogSoftmax: d.positionLogSoftmax[d.nextId],
      top100: top100(d.positionLogSoftmax),
    },
    'final-logits': { prompt: opts.prompt, promptTokenIds: d.promptIds, logits: vocab(d.finalLogits) },
    'top-tokens': { top: d.top, word: d.word, wordId: d.wordId, wordRank: d.wordRank + 1, wordLogit: d.finalLogits[d.wordId], wordProbability: d.wordProb },
    generations: {
      prompt: opts.prompt,
      sampling: { temperature: opts.temperature, topK: opts.top_k > 0 ? opts.top_k : null, maxNewTokens: opts.max_new_tokens },
      continuations: d.continuations,
    },
    'logit-boost': {
      patch: d.boostPatch,
      note: 'boosted logits = final-logits.logits with only the word changed',
      wordLogit: { clean: d.finalLogits[d.wordId], boosted: d.boostedLogits[d.wordId] },
      wordProbability: { clean: d.wordProb, boosted: d.boostedProbs[d.wordId] },
      cleanTopToken: { id: d.top[0].id, token: d.top[0].token, clean: d.top[0].prob, boosted: d.boostedProbs[d.top[0].id] },
      boostedTopToken: { id: d.boostedTopId, token: d.boostedTopToken },
    },
  };
}

export const logitsAnalysis: Analysis<typeof Options, LogitsData> = {
  id: 'logits',
  post: findPost('logits')!,
  usesModel: true,
  options: Options,
  compute,
  render,
  explain,
  figureData,
};
