// One dark theme for every figure, close to the notebooks' (DESIGN.md §3).
export const theme = {
  background: '#171717',
  foreground: '#e6e6e6',
  muted: '#a0a0a0',
  grid: 'rgba(255,255,255,0.12)',
  axis: '#cfcfcf',
  fontFamily: 'sans-serif',
  monoFamily: 'monospace',
  fontSize: 14,
  /** Categorical colours for series (matplotlib's tab10, readable on dark). */
  palette: ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'],
  /** Logical figure width in CSS pixels; PNGs are drawn at 2× density. */
  width: 1200,
  height: 700,
  pixelRatio: 2,
  /** Chat platforms reject larger uploads. */
  maxPngBytes: 8 * 1024 * 1024,
} as const;
