// One dark theme for every figure, close to the notebooks' (DESIGN.md §3).
export const theme = {
  background: '#171717',
  /** Panel/plot-area surfaces drawn on the background (matrix NaN cells, empty token boxes). */
  surface: '#262626',
  foreground: '#e6e6e6',
  muted: '#a0a0a0',
  grid: 'rgba(255,255,255,0.14)',
  axis: '#bdbdbd',
  /**
   * CSS font lists, registered by fonts.ts (system DejaVu or the copy shipped in @fontsource,
   * then Noto fallbacks that Skia uses glyph by glyph for CJK, Arabic, Tamil and emoji).
   * Equal to fontStack('DejaVu Sans') and fontStack('DejaVu Sans Mono') (test/render/fonts.test.ts).
   */
  fontFamily: 'DejaVu Sans, Noto Sans SC, Noto Sans Arabic, Noto Sans Tamil, Noto Emoji',
  monoFamily: 'DejaVu Sans Mono, Noto Sans SC, Noto Sans Arabic, Noto Sans Tamil, Noto Emoji',
  fontSize: 14,
  titleSize: 18,
  /**
   * Categorical colours for series: tab10's hues lifted in lightness so that each one stands out
   * on #171717 (matplotlib's own tab10 blue is too dark there).
   */
  palette: ['#4ea1ff', '#ff9f43', '#5ad16a', '#ff5c5c', '#b48cff', '#ffd24d', '#ff7ac6', '#4dd9e6', '#c9c9c9', '#a3d977'],
  /** Accent for marked values (the actual next token, a chosen frequency). */
  highlight: '#ff4d4d',
  pointRadius: 3,
  lineWidth: 2,
  /** Logical figure width in CSS pixels; PNGs are drawn at 2× density. */
  width: 1200,
  height: 700,
  pixelRatio: 2,
  /** Chat platforms reject larger uploads. */
  maxPngBytes: 8 * 1024 * 1024,
} as const;

/** The n-th series colour, cycling through the palette. */
export function seriesColor(index: number): string {
  return theme.palette[index % theme.palette.length];
}

/** `#rrggbb` with an alpha, for fills under lines and histogram bars. */
export function withAlpha(hex: string, alpha: number): string {
  const m = /^#([0-9a-f]{6})$/i.exec(hex);
  if (!m) return hex; // already rgba()/named: leave as is rather than guess
  const n = parseInt(m[1], 16);
  return `rgba(${n >> 16},${(n >> 8) & 255},${n & 255},${alpha})`;
}
