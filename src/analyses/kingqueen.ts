// /kingqueen — "King − man + woman = queen" is fake news. BERT's word-embedding matrix, read
// straight from the checkpoint: the three words' embedding vectors and how they correlate, the
// analogy vector king − man + woman against every token of the vocabulary (the nearest neighbours
// with the input words excluded, as the famous demo does, and without excluding them), and the
// same arithmetic on the hidden states of sentences that mention all four words: how close the
// analogy vector comes to "queen"'s own hidden state, layer by layer, and to a baseline word's.
import { z } from 'zod';
import { findPost } from '../catalog/posts.ts';
import type { BertEngine } from '../llm/bert/types.ts';
import type { Tensor } from '../llm/types.ts';
import { lineChart, scatterChart, type Series } from '../render/charts.ts';
import { renderChart } from '../render/chart.ts';
import { colormap, rgbCss } from '../render/colormaps.ts';
import { renderPanels } from '../render/panels.ts';
import { renderTableFigure, type TableSpec } from '../render/table.ts';
import { withAlpha } from '../render/theme.ts';
import { withNamedXTicks } from './lib/layer-charts.ts';
import { quoted } from './lib/literal.ts';
import { pearson } from './lib/stats.ts';
import { OptionError, type Analysis, type AnalysisContext, type Figure } from './types.ts';

// The notebook's sentences (written for the post by a chatbot); each names all four words.
const DEFAULT_SENTENCES = [
  'The king appointed both a man and a woman to serve as advisors to the queen in his court.',
  'Every man and woman in the kingdom bowed when the king and queen entered the great hall.',
  'The woman told the man that the king had issued a new decree this morning, and that the queen agreed.',
  'When the king fell ill, the old man and the wise woman were summoned to help the queen transition into power.',
  'The brave woman and the young man requested an audience with the queen and king to present their petition.',
];
const DEFAULT_MORE = ['tree - leaf + petals'];
/** The notebook's scatter colours: [.9 .7 .7], [.7 .9 .7], [.7 .7 .9]. */
const PAIR_COLORS = ['#e6b3b3', '#b3e6b3', '#b3b3e6'];
const ANALOGY = /^\s*(\S+)\s*[-−]\s*(\S+)\s*\+\s*(\S+)\s*$/;

const word = z.string().trim().min(1).max(30);
const Options = z
  .object({
    start: word.default('king').describe('The word to start from (the notebook\'s "king"; one WordPiece)'),
    subtract: word.default('man').describe('The word subtracted (the notebook\'s "man"; one WordPiece)'),
    add: word.default('woman').describe('The word added (the notebook\'s "woman"; one WordPiece)'),
    target: word.default('queen').describe('The word the analogy should land on (the notebook\'s "queen"; one WordPiece)'),
    baseline: word.default('the').describe('The control word of the sentence demo (the notebook\'s "the": its last occurrence)'),
    more_analogies: z.array(z.string().trim().min(5).max(100)).min(0).max(4).default([...DEFAULT_MORE])
      .describe('More analogies for the nearest-neighbour tables, each "a - b + c" (the notebook\'s second: tree - leaf + petals)'),
    top_n: z.number().int().min(1).max(30).default(10).describe('Nearest neighbours listed per analogy (the notebook lists 10)'),
    sentences: z.array(z.string().trim().min(1).max(300)).min(1).max(8).default([...DEFAULT_SENTENCES])
      .describe('Sentences naming start, subtract, add, target and baseline as whole words (separate with |); the first one gets the layer-by-layer demo'),
    special_tokens: z.boolean().default(false)
      .describe('Wrap each sentence in [CLS] … [SEP] (the notebook feeds the bare sentence, without them)'),
  })
  .strict();
type Opts = z.infer<typeof Options>;

export interface Neighbour {
  id: number;
  piece: string;
  /** Cosine similarity of the token's embedding with the analogy vector. */
  cos: number;
  /** Squared Pearson correlation with the analogy vector, in percent (the notebook's "shared variance"). */
  sharedVar: number;
}

export interface AnalogyResult {
  /** "king - man + woman". */
  text: string;
  words: [string, string, string];
  ids: number[];
  /** The nearest tokens with the three input words left out (the famous version). */
  excluded: Neighbour[];
  /** The nearest tokens of the whole vocabulary, inputs included. */
  included: Neighbour[];
  /** Why the analogy could not be computed on this model (a default one only). */
  skipped?: string;
}

export interface SentenceResult {
  text: string;
  ids: number[];
  /** Token positions of start, subtract, add, target (first whole-word occurrence) and baseline (last). */
  positions: { start: number; subtract: number; add: number; target: number; baseline: number };
  /** Per hidden state (embeddings, then each layer): cos(analogy vector, target's hidden state). */
  targetCos: number[];
  /** … and cos(analogy vector, baseline's hidden state). */
  baselineCos: number[];
}

export interface KingQueenData {
  model: string;
  vocabSize: number;
  dim: number;
  layers: number;
  words: { start: { word: string; id: number }; subtract: { word: string; id: number }; add: { word: string; id: number }; target: { word: string; id: number }; baseline: { word: string; id: number } };
  /** The embedding rows of start, subtract and add. */
  vectors: Float32Array[];
  /** Cosine similarities start–subtract, start–add, subtract–add. */
  pairCos: [number, number, number];
  analogies: AnalogyResult[];
  sentences: SentenceResult[];
  /** First sentence, per hidden state: the vocabulary's top cosine (inputs excluded) and that token. */
  layerTop: { cos: number; id: number; piece: string }[];
}

function oneToken(engine: BertEngine, w: string, option: string): number {
  try {
    return engine.wordId(w);
  } catch (err) {
    throw new OptionError(option, `${(err as Error).message} (${engine.name}'s vocabulary)`);
  }
}

function dot(a: ArrayLike<number>, b: ArrayLike<number>, bOffset = 0): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[bOffset + i];
  return s;
}

export function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  return dot(a, b) / Math.sqrt(dot(a, a) * dot(b, b));
}

/** The embedding matrix with its row norms, for cosine similarity against every token. */
interface Vocab {
  E: Float32Array;
  V: number;
  d: number;
  norms: Float64Array;
}

function vocabOf(emb: Tensor): Vocab {
  const [V, d] = emb.dims;
  const norms = new Float64Array(V);
  for (let v = 0; v < V; v++) norms[v] = Math.sqrt(dot(emb.data.subarray(v * d, (v + 1) * d), emb.data, v * d));
  return { E: emb.data, V, d, norms };
}

/** cos(x, E[v]) for every token v (0 for a zero row). */
export function cosineToAll(x: ArrayLike<number>, vocab: Vocab): Float64Array {
  const { E, V, d, norms } = vocab;
  const nx = Math.sqrt(dot(x, x));
  const out = new Float64Array(V);
  for (let v = 0; v < V; v++) {
    const den = nx * norms[v];
    out[v] = den > 0 ? dot(x, E, v * d) / den : 0;
  }
  return out;
}

/** Indices of the n largest values, largest first, skipping `exclude`. */
function topIndices(values: Float64Array, n: number, exclude: ReadonlySet<number>): number[] {
  const best: number[] = [];
  for (let i = 0; i < values.length; i++) {
    if (exclude.has(i)) continue;
    if (best.length === n && values[i] <= values[best[n - 1]]) continue;
    let j = best.length < n ? best.length : n - 1;
    best[j] = i;
    while (j > 0 && values[best[j]] > values[best[j - 1]]) {
      [best[j], best[j - 1]] = [best[j - 1], best[j]];
      j--;
    }
  }
  return best;
}

function row(E: Float32Array, id: number, d: number): Float32Array {
  return E.subarray(id * d, (id + 1) * d);
}

function analogyVector(a: ArrayLike<number>, b: ArrayLike<number>, c: ArrayLike<number>): Float64Array {
  return Float64Array.from({ length: a.length }, (_, i) => a[i] - b[i] + c[i]);
}

function neighbours(engine: BertEngine, vocab: Vocab, x: Float64Array, cs: Float64Array, n: number, exclude: ReadonlySet<number>): Neighbour[] {
  return topIndices(cs, n, exclude).map((id) => {
    const r = pearson(Array.from(x), Array.from(row(vocab.E, id, vocab.d)));
    return { id, piece: engine.tokenText(id), cos: cs[id], sharedVar: 100 * r * r };
  });
}

/** Positions of `id` as a whole word: not followed by a `##` continuation piece. */
function wholeWordPositions(engine: BertEngine, ids: number[], id: number): number[] {
  const out: number[] = [];
  ids.forEach((t, i) => {
    if (t === id && (i + 1 >= ids.length || !engine.tokenText(ids[i + 1]).startsWith('##'))) out.push(i);
  });
  return out;
}

async function compute(opts: Opts, ctx: AnalysisContext): Promise<KingQueenData> {
  if (!ctx.bertEngine) throw new Error('kingqueen: the run gave no BERT engine (runAnalysis provides one)');
  const engine = await ctx.bertEngine();
  const keys = ['start', 'subtract', 'add', 'target', 'baseline'] as const;
  const lower = keys.map((k) => opts[k].toLowerCase());
  const dup = keys.find((_, i) => i < 4 && lower.indexOf(lower[i]) !== i);
  if (dup) throw new OptionError(dup, `${JSON.stringify(opts[dup])} is already another of start, subtract, add, target; give four different words`);
  const words = Object.fromEntries(keys.map((k) => [k, { word: opts[k], id: oneToken(engine, opts[k], k) }])) as KingQueenData['words'];

  ctx.progress('reading the word-embedding matrix', 0.05);
  const vocab = vocabOf(engine.weight('embeddings.word_embeddings.weight'));
  const { d, E } = vocab;
  const [vs, vm, vw] = [words.start.id, words.subtract.id, words.add.id].map((id) => row(E, id, d));

  // The nearest-neighbour tables: the main analogy, then the extra ones.
  const isDefaultMore = JSON.stringify(opts.more_analogies) === JSON.stringify(DEFAULT_MORE);
  const specs: { text: string; words: [string, string, string] }[] = [
    { text: `${opts.start} - ${opts.subtract} + ${opts.add}`, words: [opts.start, opts.subtract, opts.add] },
    ...opts.more_analogies.map((text) => {
      const m = ANALOGY.exec(text);
      if (!m) throw new OptionError('more_analogies', `${JSON.stringify(text)} is not of the form "a - b + c" (three words)`);
      return { text: `${m[1]} - ${m[2]} + ${m[3]}`, words: [m[1], m[2], m[3]] as [string, string, string] };
    }),
  ];
  const analogies: AnalogyResult[] = specs.map((s, k) => {
    let ids: number[];
    try {
      ids = s.words.map((w) => oneToken(engine, w, k === 0 ? 'start' : 'more_analogies'));
    } catch (err) {
      // The notebook's second analogy uses words a small vocabulary may lack: say so, unless asked for.
      if (k > 0 && isDefaultMore) return { text: s.text, words: s.words, ids: [], excluded: [], included: [], skipped: (err as OptionError).message.replace(/^more_analogies: /, '') };
      throw err;
    }
    const x = analogyVector(row(E, ids[0], d), row(E, ids[1], d), row(E, ids[2], d));
    const cs = cosineToAll(x, vocab);
    return {
      text: s.text,
      words: s.words,
      ids,
      excluded: neighbours(engine, vocab, x, cs, opts.top_n, new Set(ids)),
      included: neighbours(engine, vocab, x, cs, opts.top_n, new Set()),
    };
  });

  // The sentences' hidden states.
  const maxLen = engine.config.max_position_embeddings;
  const cls = engine.tokenizer.special('[CLS]');
  const sep = engine.tokenizer.special('[SEP]');
  const rows = opts.sentences.map((text, i) => {
    const bare = engine.tokenizer.tokenIds(text);
    const ids = opts.special_tokens ? [cls, ...bare, sep] : bare;
    if (ids.length > maxLen) throw new OptionError('sentences', `sentence ${i + 1} is ${ids.length} tokens, more than ${engine.name}'s ${maxLen}`);
    const find = (k: (typeof keys)[number]) => {
      const at = wholeWordPositions(engine, ids, words[k].id);
      if (!at.length) throw new OptionError('sentences', `sentence ${i + 1} (${JSON.stringify(text)}) has no ${JSON.stringify(words[k].word)} as a whole word (${k}); every sentence needs all of start, subtract, add, target and baseline`);
      return k === 'baseline' ? at[at.length - 1] : at[0];
    };
    return { text, ids, positions: { start: find('start'), subtract: find('subtract'), add: find('add'), target: find('target'), baseline: find('baseline') } };
  });
  ctx.progress(`hidden states of ${rows.length} sentences`, 0.2);
  const hs = await engine.hiddenStates(rows.map((r) => r.ids));
  const T = hs[0].dims[1];
  const vecAt = (layer: number, b: number, pos: number) => hs[layer].data.subarray((b * T + pos) * d, (b * T + pos + 1) * d);

  const inputIds = new Set([words.start.id, words.subtract.id, words.add.id]);
  const layerTop: KingQueenData['layerTop'] = [];
  const sentences: SentenceResult[] = rows.map((r, b) => {
    const targetCos: number[] = [];
    const baselineCos: number[] = [];
    for (let l = 0; l < hs.length; l++) {
      const p = r.positions;
      const x = analogyVector(vecAt(l, b, p.start), vecAt(l, b, p.subtract), vecAt(l, b, p.add));
      targetCos.push(cosine(x, vecAt(l, b, p.target)));
      baselineCos.push(cosine(x, vecAt(l, b, p.baseline)));
      if (b === 0) {
        const [top] = topIndices(cosineToAll(x, vocab), 1, inputIds);
        const cs = cosine(x, row(E, top, d));
        layerTop.push({ cos: cs, id: top, piece: engine.tokenText(top) });
      }
    }
    return { ...r, targetCos, baselineCos };
  });

  return {
    model: engine.name,
    vocabSize: vocab.V,
    dim: d,
    layers: hs.length,
    words,
    vectors: [Float32Array.from(vs), Float32Array.from(vm), Float32Array.from(vw)],
    pairCos: [cosine(vs, vm), cosine(vs, vw), cosine(vm, vw)],
    analogies,
    sentences,
    layerTop,
  };
}

const f3 = (v: number) => v.toFixed(3);
const layerTicks = (n: number) => Array.from({ length: n }, (_, i) => i);

function neighbourTable(heading: string, list: Neighbour[], inputs: readonly number[]): TableSpec {
  return {
    heading,
    columns: [{ header: 'Rank', align: 'right' }, { header: 'Cosine sim.', align: 'right', mono: true }, { header: 'Shared var.', align: 'right', mono: true }, { header: 'Token', mono: true }],
    rows: list.map((n, i) => [String(i + 1), f3(n.cos), `${n.sharedVar.toFixed(1)}%`, JSON.stringify(n.piece)]),
    highlightRows: list.flatMap((n, i) => (inputs.includes(n.id) ? [i] : [])),
  };
}

async function render(d: KingQueenData): Promise<Figure[]> {
  const q = quoted;
  const p = (s: string) => JSON.stringify(s);
  const [ws, wm, ww] = [d.words.start.word, d.words.subtract.word, d.words.add.word];
  const target = d.words.target.word;
  const baseline = d.words.baseline.word;
  const names = [ws, wm, ww];

  const vectorsPng = await renderChart(lineChart({
    title: `Embedding vectors of ${names.map(p).join(', ')} (${d.dim} dimensions, ${d.model})`,
    xLabel: 'Embeddings dimension',
    yLabel: 'Embedding value',
    xMin: 0,
    xMax: d.dim,
    markers: false,
    series: d.vectors.map((v, i) => ({ label: names[i], values: v, lineWidth: 1 })),
  }), { height: 420 });

  const pairs: [number, number][] = [[0, 1], [0, 2], [1, 2]];
  const scatterPng = await renderPanels(pairs.map(([a, b], k) => scatterChart({
    title: `${p(names[a])} vs. ${p(names[b])}: cos ${f3(d.pairCos[k])}`,
    xLabel: names[a],
    yLabel: names[b],
    legend: false,
    series: [{ label: `${names[a]}-${names[b]}`, points: Array.from(d.vectors[a], (x, i) => [x, d.vectors[b][i]] as const), color: withAlpha(PAIR_COLORS[k], 0.6) }],
  })), { columns: 3, title: `Embedding values of word pairs, one dot per dimension (3 panels)`, panelHeight: 420 });

  const tables: TableSpec[] = d.analogies.flatMap((a) => a.skipped
    ? [{ heading: `${a.text}: not computed`, columns: [{ header: 'Why', wrap: 400 }], rows: [[a.skipped]] }]
    : [
        neighbourTable(`${a.text}, inputs excluded`, a.excluded, a.ids),
        neighbourTable(`${a.text}, inputs included`, a.included, a.ids),
      ]);
  const tablesPng = await renderTableFigure({
    title: `Nearest tokens to the analogy vectors (${d.vocabSize} embeddings of ${d.model})`,
    subtitle: 'Cosine similarity with the analogy vector; shared variance = squared correlation; highlighted rows are input words',
    tables,
  });

  const L = d.layers;
  const s0 = d.sentences[0];
  const ticks = layerTicks(L).map(String);
  const layersPng = await renderChart(withNamedXTicks(lineChart({
    title: `${ws} − ${wm} + ${ww} in the hidden states of sentence 1, per layer`,
    subtitle: `Labels: the nearest token of the vocabulary (inputs excluded)`,
    xLabel: 'Hidden layer',
    yLabel: 'Cosine similarity',
    x: layerTicks(L),
    series: [
      { label: 'Top cs with embeddings', values: d.layerTop.map((t) => t.cos), color: '#e6b3b3', lineWidth: 0, pointRadius: 7, pointLabels: d.layerTop.map((t) => t.piece) },
      { label: `cs with ${target}`, values: s0.targetCos, color: '#b3e6b3', lineWidth: 0, pointRadius: 7 },
    ],
  }), ticks), { height: 520 });

  const n = d.sentences.length;
  const colorOf = (i: number) => sentenceColor(i, n);
  const jitter = (i: number) => layerTicks(L).map((x) => x + (sentenceShade(i, n) - 0.45) / 5);
  const perSentence = (values: (s: SentenceResult) => number[]): Series[] => d.sentences.map((s, i) => ({
    label: `sentence ${i + 1}`,
    values: values(s),
    x: jitter(i),
    color: colorOf(i),
    pointRadius: 5,
    lineWidth: 1.5,
  }));
  const sentencesPng = await renderChart(withNamedXTicks(lineChart({
    title: `${p(target.toUpperCase())} to analogy vector, ${n} sentences`,
    xLabel: 'Hidden layer',
    yLabel: 'Cosine similarity',
    series: perSentence((s) => s.targetCos),
  }), ticks), { height: 440 });
  const confoundPng = await renderPanels([
    withNamedXTicks(lineChart({ title: `${p(baseline.toUpperCase())} to analogy vector`, xLabel: 'Hidden layer', yLabel: 'Cosine similarity', series: perSentence((s) => s.baselineCos), legend: false }), ticks),
    withNamedXTicks(lineChart({ title: `${target.toUpperCase()} − ${baseline.toUpperCase()}`, xLabel: 'Hidden layer', yLabel: 'Cosine similarity', series: perSentence((s) => s.targetCos.map((v, l) => v - s.baselineCos[l])) }), ticks),
  ], { columns: 2, title: `The baseline word ${p(baseline)} and the ${target}−${baseline} difference, ${n} sentences (2 panels)`, panelHeight: 380 });

  const main = d.analogies[0];
  const lastL = L - 1;
  const meanDiff = (l: number) => d.sentences.reduce((s, x) => s + x.targetCos[l] - x.baselineCos[l], 0) / n;
  return [
    {
      name: 'vectors',
      title: `Embedding vectors of ${names.map(q).join(', ')}`,
      alt: `Line plot of the ${d.dim} embedding values of ${names.map(q).join(', ')} in ${d.model}, dimension on the x axis.`,
      png: vectorsPng,
    },
    {
      name: 'scatter',
      title: `Embedding values of word pairs (3 panels)`,
      alt: `Three scatter plots of one word's embedding against another's, one dot per dimension: cosine similarity ${pairs.map(([a, b], k) => `${q(names[a])}–${q(names[b])} ${f3(d.pairCos[k])}`).join(', ')}.`,
      png: scatterPng,
    },
    {
      name: 'analogies',
      title: `Nearest tokens to ${d.analogies.map((a) => q(a.text)).join(' and ')}, with and without the inputs`,
      alt: `Tables of the ${main.excluded.length} tokens nearest to each analogy vector by cosine similarity; for ${q(main.text)} the top token is ${q(main.excluded[0].piece)} (${f3(main.excluded[0].cos)}) with the inputs excluded and ${q(main.included[0].piece)} (${f3(main.included[0].cos)}) with them included.`,
      png: tablesPng,
    },
    {
      name: 'layers',
      title: `Analogy vector in sentence 1's hidden states, ${L} layers`,
      alt: `Per hidden state 0 to ${lastL} of ${q(s0.text)}: the top cosine similarity of ${q(`${ws} - ${wm} + ${ww}`)} with the word embeddings (${f3(d.layerTop[0].cos)} at 0, ${f3(d.layerTop[lastL].cos)} at ${lastL}, nearest token ${q(d.layerTop[lastL].piece)}) and its cosine similarity with ${q(target)}'s hidden state (${f3(s0.targetCos[0])} at 0, ${f3(s0.targetCos[lastL])} at ${lastL}).`,
      png: layersPng,
    },
    {
      name: 'sentences',
      title: `${q(target)} to the analogy vector in ${n} sentences`,
      alt: `Cosine similarity between the analogy vector and ${q(target)}'s hidden state per layer, one line per sentence; at the last layer it ranges from ${f3(Math.min(...d.sentences.map((s) => s.targetCos[lastL])))} to ${f3(Math.max(...d.sentences.map((s) => s.targetCos[lastL])))}.`,
      png: sentencesPng,
    },
    {
      name: 'confound',
      title: `Baseline ${q(baseline)} and the ${q(target)}−${q(baseline)} difference (2 panels)`,
      alt: `Left: cosine similarity of the analogy vector with the last ${q(baseline)}'s hidden state per layer, one line per sentence; right: the ${q(target)} minus ${q(baseline)} difference, averaging ${f3(meanDiff(0))} at layer 0 and ${f3(meanDiff(lastL))} at layer ${lastL}.`,
      png: confoundPng,
    },
  ];
}

/** The notebook's colour order: plasma at linspace(.1, 1, n). */
function sentenceShade(i: number, n: number): number {
  return n === 1 ? 0.1 : 0.1 + (0.9 * i) / (n - 1);
}
function sentenceColor(i: number, n: number): string {
  return rgbCss(colormap('plasma')(sentenceShade(i, n)));
}

function explain(d: KingQueenData, opts: Opts): string {
  const q = quoted;
  const main = d.analogies[0];
  const target = d.words.target;
  const rankOf = (list: Neighbour[]) => list.findIndex((x) => x.id === target.id);
  const exRank = rankOf(main.excluded);
  const inTop = main.included[0];
  const inputs = main.included.filter((x) => main.ids.includes(x.id)).length;
  const L = d.layers - 1;
  const n = d.sentences.length;
  const meanDiff = d.sentences.reduce((s, x) => s + x.targetCos[L] - x.baselineCos[L], 0) / n;
  const sentences = [
    `With the inputs left out (the usual trick), the token nearest to ${q(main.text)} in ${d.model}'s embeddings is ${q(main.excluded[0].piece)} (cosine ${f3(main.excluded[0].cos)})` +
      (exRank >= 0 ? `, and ${q(target.word)} is number ${exRank + 1}.` : `, and ${q(target.word)} is not in the top ${main.excluded.length}.`),
    `Counting every token, the nearest is ${q(inTop.piece)} (${f3(inTop.cos)}) and ${inputs} of the top ${main.included.length} are the input words themselves — the \`analogies\` figure shows both lists.`,
    `In the hidden states of the ${n} sentences, the analogy vector's cosine with ${q(target.word)} minus its cosine with ${q(d.words.baseline.word)} averages ${f3(meanDiff)} at the last layer (\`confound\`): ` +
      (meanDiff > 0.05 ? `${q(target.word)} stands out from a word with nothing to do with the analogy.` : `barely more than for a word with nothing to do with the analogy.`),
  ];
  const next = JSON.stringify(opts.more_analogies) === JSON.stringify(DEFAULT_MORE)
    ? 'Try `/kingqueen more_analogies:"father - man + woman"` and see whether "mother" needs the inputs excluded too.'
    : opts.special_tokens
      ? 'Try `/kingqueen top_n:20` to see how far down the list the target word sits.'
      : 'Try `/kingqueen special_tokens:true` to see whether [CLS] and [SEP] change the hidden-state demo.';
  return `${sentences.join(' ')} ${next}`;
}

function figureData(d: KingQueenData): Record<string, unknown> {
  const names = [d.words.start.word, d.words.subtract.word, d.words.add.word];
  const strip = (list: Neighbour[]) => list.map((n) => ({ id: n.id, token: n.piece, cos: n.cos, sharedVariancePercent: n.sharedVar }));
  return {
    vectors: { words: names, ids: [d.words.start.id, d.words.subtract.id, d.words.add.id], values: d.vectors.map((v) => Array.from(v)) },
    scatter: { pairs: [[names[0], names[1]], [names[0], names[2]], [names[1], names[2]]], cosine: d.pairCos },
    analogies: d.analogies.map((a) => ({ analogy: a.text, ids: a.ids, excluded: strip(a.excluded), included: strip(a.included), ...(a.skipped ? { skipped: a.skipped } : {}) })),
    layers: { sentence: d.sentences[0].text, positions: d.sentences[0].positions, topCos: d.layerTop.map((t) => t.cos), topToken: d.layerTop.map((t) => t.piece), targetCos: d.sentences[0].targetCos },
    sentences: d.sentences.map((s) => ({ text: s.text, positions: s.positions, targetCos: s.targetCos })),
    confound: d.sentences.map((s) => ({ text: s.text, baselineCos: s.baselineCos, difference: s.targetCos.map((v, l) => v - s.baselineCos[l]) })),
  };
}

export const kingqueenAnalysis: Analysis<typeof Options, KingQueenData> = {
  id: 'kingqueen',
  post: findPost('kingqueen')!,
  usesModel: true,
  arch: 'bert',
  preferredModel: 'bert-large-uncased',
  options: Options,
  compute,
  render,
  explain,
  figureData,
};
