// /kaprekar — "A kink in the universe at 6174". Kaprekar's routine: sort a number's digits from
// high to low and from low to high, subtract, repeat. Every four-digit number with at least two
// different digits lands on 6174. Count the steps ("depth") for all of them, then look at how
// the depth of N relates to the depth of N + 1: a transition matrix, its (non-symmetric)
// eigen-decomposition, and how far apart numbers of the same depth lie (violin plots).
import type { ChartConfiguration } from 'chart.js';
import { EigenvalueDecomposition, Matrix } from 'ml-matrix';
import { z } from 'zod';
import { findPost } from '../catalog/posts.ts';
import { barChart, lineChart, scatterChart } from '../render/charts.ts';
import { renderChart } from '../render/chart.ts';
import { colormap, rgbCss } from '../render/colormaps.ts';
import { renderMatrix } from '../render/image.ts';
import { renderPanels } from '../render/panels.ts';
import { renderTableFigure } from '../render/table.ts';
import { withAlpha } from '../render/theme.ts';
import { violinChart } from '../render/violin.ts';
import { fixed, grouped } from './lib/format.ts';
import { violinStats, type ViolinStats } from './lib/kde.ts';
import { createRng } from './lib/random.ts';
import { OptionError, type Analysis, type Figure } from './types.ts';

/** The fixed point of Kaprekar's routine for each supported digit count. */
export const KAPREKAR_CONSTANT: Readonly<Record<number, number>> = { 3: 495, 4: 6174 };
/** The notebook's example start (4 digits) and one for 3 digits. */
const EXAMPLE_START: Readonly<Record<number, number>> = { 3: 352, 4: 4152 };
/** The notebook's mirror example, N = 1234 (and 123 for 3 digits). */
const MIRROR_EXAMPLE: Readonly<Record<number, number>> = { 3: 123, 4: 1234 };

export const Options = z.object({
  digits: z.number().int().min(3).max(4).default(4)
    .describe('Digits per number: 4 (the post, constant 6174) or 3 (constant 495)'),
  start: z.number().int().min(0).max(9999).optional()
    .describe('Starting number of the worked example (default 4152, the post\'s; 352 with digits:3)'),
  seed: z.number().int().min(0).max(2147483647).optional()
    .describe('Random seed for the jitter that spreads overlapping points in the scatter plots'),
}).strict();
export type KaprekarOptions = z.infer<typeof Options>;

/** Digits of x, zero-padded to `digits` (42 → [0, 0, 4, 2]). */
export function digitsOf(x: number, digits: number): number[] {
  const out = new Array<number>(digits);
  for (let i = digits - 1; i >= 0; i--) {
    out[i] = x % 10;
    x = Math.floor(x / 10);
  }
  return out;
}

const fromDigits = (d: readonly number[]) => d.reduce((a, v) => a * 10 + v, 0);

/** One step of the routine: digits high→low minus digits low→high (zero-padded). */
export function kaprekarStep(x: number, digits = 4): { descending: number; ascending: number; next: number } {
  const d = digitsOf(x, digits).sort((a, b) => a - b);
  const ascending = fromDigits(d);
  const descending = fromDigits([...d].reverse());
  return { descending, ascending, next: descending - ascending };
}

/** All digits equal (1111): the routine gives 0 and never reaches the constant. */
export const isRepdigit = (x: number, digits = 4) => new Set(digitsOf(x, digits)).size === 1;

/** Steps from x to the constant (0 for the constant itself). */
export function kaprekarDepth(x: number, digits = 4): number {
  const target = KAPREKAR_CONSTANT[digits];
  if (target === undefined) throw new Error(`kaprekarDepth: digits must be 3 or 4 (got ${digits})`);
  if (isRepdigit(x, digits)) throw new Error(`kaprekarDepth: ${x} has all digits equal and never reaches ${target}`);
  let i = 0;
  while (x !== target) {
    x = kaprekarStep(x, digits).next;
    if (++i > 20) throw new Error(`kaprekarDepth: no fixed point after 20 steps`);
  }
  return i;
}

export interface Complex {
  re: number;
  im: number;
}

export interface EigenPair {
  value: Complex;
  /** Unit-norm eigenvector (complex for complex eigenvalues). */
  vector: { re: number[]; im: number[] };
}

/**
 * Eigenvalues and eigenvectors of a general (non-symmetric) square matrix, as numpy.linalg.eig
 * returns them: complex where they are complex, unit-norm vectors, sorted like the notebook's
 * `argsort(d)[::-1]` (real part descending, then imaginary part descending).
 */
export function eigenDecomposition(a: readonly (readonly number[])[]): EigenPair[] {
  const n = a.length;
  const A = new Matrix(a.map((r) => [...r]));
  const evd = new EigenvalueDecomposition(A);
  const re = evd.realEigenvalues;
  const im = evd.imaginaryEigenvalues;
  const V = evd.eigenvectorMatrix;
  const pairs: EigenPair[] = [];
  const unit = (value: Complex, vr: number[], vi: number[]): EigenPair => {
    const norm = Math.hypot(...vr, ...vi);
    return { value, vector: { re: vr.map((v) => v / norm), im: vi.map((v) => v / norm) } };
  };
  for (let k = 0; k < n; k++) {
    if (im[k] === 0 || k + 1 >= n) {
      pairs.push(unit({ re: re[k], im: 0 }, V.getColumn(k), new Array(n).fill(0)));
      continue;
    }
    // A complex pair λ ± iμ sits in columns k, k+1 as the real and imaginary parts of one
    // vector (JAMA's block form): v = V[:,k] + i·V[:,k+1] for λ + iμ, its conjugate for λ − iμ.
    // The sign is checked against A v = λ v rather than assumed.
    const vr = V.getColumn(k);
    let vi = V.getColumn(k + 1);
    const flipped = vi.map((v) => -v);
    if (residual(a, re[k], im[k], vr, vi) > residual(a, re[k], im[k], vr, flipped)) vi = flipped;
    pairs.push(unit({ re: re[k], im: im[k] }, vr, vi));
    pairs.push(unit({ re: re[k + 1], im: im[k + 1] }, vr, vi.map((v) => -v)));
    k++;
  }
  return pairs.sort((p, q) => q.value.re - p.value.re || q.value.im - p.value.im);
}

/** ‖A v − λ v‖ for complex λ = lr + i·li and v = vr + i·vi. */
export function residual(a: readonly (readonly number[])[], lr: number, li: number, vr: readonly number[], vi: readonly number[]): number {
  let s = 0;
  a.forEach((row, i) => {
    let ar = 0;
    let ai = 0;
    row.forEach((v, j) => {
      ar += v * vr[j];
      ai += v * vi[j];
    });
    s += (ar - (lr * vr[i] - li * vi[i])) ** 2 + (ai - (lr * vi[i] + li * vr[i])) ** 2;
  });
  return Math.sqrt(s);
}

export interface TrajectoryStep {
  number: number;
  descending: number;
  ascending: number;
  next: number;
}

export interface DepthGaps {
  depth: number;
  /** How many numbers have this depth. */
  members: number;
  /** Distances (in positions of the number list) to the next number of the same depth. */
  gaps: number[];
  /** The violin of √gap: KDE (Scott's rule) from min to max. */
  violin: ViolinStats;
  medianGap: number;
  maxGap: number;
}

export interface Preference {
  from: number;
  to: number;
  observed: number;
  expected: number;
  ratio: number;
}

export interface KaprekarData {
  digits: number;
  constant: number;
  /** Every number with at least two different digits, ascending, and its depth. */
  numbers: number[];
  depth: number[];
  /** counts[d]: how many numbers need d steps (numpy's bincount). */
  counts: number[];
  maxDepth: number;
  trajectory: { start: number; steps: TrajectoryStep[] };
  /** f(N) = f(10^d − 1 − N) for every N: the mirror identity. */
  mirror: {
    example: { n: number; image: number; mirror: number; mirrorImage: number };
    start: { n: number; image: number; mirror: number; mirrorImage: number };
    identityHolds: boolean;
    /** Numbers whose depth differs from their mirror's (only the constant and its mirror). */
    depthMismatches: number[];
  };
  /** counts[to][from]: transitions from the depth of N (column) to the depth of N + 1 (row). */
  transitionCounts: number[][];
  /** The counts divided by their total (the notebook's T). */
  transitions: number[][];
  transitionTotal: number;
  /** T − Tᵀ and the cells where the counts differ. */
  asymmetry: { diff: number[][]; maxAbs: number; maxAbsCount: number; cells: number };
  /** Share of neighbours with equal depth (trace of T), and what shuffled depths would give (Σ p²). */
  sameDepth: { observed: number; shuffled: number };
  /**
   * Transitions against what shuffled depths would give (observed ÷ p_from·p_to·pairs), over the
   * cells expected to hold at least 10 pairs: the most and the least over-represented.
   */
  preference: { most: Preference; least: Preference };
  eigen: EigenPair[];
  gaps: DepthGaps[];
  /** Display jitter (not data): scatter y offsets, transition x/y offsets, point shades. */
  jitter: { depth: number[]; fromX: number[]; toY: number[]; shade: number[] };
}

function resolveStart(opts: KaprekarOptions): number {
  const start = opts.start ?? EXAMPLE_START[opts.digits];
  const limit = 10 ** opts.digits - 1;
  if (start > limit) throw new OptionError('start', `must be at most ${limit} with digits:${opts.digits} (got ${start})`);
  if (isRepdigit(start, opts.digits)) {
    throw new OptionError('start', `${String(start).padStart(opts.digits, '0')} has all digits equal, so the routine gives 0 and never reaches ${KAPREKAR_CONSTANT[opts.digits]}; pick a number with at least two different digits`);
  }
  return start;
}

function preferences(tc: number[][], counts: number[], n: number): { most: Preference; least: Preference } {
  const pairs = n - 1;
  const cells: Preference[] = [];
  tc.forEach((row, to) => row.forEach((observed, from) => {
    const expected = (counts[from] / n) * (counts[to] / n) * pairs;
    if (expected >= 10) cells.push({ from, to, observed, expected, ratio: observed / expected });
  }));
  cells.sort((a, b) => b.ratio - a.ratio);
  return { most: cells[0], least: cells[cells.length - 1] };
}

const mirrorOf = (n: number, digits: number) => 10 ** digits - 1 - n;

export function computeKaprekar(opts: KaprekarOptions): KaprekarData {
  const digits = opts.digits;
  const constant = KAPREKAR_CONSTANT[digits];
  const start = resolveStart(opts);
  const numbers: number[] = [];
  const depth: number[] = [];
  const depthOf = new Map<number, number>();
  let identityHolds = true;
  for (let n = 0; n < 10 ** digits; n++) {
    if (kaprekarStep(n, digits).next !== kaprekarStep(mirrorOf(n, digits), digits).next) identityHolds = false;
    if (isRepdigit(n, digits)) continue;
    const d = kaprekarDepth(n, digits);
    numbers.push(n);
    depth.push(d);
    depthOf.set(n, d);
  }
  const maxDepth = Math.max(...depth);
  const K = maxDepth + 1;
  const counts = new Array<number>(K).fill(0);
  for (const d of depth) counts[d]++;

  const steps: TrajectoryStep[] = [];
  for (let x = start; x !== constant;) {
    const s = kaprekarStep(x, digits);
    steps.push({ number: x, ...s });
    x = s.next;
  }
  const mirrorPair = (n: number) => ({ n, image: kaprekarStep(n, digits).next, mirror: mirrorOf(n, digits), mirrorImage: kaprekarStep(mirrorOf(n, digits), digits).next });
  const depthMismatches = numbers.filter((n) => depthOf.get(n) !== depthOf.get(mirrorOf(n, digits)));

  const transitionCounts = Array.from({ length: K }, () => new Array<number>(K).fill(0));
  for (let i = 0; i + 1 < depth.length; i++) transitionCounts[depth[i + 1]][depth[i]]++;
  const transitionTotal = depth.length - 1;
  const transitions = transitionCounts.map((r) => r.map((c) => c / transitionTotal));
  const diff = transitions.map((r, i) => r.map((v, j) => v - transitions[j][i]));
  let maxAbsCount = 0;
  let cells = 0;
  transitionCounts.forEach((r, i) => r.forEach((c, j) => {
    const d = Math.abs(c - transitionCounts[j][i]);
    if (d) cells++;
    maxAbsCount = Math.max(maxAbsCount, d);
  }));

  const gaps: DepthGaps[] = [];
  for (let d = 1; d <= maxDepth; d++) {
    const where: number[] = [];
    depth.forEach((v, i) => v === d && where.push(i));
    const g = where.slice(1).map((w, i) => w - where[i]);
    if (!g.length) continue;
    const sorted = [...g].sort((a, b) => a - b);
    const mid = sorted.length >> 1;
    gaps.push({
      depth: d,
      members: where.length,
      gaps: g,
      violin: violinStats(g.map(Math.sqrt)),
      medianGap: sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2,
      maxGap: sorted[sorted.length - 1],
    });
  }

  const rng = createRng(opts.seed ?? 0);
  const jitter = {
    depth: depth.map((d) => d + 0.07 * rng.normal()),
    fromX: depth.slice(0, -1).map((d) => d + (rng.uniform() * 0.4 - 0.2)),
    toY: depth.slice(1).map((d) => d + (rng.uniform() * 0.4 - 0.2)),
    shade: depth.slice(1).map(() => rng.uniform()),
  };

  return {
    digits,
    constant,
    numbers,
    depth,
    counts,
    maxDepth,
    trajectory: { start, steps },
    mirror: { example: mirrorPair(MIRROR_EXAMPLE[digits]), start: mirrorPair(start), identityHolds, depthMismatches },
    transitionCounts,
    transitions,
    transitionTotal,
    asymmetry: { diff, maxAbs: Math.max(...diff.flat().map(Math.abs)), maxAbsCount, cells },
    sameDepth: {
      observed: transitions.reduce((s, r, i) => s + r[i], 0),
      shuffled: counts.reduce((s, c) => s + (c / depth.length) ** 2, 0),
    },
    preference: preferences(transitionCounts, counts, depth.length),
    eigen: eigenDecomposition(transitions),
    gaps,
    jitter,
  };
}

const pad = (n: number, digits: number) => String(n).padStart(digits, '0');
/** a ± bi with `digits` decimals; the real number alone when b rounds to 0. */
export function formatComplex(z: Complex, digits = 4): string {
  const im = fixed(Math.abs(z.im), digits);
  if (Number(im) === 0) return fixed(z.re, digits);
  return `${fixed(z.re, digits)} ${z.im < 0 ? '−' : '+'} ${im}i`;
}
/** Colour bands of the transition scatter. */
const SHADES = 6;
const num = (v: number) => (Number.isInteger(v) ? String(v) : fixed(v, 1));
const depthColor = (d: number, max: number, map: 'turbo' | 'plasma') => rgbCss(colormap(map)(max ? d / max : 0));

export async function renderKaprekar(d: KaprekarData): Promise<Figure[]> {
  const K = d.maxDepth + 1;
  const steps = d.trajectory.steps;
  const last = 10 ** d.digits - 1;
  const exampleOrder = [d.mirror.example, ...(d.mirror.start.n !== d.mirror.example.n ? [d.mirror.start] : [])];

  // The worked example, and the mirror identity, as tables (the notebook prints both).
  const trajectory = await renderTableFigure({
    title: `${pad(d.trajectory.start, d.digits)} reaches ${d.constant} in ${steps.length} step${steps.length === 1 ? '' : 's'}`,
    subtitle: 'Each step: the digits sorted high→low minus the digits sorted low→high',
    tables: [
      {
        heading: 'Kaprekar\'s routine',
        columns: [
          { header: 'Step', align: 'right' },
          { header: 'Number', align: 'right', mono: true },
          { header: 'High→low', align: 'right', mono: true },
          { header: 'Low→high', align: 'right', mono: true },
          { header: 'Difference', align: 'right', mono: true },
        ],
        rows: steps.map((s, i) => [String(i + 1), pad(s.number, d.digits), pad(s.descending, d.digits), pad(s.ascending, d.digits), pad(s.next, d.digits)]),
        footer: steps.length ? undefined : `${d.constant} is its own image: 0 steps`,
      },
      {
        heading: `N and ${last} − N give the same difference`,
        columns: [
          { header: 'N', align: 'right', mono: true },
          { header: 'step(N)', align: 'right', mono: true },
          { header: `${last} − N`, align: 'right', mono: true },
          { header: `step(${last} − N)`, align: 'right', mono: true },
        ],
        rows: exampleOrder.map((m) => [pad(m.n, d.digits), pad(m.image, d.digits), pad(m.mirror, d.digits), pad(m.mirrorImage, d.digits)]),
        footer: d.mirror.identityHolds ? `Holds for all ${grouped(10 ** d.digits)} numbers` : 'Fails for some numbers',
      },
    ],
  });

  // Depth of every number (notebook: scatter with vertical jitter, coloured by depth, jet map).
  const series = Array.from({ length: K }, (_, k) => {
    const idx = d.depth.flatMap((v, i) => (v === k ? [i] : []));
    return {
      label: `_depth ${k}`,
      x: idx.map((i) => d.numbers[i]),
      values: idx.map((i) => d.jitter.depth[i]),
      // jet-like turbo, starting past its near-black end so depth 0 shows on the dark background.
      // A lone point (depth 0: the constant itself) is drawn opaque so that it shows.
      color: withAlpha(hexOf(rgbCss(colormap('turbo')(0.1 + (0.85 * k) / Math.max(1, d.maxDepth)))), idx.length < 10 ? 1 : 0.35),
      pointRadius: idx.length < 10 ? 4 : 2.5,
    };
  }).filter((s) => s.x.length);
  const iterChart = scatterChart({
    title: `How many iterations to reach ${d.constant}`,
    subtitle: `All ${grouped(d.numbers.length)} ${d.digits}-digit numbers with at least two different digits (points jittered vertically)`,
    xLabel: 'Number',
    yLabel: 'Number of iterations',
    xMin: -0.003 * (last + 1),
    xMax: last + 0.003 * (last + 1),
    yMin: -0.5,
    yMax: d.maxDepth + 0.5,
    series,
    legend: false,
  });
  const iterScales = iterChart.options!.scales as Record<string, { ticks?: Record<string, unknown> }>;
  iterScales.x.ticks = { ...iterScales.x.ticks, includeBounds: false };
  integerTicks(iterChart, ['y'], d.maxDepth);
  const iterations = await renderChart(iterChart, { width: 1200, height: 460 });

  const peak = Math.max(...d.counts);
  const depthBars = barChart({
    title: 'How many numbers need each number of iterations',
    subtitle: `Most common: ${d.counts.indexOf(peak)} iterations (${grouped(peak)} numbers); ${d.constant} itself needs 0`,
    xLabel: 'Number of iterations',
    yLabel: '"Depth" count',
    categories: d.counts.map((_, k) => String(k)),
    series: [{ label: 'numbers', values: d.counts, barColors: d.counts.map((c) => depthColor(c / peak, 1, 'plasma')) }],
  });
  for (const ds of depthBars.data.datasets as { borderColor?: string; borderWidth?: number }[]) Object.assign(ds, { borderColor: '#ffffff', borderWidth: 1 });
  const depthCounts = await renderChart(depthBars, { width: 1000, height: 440 });

  // Transitions: jittered (depth at N, depth at N + 1) points over the path they trace, and T.
  const purples = colormap('Purples');
  const transScatter = scatterChart({
    title: 'Depth of N against depth of N + 1',
    subtitle: `${grouped(d.transitionTotal)} consecutive pairs (jittered)`,
    xLabel: 'Iterations at N',
    yLabel: 'Iterations at N+1',
    xMin: -0.5,
    xMax: d.maxDepth + 0.5,
    yMin: -0.5,
    yMax: d.maxDepth + 0.5,
    series: [
      // Random shades of the Purples map (the notebook's c=rand), in a few bands: per-point colours
      // would make Chart.js resolve options for each of the ~10k points.
      ...Array.from({ length: SHADES }, (_, band) => {
        const idx = d.jitter.shade.flatMap((v, i) => (Math.min(SHADES - 1, Math.floor(v * SHADES)) === band ? [i] : []));
        const [r, g, b] = purples((band + 0.5) / SHADES);
        return { label: '_pairs', x: idx.map((i) => d.jitter.fromX[i]), values: idx.map((i) => d.jitter.toY[i]), color: `rgba(${r},${g},${b},0.25)`, pointRadius: 2.5 };
      }),
      // The path's data are set below, segment by segment.
      { label: '_path', points: [[d.depth[0], d.depth[1]] as const], color: 'rgba(255,255,255,0.1)', pointRadius: 0 },
    ],
    legend: false,
  });
  const pathDs = (transScatter.data.datasets as unknown as Record<string, unknown>[])[SHADES];
  // The path (depth(N), depth(N+1)) → (depth(N+1), depth(N+2)) revisits the same few segments
  // thousands of times; a faint line drawn once looks the same as drawn over itself, so draw each
  // distinct segment once, separated by gaps (null y). Two-point pieces also keep Chart.js's fast
  // line path exact (it merges points sharing a pixel column, which a long path back and forth breaks).
  const segments = new Set<string>();
  const pathData: { x: number; y: number | null }[] = [];
  for (let i = 0; i + 2 < d.depth.length; i++) {
    const [a, b, c] = [d.depth[i], d.depth[i + 1], d.depth[i + 2]];
    const key = `${a},${b},${c}`;
    if (segments.has(key)) continue;
    segments.add(key);
    pathData.push({ x: a, y: b }, { x: b, y: c }, { x: b, y: null });
  }
  Object.assign(pathDs, { data: pathData, showLine: true, borderWidth: 1, spanGaps: false });
  const depthLabels = Array.from({ length: K }, (_, k) => String(k));
  integerTicks(transScatter, ['x', 'y'], d.maxDepth);
  const tVmax = d.digits === 4 ? 0.06 : Math.max(...d.transitions.flat());
  const transitions = await renderPanels([
    transScatter,
    {
      matrix: {
        data: d.transitions.flatMap((r) => r.map((v) => (v === 0 ? NaN : v))),
        rows: K,
        cols: K,
        colormap: 'plasma',
        origin: 'lower',
        vmin: 0,
        vmax: tVmax,
        annotate: false,
        xTicks: depthLabels,
        yTicks: depthLabels,
        title: 'Transition matrix',
        xLabel: 'Iterations at N',
        yLabel: 'Iterations at N+1',
        colorbarLabel: 'fraction of pairs',
      },
    },
  ], { columns: 2, panelHeight: 520 });

  const asym = d.asymmetry;
  const asymmetry = await renderMatrix({
    data: asym.diff.flat(),
    rows: K,
    cols: K,
    colormap: 'bwr',
    symmetric: true,
    origin: 'lower',
    annotate: true,
    title: asym.cells
      ? `T − Tᵀ: the transition matrix is not symmetric (${asym.cells} of ${K * K} cells differ)`
      : 'T − Tᵀ is zero everywhere: this transition matrix is symmetric',
    xLabel: 'Iterations at N',
    yLabel: 'Iterations at N+1',
    colorbarLabel: 'T − Tᵀ',
    width: 1000,
    height: 640,
  });

  const re = d.eigen.map((e) => e.value.re);
  const im = d.eigen.map((e) => e.value.im);
  const complexCount = im.filter((v) => v !== 0).length;
  const eigChart = lineChart({
    title: 'Eigenvalues of the transition matrix',
    subtitle: complexCount
      ? `${complexCount / 2} complex-conjugate pair${complexCount > 2 ? 's' : ''}: real parts (circles), imaginary parts (diamonds)`
      : `All ${K} eigenvalues are real; largest ${fixed(re[0], 4)}`,
    xLabel: 'Component',
    yLabel: 'Eigenvalue',
    xMin: -0.5,
    xMax: K - 0.5,
    series: [
      { label: complexCount ? 'real part' : 'eigenvalue', values: re, color: '#b3e6b3', pointRadius: 9 },
      ...(complexCount ? [{ label: 'imaginary part', values: im, color: '#ffd24d', pointRadius: 8 }] : []),
    ],
    annotations: [{ kind: 'hline', y: 0, color: '#4d4d4d' }],
    legend: complexCount > 0,
  });
  (eigChart.data.datasets as unknown as Record<string, unknown>[]).forEach((ds, i) => {
    // Markers only (the notebook's 'h' style), white-edged.
    Object.assign(ds, { showLine: false, pointBorderColor: '#ffffff', pointBorderWidth: 1.5, pointStyle: i ? 'rectRot' : 'circle' });
  });
  const eigenvalues = await renderChart(eigChart, { width: 900, height: 380 });

  const sqTicks = gapTicks(Math.max(...d.gaps.map((g) => g.violin.max)));
  const depthGaps = await renderChart(violinChart({
    title: 'Numbers until the next number of the same depth',
    subtitle: 'Distance in the ordered list of numbers, on a square-root axis (labels are distances)',
    xLabel: 'Number of iterations',
    yLabel: 'Digits until same depth (sqrt)',
    xMin: 0,
    xMax: d.maxDepth + 1,
    violins: d.gaps.map((g) => ({
      position: g.depth,
      y: g.violin.y,
      density: g.violin.density,
      min: g.violin.min,
      max: g.violin.max,
      color: hexOf(depthColor(g.depth, d.maxDepth, 'plasma')),
    })),
    bodyAlpha: 1,
    lineColors: { bar: 'rgba(179,179,230,0.6)', min: 'rgba(230,179,179,0.6)', max: 'rgba(179,230,179,0.6)' },
    yTicks: sqTicks,
  }), { width: 900, height: 420 });

  const eigText = d.eigen.map((e) => formatComplex(e.value, 3)).join(', ');
  const gapText = d.gaps.map((g) => `depth ${g.depth}: median ${num(g.medianGap)}, max ${g.maxGap}`).join('; ');
  return [
    {
      name: 'trajectory',
      title: `${pad(d.trajectory.start, d.digits)} → ${d.constant} step by step`,
      alt: `Table: ${[...steps.map((s) => pad(s.number, d.digits)), String(d.constant)].join(' → ')} (${steps.length} steps). Mirror check: ${exampleOrder.map((m) => `step(${pad(m.n, d.digits)}) = ${pad(m.image, d.digits)}, step(${pad(m.mirror, d.digits)}) = ${pad(m.mirrorImage, d.digits)}`).join('; ')}.`,
      png: trajectory,
    },
    {
      name: 'iterations',
      title: `How many iterations to reach ${d.constant}`,
      alt: `Scatter plot of the number of iterations (0 to ${d.maxDepth}) against each of ${grouped(d.numbers.length)} numbers from 0 to ${last}, coloured by iteration count.`,
      png: iterations,
    },
    {
      name: 'depth-counts',
      title: 'Depth counts',
      alt: `Bar chart of how many numbers need each number of iterations: ${d.counts.map((c, k) => `${k}: ${c}`).join(', ')}.`,
      png: depthCounts,
    },
    {
      name: 'transitions',
      title: 'Depth of N → depth of N + 1: scatter and transition matrix (2 panels)',
      alt: `Left: jittered scatter of the depth of each number against the depth of the next, ${grouped(d.transitionTotal)} pairs. Right: the ${K}×${K} transition matrix of those pairs as fractions (empty cells never occur), colour scale 0 to ${fixed(tVmax, 2)}; the largest cell is ${fixed(Math.max(...d.transitions.flat()), 3)}.`,
      png: transitions,
    },
    {
      name: 'asymmetry',
      title: 'T − Tᵀ',
      alt: asym.cells
        ? `Heat map of the transition matrix minus its transpose: ${asym.cells} of ${K * K} cells are non-zero, the largest by ${asym.maxAbs.toExponential(1)} (${asym.maxAbsCount} pair${asym.maxAbsCount === 1 ? '' : 's'} of ${grouped(d.transitionTotal)}).`
        : `Heat map of the transition matrix minus its transpose: all ${K * K} cells are zero.`,
      png: asymmetry,
    },
    {
      name: 'eigenvalues',
      title: 'Eigenvalues of the transition matrix',
      alt: `The ${K} eigenvalues of the transition matrix, largest first: ${eigText}.`,
      png: eigenvalues,
    },
    {
      name: 'depth-gaps',
      title: 'Gaps between numbers of the same depth (violins)',
      alt: `Violin plots, one per depth 1 to ${d.maxDepth}, of the square root of the distance to the next number with the same depth; ${gapText}.`,
      png: depthGaps,
    },
  ];
}

/** Ticks at 0, 1, …, max only (the axes run half a step beyond, so Chart.js would tick at ±0.5). */
function integerTicks(config: ChartConfiguration, axes: readonly string[], max: number): void {
  const scales = config.options!.scales as Record<string, Record<string, unknown>>;
  for (const axis of axes) {
    scales[axis].afterBuildTicks = (scale: { ticks: { value: number }[] }) => {
      scale.ticks = Array.from({ length: max + 1 }, (_, value) => ({ value }));
    };
  }
}

/** Ticks on a √ axis every 5 units, labelled with their squares (0, 25, 100, …) as in the notebook. */
function gapTicks(maxSqrt: number): { value: number; label: string }[] {
  const step = maxSqrt > 30 ? 10 : 5;
  const top = Math.ceil(maxSqrt / step) * step;
  return Array.from({ length: top / step + 1 }, (_, i) => ({ value: i * step, label: String((i * step) ** 2) }));
}

function hexOf(rgb: string): string {
  const m = /rgb\((\d+),(\d+),(\d+)\)/.exec(rgb);
  if (!m) return rgb;
  return '#' + [m[1], m[2], m[3]].map((v) => Number(v).toString(16).padStart(2, '0')).join('');
}

export function explainKaprekar(d: KaprekarData, opts: KaprekarOptions): string {
  const peak = Math.max(...d.counts);
  const path = [...d.trajectory.steps.map((s) => pad(s.number, d.digits)), String(d.constant)].join(' → ');
  const complex = d.eigen.filter((e) => e.value.im !== 0).length;
  const byGap = [...d.gaps].sort((a, b) => a.medianGap - b.medianGap);
  const tight = byGap[0];
  const loose = byGap[byGap.length - 1];
  const mirror = 10 ** d.digits - 1;
  const mism = d.mirror.depthMismatches;
  const except = mism.length && mism.length <= 4 ? `, except at ${mism.map((n) => pad(n, d.digits)).join(' and ')}` : '';
  const pm = d.preference.most;
  const pl = d.preference.least;
  const tryNext = opts.digits === 4
    ? 'Try `/kaprekar digits:3` to watch three-digit numbers fall into 495 instead.'
    : 'Try `/kaprekar digits:4` for the post\'s four-digit version and its constant 6174.';
  return [
    `All ${grouped(d.numbers.length)} ${d.digits}-digit numbers with at least two different digits reach ${d.constant} within ${d.maxDepth} steps; ${d.counts.indexOf(peak)} steps is the most common (${grouped(peak)} numbers), and the worked example goes ${path}.`,
    `The transition matrix asks how deep N + 1 is given the depth of N, and depth is far from random along the number line: a depth-${pm.from} number is followed by a depth-${pm.to} number ${fixed(pm.ratio, 1)}× as often as shuffled depths would give, while ${pl.observed === 0 ? `depth ${pl.from} → ${pl.to} never happens (${fixed(pl.expected, 0)} pairs expected)` : `depth ${pl.from} → ${pl.to} only ${fixed(pl.ratio, 2)}× as often`}.`,
    `A number N and its mirror ${mirror} − N always give the same difference, so the list of depths reads nearly the same backwards${except}; ${d.asymmetry.cells
      ? `that leaves T almost, but not exactly, symmetric: ${d.asymmetry.cells} cells of T − Tᵀ are off zero, by at most ${d.asymmetry.maxAbsCount} pair${d.asymmetry.maxAbsCount === 1 ? '' : 's'}.`
      : 'here those exceptions cancel out and T is exactly symmetric.'}`,
    d.asymmetry.cells
      ? `A non-symmetric matrix may have complex eigenvalues; here ${complex ? `${complex / 2} complex pair${complex > 2 ? 's' : ''} appear` : `all ${d.eigen.length} are real`}, the largest ${fixed(d.eigen[0].value.re, 3)}.`
      : `A symmetric matrix has only real eigenvalues; the largest of the ${d.eigen.length} is ${fixed(d.eigen[0].value.re, 3)}.`,
    `The violins show how far apart numbers of equal depth sit: depth ${tight.depth} numbers come in runs (median gap ${num(tight.medianGap)}) while depth ${loose.depth} numbers are spread out (median gap ${num(loose.medianGap)}, up to ${loose.maxGap}).`,
    tryNext,
  ].join(' ');
}

export const kaprekarAnalysis: Analysis<typeof Options, KaprekarData> = {
  id: 'kaprekar',
  post: findPost('kaprekar')!,
  usesModel: false,
  options: Options,
  compute: async (opts) => computeKaprekar(opts),
  render: async (data) => renderKaprekar(data),
  explain: explainKaprekar,
  figureData: (d) => ({
    trajectory: { start: d.trajectory.start, steps: d.trajectory.steps, mirror_examples: [d.mirror.example, d.mirror.start], mirror_identity_holds: d.mirror.identityHolds },
    iterations: { constant: d.constant, numbers: d.numbers, iterations: d.depth, jitter_sd: 0.07 },
    'depth-counts': { iterations: d.counts.map((_, k) => k), count: d.counts },
    transitions: {
      most_over_represented: d.preference.most,
      least_over_represented: d.preference.least,
      same_depth_share: d.sameDepth,
      layout: 'rows: iterations at N+1, columns: iterations at N',
      counts: d.transitionCounts,
      fractions: d.transitions,
      total_pairs: d.transitionTotal,
    },
    asymmetry: { t_minus_t_transpose: d.asymmetry.diff, cells_nonzero: d.asymmetry.cells, max_abs: d.asymmetry.maxAbs, max_abs_count: d.asymmetry.maxAbsCount, depth_mismatches_with_mirror: d.mirror.depthMismatches },
    eigenvalues: d.eigen.map((e) => ({ real: e.value.re, imaginary: e.value.im, vector_real: e.vector.re, vector_imaginary: e.vector.im })),
    'depth-gaps': d.gaps.map((g) => ({
      iterations: g.depth,
      members: g.members,
      gaps: g.gaps,
      median_gap: g.medianGap,
      max_gap: g.maxGap,
      kde: { variable: 'sqrt(gap)', bandwidth: g.violin.bandwidth, rule: 'scott', y: g.violin.y, density: g.violin.density },
    })),
  }),
};
