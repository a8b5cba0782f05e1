// Chart.js on a server-side canvas (@napi-rs/canvas: prebuilt, no system libraries).
import { createCanvas, type Canvas } from '@napi-rs/canvas';
import { Chart, registerables, type ChartConfiguration } from 'chart.js';
import { ensureFonts } from './fonts.ts';
import { overlayPlugin } from './chart-overlays.ts';
import { encodeCanvas } from './png.ts';
import { seriesColor, theme } from './theme.ts';

ensureFonts();
Chart.register(...registerables, overlayPlugin);
Chart.defaults.color = theme.foreground;
Chart.defaults.borderColor = theme.grid;
Chart.defaults.font.family = theme.fontFamily;
Chart.defaults.font.size = theme.fontSize;
Chart.defaults.scale.grid.color = theme.grid;
// Axis lines a little brighter than the grid (Chart.js's types lack `border` on the defaults).
(Chart.defaults.scale as unknown as { border: { color: string } }).border.color = theme.axis;
Chart.defaults.scale.ticks.color = theme.foreground;
Chart.defaults.elements.point.radius = theme.pointRadius;
Chart.defaults.elements.line.borderWidth = theme.lineWidth;
Chart.defaults.plugins.title.font = { size: theme.titleSize, weight: 'bold' };
Chart.defaults.plugins.title.color = theme.foreground;
Chart.defaults.plugins.subtitle.color = theme.muted;
Chart.defaults.plugins.legend.labels.color = theme.foreground;

export interface ChartSize {
  width?: number;
  height?: number;
}

/** Chart.js leaves the canvas transparent; chat clients would show it on white. */
const backgroundPlugin = {
  id: 'substackLabBackground',
  beforeDraw(chart: Chart) {
    const { ctx, width, height } = chart;
    ctx.save();
    ctx.globalCompositeOperation = 'destination-over';
    ctx.fillStyle = theme.background;
    ctx.fillRect(0, 0, width, height);
    ctx.restore();
  },
};

/**
 * Chart.js's built-in Colors plugin switches itself off once any colour default is changed (we
 * change them for the dark theme), which would leave uncoloured datasets near-black on #171717.
 * This gives every dataset without colours the theme palette instead.
 */
const palettePlugin = {
  id: 'substackLabPalette',
  beforeLayout(chart: Chart) {
    chart.config.data.datasets.forEach((dataset, i) => {
      const ds = dataset as { borderColor?: unknown; backgroundColor?: unknown };
      const color = seriesColor(i);
      ds.borderColor ??= color;
      ds.backgroundColor ??= color;
    });
  },
};

export interface DrawnChart {
  canvas: Canvas;
  /** Frees the chart's listeners and caches (one worker renders thousands). Clears the canvas. */
  dispose(): void;
}

/** Draw one Chart.js configuration onto a fresh canvas at 2× density (for composing panels). */
export function drawChart(config: ChartConfiguration, size: ChartSize = {}): DrawnChart {
  const width = size.width ?? theme.width;
  const height = size.height ?? theme.height;
  // Chart.js multiplies the canvas by devicePixelRatio itself: create it at the logical size.
  const canvas = createCanvas(width, height);
  const ctx = canvas.getContext('2d');
  const chart = new Chart(ctx as unknown as CanvasRenderingContext2D, {
    ...config,
    options: {
      ...config.options,
      responsive: false,
      animation: false,
      devicePixelRatio: theme.pixelRatio,
    },
    plugins: [...(config.plugins ?? []), palettePlugin, backgroundPlugin],
  } as ChartConfiguration);
  return { canvas, dispose: () => chart.destroy() };
}

/** Draw one Chart.js configuration and return PNG bytes (2× density). */
export async function renderChart(config: ChartConfiguration, size: ChartSize = {}): Promise<Buffer> {
  const { canvas, dispose } = drawChart(config, size);
  try {
    return await encodeCanvas(canvas);
  } finally {
    dispose();
  }
}
