// Chart.js on a server-side canvas (@napi-rs/canvas: prebuilt, no system libraries).
import { createCanvas } from '@napi-rs/canvas';
import { Chart, registerables, type ChartConfiguration } from 'chart.js';
import { theme } from './theme.ts';

Chart.register(...registerables);
Chart.defaults.color = theme.foreground;
Chart.defaults.borderColor = theme.grid;
Chart.defaults.font.family = theme.fontFamily;
Chart.defaults.font.size = theme.fontSize;

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

/** Draw one Chart.js configuration and return PNG bytes (2× density). */
export async function renderChart(config: ChartConfiguration, size: ChartSize = {}): Promise<Buffer> {
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
    plugins: [...(config.plugins ?? []), backgroundPlugin],
  } as ChartConfiguration);
  try {
    return await canvas.encode('png');
  } finally {
    chart.destroy(); // frees the chart's listeners and caches; one worker renders thousands
  }
}
