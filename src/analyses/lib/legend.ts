// Chart.js draws a legend swatch with the first point's border width. Line series without
// markers (pointRadius 0, pointBorderWidth 0 in the shared chart builders) therefore get an
// empty swatch; giving their invisible points the line's width makes the swatch a visible line.
import type { ChartConfiguration } from 'chart.js';

export function lineLegendSwatches<C extends ChartConfiguration>(config: C): C {
  for (const ds of config.data.datasets as { pointRadius?: number; borderWidth?: number; pointBorderWidth?: number }[]) {
    if (ds.pointRadius === 0) ds.pointBorderWidth = Math.max(2, ds.borderWidth ?? 2);
  }
  return config;
}
