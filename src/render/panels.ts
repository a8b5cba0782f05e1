// Several charts and matrix images in one PNG, on a grid (matplotlib's subplots): each chart is
// drawn by Chart.js on its own canvas and composed; matrices draw straight into their cell.
import type { ChartConfiguration } from 'chart.js';
import { figureCanvas } from './canvas.ts';
import { drawChart } from './chart.ts';
import { drawMatrix, type MatrixOptions } from './image.ts';
import { encodeCanvas } from './png.ts';
import { theme } from './theme.ts';

/** A matrix image as a panel: `{ matrix: { data, rows, cols, … } }`. */
export interface ImagePanel {
  matrix: MatrixOptions;
}

export type Panel = ChartConfiguration | ImagePanel;

export interface PanelLayout {
  /** Panels per row (default: up to 3). */
  columns?: number;
  /** Figure title above the grid. */
  title?: string;
  /** Logical height of each panel (default 420). */
  panelHeight?: number;
  /** Logical width of the figure (default theme.width). */
  width?: number;
}

export function isImagePanel(panel: Panel): panel is ImagePanel {
  return 'matrix' in panel;
}

/** Cell boxes in logical px for n panels (exported so tests and callers can find each panel). */
export function panelBoxes(n: number, layout: PanelLayout = {}) {
  const width = layout.width ?? theme.width;
  const columns = layout.columns ?? Math.min(n, 3);
  const panelHeight = layout.panelHeight ?? 420;
  if (!Number.isInteger(n) || n < 1 || n > 48) throw new Error(`renderPanels: panels must number 1–48 (got ${n})`);
  if (!Number.isInteger(columns) || columns < 1 || columns > 6) throw new Error(`renderPanels: columns must be an integer in 1–6 (got ${columns})`);
  if (!(panelHeight >= 150 && panelHeight <= 1500)) throw new Error(`renderPanels: panelHeight must be in 150–1500 px (got ${panelHeight})`);
  if (!(width >= 300 && width <= 4000)) throw new Error(`renderPanels: width must be in 300–4000 px (got ${width})`);
  const titleHeight = layout.title ? theme.titleSize + 24 : 0;
  const rows = Math.ceil(n / columns);
  const panelWidth = Math.floor(width / columns);
  const boxes = Array.from({ length: n }, (_, i) => ({
    x: (i % columns) * panelWidth,
    y: titleHeight + Math.floor(i / columns) * panelHeight,
    width: panelWidth,
    height: panelHeight,
  }));
  return { width, height: titleHeight + rows * panelHeight, titleHeight, boxes };
}

/** One PNG with the panels laid out row by row. */
export async function renderPanels(panels: Panel[], layout: PanelLayout = {}): Promise<Buffer> {
  const { width, height, boxes } = panelBoxes(panels.length, layout);
  const dpr = theme.pixelRatio;
  const { canvas, ctx } = figureCanvas(width, height);
  if (layout.title) {
    ctx.fillStyle = theme.foreground;
    ctx.font = `bold ${theme.titleSize + 2}px ${theme.fontFamily}`;
    ctx.textAlign = 'center';
    ctx.textBaseline = 'top';
    ctx.fillText(layout.title, width / 2, 12);
  }
  panels.forEach((panel, i) => {
    const box = boxes[i];
    if (isImagePanel(panel)) {
      drawMatrix(ctx, panel.matrix, box, dpr);
      return;
    }
    const chart = drawChart(panel, { width: box.width, height: box.height });
    try {
      ctx.drawImage(chart.canvas, box.x, box.y, box.width, box.height);
    } finally {
      chart.dispose();
    }
  });
  return encodeCanvas(canvas);
}
