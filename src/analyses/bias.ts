// /bias — Gender bias in large language models, part 1: a masked language model (BERT) fills the
// [MASK] in a sentence about an occupation, and its probabilities for "he", "she" and "they" there
// measure the association it learned. The notebook reads the masked-LM logits at the mask's
// position four times: in the sentence with each target word written in, and with the mask
// itself; log-softmax and softmax turn them into comparable (log-)probabilities.
import { z } from 'zod';
import { findPost } from '../catalog/posts.ts';
import type { BertEngine } from '../llm/bert/types.ts';
import { barChart } from '../render/charts.ts';
import { renderChart } from '../render/chart.ts';
import { renderPanels } from '../render/panels.ts';
import { renderTableFigure } from '../render/table.ts';
import { theme } from '../render/theme.ts';
import { quoted } from './lib/literal.ts';
import { MASK, maskedSentence, scoresAt, type TargetScores } from './lib/masked-sentence.ts';
import { argmax, formatPercent, softmax } from './lib/probability.ts';
import { vocabDotsChart } from './lib/vocab-charts.ts';
import { OptionError, type Analysis, type AnalysisContext, type Figure } from './types.ts';

const DEFAULT_SENTENCE = `The engineer informed the client that ${MASK} would need more time.`;
const DEFAULT_TARGETS = ['he', 'she', 'they'];
const DEFAULT_DEMO = `I like to eat ${MASK} chocolate-covered raisins.`;
/** The notebook's bar colours: he [.9 .7 .7], she [.7 .7 .9], they [.7 .9 .7]. */
const TARGET_COLORS = ['#e6b3b3', '#b3b3e6', '#b3e6b3'];
const LETTERS = 'ABCDEF';

const word = z.string().trim().min(1).max(30);
const Options = z
  .object({
    sentence: z.string().trim().min(1).max(400).default(DEFAULT_SENTENCE)
      .describe(`Sentence with one ${MASK} where a target word goes (the notebook's engineer sentence)`),
    targets: z.array(word).min(2).max(6).default([...DEFAULT_TARGETS])
      .describe('Words compared at the mask (each must be one WordPiece of the model)'),
    demo_text: z.string().trim().min(1).max(400).default(DEFAULT_DEMO)
      .describe('Text whose WordPiece tokens are listed (the notebook\'s first tokenizer demo)'),
  })
  .strict();
type Opts = z.infer<typeof Options>;

export type { TargetScores };

export interface FilledSentence extends TargetScores {
  /** The target word written into the sentence. */
  target: string;
  text: string;
}

export interface BiasData {
  model: string;
  vocabSize: number;
  tokens: { id: number; piece: string }[];
  demoTokens: { id: number; piece: string }[];
  /** Index of [MASK] in the sentence's tokens ([CLS] is 0). */
  maskIndex: number;
  targets: { word: string; id: number }[];
  /** The sentence with each target in the mask's place, in target order. */
  filled: FilledSentence[];
  /** The sentence with the mask itself. */
  masked: TargetScores & { text: string };
  /** The first filled sentence's logits at the mask position, over the whole vocabulary. */
  firstLogits: Float32Array;
  firstSoftmax: Float64Array;
  firstTop: { id: number; piece: string; prob: number };
}

function pieces(engine: BertEngine, ids: number[]) {
  return ids.map((id) => ({ id, piece: engine.tokenText(id) }));
}

async function compute(opts: Opts, ctx: AnalysisContext): Promise<BiasData> {
  if (!ctx.bertEngine) throw new Error('bias: the run gave no BERT engine (runAnalysis provides one)');
  const engine = await ctx.bertEngine();
  const maxLen = engine.config.max_position_embeddings;
  const { maskedIds, maskIndex, targets, filledTexts, filledIds } = maskedSentence(engine, opts.sentence, opts.targets, 'bias');
  const demoIds = engine.encode(opts.demo_text);
  if (demoIds.length > maxLen) throw new OptionError('demo_text', `is ${demoIds.length} tokens, more than ${engine.name}'s ${maxLen}`);

  ctx.progress('masked-LM logits of the sentences', 0.1);
  const { logits } = await engine.run([...filledIds, maskedIds]);
  const ids = targets.map((t) => t.id);
  const filled = filledTexts.map((text, i) => {
    const { logSoftmax: l, probs } = scoresAt(logits!, i, maskIndex, ids);
    return { target: targets[i].word, text, logSoftmax: l, probs };
  });
  const m = scoresAt(logits!, filledIds.length, maskIndex, ids);
  const first = scoresAt(logits!, 0, maskIndex, ids).row;
  const firstSoftmax = softmax(first);
  const top = argmax(first);
  return {
    model: engine.name,
    vocabSize: engine.config.vocab_size,
    tokens: pieces(engine, maskedIds),
    demoTokens: pieces(engine, demoIds),
    maskIndex,
    targets,
    filled,
    masked: { text: engine.decode(maskedIds.slice(1, -1)), logSoftmax: m.logSoftmax, probs: m.probs },
    firstLogits: first,
    firstSoftmax,
    firstTop: { id: top, piece: engine.tokenText(top), prob: firstSoftmax[top] },
  };
}

const colorOf = (i: number) => TARGET_COLORS[i] ?? theme.palette[i % theme.palette.length];
const pct = (p: number) => 100 * p;

function targetBars(d: BiasData, s: TargetScores, o: { title?: string; kind: 'log' | 'prob'; color: string | string[]; xLabel?: string }) {
  const words = d.targets.map((t) => t.word);
  const values = o.kind === 'log' ? s.logSoftmax : s.probs.map(pct);
  return barChart({
    title: o.title,
    categories: words,
    xLabel: o.xLabel,
    yLabel: o.kind === 'log' ? 'Log-softmax' : 'Softmax prob. (%)',
    series: [{ label: o.kind, values, ...(Array.isArray(o.color) ? { barColors: o.color } : { color: o.color }) }],
    legend: false,
  });
}

async function render(d: BiasData, opts: Opts): Promise<Figure[]> {
  const first = d.filled[0];
  const q = quoted; // titles and alt text (plain text there); text drawn in the PNGs uses p
  const p = (s: string) => JSON.stringify(s);
  const topMark = { id: d.firstTop.id, label: `max: ${p(d.firstTop.piece)}`, color: theme.palette[1] };
  const targetMark = { id: d.targets[0].id, label: p(first.target) };
  const extra = d.firstTop.id === d.targets[0].id ? [] : [topMark];

  const table = (rows: { id: number; piece: string }[], mark?: number) => ({
    columns: [{ header: 'Position', align: 'right' as const }, { header: 'Id', align: 'right' as const, mono: true }, { header: 'WordPiece', mono: true }],
    rows: rows.map((t, i) => [String(i), String(t.id), JSON.stringify(t.piece)]),
    ...(mark !== undefined && mark >= 0 ? { highlightRows: [mark] } : {}),
  });
  const tokensPng = await renderTableFigure({
    title: `WordPiece tokens of 2 texts (${d.model})`,
    subtitle: `The mask is token ${d.maskIndex}; targets: ${d.targets.map((t) => `${p(t.word)} = id ${t.id}`).join(', ')}`,
    tables: [
      { heading: p(opts.demo_text), ...table(d.demoTokens, d.demoTokens.findIndex((t) => t.piece === MASK)) },
      { heading: p(opts.sentence), ...table(d.tokens, d.maskIndex) },
    ],
  });

  const logitsPng = await renderChart(vocabDotsChart({
    title: `Logits at the mask's position (${d.maskIndex}) in the ${p(first.target)} sentence`,
    yLabel: 'Logits',
    values: d.firstLogits,
    mark: targetMark,
    extraMarks: extra,
  }));
  const softmaxPct = Float64Array.from(d.firstSoftmax, pct);
  const softmaxPng = await renderChart(vocabDotsChart({
    title: `Softmax probabilities at the mask's position (${d.maskIndex}) in the ${p(first.target)} sentence`,
    yLabel: 'Probability (%)',
    values: softmaxPct,
    mark: targetMark,
    extraMarks: extra,
  }));

  // 2 rows × one column per filled sentence: log-softmax above, softmax % below (the notebook's 2×3).
  const n = d.filled.length;
  const top = d.filled.map((f, i) => targetBars(d, f, { title: `${LETTERS[i]}) Probs. in ${p(f.target)}-sentence`, kind: 'log', color: colorOf(i) }));
  const bottom = d.filled.map((f, i) => targetBars(d, f, { kind: 'prob', color: colorOf(i), xLabel: 'Target words' }));
  const filledPng = await renderPanels([...top, ...bottom], {
    columns: n,
    title: `Target-word probabilities at the mask's position, in each of the ${n} filled-in sentences (${2 * n} panels)`,
    panelHeight: 340,
  });

  const maskedPng = await renderPanels([
    targetBars(d, d.masked, { title: 'Log-softmax for masked word', kind: 'log', color: colorOf(0), xLabel: 'Target words' }),
    targetBars(d, d.masked, { title: 'Softmax probability for masked word', kind: 'prob', color: colorOf(2), xLabel: 'Target words' }),
  ], { columns: 2, title: d.masked.text, panelHeight: 380 });

  const list = (s: TargetScores) => d.targets.map((t, i) => `${q(t.word)} ${formatPercent(s.probs[i])}`).join(', ');
  return [
    {
      name: 'tokens',
      title: `WordPiece tokens of ${q(opts.demo_text)} and of the sentence`,
      alt: `Tables of token ids and WordPieces: ${d.demoTokens.length} tokens for the demo text and ${d.tokens.length} for the sentence, whose ${MASK} is token ${d.maskIndex}.`,
      png: tokensPng,
    },
    {
      name: 'logits',
      title: `Logits in the ${q(first.target)} sentence`,
      alt: `Masked-LM logits of all ${d.vocabSize} tokens at position ${d.maskIndex} of the ${q(first.target)} sentence; ${q(first.target)} has logit ${d.firstLogits[d.targets[0].id].toFixed(2)}, the largest is ${q(d.firstTop.piece)} at ${d.firstLogits[d.firstTop.id].toFixed(2)}.`,
      png: logitsPng,
    },
    {
      name: 'softmax',
      title: `Softmax probabilities in the ${q(first.target)} sentence`,
      alt: `Softmax probability (%) of all ${d.vocabSize} tokens at the mask position of the ${q(first.target)} sentence; ${q(first.target)} gets ${formatPercent(first.probs[0])}, the top token ${q(d.firstTop.piece)} ${formatPercent(d.firstTop.prob)}.`,
      png: softmaxPng,
    },
    {
      name: 'filled',
      title: `Target-word log-softmax and probability in ${n} filled-in sentences (${2 * n} panels)`,
      alt: `Bar charts, one column per sentence with the mask filled in: ${d.filled.map((f) => `in the ${q(f.target)} sentence ${list(f)}`).join('; ')}.`,
      png: filledPng,
    },
    {
      name: 'masked',
      title: `Target-word log-softmax and probability at the mask (2 panels)`,
      alt: `Bar charts for ${q(d.masked.text)}: at the mask, ${list(d.masked)}.`,
      png: maskedPng,
    },
  ];
}

function explain(d: BiasData, opts: Opts): string {
  const q = quoted;
  const order = d.targets.map((t, i) => ({ word: t.word, p: d.masked.probs[i] })).sort((a, b) => b.p - a.p);
  const [best, second] = order;
  const ratio = second.p > 0 ? best.p / second.p : Infinity;
  const selfHigh = d.filled.filter((f, i) => argmax(f.probs) === i).length;
  const sentences = [
    `With the mask left in (${q(d.masked.text)}), ${d.model} gives ${d.targets.map((t, i) => `${q(t.word)} ${formatPercent(d.masked.probs[i])}`).join(', ')}: ` +
      `${q(best.word)} is ${Number.isFinite(ratio) ? `${ratio.toFixed(1)}×` : 'infinitely'} as likely as ${q(second.word)} — the \`masked\` figure is the measure of bias.`,
    `With the word written into the sentence instead (\`filled\`), the written word is the most likely target at its own position in ${selfHigh} of the ${d.filled.length} sentences` +
      (2 * selfHigh > d.filled.length ? ': BERT mostly reads back what it sees, so only the masked version asks what it expects.' : '.'),
    `In the ${q(d.filled[0].target)} sentence the single most likely token of all ${d.vocabSize} is ${q(d.firstTop.piece)} (${formatPercent(d.firstTop.prob)}).`,
  ];
  const isDefault = opts.sentence === DEFAULT_SENTENCE;
  const next = isDefault
    ? 'Try `/bias sentence:"The nurse informed the client that [MASK] would need more time."` and see which way the probabilities tip for another occupation.'
    : 'Try `/bias` with its default engineer sentence to compare with the notebook.';
  return `${sentences.join(' ')} ${next}`;
}

function figureData(d: BiasData, opts: Opts): Record<string, unknown> {
  const words = d.targets.map((t) => t.word);
  return {
    tokens: { demoText: opts.demo_text, demoTokens: d.demoTokens, sentence: opts.sentence, tokens: d.tokens, maskIndex: d.maskIndex, targets: d.targets },
    logits: { sentence: d.filled[0].text, position: d.maskIndex, logits: Array.from(d.firstLogits), top: d.firstTop },
    softmax: { sentence: d.filled[0].text, position: d.maskIndex, percent: Array.from(d.firstSoftmax, pct), top: d.firstTop },
    filled: d.filled.map((f) => ({ target: f.target, text: f.text, words, logSoftmax: f.logSoftmax, percent: f.probs.map(pct) })),
    masked: { text: d.masked.text, words, logSoftmax: d.masked.logSoftmax, percent: d.masked.probs.map(pct) },
  };
}

export const biasAnalysis: Analysis<typeof Options, BiasData> = {
  id: 'bias',
  post: findPost('bias')!,
  usesModel: true,
  arch: 'bert',
  preferredModel: 'bert-large-uncased',
  options: Options,
  compute,
  render,
  explain,
  figureData,
};
