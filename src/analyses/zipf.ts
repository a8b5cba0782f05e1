// /zipf — "Zipf's law in famous fiction: characters and GPT4 tokens". Count every character and
// every GPT-4 (cl100k_base) token of a book, sort the counts and plot them against their rank
// on log–log axes; then do the same for the post's ten books and compare the fitted slopes.
import { z } from 'zod';
import { decode } from 'gpt-tokenizer/encoding/cl100k_base';
import { createHash } from 'node:crypto';
import { findPost } from '../catalog/posts.ts';
import { config } from '../config.ts';
import { barChart, lineChart, type Series } from '../render/charts.ts';
import { renderChart } from '../render/chart.ts';
import { renderPanels } from '../render/panels.ts';
import { seriesColor, theme } from '../render/theme.ts';
import {
  gutenbergBody,
  loadGutenbergBook,
  loadTextFile,
  loadTextFromUrl,
  shortTitle,
  TextSourceError,
  type BookText,
} from './gutenberg.ts';
import { cachedBookCounts, TOKENIZER } from './lib/book-counts.ts';
import { fixed, grouped } from './lib/format.ts';
import { literal, quoted } from './lib/literal.ts';
import { lineLegendSwatches } from './lib/chart-tweaks.ts';
import { fitZipf, thinCurve, type ZipfFit } from './lib/rank-frequency.ts';
import { OptionError, type Analysis, type AnalysisContext, type Figure } from './types.ts';

/** The post's ten books: Gutenberg IDs with the short names the notebook gives them. */
export const POST_BOOKS: readonly { id: number; name: string }[] = [
  { id: 84, name: 'Frankenstein' },
  { id: 64317, name: 'The Great Gatsby' },
  { id: 11, name: 'Alice in Wonderland' },
  { id: 1513, name: 'Romeo and Juliet' },
  { id: 76, name: 'Huckleberry Finn' },
  { id: 219, name: 'Heart of Darkness' },
  { id: 2591, name: "Grimms' Fairy Tales" },
  { id: 2148, name: 'Edgar Allan Poe, vol. 2' },
  { id: 36, name: 'The War of the Worlds' },
  { id: 829, name: "Gulliver's Travels" },
];
const TOP_LABELLED = 10;
const TOKENS_LISTED = 8;

const gutenbergId = z.number().int().min(1).max(999999);

export const Options = z.object({
  book: gutenbergId.default(829)
    .describe('Project Gutenberg ID of the book to analyse (829 = Gulliver\'s Travels)'),
  text_url: z.string().max(2048).optional()
    .describe('http(s) URL of a .txt file to analyse instead (a chat attachment); max 5 MB'),
  file: z.string().min(1).max(1024).optional()
    .describe('Local .txt file to analyse instead (command line only); max 5 MB'),
  books: z.array(gutenbergId).min(1).max(12).default(POST_BOOKS.map((b) => b.id))
    .describe('Gutenberg IDs for the overlay of books (default: the post\'s ten)'),
  overlay: z.boolean().default(true)
    .describe('Also draw the overlay of all books and their fitted Zipf exponents'),
  body_only: z.boolean().default(false)
    .describe('Count only the book between Gutenberg\'s START/END markers (no header or licence)'),
}).strict();
export type ZipfOptions = z.infer<typeof Options>;

export interface BookSummary {
  id: number | null;
  title: string;
  /** Short name for legends. */
  label: string;
  source: BookText['source'];
  numChars: number;
  uniqueChars: number;
  numTokens: number;
  uniqueTokens: number;
  charFit: ZipfFit | null;
  tokenFit: ZipfFit | null;
  /** Sorted counts by rank, thinned to about 600 ranks for plotting (every rank up to 200). */
  charCurve: { rank: number[]; count: number[] };
  tokenCurve: { rank: number[]; count: number[] };
}

export interface ZipfData {
  book: BookSummary & {
    topChars: { char: string; count: number }[];
    topTokens: { id: number; text: string; count: number }[];
    /** What was removed before counting (a BOM, the CRs of CRLF line ends). */
    stripped: BookText['stripped'];
  };
  /** The overlay's books, then the analysed text when it is not one of them (empty when overlay is off). */
  books: BookSummary[];
  tokenizer: string;
}

/** Map a text-source problem to an error that names the option the user gave. */
async function asOption<T>(option: string, load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (err) {
    if (err instanceof TextSourceError) throw new OptionError(option, err.message);
    throw err;
  }
}

function loadMainText(opts: ZipfOptions, ctx: AnalysisContext): Promise<BookText> {
  if (opts.file !== undefined && opts.text_url !== undefined) {
    throw new OptionError('file', 'give either file or text_url, not both');
  }
  if (opts.file !== undefined) {
    if (!ctx.localFiles) {
      throw new OptionError('file', 'local files can only be read from the command line (lab run); in chat, attach the .txt file');
    }
    const file = opts.file;
    return asOption('file', () => loadTextFile(file));
  }
  if (opts.text_url !== undefined) {
    const url = opts.text_url;
    // The CLI user may point at a server on their own machine; chat input may not.
    return asOption('text_url', () => loadTextFromUrl(url, { allowPrivateHosts: ctx.localFiles ?? false, signal: ctx.signal }));
  }
  return asOption('book', () => loadGutenbergBook(opts.book, { signal: ctx.signal }));
}

function labelFor(book: BookText): string {
  return POST_BOOKS.find((b) => b.id === book.id)?.name ?? shortTitle(book.title);
}

/** A character or token as a readable label: spaces shown as ␣, newlines as ↵, tabs as ⇥. */
export function visibleText(t: string): string {
  return t.replace(/ /g, '␣').replace(/\n/g, '↵').replace(/\t/g, '⇥');
}

async function summarize(book: BookText, opts: ZipfOptions) {
  const text = opts.body_only ? gutenbergBody(book.text) : book.text;
  const sha256 = opts.body_only ? createHash('sha256').update(text).digest('hex') : book.sha256;
  const counts = await cachedBookCounts({ text, sha256 }, config.BOOK_CACHE_DIR);
  const charCounts = counts.chars.map(([, n]) => n);
  const tokenCounts = counts.tokens.map(([, n]) => n);
  const summary: BookSummary = {
    id: book.id,
    title: book.title,
    label: labelFor(book),
    source: book.source,
    numChars: counts.numChars,
    uniqueChars: counts.chars.length,
    numTokens: counts.numTokens,
    uniqueTokens: counts.tokens.length,
    charFit: fitZipf(charCounts),
    tokenFit: fitZipf(tokenCounts),
    charCurve: thinCurve(charCounts),
    tokenCurve: thinCurve(tokenCounts),
  };
  return { summary, counts };
}

export async function computeZipf(opts: ZipfOptions, ctx: AnalysisContext): Promise<ZipfData> {
  ctx.progress('reading the book');
  const mainText = await loadMainText(opts, ctx);
  ctx.progress('counting characters and GPT-4 tokens', 0);
  const main = await summarize(mainText, opts);
  const book: ZipfData['book'] = {
    ...main.summary,
    topChars: main.counts.chars.slice(0, TOP_LABELLED).map(([char, count]) => ({ char, count })),
    topTokens: main.counts.tokens.slice(0, TOP_LABELLED).map(([id, count]) => ({ id, text: decode([id]), count })),
    stripped: mainText.stripped,
  };

  const books: BookSummary[] = [];
  if (opts.overlay) {
    const ids = [...new Set(opts.books)];
    for (const [i, id] of ids.entries()) {
      ctx.signal?.throwIfAborted();
      ctx.progress(`book ${i + 1}/${ids.length} (Gutenberg #${id})`, (i + 1) / (ids.length + 1));
      if (id === book.id) {
        books.push(main.summary);
        continue;
      }
      const text = await asOption('books', () => loadGutenbergBook(id, { signal: ctx.signal }));
      books.push((await summarize(text, opts)).summary);
    }
    // An uploaded text (or a book outside the list) joins the overlay, to compare with the others.
    if (!books.includes(main.summary)) books.push(main.summary);
  }
  return { book, books, tokenizer: TOKENIZER };
}

const exponent = (fit: ZipfFit | null) => (fit ? fixed(fit.exponent, 2) : 'n/a');

/** The rank-10 token against the most common one, from the counts themselves (and the fit's prediction). */
function rankTenText(b: ZipfData['book']): string {
  const first = b.topTokens[0];
  const tenth = b.topTokens[9];
  if (!first || !tenth || !b.tokenFit) return '';
  const ratio = first.count / tenth.count;
  return ` The most common token, ${quoted(first.text)}, appears ${grouped(first.count)} times and the one at rank 10, ${quoted(tenth.text)}, ${grouped(tenth.count)} times: ${fixed(ratio, 1)}× fewer, where the fitted line predicts 10^s = ${fixed(10 ** b.tokenFit.exponent, 1)}×.`;
}

export function explainZipf(d: ZipfData): string {
  const b = d.book;
  const parts = [
    `${literal(b.label)} has ${grouped(b.numChars)} characters (${grouped(b.uniqueChars)} distinct) and ${grouped(b.numTokens)} GPT-4 tokens (${grouped(b.uniqueTokens)} distinct).`,
    b.tokenFit
      ? `Sorted by frequency, token counts fall on a nearly straight line in log–log axes — Zipf's law — with exponent s = ${exponent(b.tokenFit)} (R² ${fixed(b.tokenFit.r2, 3)}).${rankTenText(b)}`
      : 'The text is too short for a meaningful Zipf fit: try a longer one.',
    `Characters bend away from a straight line much sooner: a handful (${b.topChars.slice(0, 5).map((c) => visibleText(c.char)).join(' ')}) dominate and the rest drop off steeply.`,
  ];
  const fitted = d.books.filter((x) => x.tokenFit);
  if (fitted.length > 1) {
    const sorted = [...fitted].sort((x, y) => x.tokenFit!.exponent - y.tokenFit!.exponent);
    const lo = sorted[0]!;
    const hi = sorted[sorted.length - 1]!;
    parts.push(`Across the ${fitted.length} books the token exponents only range from ${exponent(lo.tokenFit)} (${lo.label}) to ${exponent(hi.tokenFit)} (${hi.label}): very different authors, strikingly similar statistics.`);
  }
  if (b.stripped.bom || b.stripped.carriageReturns > 0) {
    const what = [b.stripped.bom ? 'the byte-order mark at its start' : '', b.stripped.carriageReturns > 0 ? `${grouped(b.stripped.carriageReturns)} carriage return${b.stripped.carriageReturns === 1 ? '' : 's'} (Windows CRLF line ends became LF)` : ''].filter(Boolean);
    parts.push(`Before counting, ${what.join(' and ')} ${what.length > 1 ? 'were' : 'was'} removed, so every copy of a book counts the same.`);
  }
  const isPride = b.id === 1342 || /Pride and Prejudice/i.test(b.title);
  const other = isPride ? '`/zipf book:1661` (The Adventures of Sherlock Holmes)' : '`/zipf book:1342` (Pride and Prejudice)';
  parts.push(b.source === 'url' || b.source === 'file'
    ? `Try ${other}, or \`body_only:true\` if your file carries Project Gutenberg's header and licence.`
    : `Try ${other}, or attach your own .txt file to see whether it follows the same law.`);
  return parts.join(' ');
}

// ── Figures ──────────────────────────────────────────────────────────────────────────────────

/** Rank–frequency points as a line-chart series without the line (markers only). */
function rankSeries(curve: { rank: number[]; count: number[] }, label: string, color: string, extra: Partial<Series> = {}): Series {
  return { label, x: curve.rank, values: curve.count, color, lineWidth: 0, pointRadius: 3, ...extra };
}

function fitSeries(fit: ZipfFit, label: string): Series {
  const ranks = [1, fit.maxRank];
  return {
    label,
    x: ranks,
    values: ranks.map((r) => 10 ** fit.intercept * r ** -fit.exponent),
    color: theme.highlight,
    dashed: true,
    pointRadius: 0,
    lineWidth: 2,
  };
}

/** Room above the top point on a log axis for its label (and right of the last, via xMax). */
const headroom = (counts: number[]) => Math.max(...counts) * 2.5;

function topLabels(n: number, labels: string[]): string[] {
  return Array.from({ length: n }, (_, i) => labels[i] ?? '');
}

export async function renderZipf(d: ZipfData): Promise<Figure[]> {
  const b = d.book;
  const characters = await renderChart(lineChart({
    title: `Character frequencies in ${b.label}`,
    subtitle: `${grouped(b.numChars)} characters, ${grouped(b.uniqueChars)} distinct`,
    xLabel: 'Sorted character index (rank)',
    yLabel: 'Character frequency',
    logX: true,
    logY: true,
    xMax: b.uniqueChars * 1.25,
    yMax: headroom(b.charCurve.count),
    series: [rankSeries(b.charCurve, 'characters', '#b3b3e6', {
      pointRadius: 4,
      pointLabels: topLabels(b.charCurve.rank.length, b.topChars.map((c) => visibleText(c.char))),
    })],
    legend: false,
  }), { height: 520 });

  const tokenSeries: Series[] = [rankSeries(b.tokenCurve, 'GPT-4 tokens', '#e6b3b3', { pointRadius: 2.5 })];
  if (b.tokenFit) tokenSeries.push(fitSeries(b.tokenFit, `fit: count ∝ rank^−${fixed(b.tokenFit.exponent, 2)}`));
  const tokens = await renderChart(lineLegendSwatches(lineChart({
    title: `GPT-4 token frequencies in ${b.label}`,
    // Top tokens are listed rather than labelled: labels would crowd at ranks 3–10 on a log axis.
    subtitle: `${grouped(b.numTokens)} ${TOKENIZER} tokens, ${grouped(b.uniqueTokens)} distinct · most common: ${b.topTokens.slice(0, TOKENS_LISTED).map((t) => visibleText(t.text)).join('  ')}`,
    xLabel: 'Sorted token index (rank)',
    yLabel: 'Token frequency',
    logX: true,
    logY: true,
    xMax: b.uniqueTokens * 1.25,
    yMax: headroom(b.tokenCurve.count),
    series: tokenSeries,
    legend: true,
  })), { height: 520 });

  const figures: Figure[] = [
    {
      name: 'characters',
      title: 'Character rank–frequency (log–log)',
      alt: `Log–log plot of how often each of the ${b.uniqueChars} distinct characters of ${b.label} occurs, sorted from most to least frequent; the most common are ${b.topChars.slice(0, 5).map((c) => `"${visibleText(c.char)}" (${grouped(c.count)})`).join(', ')}.`,
      png: characters,
    },
    {
      name: 'tokens',
      title: 'GPT-4 token rank–frequency (log–log)',
      alt: `Log–log plot of the counts of the ${grouped(b.uniqueTokens)} distinct GPT-4 tokens of ${b.label} against their rank, close to a straight line with fitted Zipf exponent ${exponent(b.tokenFit)}; the most common tokens are ${b.topTokens.slice(0, 5).map((t) => `"${t.text}"`).join(', ')}.`,
      png: tokens,
    },
  ];
  if (!d.books.length) return figures;

  // Draw the analysed book last and in white, so it stands out on top of the others.
  const isMain = (x: BookSummary) => x.id === b.id && x.title === b.title;
  const ordered = [...d.books.filter((x) => !isMain(x)), ...d.books.filter(isMain)];
  const overlaySeries = (curve: (x: BookSummary) => { rank: number[]; count: number[] }) =>
    ordered.map((x, i): Series => ({
      label: x.label,
      x: curve(x).rank,
      values: curve(x).count,
      color: isMain(x) ? '#ffffff' : seriesColor(i),
      lineWidth: isMain(x) ? 2.5 : 1.5,
      pointRadius: 0,
    }));
  const overlay = await renderPanels([
    lineLegendSwatches(lineChart({
      title: 'Frequency of characters',
      xLabel: 'Sorted character index (log)',
      yLabel: 'Frequency in text (log)',
      logX: true,
      logY: true,
      series: overlaySeries((x) => x.charCurve),
      legend: true,
    })),
    lineLegendSwatches(lineChart({
      title: 'Frequency of GPT-4 tokens',
      xLabel: 'Sorted token index (log)',
      yLabel: 'Frequency in text (log)',
      logX: true,
      logY: true,
      series: overlaySeries((x) => x.tokenCurve),
      legend: true,
    })),
  ], { columns: 2, panelHeight: 620 });

  const labels = d.books.map((x) => x.label);
  const stats = await renderPanels([
    barChart({
      title: 'Length of each book',
      xLabel: 'Count',
      categories: labels,
      horizontal: true,
      series: [
        { label: 'characters', values: d.books.map((x) => x.numChars), color: '#b3b3e6' },
        { label: `GPT-4 tokens`, values: d.books.map((x) => x.numTokens), color: '#e6b3b3' },
      ],
      legend: true,
    }),
    barChart({
      title: 'Fitted Zipf exponent of GPT-4 tokens',
      subtitle: 'count ∝ rank^−s; s = 1 is the classic Zipf law',
      xLabel: 'Exponent s',
      categories: labels,
      horizontal: true,
      xMin: 0,
      series: [{
        label: 'token exponent',
        values: d.books.map((x) => x.tokenFit?.exponent ?? NaN),
        barColors: d.books.map((x) => (isMain(x) ? '#ffffff' : '#e6b3b3')),
      }],
      annotations: [{ kind: 'vline', x: 1, color: theme.muted, label: 's = 1' }],
      legend: false,
    }),
  ], { columns: 2, panelHeight: 520 });

  const range = (f: (x: BookSummary) => number) => `${grouped(Math.min(...d.books.map(f)))}–${grouped(Math.max(...d.books.map(f)))}`;
  figures.push(
    {
      name: 'overlay',
      title: `Zipf's law in ${d.books.length} books: characters and GPT-4 tokens`,
      alt: `Two log–log panels overlaying the rank–frequency curves of ${d.books.length} books (${labels.join(', ')}): characters on the left, GPT-4 tokens on the right, where the curves run nearly parallel.`,
      png: overlay,
    },
    {
      name: 'book-stats',
      title: 'Book lengths and fitted Zipf exponents',
      alt: `Horizontal bars of character counts (${range((x) => x.numChars)}) and GPT-4 token counts (${range((x) => x.numTokens)}) per book, and of the fitted token Zipf exponent per book: ${d.books.map((x) => `${x.label} ${exponent(x.tokenFit)}`).join(', ')}.`,
      png: stats,
    },
  );
  return figures;
}

const fitJson = (fit: ZipfFit | null) =>
  fit && { exponent: fit.exponent, log10_intercept: fit.intercept, r2: fit.r2, ranks_fitted: fit.maxRank };

function bookJson(x: BookSummary) {
  return {
    gutenberg_id: x.id,
    title: x.title,
    characters: x.numChars,
    distinct_characters: x.uniqueChars,
    tokens: x.numTokens,
    distinct_tokens: x.uniqueTokens,
    token_zipf_fit: fitJson(x.tokenFit),
    character_zipf_fit: fitJson(x.charFit),
  };
}

export const zipfAnalysis: Analysis<typeof Options, ZipfData> = {
  id: 'zipf',
  post: findPost('zipf')!,
  usesModel: false,
  options: Options,
  compute: computeZipf,
  render: async (data) => renderZipf(data),
  explain: explainZipf,
  figureData: (d) => {
    const out: Record<string, unknown> = {
      characters: {
        ...bookJson(d.book),
        top_characters: d.book.topChars,
        counts_by_rank: d.book.charCurve,
      },
      tokens: {
        ...bookJson(d.book),
        tokenizer: d.tokenizer,
        top_tokens: d.book.topTokens,
        counts_by_rank_logsampled: d.book.tokenCurve,
      },
    };
    if (d.books.length) {
      out.overlay = d.books.map((x) => ({
        gutenberg_id: x.id,
        label: x.label,
        character_counts_by_rank: x.charCurve,
        token_counts_by_rank_logsampled: x.tokenCurve,
      }));
      out['book-stats'] = d.books.map(bookJson);
    }
    return out;
  },
};
