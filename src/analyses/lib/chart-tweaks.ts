// Two adjustments to configurations from the shared chart builders (src/render/charts.ts), for
// what the analyses draw. Both only touch dataset options Chart.js documents.
import type { ChartConfiguration } from 'chart.js';

type LineDataset = { pointRadius?: number; borderWidth?: number; pointBorderWidth?: number; cubicInterpolationMode?: string };

/**
 * Chart.js draws a legend swatch with the first point's border width. Line series without
 * markers (pointRadius 0, pointBorderWidth 0 in the builders) therefore get an empty swatch;
 * giving their invisible points the line's width makes the swatch a visible line.
 */
export function lineLegendSwatches<C extends ChartConfiguration>(config: C): C {
  for (const ds of config.data.datasets as LineDataset[]) {
    if (ds.pointRadius === 0) ds.pointBorderWidth = Math.max(2, ds.borderWidth ?? 2);
  }
  return config;
}

/**
 * Sampled signals as smooth curves: monotone cubic interpolation through the samples (no
 * overshoot). Straight segments would make Chart.js collapse the samples in each pixel column
 * into one vertical stroke, which at 2× density shows as small steps on steep slopes.
 */
export function smoothLines<C extends ChartConfiguration>(config: C): C {
  for (const ds of config.data.datasets as LineDataset[]) {
    if (ds.pointRadius === 0) ds.cubicInterpolationMode = 'monotone';
  }
  return config;
}
