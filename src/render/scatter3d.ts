// A 3-D scatter (and line) plot drawn as matplotlib's 3-D axes draw it: the data box seen from an
// elevation and azimuth (view_init(elev, azim); matplotlib's defaults are 30° and −60°), box
// aspect 4:4:3, perspective projection with the eye 10 box units away (or orthographic), the three
// back panes filled and gridded, one bold axis line per axis on the pane edges matplotlib picks,
// tick labels and axis labels outside the box. Points are depth-sorted so nearer ones cover
// farther ones; lines are drawn in the order given.
import type { ChartConfiguration } from 'chart.js';
import type { SKRSContext2D } from '@napi-rs/canvas';
import { figureCanvas } from './canvas.ts';
import { drawChart } from './chart.ts';
import { ensureFonts } from './fonts.ts';
import { drawMatrix } from './image.ts';
import { isImagePanel, panelBoxes, type Panel, type PanelLayout } from './panels.ts';
import { encodeCanvas } from './png.ts';
import { seriesColor, theme } from './theme.ts';
import { formatNumber, niceTicks } from './ticks.ts';

ensureFonts();

export interface Series3d {
  label: string;
  x: ArrayLike<number>;
  y: ArrayLike<number>;
  z: ArrayLike<number>;
  /** A palette colour by position when omitted. */
  color?: string;
  /** Marker shape (matplotlib 'o' / 's'); 'none' draws only the line. Default 'circle'. */
  marker?: 'circle' | 'square' | 'none';
  /** Marker radius in logical px (default 4). */
  pointRadius?: number;
  /** Marker outline colour (matplotlib's 'ko' black edge); none when omitted. */
  edgeColor?: string;
  /** Connect the points in order with a line of this width (0 or omitted: no line). */
  lineWidth?: number;
  dashed?: boolean;
}

export type Range = readonly [number, number];

export interface View3d {
  /** Elevation in degrees above the x–y plane (matplotlib's default 30). */
  elev?: number;
  /** Azimuth in degrees around the z axis (matplotlib's default −60). */
  azim?: number;
  /** 'persp' (matplotlib's default, focal length 1) or 'ortho'. */
  projection?: 'persp' | 'ortho';
  /** Relative lengths of the box's x, y and z edges (matplotlib's default 4:4:3). */
  boxAspect?: readonly [number, number, number];
}

export interface Scatter3dOptions extends View3d {
  title?: string;
  subtitle?: string;
  xLabel?: string;
  yLabel?: string;
  zLabel?: string;
  series: Series3d[];
  /** Axis limits; default the data range plus 5 % on each side. */
  xLim?: Range;
  yLim?: Range;
  zLim?: Range;
  /** Tick labels per axis (matplotlib's `xticklabels=[]` is x: false). Grid lines stay. */
  tickLabels?: { x?: boolean; y?: boolean; z?: boolean };
  /** Shown when more than one series is labelled, unless set. */
  legend?: boolean;
}

export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

type Vec3 = [number, number, number];

const dot = (a: Vec3, b: Vec3) => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
const cross = (a: Vec3, b: Vec3): Vec3 => [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];

/** matplotlib's eye distance, in the units of its normalised box. */
const EYE_DISTANCE = 10;
/** matplotlib scales the box aspect to this length (set_box_aspect: 1.8294640721620434 · 25/24). */
const BOX_DIAGONAL = 1.8294640721620434 * (25 / 24);

export interface Projection3d {
  /** Data → screen units (right, up; not yet fitted to pixels) and depth (larger = farther). */
  project(x: number, y: number, z: number): { u: number; v: number; depth: number };
  /** Per axis: true when its back pane is the plane at the axis maximum (the far side). */
  paneAtMax: [boolean, boolean, boolean];
  limits: [Range, Range, Range];
  /** Unit vectors of the view in data-axis order: right, up, towards the viewer. */
  axes: { right: Vec3; up: Vec3; toViewer: Vec3 };
}

/**
 * The view transform of matplotlib's Axes3D.get_proj: data scaled into a box of the given aspect,
 * eye at box centre + 10 · (cos e cos a, cos e sin a, sin e), screen "right" = z × (eye direction)
 * and "up" = (eye direction) × right, then a perspective divide by depth (or none: ortho).
 */
export function projection3d(limits: [Range, Range, Range], view: View3d = {}): Projection3d {
  const elev = ((view.elev ?? 30) * Math.PI) / 180;
  const azim = ((view.azim ?? -60) * Math.PI) / 180;
  const aspect = view.boxAspect ?? [4, 4, 3];
  const norm = Math.hypot(...aspect);
  const box = aspect.map((a) => (a * BOX_DIAGONAL) / norm) as Vec3;
  const toViewer: Vec3 = [Math.cos(elev) * Math.cos(azim), Math.cos(elev) * Math.sin(azim), Math.sin(elev)];
  // z × toViewer, normalised, is (−sin a, cos a, 0) for every elevation (also straight above).
  const right: Vec3 = [-Math.sin(azim), Math.cos(azim), 0];
  const up = cross(toViewer, right);
  const ortho = view.projection === 'ortho';
  const toBox = (p: Vec3): Vec3 => p.map((c, i) => {
    const [lo, hi] = limits[i];
    return ((c - lo) / (hi - lo) - 0.5) * box[i];
  }) as Vec3;
  const project = (x: number, y: number, z: number) => {
    const p = toBox([x, y, z]);
    const depth = EYE_DISTANCE - dot(p, toViewer); // distance from the eye along the view
    const u = dot(p, right);
    const v = dot(p, up);
    return ortho ? { u, v, depth } : { u: u / depth, v: v / depth, depth };
  };
  // The back pane of each axis is the plane farther from the eye.
  const paneAtMax = toViewer.map((c) => c < 0) as [boolean, boolean, boolean];
  return { project, paneAtMax, limits, axes: { right, up, toViewer } };
}

function dataRange(values: number[], given: Range | undefined): Range {
  if (given) {
    if (!(Number.isFinite(given[0]) && Number.isFinite(given[1]) && given[1] > given[0])) throw new Error(`scatter3d: limits must be finite and increasing (got ${given.join(', ')})`);
    return given;
  }
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) if (Number.isFinite(v)) [lo, hi] = [Math.min(lo, v), Math.max(hi, v)];
  if (!(hi >= lo)) return [0, 1];
  if (hi === lo) return [lo - 0.5, hi + 0.5];
  const pad = 0.05 * (hi - lo);
  return [lo - pad, hi + pad];
}

function validate(o: Scatter3dOptions): void {
  if (o.series.length === 0) throw new Error('scatter3d: at least one series is needed');
  for (const s of o.series) {
    if (s.x.length !== s.y.length || s.x.length !== s.z.length) {
      throw new Error(`scatter3d: series "${s.label}" has ${s.x.length} x, ${s.y.length} y and ${s.z.length} z values`);
    }
  }
  const elev = o.elev ?? 30;
  if (!(elev >= -90 && elev <= 90)) throw new Error(`scatter3d: elev must be in −90…90 degrees (got ${elev})`);
  if (o.boxAspect && !o.boxAspect.every((a) => a > 0)) throw new Error('scatter3d: boxAspect entries must be positive');
}

const tickFont = `${theme.fontSize - 2}px ${theme.fontFamily}`;
const labelFont = `bold ${theme.fontSize + 1}px ${theme.fontFamily}`;

/** The laid-out plot (exported for tests): where each box corner and axis ended up, in logical px. */
export interface Scatter3dLayout {
  toScreen(x: number, y: number, z: number): [number, number];
  projection: Projection3d;
  /** The plot area the box was fitted into. */
  area: Box;
}

/** Draw the plot into `box` of a canvas context already scaled to logical px. */
export function drawScatter3d(ctx: SKRSContext2D, o: Scatter3dOptions, box: Box): Scatter3dLayout {
  validate(o);
  const all = (k: 'x' | 'y' | 'z') => o.series.flatMap((s) => Array.from(s[k]));
  const limits: [Range, Range, Range] = [dataRange(all('x'), o.xLim), dataRange(all('y'), o.yLim), dataRange(all('z'), o.zLim)];
  const proj = projection3d(limits, o);
  const [[x0, x1], [y0, y1], [z0, z1]] = limits;

  ctx.save();
  ctx.beginPath();
  ctx.rect(box.x, box.y, box.width, box.height);
  ctx.clip();

  // Title, subtitle and legend across the top, as Chart.js panels have them.
  let top = box.y + 10;
  ctx.textAlign = 'center';
  ctx.textBaseline = 'top';
  if (o.title) {
    ctx.fillStyle = theme.foreground;
    ctx.font = `bold ${theme.titleSize}px ${theme.fontFamily}`;
    ctx.fillText(o.title, box.x + box.width / 2, top);
    top += theme.titleSize + 8;
  }
  if (o.subtitle) {
    ctx.fillStyle = theme.muted;
    ctx.font = `${theme.fontSize}px ${theme.fontFamily}`;
    ctx.fillText(o.subtitle, box.x + box.width / 2, top);
    top += theme.fontSize + 8;
  }
  const labelled = o.series.filter((s) => s.label && !s.label.startsWith('_'));
  if (o.legend ?? labelled.length > 1) top = drawLegend(ctx, o, labelled, box, top + 4);

  // Fit the projected box corners into what is left, leaving room for tick and axis labels.
  const area: Box = { x: box.x + 70, y: top + 24, width: box.width - 140, height: box.y + box.height - top - 24 - 56 };
  const corners: { u: number; v: number }[] = [];
  for (const x of [x0, x1]) for (const y of [y0, y1]) for (const z of [z0, z1]) corners.push(proj.project(x, y, z));
  const uMin = Math.min(...corners.map((c) => c.u));
  const uMax = Math.max(...corners.map((c) => c.u));
  const vMin = Math.min(...corners.map((c) => c.v));
  const vMax = Math.max(...corners.map((c) => c.v));
  const scale = Math.min(area.width / (uMax - uMin), area.height / (vMax - vMin));
  const cx = area.x + area.width / 2 - ((uMin + uMax) / 2) * scale;
  const cy = area.y + area.height / 2 + ((vMin + vMax) / 2) * scale;
  const toScreen = (x: number, y: number, z: number): [number, number] => {
    const p = proj.project(x, y, z);
    return [cx + p.u * scale, cy - p.v * scale];
  };
  const line = (a: [number, number], b: [number, number]) => {
    ctx.beginPath();
    ctx.moveTo(a[0], a[1]);
    ctx.lineTo(b[0], b[1]);
    ctx.stroke();
  };

  // The three back panes, filled, with grid lines at the ticks of the two axes in each.
  const far = proj.paneAtMax.map((m, i) => (m ? limits[i][1] : limits[i][0]));
  const near = proj.paneAtMax.map((m, i) => (m ? limits[i][0] : limits[i][1]));
  const ticks = limits.map(([lo, hi]) => niceTicks(lo, hi, 5));
  const at = (axis: number, value: number, base: number[]): Vec3 => {
    const p = [...base] as Vec3;
    p[axis] = value;
    return p;
  };
  for (let axis = 0; axis < 3; axis++) {
    const [a, b] = [0, 1, 2].filter((k) => k !== axis);
    const quad: Vec3[] = [];
    for (const [va, vb] of [[0, 0], [1, 0], [1, 1], [0, 1]]) {
      const p = [0, 0, 0] as Vec3;
      p[axis] = far[axis];
      p[a] = limits[a][va];
      p[b] = limits[b][vb];
      quad.push(p);
    }
    ctx.beginPath();
    quad.forEach((p, i) => {
      const [sx, sy] = toScreen(...p);
      if (i === 0) ctx.moveTo(sx, sy);
      else ctx.lineTo(sx, sy);
    });
    ctx.closePath();
    ctx.fillStyle = theme.surface;
    ctx.fill();
    ctx.strokeStyle = theme.grid;
    ctx.lineWidth = 1;
    for (const [along, across] of [[a, b], [b, a]]) {
      for (const t of ticks[along]) {
        const base = [0, 0, 0];
        base[axis] = far[axis];
        base[along] = t;
        line(toScreen(...at(across, limits[across][0], base)), toScreen(...at(across, limits[across][1], base)));
      }
    }
  }

  // Axis lines on matplotlib's edges: x at (near y, far z), y at (near x, far z), z at (near x, far y).
  const centre = toScreen((x0 + x1) / 2, (y0 + y1) / 2, (z0 + z1) / 2);
  const edges: [Vec3, Vec3][] = [
    [[x0, near[1], far[2]], [x1, near[1], far[2]]],
    [[near[0], y0, far[2]], [near[0], y1, far[2]]],
    [[near[0], far[1], z0], [near[0], far[1], z1]],
  ];
  const names = [o.xLabel, o.yLabel, o.zLabel];
  const showTicks = [o.tickLabels?.x ?? true, o.tickLabels?.y ?? true, o.tickLabels?.z ?? true];
  edges.forEach(([p0, p1], axis) => {
    const s0 = toScreen(...p0);
    const s1 = toScreen(...p1);
    ctx.strokeStyle = theme.axis;
    ctx.lineWidth = 1.5;
    line(s0, s1);
    // Outward: from the box centre to the edge's middle, without its component along the edge.
    const ex = s1[0] - s0[0];
    const ey = s1[1] - s0[1];
    const el = Math.hypot(ex, ey) || 1;
    let ox = (s0[0] + s1[0]) / 2 - centre[0];
    let oy = (s0[1] + s1[1]) / 2 - centre[1];
    const along = (ox * ex + oy * ey) / (el * el);
    ox -= along * ex;
    oy -= along * ey;
    const ol = Math.hypot(ox, oy) || 1;
    ox /= ol;
    oy /= ol;
    ctx.font = tickFont;
    ctx.fillStyle = theme.foreground;
    ctx.textAlign = ox > 0.35 ? 'left' : ox < -0.35 ? 'right' : 'center';
    ctx.textBaseline = oy > 0.35 ? 'top' : oy < -0.35 ? 'bottom' : 'middle';
    let reach = 10;
    for (const t of ticks[axis]) {
      const [tx, ty] = toScreen(...at(axis, t, p0));
      line([tx, ty], [tx + 5 * ox, ty + 5 * oy]);
      if (showTicks[axis]) {
        const text = formatNumber(t);
        ctx.fillText(text, tx + 9 * ox, ty + 9 * oy);
        const w = ctx.measureText(text).width;
        reach = Math.max(reach, 9 + Math.abs(ox) * w + Math.abs(oy) * (theme.fontSize - 2));
      }
    }
    if (names[axis]) {
      ctx.font = labelFont;
      const mx = (s0[0] + s1[0]) / 2 + (reach + 10) * ox;
      const my = (s0[1] + s1[1]) / 2 + (reach + 10) * oy;
      if (Math.abs(ey) > 2 * Math.abs(ex)) {
        // A (nearly) vertical axis, like z: the label runs along it, reading upwards, as
        // matplotlib draws it, so that it needs no more room beside the box than its height.
        ctx.save();
        ctx.translate(Math.min(Math.max(mx, box.x + theme.fontSize), box.x + box.width - theme.fontSize), my);
        ctx.rotate(-Math.PI / 2);
        ctx.textAlign = 'center';
        ctx.textBaseline = ox < 0 ? 'bottom' : 'top';
        ctx.fillText(names[axis]!, 0, 0);
        ctx.restore();
      } else {
        ctx.fillText(names[axis]!, mx, my);
      }
    }
  });

  // Lines in order, then every marker from far to near.
  o.series.forEach((s, si) => {
    if (!s.lineWidth) return;
    ctx.strokeStyle = s.color ?? seriesColor(si);
    ctx.lineWidth = s.lineWidth;
    ctx.setLineDash(s.dashed ? [6, 4] : []);
    ctx.beginPath();
    let pen = false;
    for (let i = 0; i < s.x.length; i++) {
      if (!(Number.isFinite(s.x[i]) && Number.isFinite(s.y[i]) && Number.isFinite(s.z[i]))) {
        pen = false;
        continue;
      }
      const [sx, sy] = toScreen(s.x[i], s.y[i], s.z[i]);
      if (pen) ctx.lineTo(sx, sy);
      else ctx.moveTo(sx, sy);
      pen = true;
    }
    ctx.stroke();
    ctx.setLineDash([]);
  });
  const markers: { sx: number; sy: number; depth: number; si: number }[] = [];
  o.series.forEach((s, si) => {
    if (s.marker === 'none') return;
    for (let i = 0; i < s.x.length; i++) {
      if (!(Number.isFinite(s.x[i]) && Number.isFinite(s.y[i]) && Number.isFinite(s.z[i]))) continue;
      const [sx, sy] = toScreen(s.x[i], s.y[i], s.z[i]);
      markers.push({ sx, sy, depth: proj.project(s.x[i], s.y[i], s.z[i]).depth, si });
    }
  });
  markers.sort((a, b) => b.depth - a.depth);
  for (const m of markers) drawMarker(ctx, o.series[m.si], m.si, m.sx, m.sy);
  ctx.restore();
  return { toScreen, projection: proj, area };
}

function drawMarker(ctx: SKRSContext2D, s: Series3d, si: number, x: number, y: number): void {
  const r = s.pointRadius ?? 4;
  ctx.beginPath();
  if (s.marker === 'square') ctx.rect(x - r * 0.9, y - r * 0.9, 1.8 * r, 1.8 * r);
  else ctx.arc(x, y, r, 0, 2 * Math.PI);
  ctx.fillStyle = s.color ?? seriesColor(si);
  ctx.fill();
  if (s.edgeColor) {
    ctx.strokeStyle = s.edgeColor;
    ctx.lineWidth = 1;
    ctx.stroke();
  }
}

function drawLegend(ctx: SKRSContext2D, o: Scatter3dOptions, labelled: Series3d[], box: Box, top: number): number {
  ctx.font = `${theme.fontSize}px ${theme.fontFamily}`;
  const items = labelled.map((s) => ({ s, si: o.series.indexOf(s), w: 26 + ctx.measureText(s.label).width + 16 }));
  const total = items.reduce((n, it) => n + it.w, 0);
  let x = box.x + (box.width - total) / 2;
  const y = top + theme.fontSize / 2 + 2;
  ctx.textAlign = 'left';
  ctx.textBaseline = 'middle';
  for (const { s, si, w } of items) {
    if (s.marker === 'none') {
      ctx.strokeStyle = s.color ?? seriesColor(si);
      ctx.lineWidth = Math.max(2, s.lineWidth ?? 2);
      ctx.beginPath();
      ctx.moveTo(x, y);
      ctx.lineTo(x + 20, y);
      ctx.stroke();
    } else {
      drawMarker(ctx, { ...s, pointRadius: 6 }, si, x + 10, y);
    }
    ctx.fillStyle = theme.foreground;
    ctx.fillText(s.label, x + 26, y);
    x += w;
  }
  return top + theme.fontSize + 10;
}

/** One 3-D plot as a PNG (2× density). */
export async function renderScatter3d(o: Scatter3dOptions, size: { width?: number; height?: number } = {}): Promise<Buffer> {
  const width = size.width ?? 900;
  const height = size.height ?? 700;
  const { canvas, ctx } = figureCanvas(width, height);
  drawScatter3d(ctx, o, { x: 0, y: 0, width, height });
  return encodeCanvas(canvas);
}

/** A 3-D plot as a panel of renderPanelsWith3d: `{ scatter3d: { … } }`. */
export interface Scatter3dPanel {
  scatter3d: Scatter3dOptions;
}

export function isScatter3dPanel(p: Panel | Scatter3dPanel): p is Scatter3dPanel {
  return 'scatter3d' in p;
}

/**
 * renderPanels (panels.ts) with 3-D plots allowed among the charts and images: the same grid,
 * title and cell sizes.
 */
export async function renderPanelsWith3d(panels: (Panel | Scatter3dPanel)[], layout: PanelLayout = {}): Promise<Buffer> {
  const { width, height, boxes } = panelBoxes(panels.length, layout);
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
    if (isScatter3dPanel(panel)) {
      drawScatter3d(ctx, panel.scatter3d, box);
      return;
    }
    if (isImagePanel(panel)) {
      drawMatrix(ctx, panel.matrix, box, theme.pixelRatio);
      return;
    }
    const chart = drawChart(panel as ChartConfiguration, { width: box.width, height: box.height });
    try {
      ctx.drawImage(chart.canvas, box.x, box.y, box.width, box.height);
    } finally {
      chart.dispose();
    }
  });
  return encodeCanvas(canvas);
}
