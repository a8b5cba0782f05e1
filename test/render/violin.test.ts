import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { renderChart } from '../../src/render/chart.ts';
import { renderPanels } from '../../src/render/panels.ts';
import { violinChart, violinOutline, type Violin } from '../../src/render/violin.ts';
import { checkFigure } from './helpers.ts';

const ramp = (lo: number, hi: number, n: number) => Array.from({ length: n }, (_, i) => lo + ((hi - lo) * i) / (n - 1));

/** Density rising towards the top (widest at y = 10). */
const rising: Violin = { position: 1, y: ramp(0, 10, 50), density: ramp(0.01, 1, 50), min: 0, max: 10, color: '#ff0000' };
/** Density falling towards the top (widest at y = 0). */
const falling: Violin = { position: 2, y: ramp(0, 10, 50), density: ramp(2, 0.02, 50), min: 0, max: 10, color: '#0000ff' };

describe('violin outline', () => {
  test('half-widths follow the density, the widest is width / 2, mirrored about the position', () => {
    const o = violinOutline(falling, 0.5);
    assert.equal(o.halfWidths[0], 0.25);
    assert.ok(Math.abs(o.halfWidths[49] - 0.25 * 0.01) < 1e-12);
    assert.equal(o.polygon.length, 100);
    // Right side up, left side down: point k and its mirror share y and sit symmetric about x = 2.
    for (let k = 0; k < 50; k++) {
      const r = o.polygon[k];
      const l = o.polygon[99 - k];
      assert.equal(r.y, l.y);
      assert.ok(Math.abs(r.x - 2 - (2 - l.x)) < 1e-12);
    }
  });

  test('a zero density gives a flat line, not NaN', () => {
    const o = violinOutline({ position: 0, y: [1, 2], density: [0, 0], min: 1, max: 2 });
    assert.deepEqual(o.halfWidths, [0, 0]);
  });
});

describe('violinChart', () => {
  test('bad input names the violin and the problem', () => {
    assert.throws(() => violinChart({ violins: [] }), /violins must not be empty/);
    assert.throws(() => violinChart({ violins: [{ ...rising, density: [1, 2] }] }), /violin 0 has 50 y values for 2 densities/);
    assert.throws(() => violinChart({ violins: [rising, { ...falling, y: [...falling.y].reverse() }] }), /violin 1: y must be strictly increasing/);
    assert.throws(() => violinChart({ violins: [{ ...rising, density: rising.density.map((d) => -d) }] }), /not a finite, non-negative density/);
    assert.throws(() => violinChart({ violins: [{ ...rising, min: 5, max: 1 }] }), /max \(1\) is below min \(5\)/);
  });

  test('ticks sit at the positions, and a √ axis can be labelled in squares', () => {
    const config = violinChart({ violins: [rising, falling], yTicks: [{ value: 0, label: '0' }, { value: 3, label: '9' }] });
    const scales = config.options!.scales as Record<string, { afterBuildTicks: (s: { ticks: { value: number }[] }) => void; ticks: { callback: (v: number) => string } }>;
    const x = { ticks: [] as { value: number }[] };
    scales.x.afterBuildTicks(x);
    assert.deepEqual(x.ticks, [{ value: 1 }, { value: 2 }]);
    const y = { ticks: [] as { value: number }[] };
    scales.y.afterBuildTicks(y);
    assert.deepEqual(y.ticks.map((t) => scales.y.ticks.callback(t.value)), ['0', '9']);
    assert.equal(scales.x.ticks.callback(2), '2');
  });

  test('the value axis stretches to the given ticks; ticks outside a fixed range are dropped', () => {
    const wide = violinChart({ violins: [rising], yTicks: [{ value: -5, label: 'a' }, { value: 20, label: 'b' }] });
    const y = (wide.options!.scales as Record<string, { min?: number; max?: number }>).y;
    assert.deepEqual([y.min, y.max], [-5, 20]);
    const fixedRange = violinChart({ violins: [rising], yMin: 0, yMax: 10, yTicks: [{ value: 5, label: '25' }, { value: 20, label: '400' }] });
    const s = (fixedRange.options!.scales as Record<string, { afterBuildTicks: (s: { ticks: { value: number }[] }) => void }>).y;
    const ticks = { ticks: [] as { value: number }[] };
    s.afterBuildTicks(ticks);
    assert.deepEqual(ticks.ticks, [{ value: 5 }]);
  });

  test('renders the bodies where the densities put them', async () => {
    const png = await renderChart(violinChart({ title: 'Two violins', xLabel: 'group', yLabel: 'value', violins: [rising, falling], bodyAlpha: 1 }), { width: 600, height: 400 });
    const img = await checkFigure(png, 'violins', { width: 600, height: 400 });
    const red: { x: number; y: number }[] = [];
    const blue: { x: number; y: number }[] = [];
    for (let y = 0; y < img.height; y++) {
      for (let x = 0; x < img.width; x++) {
        const [r, g, b] = img.pixel(x, y);
        if (r === 255 && g === 0 && b === 0) red.push({ x, y });
        if (r === 0 && g === 0 && b === 255) blue.push({ x, y });
      }
    }
    assert.ok(red.length > 2000 && blue.length > 2000, `${red.length} red, ${blue.length} blue pixels`);
    const meanX = (pts: { x: number }[]) => pts.reduce((s, p) => s + p.x, 0) / pts.length;
    assert.ok(meanX(red) < meanX(blue), 'position 1 left of position 2');
    // Rising density: most red ink in the upper half of its extent; falling: most blue in the lower.
    const upperShare = (pts: { y: number }[]) => {
      const ys = pts.map((p) => p.y);
      const mid = (Math.min(...ys) + Math.max(...ys)) / 2;
      return pts.filter((p) => p.y < mid).length / pts.length;
    };
    assert.ok(upperShare(red) > 0.7, `red upper share ${upperShare(red)}`);
    assert.ok(upperShare(blue) < 0.3, `blue upper share ${upperShare(blue)}`);
  });

  test('composes in panels with other charts', async () => {
    const png = await renderPanels([violinChart({ violins: [rising] }), violinChart({ violins: [falling], width: 0.8 })], { columns: 2, panelHeight: 300, width: 800 });
    await checkFigure(png, 'violin panels', { width: 800, height: 300 });
  });
});
