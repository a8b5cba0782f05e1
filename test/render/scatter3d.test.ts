import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { lineChart } from '../../src/render/charts.ts';
import { decodePng } from '../../src/render/png.ts';
import { drawScatter3d, projection3d, renderPanelsWith3d, renderScatter3d, type Range } from '../../src/render/scatter3d.ts';
import { figureCanvas } from '../../src/render/canvas.ts';
import { theme } from '../../src/render/theme.ts';
import { checkFigure, inkIn } from './helpers.ts';

const LIMITS: [Range, Range, Range] = [[-2, 2], [-1, 3], [0, 2]];
const POINTS: [number, number, number][] = [[1, 0.5, 1.5], [-2, -1, 0], [0.3, 2.7, 0.1]];

describe('projection3d', () => {
  // Expected values: matplotlib's Axes3D.get_proj pipeline written out in numpy (world_transformation
  // with box aspect 4:4:3 scaled to 1.8294640721620434·25/24, eye at R + 10·(cos e cos a, cos e sin a,
  // sin e), _view_transformation_uvw, _persp_transformation(−10, 10, 1) / _ortho_transformation(−10, 10)),
  // applied to POINTS in LIMITS; each row is the homogeneous result (x/w, y/w, z/w).
  const mpl = {
    'persp 20/20': [[-0.0248877252162, 0.0135453355068, -1.03000630394], [-0.032729573009, -0.0145884063048, -0.919996897948], [0.0449579289395, -0.0470329080298, -1.01051260753]],
    'ortho 30/-60': [[0.0183340894417, 0.00544680661681, 0.964791288551], [-0.0813110361317, -0.0495554617082, 1.00345313703], [0.0330299888023, -0.0151194256873, 1.05416952958]],
    'persp 20/60': [[-0.0335338757385, 0.0204882046601, -1.00959908111], [0.019957591567, -0.0129530643889, -0.916022587687], [0.0181389380051, -0.0560410336254, -1.03266042964]],
  } as const;
  const close = (a: number, b: number, what: string) => assert.ok(Math.abs(a - b) < 1e-9 * Math.max(1, Math.abs(b)), `${what}: ${a} vs ${b}`);

  it('matches matplotlib\'s perspective view (screen x, y; depth = −10 / z)', () => {
    for (const [key, view] of [['persp 20/20', { elev: 20, azim: 20 }], ['persp 20/60', { elev: 20, azim: 60 }]] as const) {
      const p = projection3d(LIMITS, view);
      POINTS.forEach((pt, i) => {
        const r = p.project(...pt);
        const [x, y, z] = mpl[key][i];
        close(r.u, x, `${key} u[${i}]`);
        close(r.v, y, `${key} v[${i}]`);
        close(r.depth, -10 / z, `${key} depth[${i}]`);
      });
    }
  });

  it('matches matplotlib\'s orthographic view (screen units ×10; depth = 10 z)', () => {
    const p = projection3d(LIMITS, { elev: 30, azim: -60, projection: 'ortho' });
    POINTS.forEach((pt, i) => {
      const r = p.project(...pt);
      const [x, y, z] = mpl['ortho 30/-60'][i];
      close(r.u, 10 * x, `u[${i}]`);
      close(r.v, 10 * y, `v[${i}]`);
      close(r.depth, 10 * z, `depth[${i}]`);
    });
  });

  it('puts the back panes on the far side (matplotlib\'s default view: x min, y max, z min)', () => {
    assert.deepEqual(projection3d(LIMITS).paneAtMax, [false, true, false]);
    assert.deepEqual(projection3d(LIMITS, { elev: -30, azim: 120 }).paneAtMax, [true, false, true]);
    // Straight from above: x to the right, y up, nothing degenerate.
    const top = projection3d(LIMITS, { elev: 90, azim: -90, projection: 'ortho' });
    const a = top.project(2, 1, 0);
    const b = top.project(2, 1, 2);
    assert.ok(Math.abs(a.u - b.u) < 1e-12 && Math.abs(a.v - b.v) < 1e-12);
    assert.ok(top.project(2, 1, 1).u > top.project(-2, 1, 1).u);
    assert.ok(top.project(0, 3, 1).v > top.project(0, -1, 1).v);
  });
});

describe('renderScatter3d', () => {
  it('draws a non-blank 2× PNG of the asked size, with points where the layout puts them', async () => {
    const png = await renderScatter3d({
      title: 'Rings', xLabel: 'x', yLabel: 'y', zLabel: 'Radius', elev: 20, azim: 20, tickLabels: { x: false, y: false },
      series: [{ label: 'one point', x: [0], y: [0], z: [1], color: '#ff0000', pointRadius: 8 }],
      xLim: [-2, 2], yLim: [-2, 2], zLim: [0, 2],
    }, { width: 600, height: 500 });
    const img = await checkFigure(png, 'scatter3d', { width: 600, height: 500 });
    // Re-do the layout on a scratch canvas to find the point, and check its pixel is red.
    const { ctx } = figureCanvas(600, 500);
    const layout = drawScatter3d(ctx, {
      title: 'Rings', xLabel: 'x', yLabel: 'y', zLabel: 'Radius', elev: 20, azim: 20, tickLabels: { x: false, y: false },
      series: [{ label: 'one point', x: [0], y: [0], z: [1], color: '#ff0000', pointRadius: 8 }],
      xLim: [-2, 2], yLim: [-2, 2], zLim: [0, 2],
    }, { x: 0, y: 0, width: 600, height: 500 });
    const [sx, sy] = layout.toScreen(0, 0, 1);
    assert.deepEqual(img.pixel(Math.round(sx * 2), Math.round(sy * 2)).slice(0, 3), [255, 0, 0]);
    // The box centre lands in the middle of the plot area.
    assert.ok(Math.abs(sx - (layout.area.x + layout.area.width / 2)) < 40, String(sx));
  });

  it('draws nearer points over farther ones, whatever the series order', async () => {
    // Looking along −x (elev 0, azim 0, orthographic): the two points share a screen spot; x = 1 is nearer.
    const opts = (order: 'near-first' | 'far-first') => {
      const near = { label: 'near', x: [1], y: [0], z: [0], color: '#00ff00', pointRadius: 10 };
      const far = { label: 'far', x: [-1], y: [0], z: [0], color: '#0000ff', pointRadius: 10 };
      return { elev: 0, azim: 0, projection: 'ortho' as const, xLim: [-2, 2] as Range, yLim: [-2, 2] as Range, zLim: [-2, 2] as Range, legend: false, series: order === 'near-first' ? [near, far] : [far, near] };
    };
    for (const order of ['near-first', 'far-first'] as const) {
      const png = await renderScatter3d(opts(order), { width: 400, height: 400 });
      const img = await decodePng(png);
      const { ctx } = figureCanvas(400, 400);
      const [sx, sy] = drawScatter3d(ctx, opts(order), { x: 0, y: 0, width: 400, height: 400 }).toScreen(1, 0, 0);
      assert.deepEqual(img.pixel(Math.round(sx * 2), Math.round(sy * 2)).slice(0, 3), [0, 255, 0], order);
    }
  });

  it('composes with Chart.js panels in one grid', async () => {
    const t = Array.from({ length: 200 }, (_, i) => i / 100);
    const png = await renderPanelsWith3d([
      lineChart({ title: 'parts', series: [{ label: 'cos', x: t, values: t.map((v) => Math.cos(2 * Math.PI * v)) }] }),
      { scatter3d: { title: 'helix', series: [{ label: 'e', x: t, y: t.map((v) => Math.cos(2 * Math.PI * v)), z: t.map((v) => Math.sin(2 * Math.PI * v)), marker: 'none', lineWidth: 2 }] } },
    ], { columns: 2, panelHeight: 400, title: 'Two panels' });
    const img = await checkFigure(png, 'panels', { width: theme.width, height: 400 + theme.titleSize + 24 });
    const mid = theme.width; // device px: the 3-D panel is the right half
    assert.ok(inkIn(img, 0, 100, mid, 800) > 500, 'left panel drawn');
    assert.ok(inkIn(img, mid, 100, 2 * mid, 800) > 500, 'right panel drawn');
  });

  it('rejects series of unequal length and impossible views', async () => {
    await assert.rejects(renderScatter3d({ series: [{ label: 'bad', x: [1, 2], y: [1], z: [1, 2] }] }), /series "bad" has 2 x, 1 y and 2 z values/);
    await assert.rejects(renderScatter3d({ elev: 120, series: [{ label: 'a', x: [1], y: [1], z: [1] }] }), /elev must be in/);
    await assert.rejects(renderScatter3d({ series: [] }), /at least one series/);
    await assert.rejects(renderScatter3d({ xLim: [1, 1], series: [{ label: 'a', x: [1], y: [1], z: [1] }] }), /limits must be finite and increasing/);
  });
});
