// /rsa-words — Explore LLM word representations using similarity analysis, part 1. The same word
// list looked up in two models' embedding matrices (BERT and GPT-2): the vectors themselves do not
// line up across models (a dimension of one means nothing in the other), but the words' cosine
// similarity matrices can be compared — representational similarity analysis correlates their
// unique (upper-triangle) entries. A toy "7" and its transpose show why the direct comparison fails.
import { z } from 'zod';
import { findPost } from '../catalog/posts.ts';
import type { BertEngine } from '../llm/bert/types.ts';
import type { Engine } from '../llm/types.ts';
import { lineChart, scatterChart } from '../render/charts.ts';
import type { MatrixOptions } from '../render/image.ts';
import { renderPanels } from '../render/panels.ts';
import { renderTableFigure } from '../render/table.ts';
import { withAlpha } from '../render/theme.ts';
import { cosineMatrix, upperTriangle } from './lib/activations.ts';
import { quoted } from './lib/literal.ts';
import { createRng } from './lib/random.ts';
import { pearson } from './lib/stats.ts';
import { OptionError, type Analysis, type AnalysisContext, type Figure } from './types.ts';

// The notebook's list: space, furniture, fruit.
const DEFAULT_WORDS = [
  'galaxy', 'asteroid', 'comet', 'cosmos', 'space', 'sun', 'planet', 'moon', 'star', 'orbit',
  'ceiling', 'sofa', 'couch', 'carpet', 'door', 'window', 'lamp', 'chair', 'table', 'rug', 'bed', 'floor', 'wall',
  'pear', 'grape', 'banana', 'cherry', 'peach', 'apple', 'seed', 'jelly', 'orange', 'lime', 'fruit',
];
/** The toy "7" of the notebook's analogy figure (8 × 8). */
const SEVEN = [
  '00000000', '11111110', '00000100', '00001000', '00010000', '00100000', '01000000', '10000000',
].map((r) => [...r].map(Number));

const Options = z
  .object({
    words: z.array(z.string().trim().min(1).max(30)).min(3).max(60).default([...DEFAULT_WORDS])
      .describe('Words to compare (the notebook\'s 34: space, furniture, fruit); each word\'s first token in each model is used'),
    vmin: z.number().min(-1).max(1).default(0.1).describe('Lower colour limit of the similarity matrices (the notebook\'s 0.1)'),
    vmax: z.number().min(-1).max(1).default(0.5).describe('Upper colour limit of the similarity matrices (the notebook\'s 0.5)'),
    noise: z.number().min(0).max(2).default(0.4).describe('Uniform noise amplitude added to the toy "7" matrices (the notebook\'s 0.4)'),
    seed: z.number().int().min(0).max(2147483647).optional().describe('Random seed for the toy matrices\' noise'),
  })
  .strict();
type Opts = z.infer<typeof Options>;

export interface RsaWordsData {
  bertModel: string;
  gptModel: string;
  /** The GPT-2 side ran on the tiny random checkpoint (the result's stamp follows the BERT one). */
  gptTiny: boolean;
  bertVocab: number;
  gptVocab: number;
  bertDim: number;
  gptDim: number;
  words: string[];
  /** The first token of each word (BERT: the bare word; GPT-2: the word after a space). */
  bertTokens: { id: number; piece: string; pieces: number }[];
  gptTokens: { id: number; piece: string; pieces: number }[];
  bertVectors: Float32Array[];
  gptVectors: Float32Array[];
  /** Per word, Pearson r between its BERT and GPT-2 vectors (null when the sizes differ). */
  directR: number[] | null;
  csBert: Float64Array;
  csGpt: Float64Array;
  uniqueBert: number[];
  uniqueGpt: number[];
  rsa: number;
  sevenA: number[][];
  sevenB: number[][];
}

const rowOf = (t: { dims: number[]; data: Float32Array }, id: number) => {
  const d = t.dims[1];
  return Float32Array.from(t.data.subarray(id * d, (id + 1) * d));
};

async function compute(opts: Opts, ctx: AnalysisContext): Promise<RsaWordsData> {
  if (!ctx.bertEngine) throw new Error('rsa-words: the run gave no BERT engine (runAnalysis provides one)');
  if (opts.vmin >= opts.vmax) throw new OptionError('vmin', `must be below vmax (${opts.vmin} ≥ ${opts.vmax})`);
  const lower = opts.words.map((w) => w.toLowerCase());
  const dup = lower.find((w, i) => lower.indexOf(w) !== i);
  if (dup !== undefined) throw new OptionError('words', `lists ${JSON.stringify(dup)} twice; give different words`);
  const bert: BertEngine = await ctx.bertEngine();
  ctx.progress('loading GPT-2', 0.1);
  const gpt: Engine = await ctx.engine();

  const bertTokens = opts.words.map((w) => {
    const ids = bert.tokenizer.tokenIds(w);
    if (!ids.length) throw new OptionError('words', `${JSON.stringify(w)} has no BERT tokens`);
    return { id: ids[0], piece: bert.tokenText(ids[0]), pieces: ids.length };
  });
  const gptTokens = opts.words.map((w) => {
    const ids = gpt.encode(` ${w}`);
    return { id: ids[0], piece: gpt.tokenText(ids[0]), pieces: ids.length };
  });
  const eb = bert.weight('embeddings.word_embeddings.weight');
  const eg = gpt.weight('wte.weight');
  const bertVectors = bertTokens.map((t) => rowOf(eb, t.id));
  const gptVectors = gptTokens.map((t) => rowOf(eg, t.id));
  const same = eb.dims[1] === eg.dims[1];
  const directR = same ? bertVectors.map((v, i) => pearson(v, gptVectors[i])) : null;

  const n = opts.words.length;
  const csBert = cosineMatrix(bertVectors);
  const csGpt = cosineMatrix(gptVectors);
  const uniqueBert = upperTriangle(csBert, n);
  const uniqueGpt = upperTriangle(csGpt, n);

  const rng = createRng(opts.seed ?? 0);
  const sevenA = SEVEN.map((r) => r.map((v) => v + rng.uniform() * opts.noise));
  const sevenB = SEVEN[0].map((_, j) => SEVEN.map((r) => r[j])).map((r) => r.map((v) => v + rng.uniform() * opts.noise));

  return {
    bertModel: bert.name,
    gptModel: gpt.name,
    gptTiny: gpt.isTinyRandom,
    bertVocab: eb.dims[0],
    gptVocab: eg.dims[0],
    bertDim: eb.dims[1],
    gptDim: eg.dims[1],
    words: opts.words,
    bertTokens,
    gptTokens,
    bertVectors,
    gptVectors,
    directR,
    csBert,
    csGpt,
    uniqueBert,
    uniqueGpt,
    rsa: pearson(uniqueBert, uniqueGpt),
    sevenA,
    sevenB,
  };
}

const f2 = (v: number) => v.toFixed(2);

async function render(d: RsaWordsData, opts: Opts): Promise<Figure[]> {
  const q = quoted;
  const p = (s: string) => JSON.stringify(s);
  const n = d.words.length;
  const tokensPng = await renderTableFigure({
    title: `First token of each of the ${n} words in both models`,
    subtitle: `${d.bertModel}: ${d.bertVocab} tokens × ${d.bertDim} dims; ${d.gptModel}: ${d.gptVocab} tokens × ${d.gptDim} dims`,
    tables: [{
      columns: [{ header: 'Word' }, { header: 'BERT id', align: 'right', mono: true }, { header: 'BERT token', mono: true }, { header: 'GPT-2 id', align: 'right', mono: true }, { header: 'GPT-2 token', mono: true }],
      rows: d.words.map((w, i) => [w, String(d.bertTokens[i].id), p(d.bertTokens[i].piece), String(d.gptTokens[i].id), p(d.gptTokens[i].piece)]),
      highlightRows: d.words.flatMap((_, i) => (d.bertTokens[i].pieces > 1 || d.gptTokens[i].pieces > 1 ? [i] : [])),
      footer: 'Highlighted: a word that is several tokens in a model (only its first token is used, as in the notebook)',
    }],
  });

  const figures: Figure[] = [{
    name: 'tokens',
    title: `Token ids of the ${n} words in ${d.bertModel} and ${d.gptModel}`,
    alt: `Table of the ${n} words with their first BERT and GPT-2 token; ${d.words.filter((_, i) => d.bertTokens[i].pieces > 1 || d.gptTokens[i].pieces > 1).length} words are more than one token in a model.`,
    png: tokensPng,
  }];

  if (d.directR) {
    const r = d.directR;
    const inRange = r.every((v) => Math.abs(v) <= 0.5);
    const directPng = await renderPanels([
      scatterChart({
        title: `Embeddings for ${p(d.words[0])}`,
        xLabel: 'BERT embeddings',
        yLabel: 'GPT-2 embeddings',
        legend: false,
        series: [{ label: d.words[0], points: Array.from(d.bertVectors[0], (x, i) => [x, d.gptVectors[0][i]] as const), color: withAlpha('#b3b3e6', 0.7) }],
      }),
      lineChart({
        title: 'Correlation for each word',
        yLabel: 'Correlation coefficient',
        categories: d.words,
        ...(inRange ? { yMin: -0.5, yMax: 0.5 } : {}),
        legend: false,
        series: [{ label: 'r', values: r, color: '#e6b3b3', lineWidth: 0, pointRadius: 6 }],
        annotations: [{ kind: 'hline', y: 0, color: '#ffffff' }],
      }),
    ], { columns: 2, title: `BERT and GPT-2 embedding vectors compared directly (2 panels)`, panelHeight: 460 });
    const mean = r.reduce((a, b) => a + b, 0) / n;
    figures.push({
      name: 'direct',
      title: 'BERT and GPT-2 embedding vectors compared directly (2 panels)',
      alt: `Left: ${q(d.words[0])}'s ${d.bertDim} BERT embedding values against its GPT-2 ones (r = ${f2(r[0])}); right: that correlation for each of the ${n} words, from ${f2(Math.min(...r))} to ${f2(Math.max(...r))}, mean ${f2(mean)}.`,
      png: directPng,
    });
  }

  const mat = (data: Float64Array, title: string): { matrix: MatrixOptions } => ({
    matrix: { data, rows: n, cols: n, colormap: 'plasma', vmin: opts.vmin, vmax: opts.vmax, title, xTicks: d.words, yTicks: d.words, annotate: false },
  });
  const matricesPng = await renderPanels([mat(d.csBert, 'Cossim matrix for BERT'), mat(d.csGpt, 'Cossim matrix for GPT-2')], {
    columns: 2, title: `Cosine similarities among the ${n} words in each model (2 panels)`, panelHeight: 620,
  });
  figures.push({
    name: 'matrices',
    title: `Cosine similarity matrices of the ${n} words, BERT and GPT-2 (2 panels)`,
    alt: `Two ${n} × ${n} heat maps of the words' embedding cosine similarities (colour limits ${opts.vmin} to ${opts.vmax}): ${d.bertModel} on the left, ${d.gptModel} on the right.`,
    png: matricesPng,
  });

  const rsaPng = await renderPanels([scatterChart({
    title: `Correlation (RSA score): r = ${f2(d.rsa)}`,
    xLabel: 'BERT cosine similarities',
    yLabel: 'GPT-2 cosine similarities',
    legend: false,
    series: [{ label: 'pairs', points: d.uniqueBert.map((x, i) => [x, d.uniqueGpt[i]] as const), color: withAlpha('#b3e6b3', 0.5) }],
  })], { columns: 1, width: 700, panelHeight: 580 });
  figures.push({
    name: 'rsa',
    title: `Representational similarity: r = ${f2(d.rsa)}`,
    alt: `Scatter of the ${d.uniqueBert.length} unique word-pair cosine similarities, BERT against GPT-2; their correlation, the RSA score, is ${f2(d.rsa)}.`,
    png: rsaPng,
  });

  const flatA = d.sevenA.flat();
  const flatB = d.sevenB.flat();
  const toy = (m: number[][], title: string): { matrix: MatrixOptions } => ({ matrix: { data: m.flat(), rows: 8, cols: 8, colormap: 'magma', title, colorbar: false, annotate: false } });
  const direct = pearson(flatA, flatB);
  const sevenPng = await renderPanels([
    toy(d.sevenA, 'Embeddings "A"'),
    toy(d.sevenB, 'Embeddings "B"'),
    scatterChart({ title: 'Direct comparison', xLabel: 'Embeddings "A"', yLabel: 'Embeddings "B"', legend: false, series: [{ label: 'cells', points: flatA.map((x, i) => [x, flatB[i]] as const), color: withAlpha('#b3e6e6', 0.7) }] }),
  ], { columns: 3, title: 'The same "7" and its transpose: compared cell by cell (3 panels)', panelHeight: 400 });
  figures.push({
    name: 'seven',
    title: 'A toy "7" and its transpose, compared directly (3 panels)',
    alt: `Two 8 × 8 images of a 7 (the second transposed), each with uniform noise up to ${opts.noise}, and a scatter of their cells against each other: r = ${f2(direct)}.`,
    png: sevenPng,
    fromModel: false,
  });
  return figures;
}

function explain(d: RsaWordsData, opts: Opts): string {
  const n = d.words.length;
  const parts: string[] = [];
  if (d.directR) {
    const mean = d.directR.reduce((a, b) => a + b, 0) / n;
    parts.push(`Compared dimension by dimension, a word's ${d.bertModel} and ${d.gptModel} vectors correlate at r = ${f2(mean)} on average (\`direct\`): the models' axes mean different things, so this says nothing.`);
  } else {
    parts.push(`${d.bertModel}'s vectors have ${d.bertDim} dimensions and ${d.gptModel}'s ${d.gptDim}, so they cannot even be compared directly.`);
  }
  parts.push(`Their ${n} × ${n} cosine-similarity matrices can: the ${d.uniqueBert.length} unique word pairs correlate at r = ${f2(d.rsa)} across the two models (\`rsa\`), the representational similarity.`);
  const multi = d.words.filter((_, i) => d.bertTokens[i].pieces > 1 || d.gptTokens[i].pieces > 1);
  if (multi.length) parts.push(`${multi.length} of the words are several tokens in a model and are represented by their first token (\`tokens\`).`);
  if (d.gptTiny) parts.push(`The GPT-2 side is ${d.gptModel}, a random test checkpoint: its similarities mean nothing.`);
  const isDefault = JSON.stringify(opts.words) === JSON.stringify(DEFAULT_WORDS);
  parts.push(isDefault
    ? 'Try `/rsa-words words:"sun, moon, star, chair, table, bed, apple, pear, lime"` for a shorter list whose three groups show as blocks.'
    : 'Try `/rsa-words` with the notebook\'s 34 words to compare with the post.');
  return parts.join(' ');
}

function figureData(d: RsaWordsData, opts: Opts): Record<string, unknown> {
  const sq = (m: Float64Array) => Array.from({ length: d.words.length }, (_, i) => Array.from(m.subarray(i * d.words.length, (i + 1) * d.words.length)));
  return {
    tokens: { words: d.words, bert: d.bertTokens, gpt2: d.gptTokens },
    ...(d.directR ? { direct: { word: d.words[0], bert: Array.from(d.bertVectors[0]), gpt2: Array.from(d.gptVectors[0]), correlation: d.directR } } : {}),
    matrices: { words: d.words, bert: sq(d.csBert), gpt2: sq(d.csGpt), vmin: opts.vmin, vmax: opts.vmax },
    rsa: { bert: d.uniqueBert, gpt2: d.uniqueGpt, r: d.rsa },
    seven: { a: d.sevenA, b: d.sevenB },
  };
}

export const rsaWordsAnalysis: Analysis<typeof Options, RsaWordsData> = {
  id: 'rsa-words',
  post: findPost('rsa-words')!,
  usesModel: true,
  arch: 'bert',
  preferredModel: 'bert-large-uncased',
  preferredGpt2Model: 'gpt2-medium',
  options: Options,
  compute,
  render,
  explain,
  figureData,
};
