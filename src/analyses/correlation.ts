// /correlation — "Correlation vs. cosine similarity". Pearson correlation is the cosine
// similarity of mean-centred data: simulate pairs with a chosen population correlation, then
// measure both on data whose x has been shifted away from zero.
import { z } from 'zod';
import { findPost } from '../catalog/posts.ts';
import { scatterChart } from '../render/charts.ts';
import { renderPanels } from '../render/panels.ts';
import { theme, withAlpha } from '../render/theme.ts';
import { fixed } from './lib/format.ts';
import { createRng, type Rng } from './lib/random.ts';
import { cosineSimilarity, linspace, pearson } from './lib/stats.ts';
import type { Analysis, Figure } from './types.ts';

const popR = z.number().min(-1).max(1);

export const Options = z.object({
  pop_r: z.array(popR).min(1).max(4).default([-0.7, 0, 0.7])
    .describe('Population correlations of the example scatter plots, each in [-1, 1]'),
  n: z.number().int().min(3).max(5000).default(90)
    .describe('Points per example scatter plot and per non-linear example'),
  sweep_n: z.number().int().min(3).max(20000).default(500)
    .describe('Sample size for each population r in the sweep'),
  sweep_steps: z.number().int().min(3).max(400).default(100)
    .describe('How many population r values the sweep takes, evenly spaced from -1 to 1'),
  offset: z.number().min(-1000).max(1000).default(-10)
    .describe('Mean offset added to x in the sweep (0 makes cosine similarity track correlation)'),
  seed: z.number().int().min(0).max(2147483647).optional()
    .describe('Random seed: the same seed gives the same samples'),
}).strict();
export type CorrelationOptions = z.infer<typeof Options>;

export interface Sample {
  x: number[];
  y: number[];
}

export interface CorrelationData {
  /** One simulated sample per requested population r, with its sample correlation. */
  examples: (Sample & { popR: number; r: number })[];
  /** Clearly related variables whose correlation is near zero. */
  nonlinear: (Sample & { name: string; r: number })[];
  sweep: {
    popR: number[];
    correlation: number[];
    cosine: number[];
    offset: number;
    n: number;
    /** Correlation between the two measures across the sweep. */
    agreement: number;
    /** Mean |correlation − cosine| over the sweep. */
    meanAbsGap: number;
  };
}

/**
 * n pairs whose population correlation is `r`: y = r·x + √(1−r²)·noise, x and noise standard
 * normal (the notebook's recipe), so x and y both have unit variance.
 */
export function simulatePair(rng: Rng, n: number, r: number): Sample {
  const x = rng.normals(n);
  const noise = rng.normals(n);
  const s = Math.sqrt(1 - r * r);
  return { x: Array.from(x), y: Array.from(x, (xi, i) => xi * r + noise[i] * s) };
}

/** The post's three relations with r ≈ 0: a circle, a parabola and an X. */
export function nonlinearExamples(n: number): { name: string; x: number[]; y: number[] }[] {
  const angles = linspace(0, 2 * Math.PI - (2 * Math.PI) / n, n);
  const parabolaX = linspace(-2, 2, n);
  const half = linspace(-2, 2, Math.floor(n / 2));
  return [
    { name: 'circle', x: angles.map(Math.cos), y: angles.map(Math.sin) },
    { name: 'parabola', x: parabolaX, y: parabolaX.map((v) => v * v) },
    { name: 'X', x: [...half, ...half], y: [...half, ...half.map((v) => -v)] },
  ];
}

export function computeCorrelation(opts: CorrelationOptions): CorrelationData {
  const rng = createRng(opts.seed ?? 0);
  const examples = opts.pop_r.map((popR) => {
    const s = simulatePair(rng, opts.n, popR);
    return { popR, ...s, r: pearson(s.x, s.y) };
  });
  const nonlinear = nonlinearExamples(opts.n).map((e) => ({ ...e, r: pearson(e.x, e.y) }));

  const popRs = linspace(-1, 1, opts.sweep_steps);
  const correlation: number[] = [];
  const cosine: number[] = [];
  for (const r of popRs) {
    const { x, y } = simulatePair(rng, opts.sweep_n, r);
    const shifted = x.map((v) => v + opts.offset);
    correlation.push(pearson(shifted, y));
    cosine.push(cosineSimilarity(shifted, y));
  }
  const meanAbsGap = correlation.reduce((s, c, i) => s + Math.abs(c - cosine[i]), 0) / popRs.length;
  return {
    examples,
    nonlinear,
    sweep: { popR: popRs, correlation, cosine, offset: opts.offset, n: opts.sweep_n, agreement: pearson(correlation, cosine), meanAbsGap },
  };
}

const f2 = (v: number) => fixed(v, 2);

// Open markers with a light fill, like the notebook's 'ko' with a translucent face.
const green = withAlpha('#b3e6b3', 0.75);
const red = withAlpha('#e6b3b3', 0.75);
const blue = withAlpha('#b3b3e6', 0.75);
const zeroLines = [
  { kind: 'hline' as const, y: 0, color: theme.muted },
  { kind: 'vline' as const, x: 0, color: theme.muted },
];

export async function renderCorrelation(d: CorrelationData): Promise<Figure[]> {
  const examples = await renderPanels(
    d.examples.map((e) => scatterChart({
      title: `Correlation = ${f2(e.r)}`,
      subtitle: `population r = ${f2(e.popR)}, N = ${e.x.length}`,
      xLabel: 'Data "x"',
      yLabel: 'Data "y"',
      series: [{ label: 'samples', x: e.x, values: e.y, color: green, pointRadius: 5 }],
    })),
    { columns: Math.min(3, d.examples.length), panelHeight: 420 },
  );
  const nonlinear = await renderPanels(
    d.nonlinear.map((e) => scatterChart({
      title: `r = ${f2(e.r)}`,
      subtitle: e.name,
      xLabel: 'x',
      yLabel: 'y',
      series: [{ label: e.name, x: e.x, values: e.y, color: red, pointRadius: 5 }],
    })),
    { columns: 3, panelHeight: 400, title: 'Related, yet uncorrelated: correlation only measures straight lines' },
  );
  const s = d.sweep;
  const sweep = await renderPanels([
    scatterChart({
      title: 'Correlation and cosine similarity',
      subtitle: `x shifted by ${s.offset}, N = ${s.n} per point`,
      xLabel: 'Population correlation',
      xMin: -1, xMax: 1, yMin: -1, yMax: 1,
      yLabel: 'Measured (sample) r or cosine similarity',
      series: [
        { label: 'Correlation', x: s.popR, values: s.correlation, color: theme.palette[3], pointRadius: 4 },
        { label: 'Cosine similarity', x: s.popR, values: s.cosine, color: theme.palette[0], pointRadius: 4 },
      ],
      annotations: zeroLines,
      legend: true,
    }),
    scatterChart({
      title: `Cosine vs correlation: r = ${f2(s.agreement)}`,
      subtitle: `mean |correlation − cosine| = ${s.meanAbsGap.toFixed(3)}`,
      xLabel: 'Correlation',
      yLabel: 'Cosine similarity',
      xMin: -1, xMax: 1, yMin: -1, yMax: 1,
      series: [{ label: 'sweep', x: s.correlation, values: s.cosine, color: blue, pointRadius: 4 }],
      identityLine: 'y = x',
      annotations: zeroLines,
    }),
  ], { columns: 2, panelHeight: 520 });
  return [
    {
      name: 'example-scatters',
      title: 'Simulated data at chosen population correlations',
      alt: `Scatter plots of ${d.examples.length} simulated samples of ${d.examples[0]?.x.length} points; population r ${d.examples.map((e) => f2(e.popR)).join(', ')} gave sample r ${d.examples.map((e) => f2(e.r)).join(', ')}.`,
      png: examples,
    },
    {
      name: 'nonlinear',
      title: 'Non-linear relations with r ≈ 0',
      alt: `Three scatter plots of perfectly related variables, a circle, a parabola and an X, whose correlations are ${d.nonlinear.map((e) => f2(e.r)).join(', ')}.`,
      png: nonlinear,
    },
    {
      name: 'sweep',
      title: 'Correlation vs cosine similarity over population r',
      alt: `Left: sample correlation and cosine similarity against ${s.popR.length} population correlations from -1 to 1 with x shifted by ${s.offset}. Right: cosine similarity against correlation; they correlate at r = ${f2(s.agreement)}, mean absolute gap ${s.meanAbsGap.toFixed(3)}.`,
      png: sweep,
    },
  ];
}

export function explainCorrelation(d: CorrelationData, opts: CorrelationOptions): string {
  const s = d.sweep;
  const examples = d.examples.map((e) => `${f2(e.popR)} → ${f2(e.r)}`).join(', ');
  const nonlinear = d.nonlinear.map((e) => `${e.name} ${f2(e.r)}`).join(', ');
  const shifted = s.offset !== 0;
  const tryNext = shifted
    ? 'Try `/correlation offset:0` and watch the two measures land on top of each other.'
    : 'Try `/correlation offset:-10` to see cosine similarity break away from correlation.';
  return [
    `The sample correlations scatter around the population values (${examples}) because each sample has only ${opts.n} points.`,
    `Correlation only sees straight-line relations: the circle, parabola and X are perfectly predictable yet give r ≈ 0 (${nonlinear}).`,
    shifted
      ? `In the sweep, x was shifted by ${s.offset}: correlation still follows the population r, but cosine similarity does not${Math.max(...s.cosine.map(Math.abs)) < 0.3 ? ' and stays near zero' : ''} (mean |correlation − cosine| = ${f2(s.meanAbsGap)}, though the two still rise together, r = ${f2(s.agreement)} between them), because cosine similarity measures the angle from the origin and correlation first subtracts the means.`
      : `In the sweep the data sit near zero, so cosine similarity and correlation nearly coincide (mean gap ${s.meanAbsGap.toFixed(3)}, r = ${f2(s.agreement)} between them): correlation is cosine similarity after removing the means.`,
    tryNext,
  ].join(' ');
}

export const correlationAnalysis: Analysis<typeof Options, CorrelationData> = {
  id: 'correlation',
  post: findPost('correlation')!,
  usesModel: false,
  options: Options,
  compute: async (opts) => computeCorrelation(opts),
  render: async (data) => renderCorrelation(data),
  explain: explainCorrelation,
  figureData: (d) => ({
    'example-scatters': d.examples.map((e) => ({ population_r: e.popR, sample_r: e.r, x: e.x, y: e.y })),
    'nonlinear': d.nonlinear.map((e) => ({ relation: e.name, r: e.r, x: e.x, y: e.y })),
    'sweep': {
      population_r: d.sweep.popR,
      correlation: d.sweep.correlation,
      cosine_similarity: d.sweep.cosine,
      x_offset: d.sweep.offset,
      n: d.sweep.n,
      correlation_between_measures: d.sweep.agreement,
      mean_abs_gap: d.sweep.meanAbsGap,
    },
  }),
};
