// A grid of coloured cells on ordinary chart axes: a 2-D histogram with the raw points drawn
// over it (matplotlib's imshow(extent=…) + plot), or a small labelled matrix whose cells carry
// marks such as significance stars. Unlike image.ts's matrices, the cells live in data
// coordinates, so scatter series, annotations and a colour bar share one set of axes.
import type { Chart, ChartConfiguration, Plugin } from 'chart.js';
import { colorbarWidth } from './chart-overlays.ts';
import { scatterChart, type CommonOptions, type Series } from './charts.ts';
import { colorLimits, colormap, contrastingText, rgbCss, type ColormapName } from './colormaps.ts';
import { theme } from './theme.ts';

export interface CellGrid {
  /** rows × cols values, row-major: values[r·cols + c] is the cell in row r (along y), column c (along x). */
  values: ArrayLike<number>;
  rows: number;
  cols: number;
  /** cols + 1 and rows + 1 edges in data coordinates (default: integer cells centred on 0, 1, 2, …). */
  xEdges?: ArrayLike<number>;
  yEdges?: ArrayLike<number>;
  colormap?: ColormapName;
  vmin?: number;
  vmax?: number;
  /** Colour bar label; `colorbar: false` hides the bar. */
  colorbarLabel?: string;
  colorbar?: boolean;
  /** Text centred in each cell (e.g. "*" for significant cells); undefined or '' for none. */
  text?: readonly (string | undefined)[];
  /** Font size of that text in logical px (default 22). */
  textSize?: number;
}

export interface CellChartOptions extends CommonOptions {
  cells: CellGrid;
  /** Series drawn over the cells. */
  series?: Series[];
  /** Names for the integer cell positions along x / y (a labelled matrix); default numeric ticks. */
  xCategories?: readonly string[];
  yCategories?: readonly string[];
  /** Row 0 at the top, like imshow's default origin (default false: row 0 at the bottom). */
  originUpper?: boolean;
}

function fail(message: string): never {
  throw new Error(`cellChart: ${message}`);
}

function defaultEdges(n: number): number[] {
  return Array.from({ length: n + 1 }, (_, i) => i - 0.5);
}

/** Cells (with optional points, marks and a colour bar) as a Chart.js configuration. */
export function cellChart(opts: CellChartOptions): ChartConfiguration {
  const g = opts.cells;
  if (!Number.isInteger(g.rows) || !Number.isInteger(g.cols) || g.rows < 1 || g.cols < 1) fail(`rows and cols must be positive integers (got ${g.rows} × ${g.cols})`);
  if (g.values.length !== g.rows * g.cols) fail(`values has ${g.values.length} entries, expected ${g.rows} × ${g.cols}`);
  const xEdges = Array.from(g.xEdges ?? defaultEdges(g.cols));
  const yEdges = Array.from(g.yEdges ?? defaultEdges(g.rows));
  if (xEdges.length !== g.cols + 1) fail(`xEdges has ${xEdges.length} entries, expected cols + 1 = ${g.cols + 1}`);
  if (yEdges.length !== g.rows + 1) fail(`yEdges has ${yEdges.length} entries, expected rows + 1 = ${g.rows + 1}`);
  if (g.text && g.text.length !== g.rows * g.cols) fail(`text has ${g.text.length} entries, expected ${g.rows * g.cols}`);
  if (opts.xCategories && opts.xCategories.length !== g.cols) fail(`xCategories has ${opts.xCategories.length} names for ${g.cols} columns`);
  if (opts.yCategories && opts.yCategories.length !== g.rows) fail(`yCategories has ${opts.yCategories.length} names for ${g.rows} rows`);
  const cmap = g.colormap ?? 'viridis';
  const [vmin, vmax] = colorLimits(g.values, { vmin: g.vmin, vmax: g.vmax });
  const map = colormap(cmap);
  const x0 = Math.min(xEdges[0], xEdges[g.cols]);
  const x1 = Math.max(xEdges[0], xEdges[g.cols]);
  const y0 = Math.min(yEdges[0], yEdges[g.rows]);
  const y1 = Math.max(yEdges[0], yEdges[g.rows]);
  // Scales need a dataset; an invisible one spans the cells when no points are given.
  const series: Series[] = opts.series?.length ? opts.series : [{ label: '_extent', points: [[x0, y0], [x1, y1]], pointRadius: 0 }];
  const config = scatterChart({ ...opts, series, xMin: opts.xMin ?? x0, xMax: opts.xMax ?? x1, yMin: opts.yMin ?? y0, yMax: opts.yMax ?? y1 });

  const cellsPlugin: Plugin = {
    id: 'labCells',
    beforeDatasetsDraw(chart: Chart) {
      const { ctx, chartArea: a, scales } = chart;
      ctx.save();
      ctx.beginPath();
      ctx.rect(a.left, a.top, a.right - a.left, a.bottom - a.top);
      ctx.clip();
      const px = xEdges.map((e) => scales.x.getPixelForValue(e));
      const py = yEdges.map((e) => scales.y.getPixelForValue(e));
      for (let r = 0; r < g.rows; r++) {
        for (let c = 0; c < g.cols; c++) {
          const v = g.values[r * g.cols + c];
          if (!Number.isFinite(v)) continue;
          ctx.fillStyle = rgbCss(map((v - vmin) / (vmax - vmin)));
          const left = Math.min(px[c], px[c + 1]);
          const top = Math.min(py[r], py[r + 1]);
          // Half a pixel of overlap hides the seams between neighbouring cells.
          ctx.fillRect(left, top, Math.abs(px[c + 1] - px[c]) + 0.5, Math.abs(py[r + 1] - py[r]) + 0.5);
        }
      }
      ctx.restore();
    },
    afterDatasetsDraw(chart: Chart) {
      if (!g.text) return;
      const { ctx, scales } = chart;
      ctx.save();
      ctx.font = `bold ${g.textSize ?? 22}px ${theme.fontFamily}`;
      ctx.textAlign = 'center';
      ctx.textBaseline = 'middle';
      for (let r = 0; r < g.rows; r++) {
        for (let c = 0; c < g.cols; c++) {
          const t = g.text[r * g.cols + c];
          if (!t) continue;
          const v = g.values[r * g.cols + c];
          ctx.fillStyle = Number.isFinite(v) ? contrastingText(map((v - vmin) / (vmax - vmin))) : theme.foreground;
          const cx = scales.x.getPixelForValue((xEdges[c] + xEdges[c + 1]) / 2);
          const cy = scales.y.getPixelForValue((yEdges[r] + yEdges[r + 1]) / 2);
          ctx.fillText(t, cx, cy);
        }
      }
      ctx.restore();
    },
  };
  config.plugins = [...(config.plugins ?? []), cellsPlugin];

  const options = config.options as {
    layout: { padding: { right: number } };
    scales: Record<string, Record<string, unknown>>;
    plugins: { labOverlays: Record<string, unknown> };
  };
  if (g.colorbar ?? true) {
    options.plugins.labOverlays.colorbar = { colormap: cmap, vmin, vmax, label: g.colorbarLabel };
    options.layout.padding.right = colorbarWidth + 8;
  }
  // One tick per cell centre, named (Chart.js would otherwise step from the -0.5 edge).
  const categoryAxis = (axis: Record<string, unknown>, names: readonly string[], extra: Record<string, unknown> = {}) => {
    axis.ticks = { ...(axis.ticks as object), autoSkip: false, callback: (v: string | number) => names[Number(v)] ?? '', ...extra };
    axis.afterBuildTicks = (scale: { ticks: { value: number }[] }) => {
      scale.ticks = names.map((_, i) => ({ value: i }));
    };
    axis.grid = { display: false };
  };
  if (opts.xCategories) categoryAxis(options.scales.x, opts.xCategories, { maxRotation: 90 });
  else if (g.xEdges) options.scales.x.ticks = { ...(options.scales.x.ticks as object), includeBounds: false };
  if (opts.yCategories) categoryAxis(options.scales.y, opts.yCategories);
  else if (g.yEdges) options.scales.y.ticks = { ...(options.scales.y.ticks as object), includeBounds: false };
  if (opts.originUpper) options.scales.y.reverse = true;
  return config;
}
