// Chart pieces the layer-by-layer posts (/hidden, /attention, /mlp) share: blocks coloured along
// plasma with a colour bar, block tick labels on a numeric axis, jittered strips of values per
// layer, and the intervention chart (one patched value per block against the clean run).
import type { ChartConfiguration } from 'chart.js';
import { colorbarWidth } from '../../render/chart-overlays.ts';
import { lineChart, scatterChart, type Series } from '../../render/charts.ts';
import { colormap, rgbCss } from '../../render/colormaps.ts';
import { theme } from '../../render/theme.ts';
import { createRng } from './random.ts';

/** Block labels L0, L1, … (the notebooks' tick labels). */
export const blockLabels = (n: number): string[] => Array.from({ length: n }, (_, i) => `L${i}`);

/** Hugging Face hidden-state labels: the embeddings, then each block's output (the last after ln_f). */
export const hiddenStateLabels = (nLayers: number): string[] => ['Emb', ...blockLabels(nLayers)];

/** The notebooks' `mpl.cm.plasma((i+1)/n)`-style colour for item i of n (never the near-black start). */
export function plasmaColor(i: number, n: number): string {
  return rgbCss(colormap('plasma')((i + 1) / Math.max(1, n)));
}

/**
 * Chart.js hides the legend swatch of a series whose pointRadius is 0; lines without markers use
 * this instead (invisible points, visible legend).
 */
export const LINE_ONLY = 0.01;

type Scales = Record<string, Record<string, unknown>>;

/** Half a category of space at both ends, so the first and last block's markers are not cut in half. */
export function withPaddedCategories(config: ChartConfiguration): ChartConfiguration {
  (config.options!.scales as Scales).x.offset = true;
  return config;
}

/** Integer ticks on a numeric x axis labelled by name (layer names under a jittered strip plot). */
export function withNamedXTicks(config: ChartConfiguration, labels: readonly string[]): ChartConfiguration {
  const scales = config.options!.scales as Scales;
  scales.x = {
    ...scales.x,
    min: -0.6,
    max: labels.length - 0.4,
    // One tick per name, at 0, 1, 2, …: Chart.js's own ticks would start at the padded minimum.
    afterBuildTicks: (axis: { ticks: { value: number }[] }) => {
      axis.ticks = labels.map((_, i) => ({ value: i }));
    },
    ticks: { autoSkip: true, callback: (v: number | string) => labels[Number(v)] ?? '' },
  };
  return config;
}

/** A colour bar for series coloured by block (the notebooks' ScalarMappable + colorbar). */
export function withBlockColorbar(config: ChartConfiguration, nBlocks: number, label = 'transformer block'): ChartConfiguration {
  const options = config.options as { layout?: { padding?: Record<string, number> }; plugins?: Record<string, Record<string, unknown>> };
  options.plugins!.labOverlays = { ...options.plugins!.labOverlays, colorbar: { colormap: 'plasma', vmin: 0, vmax: Math.max(1, nBlocks - 1), label } };
  options.layout = { ...options.layout, padding: { ...options.layout?.padding, right: colorbarWidth + 8 } };
  return config;
}

/**
 * Values per layer as jittered dots (the notebooks' `plot(np.random.normal(layeri, .05, n), acts)`).
 * The jitter is cosmetic, so it uses a fixed seed: the same data always draw the same figure.
 */
export function layerStripChart(o: { title: string; subtitle?: string; yLabel: string; labels: readonly string[]; values: readonly ArrayLike<number>[] }): ChartConfiguration {
  const rng = createRng(12345);
  const total = o.values.reduce((n, v) => n + v.length, 0);
  const series: Series[] = o.values.map((vals, i) => ({
    label: `_${o.labels[i]}`,
    points: Array.from(vals, (y) => [i + 0.05 * rng.normal(), y] as const),
    color: plasmaColor(i, o.values.length),
    pointRadius: total > 8000 ? 2 : 3.5,
  }));
  return withNamedXTicks(
    scatterChart({ title: o.title, subtitle: o.subtitle, xLabel: 'hidden layer (model depth)', yLabel: o.yLabel, series, legend: false }),
    o.labels,
  );
}

/** One value per layer as coloured markers over named categories (variances per layer). */
export function layerValueChart(o: { title: string; subtitle?: string; yLabel: string; xLabel?: string; labels: readonly string[]; values: readonly number[] }): ChartConfiguration {
  const config = lineChart({
    title: o.title,
    subtitle: o.subtitle,
    xLabel: o.xLabel ?? 'hidden layer (model depth)',
    yLabel: o.yLabel,
    categories: o.labels,
    legend: false,
    series: [{ label: o.yLabel, values: o.values, color: theme.foreground, lineWidth: 0, pointRadius: 8, barColors: o.values.map((_, i) => plasmaColor(i, o.values.length)) }],
  });
  return withPaddedCategories(config);
}

export interface LayerEffectOptions {
  title: string;
  subtitle?: string;
  /** One value per block. */
  values: readonly number[];
  clean: number;
  yLabel?: string;
  /** One colour for all points, or one per block. */
  color?: string | readonly string[];
  cleanLabel?: string;
}

/** Patched value per block (dots) against the clean run (dashed line). */
export function layerEffectChart(o: LayerEffectOptions): ChartConfiguration {
  const all = [...o.values, o.clean];
  const lo = Math.min(...all);
  const hi = Math.max(...all);
  const pad = Math.max((hi - lo) * 0.12, Math.abs(hi) * 1e-3, 1e-3);
  const perPoint = Array.isArray(o.color) ? (o.color as string[]) : undefined;
  const config = lineChart({
    title: o.title,
    subtitle: o.subtitle,
    xLabel: 'transformer block',
    yLabel: o.yLabel ?? 'log probability',
    categories: blockLabels(o.values.length),
    legend: false,
    series: [
      {
        label: 'patched',
        values: o.values,
        color: perPoint ? theme.foreground : ((o.color as string | undefined) ?? '#e6b3b3'),
        // Points only: each block is its own experiment, not a trajectory.
        lineWidth: 0,
        pointRadius: o.values.length > 30 ? 5 : 8,
        barColors: perPoint,
      },
    ],
    annotations: [{ kind: 'hline', y: o.clean, color: theme.muted, label: o.cleanLabel ?? `clean: ${o.clean.toFixed(3)}` }],
  });
  // Suggested (not hard) limits: Chart.js rounds the axis to nice ticks around them, with the
  // clean line always inside. The offset keeps the first and last markers off the plot edges.
  const scales = config.options!.scales as Scales;
  Object.assign(scales.y, { min: undefined, max: undefined, suggestedMin: lo - pad, suggestedMax: hi + pad });
  return withPaddedCategories(config);
}
