// /life — Lessons on life and humor from GPT2: the notebook's questions (why the chicken crossed
// the road, the meaning of life, where the word "butterfly" comes from) sampled from GPT-2 as
// Hugging Face's generate does it there: top-k 50, then top-p 0.95, 200 tokens in all, stopping
// at end-of-text; seeded, so a seed gives the same wisdom again. Every continuation runs in one
// batch through the engine's key/value cache. The texts come back as a table figure and in the
// explanation; a second figure (the project's) shows what the sampler chose from at each step:
// how many tokens top-k and top-p left, and how likely the drawn one was.
import { z } from 'zod';
import { findPost } from '../catalog/posts.ts';
import { generateBatch, samplingCandidates, type SamplingOptions } from '../llm/generate.ts';
import { END_OF_TEXT_ID } from '../llm/tokenizer.ts';
import { lineChart } from '../render/charts.ts';
import { renderPanels } from '../render/panels.ts';
import { renderTableFigure } from '../render/table.ts';
import { literal, quoted } from './lib/literal.ts';
import { encodeText } from './lib/llm-input.ts';
import { OptionError, type Analysis, type AnalysisContext, type Figure } from './types.ts';

/** The notebook's prompts, in its order (it runs the meaning of life; the others are its alternatives). */
export const NOTEBOOK_PROMPTS = ['Why did the chicken cross the road?', 'What is the meaning of life?', 'What is the origin of the word "butterfly"?'];

const Options = z
  .object({
    prompt: z.string().min(1).max(500).optional()
      .describe("A prompt to continue (default: the notebook's three, the chicken, the meaning of life and the word \"butterfly\")"),
    samples: z.number().int().min(1).max(3).default(1)
      .describe('Continuations per prompt, each with its own seed (num_return_sequences)'),
    max_length: z.number().int().min(2).max(300).default(200)
      .describe('Tokens in all, prompt included, as max_length in Hugging Face generate; end-of-text stops a sample sooner'),
    top_k: z.number().int().min(0).max(1000).default(50)
      .describe('Sample among the k most likely tokens (0 = no top-k)'),
    top_p: z.number().min(0.01).max(1).default(0.95)
      .describe('Then keep the smallest set of tokens whose probability reaches p (1 = no top-p)'),
    temperature: z.number().min(0).max(5).default(1)
      .describe('Sampling temperature (0 = greedy: every sample the same)'),
    seed: z.number().int().min(0).max(2147483647).optional()
      .describe('Seed of the first continuation (continuation i uses seed + i)'),
  })
  .strict();
type Opts = z.infer<typeof Options>;

export interface StepStats {
  /** How many tokens the filters left to draw from. */
  candidates: number;
  /** The drawn token's probability among them (what it was drawn with). */
  drawn: number;
  /** Its probability under softmax(logits / T) over the whole vocabulary (T = 1 when greedy). */
  full: number;
}

export interface LifeRow {
  prompt: string;
  promptIds: number[];
  seed: number;
  /** New tokens, the end-of-text token included when one ended the sample. */
  ids: number[];
  /** The continuation's text, without the end-of-text token. */
  text: string;
  endedAtEndOfText: boolean;
  steps: StepStats[];
}

export interface LifeData {
  model: string;
  rows: LifeRow[];
}

/** What the sampler draws from after these logits (sampleToken's own filters) and how likely `token` was. */
export function stepStats(logits: ArrayLike<number>, sampling: SamplingOptions | null, token: number): StepStats {
  const T = sampling?.temperature ?? 1;
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) max = Math.max(max, logits[i]);
  let sum = 0;
  for (let i = 0; i < logits.length; i++) sum += Math.exp((logits[i] - max) / T);
  const full = Math.exp((logits[token] - max) / T) / sum;
  if (!sampling) return { candidates: 1, drawn: 1, full };
  const c = samplingCandidates(logits, sampling);
  const j = c.ids.indexOf(token);
  return { candidates: c.ids.length, drawn: j < 0 ? 0 : c.weights[j] / c.total, full };
}

function samplingOf(opts: Opts): SamplingOptions | null {
  if (opts.temperature === 0) return null;
  return { temperature: opts.temperature, topK: opts.top_k > 0 ? opts.top_k : undefined, topP: opts.top_p < 1 ? opts.top_p : undefined };
}

async function compute(opts: Opts, ctx: AnalysisContext): Promise<LifeData> {
  const engine = await ctx.engine();
  const prompts = opts.prompt === undefined ? NOTEBOOK_PROMPTS : [opts.prompt];
  const context = engine.config.n_positions;
  if (opts.max_length > context) throw new OptionError('max_length', `must be at most ${engine.name}'s ${context}-token context (got ${opts.max_length})`);
  const encoded = prompts.map((p) => encodeText(engine, p, 'prompt'));
  for (const [i, ids] of encoded.entries()) {
    if (ids.length >= opts.max_length) {
      throw new OptionError('max_length', `must be more than the prompt's ${ids.length} tokens (${JSON.stringify(prompts[i])}), so that there is room for an answer (got ${opts.max_length})`);
    }
  }
  const seed = opts.seed ?? 0;
  const rows: LifeRow[] = [];
  prompts.forEach((prompt, i) => {
    for (let s = 0; s < opts.samples; s++) {
      rows.push({ prompt, promptIds: encoded[i], seed: seed + rows.length, ids: [], text: '', endedAtEndOfText: false, steps: [] });
    }
  });
  const sampling = samplingOf(opts);
  ctx.progress('sampling', 0);
  const out = await generateBatch(
    engine,
    rows.map((r) => ({ prompt: r.promptIds, maxNewTokens: opts.max_length - r.promptIds.length, seed: r.seed })),
    {
      ...(sampling ?? { greedy: true }),
      stopTokens: [END_OF_TEXT_ID],
      progress: (done, total) => ctx.progress('sampling', done / total),
      observe: (row, logits, token) => rows[row].steps.push(stepStats(logits, sampling, token)),
    },
  );
  rows.forEach((r, i) => {
    r.ids = out[i];
    r.endedAtEndOfText = r.ids[r.ids.length - 1] === END_OF_TEXT_ID;
    r.text = engine.decode(r.endedAtEndOfText ? r.ids.slice(0, -1) : r.ids);
  });
  return { model: engine.name, rows };
}

/** A continuation on one line: its line breaks as ↵, outer whitespace trimmed. */
const oneLine = (text: string) => text.trim().replace(/[ \t]*\n+[ \t]*/g, ' ↵ ');
const q = (s: string) => JSON.stringify(s);

function settings(opts: Opts): string {
  if (opts.temperature === 0) return 'greedy';
  const parts = [opts.top_k > 0 ? `top-k ${opts.top_k}` : null, opts.top_p < 1 ? `top-p ${opts.top_p}` : null, opts.temperature !== 1 ? `temperature ${opts.temperature}` : null].filter(Boolean);
  return parts.length ? parts.join(', ') : 'the full distribution';
}

const ending = (r: LifeRow, opts: Opts) => (r.endedAtEndOfText ? 'end-of-text' : r.promptIds.length + r.ids.length >= opts.max_length ? `max_length ${opts.max_length}` : 'context');

function rowLabel(r: LifeRow, d: LifeData): string {
  const short = r.prompt.length > 28 ? `${r.prompt.slice(0, 27)}…` : r.prompt;
  return d.rows.filter((x) => x.prompt === r.prompt).length > 1 ? `${q(short)} (seed ${r.seed})` : q(short);
}

async function render(d: LifeData, opts: Opts): Promise<Figure[]> {
  const how = settings(opts);
  const tablePng = await renderTableFigure({
    title: `${d.model} on ${d.rows.length === 1 ? 'one prompt' : `${new Set(d.rows.map((r) => r.prompt)).size} prompts`}: ${d.rows.length} sampled continuation${d.rows.length === 1 ? '' : 's'}`,
    subtitle: `Sampled with ${how}, up to ${opts.max_length} tokens with the prompt, stopping at end-of-text; ↵ marks a line break`,
    tables: [{
      columns: [{ header: 'Prompt', wrap: 220 }, { header: 'Seed', align: 'right' }, { header: 'Continuation', wrap: 700 }, { header: 'Tokens', align: 'right' }, { header: 'Ended at' }],
      rows: d.rows.map((r) => [r.prompt, String(r.seed), oneLine(r.text) || '(nothing)', String(r.ids.length), ending(r, opts)]),
    }],
  });

  const series = (pick: (s: StepStats) => number) => d.rows.map((r) => ({ label: rowLabel(r, d), values: r.steps.map(pick), x: r.steps.map((_, i) => i + 1), pointRadius: 0 }));
  const samplingPng = await renderPanels([
    lineChart({ title: 'Tokens left to draw from', subtitle: how, xLabel: 'Generated token', yLabel: 'Candidates after the filters', series: series((s) => s.candidates), yMin: 0, legend: true }),
    lineChart({ title: 'Probability of the drawn token', subtitle: `softmax over the whole vocabulary${opts.temperature === 0 || opts.temperature === 1 ? '' : ` at temperature ${opts.temperature}`}`, xLabel: 'Generated token', yLabel: 'Probability (log scale)', series: series((s) => s.full), logY: true, yMax: 1, legend: true }),
  ], { columns: 2, width: 1400, panelHeight: 460, title: `What the sampler chose from at each step (${d.rows.length} continuation${d.rows.length === 1 ? '' : 's'}, 2 panels)` });

  const stats = allSteps(d);
  return [
    {
      name: 'continuations',
      title: 'Sampled continuations',
      alt: `Table of ${d.rows.length} continuations sampled from ${d.model} with ${how}: ${d.rows.map((r) => `${q(r.prompt)} → ${q(oneLine(r.text).slice(0, 80))}${oneLine(r.text).length > 80 ? '…' : ''} (${r.ids.length} tokens, ended at ${ending(r, opts)})`).join('; ')}.`,
      png: tablePng,
    },
    {
      name: 'sampling',
      title: 'What the sampler chose from',
      alt: `Two line charts over the generated tokens of each continuation: left, how many tokens ${how} left to draw from (median ${stats.medianCandidates}, from ${stats.minCandidates} to ${stats.maxCandidates}); right, the probability of the token drawn (median ${stats.medianFull.toFixed(2)}).`,
      png: samplingPng,
    },
  ];
}

function median(xs: number[]): number {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function allSteps(d: LifeData) {
  const steps = d.rows.flatMap((r) => r.steps);
  const candidates = steps.map((s) => s.candidates);
  return {
    medianCandidates: median(candidates),
    minCandidates: Math.min(...candidates),
    maxCandidates: Math.max(...candidates),
    medianFull: median(steps.map((s) => s.full)),
    unlikely: steps.filter((s) => s.full < 0.05).length,
    total: steps.length,
  };
}

/** Characters of continuation text the explanation quotes in all (the rest is in the table and the data). */
const TEXT_BUDGET = 2400;

function excerpt(text: string, max: number): string {
  const line = oneLine(text);
  if (line.length <= max) return line;
  const cut = line.slice(0, max);
  const space = cut.lastIndexOf(' ');
  return `${(space > max * 0.6 ? cut.slice(0, space) : cut).trimEnd()}…`;
}

function explain(d: LifeData, opts: Opts): string {
  const how = settings(opts);
  const each = Math.max(160, Math.floor(TEXT_BUDGET / d.rows.length));
  let budget = TEXT_BUDGET;
  const quotedRows: string[] = [];
  for (const r of d.rows) {
    if (budget < 160) break;
    const text = excerpt(r.text, Math.min(each, budget));
    budget -= text.length;
    const seedNote = opts.samples > 1 ? ` (seed ${r.seed})` : '';
    quotedRows.push(`${quoted(r.prompt)}${seedNote} → ${text ? literal(`“${text}”`) : 'nothing'}`);
  }
  const left = d.rows.length - quotedRows.length;
  const stopped = d.rows.filter((r) => r.endedAtEndOfText).length;
  const s = allSteps(d);
  const tryNext = opts.prompt === undefined && opts.samples === 1
    ? 'Try `/life prompt:"What is the secret to happiness?" samples:3` for three answers to one question.'
    : opts.top_k === 50 && opts.top_p === 0.95 && opts.temperature === 1
      ? 'Try `/life top_k:0 top_p:1` to sample from the whole distribution, and see how much stranger it gets.'
      : 'Try `/life` for the notebook\'s settings and prompts.';
  return [
    `${d.model} answered (${how}, up to ${opts.max_length} tokens with the prompt): ${quotedRows.join('; ')}${left ? `; ${left} more in the table` : ''}.`,
    `${stopped === d.rows.length ? 'Every sample' : stopped === 0 ? 'No sample' : `${stopped} of ${d.rows.length} samples`} ended with end-of-text${stopped === d.rows.length ? '' : stopped === 0 ? `; each ran to the length limit` : '; the others ran to the length limit'}.`,
    opts.temperature === 0
      ? 'Greedy decoding takes the most likely token every time, so every run gives the same text.'
      : `At each token the sampler drew from a median of ${s.medianCandidates} candidates, and ${s.unlikely} of the ${s.total} drawn tokens had less than 5 % probability: those chance picks are why the same question gets a different answer with every seed.`,
    'As in the post, read them for what they show: a small model often has the form of an answer (advice, a joke, an etymology) before its sense.',
    tryNext,
  ].join(' ');
}

function figureData(d: LifeData, opts: Opts): Record<string, unknown> {
  const round = (v: number) => Number(v.toPrecision(6));
  return {
    continuations: {
      model: d.model,
      sampling: { topK: opts.top_k > 0 ? opts.top_k : null, topP: opts.top_p < 1 ? opts.top_p : null, temperature: opts.temperature, maxLength: opts.max_length, stopToken: END_OF_TEXT_ID },
      rows: d.rows.map((r) => ({ prompt: r.prompt, promptTokenIds: r.promptIds, seed: r.seed, tokenIds: r.ids, text: r.text, tokens: r.ids.length, endedAtEndOfText: r.endedAtEndOfText })),
    },
    sampling: {
      note: 'per generated token: candidates left by top-k and top-p, the drawn token\'s probability among them, and under softmax(logits / temperature) over the whole vocabulary',
      rows: d.rows.map((r) => ({ prompt: r.prompt, seed: r.seed, candidates: r.steps.map((s) => s.candidates), drawnProbability: r.steps.map((s) => round(s.drawn)), tokenProbability: r.steps.map((s) => round(s.full)) })),
    },
  };
}

export const lifeAnalysis: Analysis<typeof Options, LifeData> = {
  id: 'life',
  post: findPost('life')!,
  usesModel: true,
  preferredModel: 'gpt2-medium',
  options: Options,
  compute,
  render,
  explain,
  figureData,
};
