// /lstsq-gpt2 — "Least squares part 4: modeling GPT activations". A Wikipedia paragraph (on rock
// music in Hungary, bundled in data/text) goes through GPT-2; each block's attention output
// (`blocks.N.hook_attn_out`, what the attention sublayer adds to the residual stream) gives one
// log-norm per token. The model: y[t] = β0 + β1·y[t−1] + β2·y[t−2], fitted by OLS for every
// block, with statsmodels' table for one block, the t-1 and t-2 betas across blocks with their
// significance, and (beyond the notebook) the t and p values of every block in one table.
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { findPost } from '../catalog/posts.ts';
import { repoRoot } from '../config.ts';
import { renderChart } from '../render/chart.ts';
import { lineChart, scatterChart, type Series } from '../render/charts.ts';
import { renderPanels } from '../render/panels.ts';
import { renderTableFigure } from '../render/table.ts';
import { theme } from '../render/theme.ts';
import { distribution, leftEdges, type Distribution } from './lib/histogram.ts';
import { fdBinCount } from './lib/intervals.ts';
import { blockLabels, LINE_ONLY, plasmaColor, withBlockColorbar, withNamedXTicks, withPaddedCategories } from './lib/layer-charts.ts';
import { quoted } from './lib/literal.ts';
import { encodeText } from './lib/llm-input.ts';
import { modelIndex } from './lib/model-limits.ts';
import { withIntercept } from './lib/ols.ts';
import { olsSummary, olsSummaryText, pText, renderOlsSummary, type OlsSummary } from './lib/ols-table.ts';
import { createRng } from './lib/random.ts';
import { OptionError, type Analysis, type AnalysisContext, type Figure } from './types.ts';

/** The notebook's paragraph (Wikipedia, CC BY-SA 4.0: see data/text/README.md). */
export const TEXT_FILE = path.join(repoRoot, 'data', 'text', 'rock-music-in-hungary.txt');
export const WIKIPEDIA_TEXT = fs.readFileSync(TEXT_FILE, 'utf8');
export const WIKIPEDIA_SOURCE = 'https://en.wikipedia.org/wiki/Rock_music_in_Hungary';
/** Lags of the model (the notebook's t-1 and t-2). */
const LAGS = 2;
/** Fewest tokens: the first LAGS + 1 are never predicted, and the fit needs more rows than 3 parameters. */
const MIN_TOKENS = LAGS + 1 + 5;

const Options = z
  .object({
    text: z.string().min(1).max(4000).optional()
      .describe("Text to model, at least 8 tokens (default: the notebook's Wikipedia paragraph, 95 tokens)"),
    layer: z.number().int().min(0).max(47).default(0)
      .describe("Block whose full regression table is drawn (the notebook's 0)"),
    alpha: z.number().min(0.001).max(0.2).default(0.05)
      .describe('Significance level for the markers and the confidence intervals'),
  })
  .strict();

type Opts = z.infer<typeof Options>;

export interface BlockFit {
  /** log ‖attn_out[t]‖ for every token. */
  logNorms: number[];
  summary: OlsSummary;
}

export interface LstsqGpt2Data {
  model: string;
  tokens: string[];
  defaultText: boolean;
  nLayers: number;
  layer: number;
  alpha: number;
  blocks: BlockFit[];
  /** Histograms (Freedman–Diaconis bins, counts) of the log norms of tokens after the first. */
  hists: Distribution[];
  summaryText: string;
}

const NAMES = ['const', 't-1', 't-2'];

/** Rows t = 2+1 … n−1 of the design [1, y[t−1], y[t−2]] and the outcome y[t] (the notebook's loop). */
export function lagDesign(y: readonly number[]): { X: number[][]; target: number[] } {
  const prev1: number[] = [];
  const prev2: number[] = [];
  const target: number[] = [];
  for (let t = LAGS + 1; t < y.length; t++) {
    target.push(y[t]);
    prev1.push(y[t - 1]);
    prev2.push(y[t - 2]);
  }
  return { X: withIntercept(prev1, prev2), target };
}

async function compute(opts: Opts, ctx: AnalysisContext): Promise<LstsqGpt2Data> {
  const engine = await ctx.engine();
  const L = engine.config.n_layer;
  const layer = modelIndex(opts.layer, 0, L, 'layer', 'blocks', engine);
  const text = opts.text ?? WIKIPEDIA_TEXT;
  const ids = encodeText(engine, text, 'text', MIN_TOKENS);
  ctx.progress('forward pass', 0.1);
  const { cache } = await engine.run(ids, { hooks: 'blocks.*.hook_attn_out', logits: 'none' });
  const blocks: BlockFit[] = [];
  for (let l = 0; l < L; l++) {
    ctx.progress(`regression for block ${l + 1}/${L}`, 0.3 + (0.7 * l) / L);
    ctx.signal?.throwIfAborted();
    const t = cache.get(`blocks.${l}.hook_attn_out`)!;
    const d = t.dims[2];
    const logNorms = ids.map((_, p) => {
      let s = 0;
      for (let k = 0; k < d; k++) s += t.data[p * d + k] ** 2;
      return Math.log(Math.sqrt(s));
    });
    const { X, target } = lagDesign(logNorms);
    let summary: OlsSummary;
    try {
      summary = olsSummary(X, target, { names: NAMES, depVar: 'log norm (t)', alpha: opts.alpha }).summary;
    } catch (err) {
      throw new OptionError('text', `block ${l}'s attention norms cannot be fitted (${(err as Error).message.replace(/^ols: /, '')}); try a longer or less repetitive text`);
    }
    blocks.push({ logNorms, summary });
  }
  const hists = blocks.map((b) => {
    const v = b.logNorms.slice(1);
    return distribution(v, { bins: fdBinCount(v) });
  });
  return {
    model: engine.name,
    tokens: ids.map((i) => engine.tokenText(i)),
    defaultText: opts.text === undefined || opts.text === WIKIPEDIA_TEXT,
    nLayers: L,
    layer,
    alpha: opts.alpha,
    blocks,
    hists,
    summaryText: olsSummaryText(blocks[layer].summary),
  };
}

// ─── Figures ────────────────────────────────────────────────────────────────────────────────

const T1_COLOR = '#e6b3b3';
const T2_COLOR = '#b3b3e6';
const f3 = (v: number) => (Number.isFinite(v) ? v.toFixed(3) : 'n/a');
const f4 = (v: number) => (Number.isFinite(v) ? v.toFixed(4) : 'n/a');
const coef = (b: BlockFit, name: string) => b.summary.coefficients.find((c) => c.name === name)!;

function normsFigure(d: LstsqGpt2Data): Promise<Buffer> {
  const L = d.nLayers;
  const labels = blockLabels(L);
  const rng = createRng(12345); // cosmetic jitter: the same data always draw the same figure
  const strip: Series[] = d.blocks.map((b, l) => ({
    label: `_${labels[l]}`,
    points: b.logNorms.slice(1).map((y) => [l + 0.08 * rng.normal(), y] as const),
    color: plasmaColor(l, L),
    pointRadius: L > 24 ? 3 : 5,
  }));
  const left = withNamedXTicks(scatterChart({ title: 'Attention norms', subtitle: 'tokens after the first', xLabel: 'transformer block', yLabel: 'attention norm (log)', series: strip, legend: false }), labels);
  const right = withBlockColorbar(
    lineChart({
      title: 'Attention norm distributions',
      subtitle: 'Freedman–Diaconis bins per block',
      xLabel: 'attention norm (log)',
      yLabel: 'count',
      yMin: 0,
      legend: false,
      markers: true,
      series: d.hists.map((h, l) => ({ label: `_${labels[l]}`, values: h.values, x: leftEdges(h), color: plasmaColor(l, L), pointRadius: 3 })),
    }),
    L,
  );
  return renderPanels([left, right], { columns: 2, panelHeight: 460 });
}

function betasFigure(d: LstsqGpt2Data): Promise<Buffer> {
  const L = d.nLayers;
  const labels = blockLabels(L);
  const series: Series[] = [];
  const marker: string[] = [];
  (['t-1', 't-2'] as const).forEach((name, i) => {
    const color = i === 0 ? T1_COLOR : T2_COLOR;
    const beta = d.blocks.map((b) => coef(b, name).coef);
    const sig = d.blocks.map((b) => coef(b, name).p < d.alpha);
    series.push({ label: name, values: beta, color, lineWidth: 1, pointRadius: LINE_ONLY });
    marker.push('line');
    series.push({ label: `_${name} significant`, values: beta.map((v, l) => (sig[l] ? v : NaN)), color, lineWidth: 0, pointRadius: 10 });
    marker.push(i === 0 ? 'rect' : 'circle');
    series.push({ label: `_${name} not significant`, values: beta.map((v, l) => (sig[l] ? NaN : v)), color: theme.foreground, lineWidth: 0, pointRadius: 7 });
    marker.push('crossRot');
  });
  const config = withPaddedCategories(
    lineChart({
      title: 'Predicting token update from previous token updates',
      subtitle: `filled markers: p < ${d.alpha}; ×: not significant`,
      xLabel: 'transformer block',
      yLabel: 'beta',
      categories: labels,
      series,
      legend: true,
      annotations: [{ kind: 'hline', y: 0, color: theme.muted }],
    }),
  );
  // The notebook's axhline(0) is always in view, and the markers clear the plot's edges.
  const all = d.blocks.flatMap((b) => [coef(b, 't-1').coef, coef(b, 't-2').coef]).filter(Number.isFinite);
  const lo = Math.min(0, ...all);
  const hi = Math.max(0, ...all);
  const pad = 0.08 * (hi - lo || 1);
  Object.assign((config.options!.scales as Record<string, object>).y, { suggestedMin: lo - pad, suggestedMax: hi + pad });
  config.data.datasets.forEach((ds, i) => {
    if (marker[i] !== 'line') Object.assign(ds, { pointStyle: marker[i], pointBorderWidth: marker[i] === 'crossRot' ? 2 : 0, spanGaps: false });
  });
  return renderChart(config, { height: 480 });
}

function perBlockTable(d: LstsqGpt2Data): Promise<Buffer> {
  const pCell = (p: number) => (p < 0.001 ? p.toExponential(1) : p.toFixed(3));
  const star = (p: number) => (p < d.alpha ? ' *' : '');
  return renderTableFigure({
    title: 'OLS per block: log norm (t) on log norm (t-1) and (t-2)',
    subtitle: `${d.blocks[0].summary.n} tokens predicted per block; * p < ${d.alpha}`,
    tables: [
      {
        columns: [
          { header: 'block' },
          ...['β t-1', 't', 'p'].map((h) => ({ header: h, align: 'right' as const, mono: true })),
          ...['β t-2', 't', 'p'].map((h) => ({ header: h, align: 'right' as const, mono: true })),
          { header: 'R²', align: 'right', mono: true },
          { header: 'F p', align: 'right', mono: true },
        ],
        rows: d.blocks.map((b, l) => {
          const [c1, c2] = [coef(b, 't-1'), coef(b, 't-2')];
          return [`L${l}`, f4(c1.coef), f3(c1.t), pCell(c1.p) + star(c1.p), f4(c2.coef), f3(c2.t), pCell(c2.p) + star(c2.p), f3(b.summary.r2), pCell(b.summary.fP)];
        }),
        highlightRows: [d.layer],
      },
    ],
  });
}

const significantBlocks = (d: LstsqGpt2Data, name: string) => d.blocks.filter((b) => coef(b, name).p < d.alpha).length;

async function render(d: LstsqGpt2Data): Promise<Figure[]> {
  const L = d.nLayers;
  const s = d.blocks[d.layer].summary;
  const [c1, c2] = [coef(d.blocks[d.layer], 't-1'), coef(d.blocks[d.layer], 't-2')];
  const allNorms = d.blocks.flatMap((b) => b.logNorms.slice(1));
  const [norms, summary, betas, table] = await Promise.all([
    normsFigure(d),
    renderOlsSummary(s, { subtitle: `block ${d.layer}: log norm of token t's attention output on tokens t-1 and t-2 · ${s.n} tokens` }),
    betasFigure(d),
    perBlockTable(d),
  ]);
  const beta1 = d.blocks.map((b) => coef(b, 't-1').coef);
  return [
    {
      name: 'attention-norms',
      title: 'Attention-output norms per block (2 panels)',
      alt: `Left: the log norm of each token's attention output (${d.tokens.length - 1} tokens after the first) in each of the ${L} blocks, as jittered dots, from ${f3(Math.min(...allNorms))} to ${f3(Math.max(...allNorms))}. Right: their histograms per block, coloured by block.`,
      png: norms,
    },
    {
      name: 'ols-summary',
      title: `OLS regression results for block ${d.layer}`,
      alt: `Regression table for block ${d.layer} over ${s.n} tokens: R² = ${f3(s.r2)}, F(${s.dfModel}, ${s.dfResid}) = ${f3(s.f)}, ${pText(s.fP)}; t-1: β = ${f4(c1.coef)}, t = ${f3(c1.t)}, ${pText(c1.p)}; t-2: β = ${f4(c2.coef)}, t = ${f3(c2.t)}, ${pText(c2.p)}.`,
      png: summary,
    },
    {
      name: 'betas',
      title: 'Betas for t-1 and t-2 per block, with significance',
      alt: `The t-1 and t-2 regression coefficients in each of the ${L} blocks, with filled markers where p < ${d.alpha} (t-1 in ${significantBlocks(d, 't-1')} blocks, t-2 in ${significantBlocks(d, 't-2')}) and crosses elsewhere; β(t-1) runs from ${f3(Math.min(...beta1))} to ${f3(Math.max(...beta1))}.`,
      png: betas,
    },
    {
      name: 'ols-per-block',
      title: 'Coefficients, t and p values of every block',
      alt: `A table with one row per block (${L}): β, t and p for t-1 and t-2, R² and the F test's p value; block ${d.layer}'s row is highlighted.`,
      png: table,
    },
  ];
}

function explain(d: LstsqGpt2Data, opts: Opts): string {
  const L = d.nLayers;
  const b = d.blocks[d.layer];
  const [c1, c2] = [coef(b, 't-1'), coef(b, 't-2')];
  const k1 = significantBlocks(d, 't-1');
  const k2 = significantBlocks(d, 't-2');
  const what = d.defaultText ? `the Wikipedia paragraph on Hungarian rock (${d.tokens.length} tokens)` : `your text (${d.tokens.length} tokens)`;
  const sentences = [
    `For ${what}, each block's attention output has one log norm per token, and the model predicts it from the two tokens before: in block ${d.layer}, β(t-1) = ${f4(c1.coef)} (t = ${f3(c1.t)}, ${pText(c1.p)}) and β(t-2) = ${f4(c2.coef)} (t = ${f3(c2.t)}, ${pText(c2.p)}), with R² = ${f3(b.summary.r2)}.`,
    `Across the ${L} blocks, the t-1 term is significant at p < ${d.alpha} in ${k1} and the t-2 term in ${k2}: look at the betas figure for where the attention update of a token resembles its neighbours' most.`,
    `A significant beta says the norms are autocorrelated along the text, not why: neighbouring tokens share words, punctuation and position.`,
  ];
  const tries: string[] = [];
  const other = d.layer === 0 ? L - 1 : 0;
  tries.push(`\`/lstsq-gpt2 layer:${other}\` for block ${other}'s full table`);
  if (opts.alpha !== 0.01) tries.push('`/lstsq-gpt2 alpha:0.01` for a stricter test');
  else tries.push('`/lstsq-gpt2 alpha:0.05` for the notebook\'s level');
  sentences.push(`Try ${tries.join(', or ')}.`);
  if (!d.defaultText) sentences.splice(1, 0, `Your text begins ${quoted(d.tokens.slice(0, 8).join(''))}.`);
  return sentences.join(' ');
}

function figureData(d: LstsqGpt2Data): Record<string, unknown> {
  const perBlock = d.blocks.map((b, l) => ({
    block: l,
    n: b.summary.n,
    r2: b.summary.r2,
    adj_r2: b.summary.adjR2,
    f: b.summary.f,
    f_p: b.summary.fP,
    coefficients: b.summary.coefficients.map((c) => ({ name: c.name, coef: c.coef, std_err: c.stdErr, t: c.t, p: c.p, ci_low: c.ciLow, ci_high: c.ciHigh })),
  }));
  return {
    'attention-norms': {
      tokens: d.tokens,
      hook: 'blocks.N.hook_attn_out',
      log_norms_per_block: d.blocks.map((b) => b.logNorms),
      histograms_tokens_after_first: d.hists.map((h) => ({ edges: h.edges, counts: h.values })),
    },
    'ols-summary': { block: d.layer, alpha: d.alpha, summary: perBlock[d.layer], text: d.summaryText },
    betas: {
      alpha: d.alpha,
      beta_t1: d.blocks.map((b) => coef(b, 't-1').coef),
      p_t1: d.blocks.map((b) => coef(b, 't-1').p),
      beta_t2: d.blocks.map((b) => coef(b, 't-2').coef),
      p_t2: d.blocks.map((b) => coef(b, 't-2').p),
    },
    'ols-per-block': perBlock,
    source: d.defaultText ? { text: WIKIPEDIA_SOURCE, licence: 'CC BY-SA 4.0 (Wikipedia contributors)' } : { text: 'user' },
  };
}

export const lstsqGpt2Analysis: Analysis<typeof Options, LstsqGpt2Data> = {
  id: 'lstsq-gpt2',
  post: findPost('lstsq-gpt2')!,
  usesModel: true,
  preferredModel: 'gpt2',
  options: Options,
  compute,
  render,
  explain,
  figureData,
};
