// Lines inside a scatter chart: matplotlib draws `plot(x, y, 'o')` and `plot(x, yHat)` on the same
// axes, while the shared scatter builder (src/render/charts.ts) draws every series as points.
// Chart.js's documented `showLine` dataset option turns one series into a line through its points.
import type { ChartConfiguration } from 'chart.js';

/**
 * Draw the scatter series at `index` as a line joining its points in order (give it
 * pointRadius 0). Chart.js draws the first dataset on top, so put the points first to keep them
 * above a faint line, or the line first to keep it above the points.
 */
export function drawSeriesAsLine<C extends ChartConfiguration>(config: C, index: number): C {
  const ds = config.data.datasets[index] as { showLine?: boolean; pointStyle?: string; pointBorderWidth?: number; borderWidth?: number } | undefined;
  if (!ds) throw new Error(`drawSeriesAsLine: no series ${index} (${config.data.datasets.length} series)`);
  ds.showLine = true;
  // A line swatch in the legend rather than a dot (the legend strokes it with the point border width).
  ds.pointStyle = 'line';
  ds.pointBorderWidth = Math.max(2, ds.borderWidth ?? 2);
  return config;
}
