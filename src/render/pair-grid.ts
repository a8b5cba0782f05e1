// A pair plot (seaborn's pairplot): for k variables a k × k grid with each variable's histogram
// on the diagonal and the scatter of every pair off it; columns share an x scale and rows a y
// scale, so tick labels and variable names appear only along the left and bottom edges. An
// optional hue colours points (and layers the histograms) by group. Drawn on a plain canvas:
// k² Chart.js charts would be slow and could not share their axes.
import type { SKRSContext2D } from '@napi-rs/canvas';
import {
  drawLegendRow, drawPointClouds, drawSpines, drawTitle, drawXLabel, drawXTicks, drawYLabel, drawYTicks, fitText, labelFont, linearScale, paddedExtent,
  ticksFor, yTickLabelWidth, type Box, type LinearScale,
} from './axes.ts';
import { figureCanvas } from './canvas.ts';
import { autoBinEdges } from './distribution-plots.ts';
import { ensureFonts } from './fonts.ts';
import { encodeCanvas } from './png.ts';
import { seriesColor, theme, withAlpha } from './theme.ts';

ensureFonts();

export interface PairVariable {
  name: string;
  /** One value per observation; every variable has the same number. Non-finite values are skipped. */
  values: ArrayLike<number>;
}

export interface PairHueLevel {
  value: number | string;
  label?: string;
  color?: string;
}

export interface PairHue {
  /** The group of each observation. */
  values: ArrayLike<number | string> | readonly (number | string)[];
  /** Levels in legend order (default: sorted distinct values), with labels and colours. */
  levels?: PairHueLevel[];
  /** Legend title. */
  name?: string;
}

export interface PairGridOptions {
  variables: PairVariable[];
  title?: string;
  subtitle?: string;
  hue?: PairHue;
  /** Points without hue (the notebooks' [.7, .7, .9, .7]). */
  scatterColor?: string;
  /** Histogram bars without hue (the notebooks' [.7, .9, .7]). */
  diagColor?: string;
  /** Bins per histogram: a count, or numpy's 'auto' rule as seaborn (default). */
  bins?: number | 'auto';
  /** Cell width / height (seaborn's aspect; default 1.5). */
  aspect?: number;
  /** Logical figure width (default theme.width). */
  width?: number;
  /** Marker radius in logical px (default: smaller as the number of points grows). */
  pointRadius?: number;
  /** Only the lower triangle and the diagonal (seaborn's corner=True). */
  corner?: boolean;
}

export interface PairHistogram {
  edges: number[];
  /** Counts per bin; with a hue, one array per level (same edges). */
  counts: number[] | number[][];
}

export interface PairGridData {
  n: number;
  variables: { name: string; domain: [number, number]; histogram: PairHistogram }[];
  hueLevels?: { value: number | string; label: string; color: string; n: number }[];
}

const MAX_VARIABLES = 10;
const GAP = 12;

function fail(message: string): never {
  throw new Error(`pairGrid: ${message}`);
}

function binCounts(values: ArrayLike<number>, edges: readonly number[], keep?: (i: number) => boolean): number[] {
  const bins = edges.length - 1;
  const lo = edges[0]!;
  const hi = edges[bins]!;
  const width = (hi - lo) / bins;
  const counts = new Array<number>(bins).fill(0);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!(v >= lo && v <= hi) || (keep && !keep(i))) continue;
    counts[Math.min(bins - 1, Math.floor((v - lo) / width))]!++;
  }
  return counts;
}

function hueLevels(hue: PairHue, n: number): NonNullable<PairGridData['hueLevels']> {
  if (hue.values.length !== n) fail(`hue has ${hue.values.length} values for ${n} observations`);
  const values = Array.from(hue.values as ArrayLike<number | string>);
  const levels: PairHueLevel[] = hue.levels ?? [...new Set(values)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)).map((value) => ({ value }));
  if (levels.length > 12) fail(`at most 12 hue levels (got ${levels.length})`);
  return levels.map((l, i) => ({
    value: l.value,
    label: l.label ?? String(l.value),
    color: l.color ?? seriesColor(i),
    n: values.filter((v) => v === l.value).length,
  }));
}

/** The numbers a pair grid draws: each variable's axis range and histogram (figureData). */
export function pairGridData(opts: PairGridOptions): PairGridData {
  const k = opts.variables.length;
  if (k < 1 || k > MAX_VARIABLES) fail(`1–${MAX_VARIABLES} variables (got ${k})`);
  const n = opts.variables[0]!.values.length;
  for (const v of opts.variables) {
    if (v.values.length !== n) fail(`variable "${v.name}" has ${v.values.length} values, "${opts.variables[0]!.name}" has ${n}`);
  }
  if (n === 0) fail('no observations');
  const levels = opts.hue ? hueLevels(opts.hue, n) : undefined;
  const hueValues = opts.hue ? Array.from(opts.hue.values as ArrayLike<number | string>) : undefined;
  const bins = opts.bins ?? 'auto';
  if (bins !== 'auto' && !(Number.isInteger(bins) && bins >= 1 && bins <= 1000)) fail(`bins must be 'auto' or an integer in 1–1000 (got ${bins})`);
  return {
    n,
    hueLevels: levels,
    variables: opts.variables.map((v) => {
      const [lo, hi] = paddedExtent(Array.from(v.values), 0);
      const edges = bins === 'auto'
        ? autoBinEdges(v.values, { maxBins: 200 })
        : Array.from({ length: bins + 1 }, (_, i) => (i === bins ? (hi > lo ? hi : lo + 0.5) : (hi > lo ? lo + ((hi - lo) * i) / bins : lo - 0.5 + i / bins)));
      const counts = levels && hueValues
        ? levels.map((l) => binCounts(v.values, edges, (i) => hueValues[i] === l.value))
        : binCounts(v.values, edges);
      return { name: v.name, domain: paddedExtent(Array.from(v.values)), histogram: { edges, counts } };
    }),
  };
}

export interface PairGridLayout {
  width: number;
  height: number;
  /** cells[row][col]: the plot area of each cell (row = y variable, col = x variable). */
  cells: Box[][];
}

/** Where each cell goes, for a grid of these variables (exported for tests and callers). */
export function pairGridLayout(opts: PairGridOptions, data: PairGridData = pairGridData(opts), ctx?: SKRSContext2D): PairGridLayout {
  const k = data.variables.length;
  const width = opts.width ?? theme.width;
  const aspect = opts.aspect ?? 1.5;
  if (!(width >= 300 && width <= 4000)) fail(`width must be in 300–4000 px (got ${width})`);
  if (!(aspect >= 0.25 && aspect <= 4)) fail(`aspect must be in 0.25–4 (got ${aspect})`);
  let top = 10;
  if (opts.title) top += theme.titleSize + 14;
  if (opts.subtitle) top += theme.fontSize + 8;
  if (data.hueLevels) top += theme.fontSize + 12;
  top += 4;
  let tickW = 40;
  if (ctx) tickW = Math.max(...data.variables.map((v) => yTickLabelWidth(ctx, linearScale(v.domain, [1, 0]), 4)));
  const left = 10 + theme.fontSize + 10 + tickW + 10;
  const right = 16;
  const bottomMargin = 8 + theme.fontSize + 4 + theme.fontSize + 14;
  const cellW = Math.floor((width - left - right - GAP * (k - 1)) / k);
  if (cellW < 40) fail(`${k} variables do not fit in ${width} px`);
  const cellH = Math.round(cellW / aspect);
  const cells = Array.from({ length: k }, (_, r) =>
    Array.from({ length: k }, (_, c) => ({ x: left + c * (cellW + GAP), y: top + r * (cellH + GAP), width: cellW, height: cellH })),
  );
  const height = top + k * cellH + (k - 1) * GAP + bottomMargin;
  if (height > 6000) fail(`the grid would be ${height} px tall; use fewer variables or a larger aspect`);
  return { width, height, cells };
}

function defaultRadius(n: number): number {
  if (n <= 500) return 3;
  if (n <= 2000) return 2.5;
  if (n <= 6000) return 2;
  return 1.5;
}

function drawHistogram(ctx: SKRSContext2D, box: Box, x: LinearScale, h: PairHistogram, colors: string[], layered: boolean): void {
  const sets = Array.isArray(h.counts[0]) ? (h.counts as number[][]) : [h.counts as number[]];
  const max = Math.max(1, ...sets.flat());
  const y = linearScale([0, max * 1.05], [box.y + box.height, box.y]);
  sets.forEach((counts, s) => {
    ctx.fillStyle = withAlpha(colors[s]!, layered ? 0.5 : 0.85);
    ctx.strokeStyle = theme.background;
    ctx.lineWidth = 0.75;
    counts.forEach((c, b) => {
      if (c <= 0) return;
      const x0 = x(h.edges[b]!);
      const x1 = x(h.edges[b + 1]!);
      const y0 = y(c);
      ctx.fillRect(x0, y0, x1 - x0, y(0) - y0);
      if (x1 - x0 > 3) ctx.strokeRect(x0, y0, x1 - x0, y(0) - y0);
    });
  });
}

/** Render the pair grid as one PNG (2× density). */
export async function pairGrid(opts: PairGridOptions): Promise<Buffer> {
  const data = pairGridData(opts);
  const probe = figureCanvas(10, 10).ctx;
  const layout = pairGridLayout(opts, data, probe);
  const { canvas, ctx } = figureCanvas(layout.width, layout.height);
  const k = data.variables.length;
  const n = data.n;
  let top = 10;
  if (opts.title) {
    drawTitle(ctx, opts.title, layout.width / 2, top, layout.width - 24, `bold ${theme.titleSize + 2}px ${theme.fontFamily}`);
    top += theme.titleSize + 14;
  }
  if (opts.subtitle) {
    ctx.save();
    ctx.font = `${theme.fontSize}px ${theme.fontFamily}`;
    ctx.fillStyle = theme.muted;
    ctx.textAlign = 'center';
    ctx.textBaseline = 'top';
    ctx.fillText(fitText(ctx, opts.subtitle, layout.width - 24), layout.width / 2, top);
    ctx.restore();
    top += theme.fontSize + 8;
  }
  const hueValues = opts.hue ? Array.from(opts.hue.values as ArrayLike<number | string>) : undefined;
  const levels = data.hueLevels;
  if (levels) {
    const lastCell = layout.cells[0]![k - 1]!;
    drawLegendRow(ctx, levels, lastCell.x + lastCell.width, top + theme.fontSize / 2 + 2, opts.hue?.name);
  }
  const xs = data.variables.map((v, c) => linearScale(v.domain, [layout.cells[0]![c]!.x, layout.cells[0]![c]!.x + layout.cells[0]![c]!.width]));
  const scatterColor = opts.scatterColor ?? 'rgba(179,179,230,0.7)';
  const diagColor = opts.diagColor ?? '#b3e6b3';
  const radius = opts.pointRadius ?? defaultRadius(n);
  const colorOf = levels && hueValues
    ? (() => {
        const map = new Map(levels.map((l) => [l.value, withAlpha(l.color, 0.7)]));
        return (i: number) => map.get(hueValues[i]!);
      })()
    : () => scatterColor;
  const edges = n <= 2000;

  const pointCells: { cell: Box; x: LinearScale; y: LinearScale; r: number; c: number }[] = [];
  for (let r = 0; r < k; r++) {
    for (let c = 0; c < k; c++) {
      if (opts.corner && c > r) continue;
      const cell = layout.cells[r]![c]!;
      const x = linearScale(data.variables[c]!.domain, [cell.x, cell.x + cell.width]);
      const y = linearScale(data.variables[r]!.domain, [cell.y + cell.height, cell.y]);
      const bottomRow = r === k - 1;
      drawXTicks(ctx, cell, x, { ticks: ticksFor(xs[c]!, 4), labels: bottomRow });
      // Diagonal cells keep the row's y scale on the left edge (their counts have no axis).
      drawYTicks(ctx, cell, y, { ticks: ticksFor(y, 4), labels: c === 0 });
      ctx.save();
      ctx.beginPath();
      ctx.rect(cell.x, cell.y, cell.width, cell.height);
      ctx.clip();
      if (r === c) {
        drawHistogram(ctx, cell, x, data.variables[r]!.histogram, levels ? levels.map((l) => l.color) : [diagColor], Boolean(levels));
      } else {
        pointCells.push({ cell, x, y, r, c });
      }
      ctx.restore();
      drawSpines(ctx, cell);
      if (bottomRow) drawXLabel(ctx, data.variables[c]!.name, cell, cell.y + cell.height + theme.fontSize + 8, labelFont);
      if (c === 0) drawYLabel(ctx, data.variables[r]!.name, cell, 10, labelFont);
    }
  }
  // The scatter points last, blended straight into the pixels (fast for thousands of points).
  drawPointClouds(ctx, pointCells.map(({ cell, x, y, r, c }) => {
    const vx = opts.variables[c]!.values;
    const vy = opts.variables[r]!.values;
    return {
      clip: cell,
      cloud: {
        x: Float64Array.from({ length: n }, (_, i) => x(vx[i]!)),
        y: Float64Array.from({ length: n }, (_, i) => y(vy[i]!)),
        color: colorOf,
        radius,
        edgeColor: edges ? 'rgba(255,255,255,0.45)' : undefined,
      },
    };
  }));
  for (const { cell } of pointCells) drawSpines(ctx, cell);
  return encodeCanvas(canvas);
}
