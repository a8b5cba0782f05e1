// Text tables as PNG figures — the notebooks print "Index | Token" tables, regression summaries
// and the like; in a chat channel they travel as images. Several tables sit side by side (one
// per tokenizer).
import { createCanvas, type SKRSContext2D } from '@napi-rs/canvas';
import { ensureFonts } from './fonts.ts';
import { encodeCanvas } from './png.ts';
import { theme } from './theme.ts';

export interface TableColumn {
  header: string;
  align?: 'left' | 'right' | 'center';
  /** Monospace cells (token text, ids), so spaces and alignment show. */
  mono?: boolean;
  /** Wrap cells onto several lines at this width (logical px) instead of cutting them. */
  wrap?: number;
}

export interface TableSpec {
  heading?: string;
  columns: TableColumn[];
  rows: string[][];
  /** Rows (by index) drawn in the highlight colour, e.g. the actual next token. */
  highlightRows?: number[];
  /** A muted line under the table ("… 120 more tokens"). */
  footer?: string;
}

export interface TableFigureOptions {
  title: string;
  subtitle?: string;
  tables: TableSpec[];
  /** Logical width at least this (default theme.width); grows to fit wide tables. */
  minWidth?: number;
}

const ROW_H = 26;
const LINE_H = 20;
const rowHeight = (lines: number) => ROW_H + (lines - 1) * LINE_H;
const PAD_X = 12;
const GAP = 36;
const MARGIN = 24;
/** Room under the last row, so a corner stamp ("tiny random model") covers no text. */
const BOTTOM = 48;
/** Cells wider than this are cut with an ellipsis (logical px). */
const MAX_CELL = 420;

function fit(ctx: SKRSContext2D, text: string, max: number): string {
  if (ctx.measureText(text).width <= max) return text;
  let lo = 0;
  let hi = text.length;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (ctx.measureText(text.slice(0, mid) + '…').width <= max) lo = mid;
    else hi = mid - 1;
  }
  return text.slice(0, lo) + '…';
}

/** Greedy word wrap to `max` px; a word longer than a line is cut into pieces. */
function wrapLines(ctx: SKRSContext2D, text: string, max: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/(?<=\s)/)) {
    if (ctx.measureText(line + word).width <= max) {
      line += word;
      continue;
    }
    if (line) lines.push(line.trimEnd());
    line = word;
    while (ctx.measureText(line).width > max && line.length > 1) {
      let cut = line.length - 1;
      while (cut > 1 && ctx.measureText(line.slice(0, cut)).width > max) cut--;
      lines.push(line.slice(0, cut));
      line = line.slice(cut);
    }
  }
  if (line || !lines.length) lines.push(line.trimEnd());
  return lines;
}

const fontFor = (mono: boolean | undefined, bold = false) =>
  `${bold ? 'bold ' : ''}${theme.fontSize}px ${mono ? theme.monoFamily : theme.fontFamily}`;

/** Draw the tables and return PNG bytes at 2× density. */
export async function renderTableFigure(opts: TableFigureOptions): Promise<Buffer> {
  ensureFonts();
  const measure = createCanvas(10, 10).getContext('2d');
  // Column widths from the widest cell (capped), per table.
  const layouts = opts.tables.map((t) => {
    const widths = t.columns.map((c, j) => {
      if (c.wrap) return c.wrap + 2 * PAD_X;
      measure.font = fontFor(false, true);
      let w = measure.measureText(c.header).width;
      measure.font = fontFor(c.mono);
      for (const r of t.rows) w = Math.max(w, measure.measureText(r[j] ?? '').width);
      return Math.min(MAX_CELL, Math.ceil(w)) + 2 * PAD_X;
    });
    // Each cell's lines: one, unless its column wraps.
    const cells = t.rows.map((r) =>
      t.columns.map((c, j) => {
        measure.font = fontFor(c.mono);
        return c.wrap ? wrapLines(measure, r[j] ?? '', c.wrap) : [r[j] ?? ''];
      }),
    );
    const rowLines = cells.map((r) => Math.max(1, ...r.map((lines) => lines.length)));
    let width = widths.reduce((a, b) => a + b, 0);
    measure.font = `bold ${theme.fontSize + 1}px ${theme.fontFamily}`;
    if (t.heading) width = Math.max(width, measure.measureText(t.heading).width + 8);
    return { widths, width: Math.ceil(width), cells, rowLines, rowsHeight: rowLines.reduce((a, n) => a + rowHeight(n), 0) };
  });
  const tablesWidth = layouts.reduce((a, l) => a + l.width, 0) + GAP * (layouts.length - 1);
  const width = Math.max(opts.minWidth ?? theme.width, tablesWidth + 2 * MARGIN);
  const titleH = theme.titleSize + 20 + (opts.subtitle ? theme.fontSize + 10 : 0);
  const headingH = opts.tables.some((t) => t.heading) ? theme.fontSize + 14 : 0;
  const footerH = opts.tables.some((t) => t.footer) ? ROW_H : 0;
  const rowsH = Math.max(...layouts.map((l) => l.rowsHeight));
  const height = Math.ceil(MARGIN + titleH + headingH + ROW_H + rowsH + footerH + BOTTOM);

  const canvas = createCanvas(width * theme.pixelRatio, height * theme.pixelRatio);
  const ctx = canvas.getContext('2d');
  ctx.scale(theme.pixelRatio, theme.pixelRatio);
  ctx.fillStyle = theme.background;
  ctx.fillRect(0, 0, width, height);
  ctx.textBaseline = 'middle';

  ctx.fillStyle = theme.foreground;
  ctx.textAlign = 'center';
  ctx.font = `bold ${theme.titleSize}px ${theme.fontFamily}`;
  ctx.fillText(fit(ctx, opts.title, width - 2 * MARGIN), width / 2, MARGIN + theme.titleSize / 2);
  if (opts.subtitle) {
    ctx.fillStyle = theme.muted;
    ctx.font = `${theme.fontSize}px ${theme.fontFamily}`;
    ctx.fillText(fit(ctx, opts.subtitle, width - 2 * MARGIN), width / 2, MARGIN + theme.titleSize + 16);
  }

  let x0 = (width - tablesWidth) / 2;
  const top = MARGIN + titleH;
  opts.tables.forEach((t, ti) => {
    const { widths, width: tw, cells, rowLines } = layouts[ti];
    if (t.heading) {
      ctx.fillStyle = theme.foreground;
      ctx.textAlign = 'left';
      ctx.font = `bold ${theme.fontSize + 1}px ${theme.fontFamily}`;
      ctx.fillText(t.heading, x0, top + headingH / 2 - 2);
    }
    const y0 = top + headingH;
    const highlight = new Set(t.highlightRows ?? []);
    // Top of each body row.
    const rowTop: number[] = [];
    let y = y0 + ROW_H;
    for (const n of rowLines) {
      rowTop.push(y);
      y += rowHeight(n);
    }
    // Header band, zebra rows, highlighted rows.
    ctx.fillStyle = theme.surface;
    ctx.fillRect(x0, y0, tw, ROW_H);
    rowLines.forEach((n, r) => {
      if (highlight.has(r)) {
        ctx.fillStyle = 'rgba(255,77,77,0.28)';
        ctx.fillRect(x0, rowTop[r], tw, rowHeight(n));
      } else if (r % 2 === 1) {
        ctx.fillStyle = 'rgba(255,255,255,0.04)';
        ctx.fillRect(x0, rowTop[r], tw, rowHeight(n));
      }
    });
    ctx.strokeStyle = theme.axis;
    ctx.lineWidth = 1;
    ctx.beginPath();
    ctx.moveTo(x0, y0 + ROW_H);
    ctx.lineTo(x0 + tw, y0 + ROW_H);
    ctx.stroke();

    let cx = x0;
    t.columns.forEach((c, j) => {
      const w = widths[j];
      const align = c.align ?? 'left';
      const tx = align === 'left' ? cx + PAD_X : align === 'right' ? cx + w - PAD_X : cx + w / 2;
      ctx.textAlign = align;
      ctx.font = fontFor(false, true);
      ctx.fillStyle = theme.foreground;
      ctx.fillText(fit(ctx, c.header, w - 2 * PAD_X), tx, y0 + ROW_H / 2);
      ctx.font = fontFor(c.mono);
      cells.forEach((row, r) => {
        ctx.fillStyle = highlight.has(r) ? '#ffffff' : theme.foreground;
        row[j].forEach((line, k) => {
          ctx.fillText(fit(ctx, line, w - 2 * PAD_X), tx, rowTop[r] + ROW_H / 2 + k * LINE_H);
        });
      });
      cx += w;
    });
    if (t.footer) {
      ctx.fillStyle = theme.muted;
      ctx.textAlign = 'left';
      ctx.font = `${theme.fontSize - 1}px ${theme.fontFamily}`;
      ctx.fillText(t.footer, x0, y + ROW_H / 2);
    }
    x0 += tw + GAP;
  });
  return encodeCanvas(canvas);
}
