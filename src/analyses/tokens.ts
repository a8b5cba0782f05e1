// /tokens — LLM breakdown 1/6: tokenization. The vocabulary size and ten random tokens, a common
// and a rare letter pair ('th', 'tq'), the r's that " strawberry" hides, a text's tokens (id |
// token), how many characters each token covers, how spaces and capitals change tokens, and how
// many tokens the notebook's sentence costs in eight languages — for GPT-2 as in the post and,
// beyond it, GPT-4 and GPT-4o.
// Tokenizers only: no model weights are needed, so no model runs (and no tiny-model caveat).
import { z } from 'zod';
import { findPost } from '../catalog/posts.ts';
import { lineChart, scatterChart } from '../render/charts.ts';
import { createCanvas, loadImage } from '@napi-rs/canvas';
import { renderPanels } from '../render/panels.ts';
import { encodeCanvas } from '../render/png.ts';
import { renderTextHeatmap } from '../render/text-heatmap.ts';
import { theme } from '../render/theme.ts';
import { quoted as userText } from './lib/literal.ts';
import { getTokenizer, showWhitespace, TOKENIZER_NAMES, type Tokenizer, type TokenizerName } from './lib/tokenizers.ts';
import { renderTableFigure } from '../render/table.ts';
import { grouped } from './lib/format.ts';
import { createRng } from './lib/random.ts';
import type { Analysis, Figure } from './types.ts';
import { isModelAvailable, resolveModelDir } from '../../models/registry.ts';
import { WordPieceTokenizer } from '../llm/bert/tokenizer.ts';

/**
 * The notebook's eight languages and its sentence in each (data: the token counts are the
 * notebook's point, so its exact sentences are used).
 */
export const LANGUAGE_SAMPLES: readonly { language: string; sentence: string }[] = [
  { language: 'English', sentence: 'Blue towels are great because they remind you of the sea, although the sea is wet and towels work better when they are dry.' },
  { language: 'Spanish', sentence: 'Las toallas azules son geniales porque recuerdan al mar, aunque el mar está mojado y las toallas funcionan mejor cuando están secas.' },
  { language: 'Arabic', sentence: 'تعتبر المناشف الزرقاء رائعة لأنها تذكرك بالبحر، على الرغم من أن البحر مبلل والمناشف تعمل بشكل أفضل عندما تكون جافة.' },
  { language: 'Persian', sentence: 'حوله\u200cهای آبی عالی هستند زیرا شما را به یاد دریا می\u200cاندازند، اگرچه دریا مرطوب است و حوله\u200cها وقتی خشک باشند بهتر عمل می\u200cکنند.' },
  { language: 'Lithuanian', sentence: 'Mėlyni rankšluosčiai puikūs, nes primena jūrą, nors jūra yra šlapia, o rankšluosčiai geriau tinka, kai yra sausi.' },
  { language: 'Chinese', sentence: '蓝色毛巾很棒，因为它们会让您想起大海，尽管海水是湿的，而毛巾在干燥时效果更好。' },
  { language: 'Tamil', sentence: 'நீல நிற துண்டுகள் சிறந்தவை, ஏனென்றால் அவை கடலை நினைவூட்டுகின்றன, இருப்பினும் கடல் ஈரமாக இருக்கும், துண்டுகள் உலர்ந்திருக்கும் போது சிறப்பாக வேலை செய்யும்.' },
  { language: 'Esperanto', sentence: 'Bluaj mantukoj estas bonegaj ĉar ili memorigas vin pri la maro, kvankam la maro estas malseka kaj mantukoj funkcias pli bone kiam ili estas sekaj.' },
];

const TEXT_MAX = 2000;
const DEFAULT_TEXT = 'I like the longer-form posts on Substack.';
/** Rows per tokenizer in the token-table figure; the data always has every token. */
const TABLE_ROWS = 40;
/** Token boxes per tokenizer in the characters-vs-tokens figure (a 2000-character text can be 8000). */
const BOX_TOKENS = 400;
/** The notebook's ten random token ids (np.random.randint(vocab_size, size=10)). */
const RANDOM_TOKENS = 10;
/** The notebook's common and uncommon letter pair, and its strawberry question. */
export const LETTER_PAIRS = ['th', 'tq'] as const;
export const STRAWBERRY = [' strawberry', 'r'] as const;

const Options = z
  .object({
    text: z.string().min(1).max(TEXT_MAX).default(DEFAULT_TEXT)
      .describe('Text to tokenize'),
    words: z.array(z.string().min(1).max(40)).min(1).max(12)
      .default(['banana', ' banana', ' Banana', 'substack', ' substack', 'like', ' like'])
      .describe('Words for the spaces-and-case table; write a leading space as ␣ or in quotes: " banana"'),
    tokenizers: z.array(z.enum(TOKENIZER_NAMES)).min(1).max(3).default(['gpt2', 'gpt4', 'gpt4o'])
      .describe('Tokenizers to compare: gpt2 (r50k_base), gpt4 (cl100k_base), gpt4o (o200k_base)'),
    seed: z.number().int().min(0).max(2147483647).optional()
      .describe('Seed for the ten random tokens drawn from each vocabulary'),
  })
  .strict();
type Opts = z.infer<typeof Options>;

interface Tokenized {
  ids: number[];
  /** Display text of each token (bytes as <e8 93> when a token is part of a character). */
  tokens: string[];
}

interface TokenizerResult extends Tokenized {
  name: TokenizerName;
  label: string;
  encoding: string;
  vocabSize: number;
  /** Characters (Unicode code points, as Python's len) of each token's text. */
  charsPerToken: number[];
}

export interface TokensData {
  seed: number;
  /** Per tokenizer (same order as `tokenizers`): ten ids drawn uniformly from 0…vocabSize−1. */
  randomTokens: Tokenized[];
  /** 'th', 'tq', ' strawberry', 'r', each tokenized by every tokenizer. */
  probes: { word: string; byTokenizer: Tokenized[] }[];
  text: string;
  /** Unicode code points, as Python's len(text). */
  characters: number;
  tokenizers: TokenizerResult[];
  words: { word: string; byTokenizer: Tokenized[] }[];
  languages: { language: string; sentence: string; characters: number; tokens: number[] }[];
  /** The notebook's BERT comparison, when bert-base-uncased's vocabulary is downloaded. */
  bert: { model: string; rows: { word: string; gpt2: Tokenized; bert: Tokenized }[] } | null;
}

/** The notebook's ten strings for GPT-2 vs bert-base-uncased (data: the strings themselves). */
export const BERT_WORDS = ['banana', ' banana', ' Banana', 'substack', ' substack', 'like', ' like', '.', ',', ' '] as const;
export const BERT_TOKENIZER_MODEL = 'bert-base-uncased';

/**
 * WordPiece needs bert-base-uncased's own 30,522-entry vocabulary to say anything (the tiny
 * random BERT's small one would only show [UNK]s): the comparison appears once it is downloaded.
 */
async function bertComparison(): Promise<TokensData['bert']> {
  if (!(await isModelAvailable(BERT_TOKENIZER_MODEL))) return null;
  const bert = await WordPieceTokenizer.fromDir(await resolveModelDir(BERT_TOKENIZER_MODEL));
  const gpt2 = await getTokenizer('gpt2');
  return {
    model: BERT_TOKENIZER_MODEL,
    rows: BERT_WORDS.map((word) => {
      const ids = bert.tokenIds(word);
      return { word, gpt2: tokenize(gpt2, word), bert: { ids, tokens: ids.map((id) => bert.tokenText(id)) } };
    }),
  };
}

/** Code points, not UTF-16 units: "蓝" is 1 character, as in Python. */
const charCount = (s: string) => [...s].length;

/** `" banana"` and `␣banana` both mean " banana": list options lose leading spaces when trimmed. */
export function unquoteWord(w: string): string {
  const quoted = /^"(.*)"$/s.exec(w);
  return (quoted ? quoted[1] : w).replace(/␣/g, ' ');
}

function tokenize(tok: Tokenizer, text: string): Tokenized {
  const ids = tok.encode(text);
  return { ids, tokens: ids.map((id) => tok.tokenText(id)) };
}

/** `count` token ids drawn uniformly from the vocabulary (ids that are no token are drawn again). */
export function randomTokenIds(tok: Tokenizer, seed: number, count = RANDOM_TOKENS): number[] {
  const rng = createRng(seed);
  const ids: number[] = [];
  while (ids.length < count) {
    const id = Math.floor(rng.uniform() * tok.vocabSize);
    try {
      tok.tokenBytes(id);
      ids.push(id);
    } catch {
      // cl100k_base and o200k_base leave a few ids unassigned below their vocabulary size.
    }
  }
  return ids;
}

async function compute(opts: Opts): Promise<TokensData> {
  const toks = await Promise.all(opts.tokenizers.map((n) => getTokenizer(n)));
  const words = opts.words.map(unquoteWord);
  const seed = opts.seed ?? 0;
  return {
    seed,
    randomTokens: toks.map((tok) => {
      const ids = randomTokenIds(tok, seed);
      return { ids, tokens: ids.map((id) => tok.tokenText(id)) };
    }),
    probes: [...LETTER_PAIRS, ...STRAWBERRY].map((word) => ({ word, byTokenizer: toks.map((tok) => tokenize(tok, word)) })),
    text: opts.text,
    characters: charCount(opts.text),
    tokenizers: toks.map((tok) => {
      const t = tokenize(tok, opts.text);
      return {
        name: tok.name,
        label: tok.label,
        encoding: tok.encoding,
        vocabSize: tok.vocabSize,
        ...t,
        charsPerToken: t.ids.map((id) => charCount(tok.decode([id]).replace(/\uFFFD/g, ''))),
      };
    }),
    words: words.map((word) => ({ word, byTokenizer: toks.map((tok) => tokenize(tok, word)) })),
    languages: LANGUAGE_SAMPLES.map(({ language, sentence }) => ({
      language,
      sentence,
      characters: charCount(sentence),
      tokens: toks.map((tok) => tok.encode(sentence).length),
    })),
    bert: await bertComparison(),
  };
}

const quoted = (token: string) => JSON.stringify(token);
const tokLabel = (t: TokenizerResult) => `${t.label} (${t.encoding})`;

/** "th" is 1 token, "tq" 2…: the words of one tokenizer's probe rows. */
function probeSummary(d: TokensData, i: number) {
  const n = (w: string) => d.probes.find((p) => p.word === w)!.byTokenizer[i];
  const berry = n(STRAWBERRY[0]);
  const r = n(STRAWBERRY[1]);
  return { th: n(LETTER_PAIRS[0]), tq: n(LETTER_PAIRS[1]), berry, r, rInside: r.ids.length === 1 && berry.ids.includes(r.ids[0]) };
}

const tokensWord = (n: number) => (n === 1 ? '1 token' : `${n} tokens`);

async function render(d: TokensData): Promise<Figure[]> {
  const vocabText = d.tokenizers.map((t) => `${t.label} ${grouped(t.vocabSize)}`).join(', ');
  const vocabularyFig = await renderTableFigure({
    title: `Vocabulary sizes: ${vocabText} tokens`,
    subtitle: `Ten random tokens from each vocabulary (seed ${d.seed}); bytes that are only part of a character show as <hex>`,
    tables: d.tokenizers.map((t, i) => ({
      heading: `${tokLabel(t)}: ${grouped(t.vocabSize)}`,
      columns: [{ header: 'Token id', align: 'right', mono: true }, { header: 'Token', mono: true }],
      rows: d.randomTokens[i].ids.map((id, k) => [String(id), quoted(d.randomTokens[i].tokens[k])]),
    })),
  });

  const first = probeSummary(d, 0);
  const lead = d.tokenizers[0].label;
  const pairsFig = await renderTableFigure({
    title: 'A common and a rare letter pair; the r\'s in " strawberry"',
    subtitle: `${lead}: "th" is ${tokensWord(first.th.ids.length)}, "tq" ${tokensWord(first.tq.ids.length)}; " strawberry" is ${tokensWord(first.berry.ids.length)} (${first.berry.ids.join(', ')}) ` +
      (first.rInside ? `that include "r" (${first.r.ids[0]})` : `and "r" (${first.r.ids.join(', ')}) is ${first.berry.ids.length === 1 ? 'not it' : 'none of them'}: the model never sees the letters`),
    tables: [{
      columns: [{ header: 'Text', mono: true }, ...d.tokenizers.flatMap((t) => [
        { header: `${t.label} n`, align: 'right' as const },
        { header: `${t.label} pieces (ids)`, mono: true },
      ])],
      rows: d.probes.map((p) => [
        quoted(p.word),
        ...p.byTokenizer.flatMap((t) => [String(t.ids.length), `${t.tokens.map(showWhitespace).join('|')} (${t.ids.join(', ')})`]),
      ]),
    }],
  });

  const chars = [...d.text];
  const short = chars.length > 60 ? `${chars.slice(0, 57).join('')}…` : d.text;
  const counts = d.tokenizers.map((t) => `${t.label}: ${t.ids.length}`).join(', ');

  const tableFig = await renderTableFigure({
    title: `Tokens of "${short}"`,
    subtitle: `${d.characters} characters → tokens (${counts})`,
    tables: d.tokenizers.map((t) => ({
      heading: tokLabel(t),
      columns: [{ header: 'Index', align: 'right', mono: true }, { header: 'Token', mono: true }],
      rows: t.ids.slice(0, TABLE_ROWS).map((id, i) => [String(id), quoted(t.tokens[i])]),
      footer: t.ids.length > TABLE_ROWS ? `… ${t.ids.length - TABLE_ROWS} more tokens (all in the data)` : undefined,
    })),
  });

  // One text heatmap per tokenizer on a shared colour scale, stacked into one figure.
  const vmax = Math.max(2, ...d.tokenizers.flatMap((t) => t.charsPerToken));
  const boxesFig = await stackVertically(await Promise.all(d.tokenizers.map((t, i) => renderTextHeatmap({
    title: `${tokLabel(t)}: ${d.characters} characters → ${t.ids.length} tokens (${(d.characters / t.ids.length).toFixed(2)} per token)` +
      (t.ids.length > BOX_TOKENS ? `; first ${BOX_TOKENS} shown` : ''),
    tokens: t.tokens.slice(0, BOX_TOKENS),
    values: t.charsPerToken.slice(0, BOX_TOKENS),
    colormap: 'viridis',
    vmin: 0,
    vmax,
    legend: i === d.tokenizers.length - 1,
    legendLabel: 'characters in the token',
  }))));

  const tokCols = d.tokenizers.flatMap((t) => [
    { header: `${t.label} n`, align: 'right' as const },
    { header: `${t.label} pieces (ids)`, mono: true },
  ]);
  const spacesFig = await renderTableFigure({
    title: 'Spaces and capitals change the tokens',
    subtitle: 'Each word on its own; a leading space is part of the token ("␣" marks it)',
    tables: [{
      columns: [{ header: 'Word', mono: true }, ...tokCols],
      rows: d.words.map((w) => [
        quoted(w.word),
        ...w.byTokenizer.flatMap((t) => [
          String(t.ids.length),
          `${t.tokens.map(showWhitespace).join('|')} (${t.ids.join(', ')})`,
        ]),
      ]),
    }],
  });

  const langs = d.languages.map((l) => l.language);
  const twin = lineChart({
    title: 'Token and character counts per language',
    categories: langs,
    yLabel: 'Token count',
    y2Label: 'Character count',
    series: [
      // Markers only, as in the notebook: the languages are categories, not a sequence.
      ...d.tokenizers.map((t, i) => ({ label: `${t.label} tokens`, values: d.languages.map((l) => l.tokens[i]), lineWidth: 0, pointRadius: 6 })),
      { label: 'Characters', values: d.languages.map((l) => l.characters), axis: 'right' as const, color: '#ff9f9f', lineWidth: 0, pointRadius: 6 },
    ],
    yMin: 0,
    legend: true,
  });
  // Half a category of room at both ends, so the first and last languages' markers are whole.
  Object.assign((twin.options!.scales as Record<string, object>).x, { offset: true });
  const maxAll = Math.max(...d.languages.flatMap((l) => [l.characters, ...l.tokens]));
  const scatter = scatterChart({
    title: 'Tokens vs characters',
    xLabel: 'Character count',
    yLabel: 'Token count',
    series: d.tokenizers.map((t, i) => ({
      label: t.label,
      points: d.languages.map((l) => [l.characters, l.tokens[i]] as [number, number]),
      pointLabels: i === 0 ? langs : undefined,
    })),
    identityLine: 'tokens = characters',
    xMin: 0,
    yMin: 0,
    xMax: Math.ceil((maxAll + 20) / 50) * 50,
    yMax: Math.ceil((maxAll + 20) / 50) * 50,
    legend: true,
  });
  const languagesFig = await renderPanels([twin, scatter], { columns: 2, width: 1400, panelHeight: 600, title: 'The same sentence in eight languages' });

  const counts8 = (i: number) => d.languages.map((l) => `${l.language} ${l.tokens[i]}`).join(', ');
  const pairsAlt = d.tokenizers.map((t, i) => {
    const p = probeSummary(d, i);
    return `${t.label}: "th" ${p.th.ids.length}, "tq" ${p.tq.ids.length}, " strawberry" ${p.berry.ids.length} (${p.berry.ids.join(', ')}), "r" ${p.r.ids.join(', ')}`;
  }).join('; ');
  return [
    {
      name: 'vocabulary',
      title: 'Vocabulary size and ten random tokens',
      alt: `Vocabulary sizes (${vocabText}) and ten random tokens from each with their ids (seed ${d.seed}); ${d.tokenizers[0].label}'s: ${d.randomTokens[0].tokens.map(quoted).join(', ')}.`,
      png: vocabularyFig,
    },
    {
      name: 'letter-pairs',
      title: 'Letter pairs and strawberry',
      alt: `Table of the tokens of "th", "tq", " strawberry" and "r" (token counts and ids) — ${pairsAlt}.`,
      png: pairsFig,
    },
    {
      name: 'token-table',
      title: 'Token table',
      alt: `Token ids and token texts of "${short}" for ${d.tokenizers.map(tokLabel).join(', ')}; ${d.characters} characters become ${counts} tokens.`,
      png: tableFig,
    },
    {
      name: 'chars-vs-tokens',
      title: 'Characters vs tokens',
      alt: `The text drawn as token boxes, one row per tokenizer, each box coloured by how many characters it covers (${counts} tokens for ${d.characters} characters).`,
      png: boxesFig,
    },
    {
      name: 'spaces-case',
      title: 'Spaces and case',
      alt: `Table of how ${d.words.length} words (${d.words.map((w) => quoted(w.word)).join(', ')}) split into tokens with ${d.tokenizers.map((t) => t.label).join(', ')}.`,
      png: spacesFig,
    },
    {
      name: 'languages',
      title: 'Eight languages: tokens vs characters',
      alt: `Left: token count per tokenizer (left axis) and character count (right axis, pink) of the notebook's sentence in eight languages. ` +
        `Right: token count against character count with the identity line. Token counts: ${d.tokenizers.map((t, i) => `${t.label}: ${counts8(i)}`).join('; ')}.`,
      png: languagesFig,
    },
    ...(d.bert ? [await bertFigure(d.bert)] : []),
  ];
}

async function bertFigure(b: NonNullable<TokensData['bert']>): Promise<Figure> {
  const png = await renderTableFigure({
    title: `GPT-2 vs ${b.model}: the same ten strings`,
    subtitle: 'WordPiece lower-cases and splits on spaces before it looks words up; byte-level BPE keeps both',
    tables: [{
      columns: [{ header: 'string', mono: true }, { header: 'GPT-2', align: 'right' }, { header: 'GPT-2 tokens', mono: true }, { header: b.model, align: 'right' }, { header: 'BERT tokens', mono: true }],
      rows: b.rows.map((r) => [quoted(r.word), String(r.gpt2.ids.length), r.gpt2.ids.join(' '), String(r.bert.ids.length), r.bert.tokens.join(' ') || '(none)']),
    }],
  });
  return {
    name: 'bert-words',
    title: `GPT-2 vs ${b.model}`,
    alt: `Table of ten strings tokenized by GPT-2 and by ${b.model}: ${b.rows.map((r) => `${quoted(r.word)} ${r.gpt2.ids.length} vs ${r.bert.ids.length}`).join(', ')}.`,
    png,
  };
}

/** Figures of the same width, one under the other. */
async function stackVertically(pngs: Buffer[]): Promise<Buffer> {
  const images = await Promise.all(pngs.map((p) => loadImage(p)));
  const width = Math.max(...images.map((im) => im.width));
  const canvas = createCanvas(width, images.reduce((h, im) => h + im.height, 0));
  const ctx = canvas.getContext('2d');
  ctx.fillStyle = theme.background;
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  let y = 0;
  for (const im of images) {
    ctx.drawImage(im, 0, y);
    y += im.height;
  }
  return encodeCanvas(canvas);
}

function bertLine(d: TokensData): string {
  if (!d.bert) return `The notebook also tokenizes ten strings with ${BERT_TOKENIZER_MODEL}'s WordPiece; run \`npx lab models pull ${BERT_TOKENIZER_MODEL}\` and this command adds that table.`;
  const same = d.bert.rows.filter((r) => r.word.trim() === 'banana').map((r) => r.bert.ids.join(' '));
  return `${d.bert.model} lower-cases and drops spaces before it looks a word up, so "banana", " banana" and " Banana" are ${new Set(same).size === 1 ? 'the very same tokens' : 'different tokens'} there (${same[0]}), while GPT-2 gives each its own.`;
}

function explain(d: TokensData, opts: Opts): string {
  const [first] = d.tokenizers;
  const textLine =
    `${userText(d.text.length > 50 ? d.text.slice(0, 47) + '…' : d.text)} has ${d.characters} characters and ` +
    d.tokenizers.map((t) => `${t.ids.length} ${t.label} tokens`).join(', ') + '.';
  const banana = d.words.find((w) => w.byTokenizer[0].ids.length > 1);
  const single = d.words.find((w) => w.byTokenizer[0].ids.length === 1);
  const wordsLine = banana && single
    ? `In the spaces-and-case table, ${userText(single.word)} is one ${first.label} token but ${userText(banana.word)} is ${banana.byTokenizer[0].ids.length} (${banana.byTokenizer[0].tokens.map(userText).join(' + ')}): a leading space and a capital letter make a different token.`
    : `In the spaces-and-case table, compare how a leading space or a capital letter changes the tokens.`;
  const ratios = d.languages.map((l) => ({ l, r: l.tokens[0] / l.characters }));
  const worst = ratios.reduce((a, b) => (b.r > a.r ? b : a));
  const english = d.languages.find((l) => l.language === 'English')!;
  const last = d.tokenizers.length - 1;
  const langLine =
    `The notebook's sentence costs ${english.tokens[0]} ${first.label} tokens in English but ${worst.l.tokens[0]} in ${worst.l.language} ` +
    `(${worst.r.toFixed(2)} tokens per character${worst.r > 1 ? ': more tokens than letters' : ''})` +
    (last > 0 ? `; ${d.tokenizers[last].label}'s larger vocabulary needs ${worst.l.tokens[last]}.` : '.');
  const p = probeSummary(d, 0);
  const vocabLine =
    `${first.label} knows ${grouped(first.vocabSize)} tokens; "th" is ${tokensWord(p.th.ids.length)} but "tq" ${tokensWord(p.tq.ids.length)}, and " strawberry" is ${tokensWord(p.berry.ids.length)} (${p.berry.ids.join(', ')})` +
    (p.rInside ? '.' : `, ${p.berry.ids.length === 1 ? 'not' : 'none of them'} "r" (${p.r.ids.join(', ')}): the model sees ids, not the letters it would have to count.`);
  const tryNext = opts.text === DEFAULT_TEXT
    ? 'Try `/tokens text:"Tokenization is surprisingly unintuitive"` or your own name.'
    : `Try \`/tokens seed:${(d.seed + 1) % 2147483648}\` for ten other random tokens.`;
  return [vocabLine, textLine, wordsLine, langLine, bertLine(d), tryNext].join(' ');
}

function figureData(d: TokensData): Record<string, unknown> {
  return {
    ...(d.bert ? { 'bert-words': { model: d.bert.model, rows: d.bert.rows.map((r) => ({ string: r.word, gpt2_ids: r.gpt2.ids, bert_ids: r.bert.ids, bert_tokens: r.bert.tokens })) } } : {}),
    vocabulary: {
      seed: d.seed,
      tokenizers: d.tokenizers.map((t, i) => ({ name: t.name, encoding: t.encoding, vocabSize: t.vocabSize, randomIds: d.randomTokens[i].ids, randomTokens: d.randomTokens[i].tokens })),
    },
    'letter-pairs': d.probes.map((p) => ({
      text: p.word,
      ...Object.fromEntries(p.byTokenizer.map((t, i) => [d.tokenizers[i].name, { ids: t.ids, tokens: t.tokens }])),
    })),
    'token-table': {
      text: d.text,
      characters: d.characters,
      tokenizers: d.tokenizers.map((t) => ({ name: t.name, encoding: t.encoding, vocabSize: t.vocabSize, ids: t.ids, tokens: t.tokens })),
    },
    'chars-vs-tokens': d.tokenizers.map((t) => ({
      name: t.name,
      tokens: t.ids.length,
      characters: d.characters,
      charactersPerToken: d.characters / t.ids.length,
      charsPerToken: t.charsPerToken,
    })),
    'spaces-case': d.words.map((w) => ({
      word: w.word,
      ...Object.fromEntries(w.byTokenizer.map((t, i) => [d.tokenizers[i].name, { ids: t.ids, tokens: t.tokens }])),
    })),
    languages: d.languages.map((l) => ({
      language: l.language,
      sentence: l.sentence,
      characters: l.characters,
      ...Object.fromEntries(d.tokenizers.map((t, i) => [`${t.name}Tokens`, l.tokens[i]])),
    })),
  };
}

export const tokensAnalysis: Analysis<typeof Options, TokensData> = {
  id: 'tokens',
  post: findPost('tokens')!,
  usesModel: false,
  options: Options,
  compute: (opts) => compute(opts),
  render: (d) => render(d),
  explain,
  figureData,
};
