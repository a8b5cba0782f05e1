// /smooth — "Smooth numbers". The largest prime factor of every integer up to a limit (by a
// sieve), the B-smooth numbers (all prime factors ≤ B), how often each prime is the largest
// factor (19 wins up to 10,000), and, as a project addition, how the smooth counts grow.
import { z } from 'zod';
import { findPost } from '../catalog/posts.ts';
import { lineChart, scatterChart } from '../render/charts.ts';
import { renderChart } from '../render/chart.ts';
import { renderPanels } from '../render/panels.ts';
import { renderTableFigure } from '../render/table.ts';
import { theme } from '../render/theme.ts';
import { fixed, grouped } from './lib/format.ts';
import { thinToGrid } from './lib/point-thinning.ts';
import { drawSeriesAsLine } from './lib/scatter-lines.ts';
import { largestFactorCounts, largestPrimeFactors, primesFromTable, smoothCounts, smoothNumbers } from './lib/primes.ts';
import { OptionError, type Analysis, type Figure } from './types.ts';

const MAX_N = 50_000;
/** The smooth-number table shows at most this many numbers (all of them are in the data). */
const LIST_COLUMNS = 15;
const LIST_MAX = 300;
/** Points on the log-spaced x grid of the growth figure. */
const GROWTH_POINTS = 160;

export const Options = z.object({
  max_n: z.number().int().min(100).max(MAX_N).default(10_000)
    .describe('Factor every integer from 2 up to this limit'),
  b: z.number().int().min(2).max(MAX_N).default(5)
    .describe('Bound B of the listed B-smooth numbers (all prime factors ≤ B)'),
  counts_xmax: z.number().int().min(10).max(MAX_N).default(500)
    .describe('Right end of the x axis of the occurrence-count plot (largest primes shown)'),
  bounds: z.array(z.number().int().min(2).max(1000)).min(1).max(8).default([2, 3, 5, 7, 11, 13])
    .describe('Bounds B whose smooth-number counts the growth figure follows (each 2–1000)'),
}).strict();
export type SmoothOptions = z.infer<typeof Options>;

export interface SmoothData {
  maxN: number;
  /** lpf[n] for n = 0…maxN (0 for 0 and 1, which have no prime factor). */
  lpf: Int32Array;
  primeCount: number;
  b: number;
  /** The b-smooth numbers 1…maxN. */
  smooth: number[];
  /** Every prime that is some number's largest factor, and how many of 2…maxN it is for. */
  occurrences: { primes: number[]; counts: number[] };
  modal: { prime: number; count: number };
  growth: {
    /** Log-spaced x values from 1 to maxN. */
    x: number[];
    /** Ψ(x, B) per requested bound, ascending bounds. */
    series: { bound: number; counts: number[] }[];
    /** Ψ(maxN, p)/maxN for every prime p ≤ maxN (and the number 1 counted as smooth). */
    fractionByBound: { bounds: number[]; fraction: number[] };
    /** Ψ(maxN, ⌊√maxN⌋)/maxN: near Dickman's ρ(2) = 1 − ln 2 ≈ 0.307 for large maxN. */
    sqrtBound: number;
    sqrtFraction: number;
  };
}

/** Integers from 1 to max on a roughly logarithmic grid (ascending, no repeats). */
function logGrid(max: number, points: number): number[] {
  const out = new Set<number>();
  for (let i = 0; i < points; i++) out.add(Math.round(Math.exp((Math.log(max) * i) / (points - 1))));
  out.add(max);
  return [...out].sort((a, b) => a - b);
}

export function computeSmooth(opts: SmoothOptions): SmoothData {
  const maxN = opts.max_n;
  if (opts.b > maxN) throw new OptionError('b', `must be at most max_n (${maxN})`);
  const lpf = largestPrimeFactors(maxN);
  const primes = primesFromTable(lpf);
  const occurrences = largestFactorCounts(lpf);
  let m = 0;
  for (let i = 1; i < occurrences.counts.length; i++) if (occurrences.counts[i] > occurrences.counts[m]) m = i;

  const x = logGrid(maxN, GROWTH_POINTS);
  const bounds = [...new Set(opts.bounds)].sort((a, b) => a - b);
  // Cumulative counts: 1 (smooth for every bound) plus every number whose largest factor is ≤ p.
  let cumulative = 1;
  const fraction = occurrences.counts.map((c) => (cumulative += c) / maxN);
  const sqrtBound = Math.floor(Math.sqrt(maxN));
  return {
    maxN,
    lpf,
    primeCount: primes.length,
    b: opts.b,
    smooth: smoothNumbers(lpf, opts.b),
    occurrences,
    modal: { prime: occurrences.primes[m], count: occurrences.counts[m] },
    growth: {
      x,
      series: bounds.map((bound) => ({ bound, counts: smoothCounts(lpf, bound, x) })),
      fractionByBound: { bounds: occurrences.primes, fraction },
      sqrtBound,
      sqrtFraction: smoothCounts(lpf, sqrtBound, [maxN])[0] / maxN,
    },
  };
}

const pct = (v: number) => `${fixed(100 * v, v < 0.01 ? 2 : 1)}%`;

export async function renderSmooth(d: SmoothData, opts: SmoothOptions): Promise<Figure[]> {
  const n = d.maxN;
  const numbers = Array.from({ length: n + 1 }, (_, i) => i);
  const lpf = Array.from(d.lpf);
  const maxLpf = Math.max(...lpf);

  // 1. Largest prime factor of every number, coloured by √(factor), as in the notebook. Points
  // that would land on the same spot (the same device pixel) are drawn once.
  const drawn = thinToGrid(numbers, lpf, { xMin: 0, xMax: n, yMin: 0, yMax: maxLpf, columns: 2 * theme.width, rows: 2 * 480 });
  const scatter = await renderChart(scatterChart({
    title: `Largest prime factor of every number up to ${grouped(n)}`,
    subtitle: `${grouped(d.primeCount)} primes lie on the diagonal; the ${grouped(d.smooth.length)} ${d.b}-smooth numbers hug the floor`,
    xLabel: 'Number',
    yLabel: 'Largest prime factor',
    xMin: 0,
    yMin: 0,
    series: [{
      label: 'largest prime factor',
      x: drawn,
      values: drawn.map((i) => lpf[i]),
      colorValues: drawn.map((i) => Math.sqrt(lpf[i])),
      pointRadius: n > 20_000 ? 0.8 : 1.5,
    }],
    colorScale: { colormap: 'turbo', vmin: 0, vmax: Math.sqrt(maxLpf), label: '√(largest prime factor)' },
    legend: false,
  }), { width: theme.width, height: 600 });

  // 2. The notebook's "just for fun" plot: cos(p) against √p for the largest factor p of each of
  // 2…maxN, consecutive numbers joined by a faint line. Each distinct factor is drawn once as a
  // dot (the same picture as drawing it for every number that has it).
  const factors = lpf.slice(2);
  const distinct = [...new Set(factors)].sort((a, b) => a - b);
  const fun = await renderChart(drawSeriesAsLine(scatterChart({
    title: `cos(largest prime factor) against its square root, numbers 2–${grouped(n)}`,
    subtitle: `${grouped(distinct.length)} distinct largest prime factors p (dots, coloured by (sin p + 1)/2); a faint line joins consecutive numbers`,
    xLabel: 'cos(max.prime)',
    yLabel: 'sqrt(max.prime)',
    series: [
      {
        label: 'largest prime factors',
        x: distinct.map(Math.cos),
        values: distinct.map(Math.sqrt),
        colorValues: distinct.map((p) => (Math.sin(p) + 1) / 2),
        pointRadius: 3.5,
      },
      { label: '_path', x: factors.map(Math.cos), values: factors.map(Math.sqrt), color: 'rgba(128,128,128,0.18)', pointRadius: 0, lineWidth: 0.12 },
    ],
    // turbo (the nearest of our maps to matplotlib's rainbow) starts almost black: begin the
    // colour scale a little below 0 so that the lowest values stay visible on the dark background.
    colorScale: { colormap: 'turbo', vmin: -0.15, vmax: 1, label: '(sin(max.prime) + 1) / 2' },
    legend: false,
  }), 1), { width: theme.width, height: 700 });

  // 3. The B-smooth numbers, as the notebook prints them.
  const shown = d.smooth.slice(0, LIST_MAX);
  const rows: string[][] = [];
  for (let i = 0; i < shown.length; i += LIST_COLUMNS) rows.push(shown.slice(i, i + LIST_COLUMNS).map(String));
  const list = await renderTableFigure({
    title: `All ${grouped(d.smooth.length)} ${d.b}-smooth numbers up to ${grouped(n)}`,
    subtitle: `Numbers whose prime factors are all ≤ ${d.b} (${pct(d.smooth.length / n)} of 1–${grouped(n)})${d.b === 5 ? '; compare OEIS A051037' : ''}`,
    tables: [{
      columns: Array.from({ length: Math.min(LIST_COLUMNS, shown.length) }, () => ({ header: '', align: 'right' as const, mono: true })),
      rows,
      footer: d.smooth.length > LIST_MAX ? `… ${grouped(d.smooth.length - LIST_MAX)} more (the first ${LIST_MAX} shown; all are in the data)` : undefined,
    }],
  });

  // 4. How often each prime is the largest factor (the magic of 19).
  const occ = d.occurrences;
  const keep = occ.primes.map((_, i) => i).filter((i) => occ.primes[i] <= opts.counts_xmax);
  const maxCount = Math.max(...occ.counts);
  const counts = await renderChart(scatterChart({
    title: `${d.modal.prime} is the modal max prime factor`,
    subtitle: `${d.modal.prime} is the largest prime factor of ${grouped(d.modal.count)} of the numbers 2–${grouped(n)}; primes up to ${grouped(opts.counts_xmax)} shown`,
    xLabel: 'Max prime number',
    yLabel: 'Number of occurrences',
    xMin: 0,
    xMax: opts.counts_xmax,
    yMin: 0,
    series: [{
      label: 'occurrences',
      x: keep.map((i) => occ.primes[i]),
      values: keep.map((i) => occ.counts[i]),
      colorValues: keep.map((i) => occ.counts[i]),
      pointRadius: 4,
    }],
    colorScale: { colormap: 'turbo', vmin: 0, vmax: maxCount, label: 'occurrences' },
    annotations: [{ kind: 'marker', x: d.modal.prime, y: d.modal.count, label: `${d.modal.prime}: ${grouped(d.modal.count)}`, color: theme.foreground }],
    legend: false,
  }), { width: theme.width, height: 500 });

  // 5. Project addition: how the smooth counts grow with x, and with the bound.
  const g = d.growth;
  const growth = await renderPanels([
    lineChart({
      title: 'B-smooth numbers up to x',
      subtitle: 'Ψ(x, B) for fixed B grows far slower than x itself',
      xLabel: 'x',
      yLabel: 'Count of B-smooth numbers ≤ x',
      logX: true,
      logY: true,
      x: g.x,
      series: [
        ...g.series.map((s) => ({ label: `B = ${s.bound}`, values: s.counts })),
        { label: 'every number (y = x)', values: g.x, color: theme.muted, dashed: true, lineWidth: 1.5 },
      ],
      legend: true,
    }),
    lineChart({
      title: `Share of 1–${grouped(n)} that is B-smooth`,
      subtitle: `B = √${grouped(n)} = ${g.sqrtBound}: ${pct(g.sqrtFraction)}; B = ${d.b}: ${pct(d.smooth.length / n)}`,
      xLabel: 'Bound B (every prime up to the limit)',
      yLabel: `Fraction of 1–${grouped(n)}`,
      logX: true,
      yMin: 0,
      yMax: 1,
      series: [{ label: 'B-smooth share', x: g.fractionByBound.bounds, values: g.fractionByBound.fraction, color: theme.palette[1] }],
      annotations: [
        { kind: 'vline', x: g.sqrtBound, color: theme.muted, dashed: true, label: `√${grouped(n)}` },
        { kind: 'hline', y: g.sqrtFraction, color: theme.muted, dashed: true },
      ],
      legend: false,
    }),
  ], { columns: 2, panelHeight: 520 });

  const growthLine = g.series.map((s) => `B = ${s.bound}: ${grouped(s.counts[s.counts.length - 1])}`).join(', ');
  return [
    {
      name: 'largest-prime',
      title: `Largest prime factor of every number up to ${grouped(n)}`,
      alt: `Scatter plot of the largest prime factor (y) of each integer 0–${grouped(n)} (x), coloured by its square root. The ${grouped(d.primeCount)} primes form the diagonal y = x; composite numbers fall below, with lines at y = x/2, x/3, …; the ${grouped(d.smooth.length)} ${d.b}-smooth numbers lie along the bottom. Largest factor overall: ${grouped(maxLpf)}.`,
      png: scatter,
    },
    {
      name: 'cos-sqrt',
      title: 'cos(largest prime factor) against √(largest prime factor)',
      alt: `Scatter of cos(p) (x, from −1 to 1) against √p (y, up to ${fixed(Math.sqrt(maxLpf), 1)}) for the ${grouped(distinct.length)} distinct largest prime factors p of 2–${grouped(n)}, coloured by (sin p + 1)/2, with a faint grey line joining the points of consecutive numbers; the dots crowd towards cos = ±1, as the cosines of evenly spread angles do.`,
      png: fun,
    },
    {
      name: 'smooth-list',
      title: `The ${d.b}-smooth numbers up to ${grouped(n)}`,
      alt: `Table of the ${grouped(d.smooth.length)} ${d.b}-smooth numbers up to ${grouped(n)}${d.smooth.length > LIST_MAX ? ` (first ${LIST_MAX} shown)` : ''}: ${d.smooth.slice(0, 12).join(', ')}, …${d.smooth.length > 12 ? `, ${d.smooth[d.smooth.length - 1]}` : ''}.`,
      png: list,
    },
    {
      name: 'max-prime-counts',
      title: `${d.modal.prime} is the modal max prime factor`,
      alt: `Scatter of how many of the numbers 2–${grouped(n)} have each prime (x, up to ${grouped(opts.counts_xmax)}) as their largest factor (y). Counts rise from ${grouped(occ.counts[0])} for 2 to a peak of ${grouped(d.modal.count)} at ${d.modal.prime}, then fall off as larger primes have fewer multiples.`,
      png: counts,
    },
    {
      name: 'smooth-growth',
      title: 'How the smooth-number counts grow (2 panels)',
      alt: `Left: log–log lines of how many B-smooth numbers there are up to x for B = ${g.series.map((s) => s.bound).join(', ')}, against the line y = x; at x = ${grouped(n)}: ${growthLine}. Right: the fraction of 1–${grouped(n)} that is B-smooth for every prime bound B, rising from ${pct(g.fractionByBound.fraction[0])} at B = 2 to 100%; at B = √${grouped(n)} = ${g.sqrtBound} it is ${pct(g.sqrtFraction)}.`,
      png: growth,
    },
  ];
}

export function explainSmooth(d: SmoothData): string {
  const n = d.maxN;
  const last = d.growth.series[d.growth.series.length - 1];
  const other = d.b === 7 ? 11 : 7;
  const tryNext = n < MAX_N
    ? `Try \`/smooth max_n:${MAX_N}\` and see whether ${d.modal.prime} stays the most common largest factor.`
    : `Try \`/smooth b:${other}\` to list the ${other}-smooth numbers instead.`;
  return [
    `Every prime is its own largest factor, so the ${grouped(d.primeCount)} primes up to ${grouped(n)} make the top diagonal of the first plot; each line below it holds the numbers 2p, 3p, … .`,
    `Only ${grouped(d.smooth.length)} numbers up to ${grouped(n)} (${pct(d.smooth.length / n)}) are ${d.b}-smooth, all prime factors ≤ ${d.b}.`,
    `Small primes have many multiples but few of those have no larger factor, and large primes have few multiples at all: the count peaks at ${d.modal.prime}, the largest factor of ${grouped(d.modal.count)} numbers.`,
    `For a fixed bound the smooth numbers thin out as x grows (B = ${last.bound}: ${grouped(last.counts[last.counts.length - 1])} of ${grouped(n)}), yet with B = √${grouped(n)} = ${d.growth.sqrtBound} about ${pct(d.growth.sqrtFraction)} are smooth, tending to Dickman's 1 − ln 2 ≈ 30.7% for huge x.`,
    tryNext,
  ].join(' ');
}

export const smoothAnalysis: Analysis<typeof Options, SmoothData> = {
  id: 'smooth',
  post: findPost('smooth')!,
  usesModel: false,
  options: Options,
  compute: async (opts) => computeSmooth(opts),
  render: renderSmooth,
  explain: explainSmooth,
  figureData: (d, opts) => ({
    'largest-prime': { max_n: d.maxN, note: 'index n = 0…max_n; 0 and 1 have no prime factor (0)', largest_prime_factor: Array.from(d.lpf) },
    'cos-sqrt': { distinct_largest_prime_factors: d.occurrences.primes },
    'smooth-list': { b: d.b, count: d.smooth.length, numbers: d.smooth },
    'max-prime-counts': {
      primes: d.occurrences.primes,
      occurrences: d.occurrences.counts,
      modal_prime: d.modal.prime,
      modal_count: d.modal.count,
      x_axis_max: opts.counts_xmax,
    },
    'smooth-growth': {
      x: d.growth.x,
      counts_up_to_x: Object.fromEntries(d.growth.series.map((s) => [`B=${s.bound}`, s.counts])),
      bound: d.growth.fractionByBound.bounds,
      smooth_fraction_of_max_n: d.growth.fractionByBound.fraction,
      sqrt_bound: d.growth.sqrtBound,
      sqrt_bound_fraction: d.growth.sqrtFraction,
    },
  }),
};
