import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  autoBinEdges, autoBins, boxStats, categoricalPlotData, desaturate, jitterOffsets, percentile, renderCategoricalPlots,
} from '../../src/render/distribution-plots.ts';
import { decodePng } from '../../src/render/png.ts';
import { checkFigure, inkIn } from './helpers.ts';

const close = (a: number, b: number, tol = 1e-12) => assert.ok(Math.abs(a - b) <= tol, `${a} vs ${b}`);
const closeAll = (a: readonly number[], b: readonly number[], tol = 1e-12) => {
  assert.equal(a.length, b.length, `${a.length} values vs ${b.length}`);
  a.forEach((v, i) => close(v, b[i]!, tol));
};

// A fixed sample; expected values from numpy 2.4 (np.percentile, default 'linear';
// np.histogram_bin_edges(x, bins='auto')).
const x = [2.1, -0.3, 0.8, 1.7, -1.2, 0.05, 3.3, -2.2, 0.9, 0.4, -0.6, 1.1, 2.8, -0.9, 0.2, 0.0, 1.5, -1.8, 0.7, 4.1];
const skewed = [1, 1, 1, 1, 2, 2, 2, 3, 50];

describe('statistics behind the plots', () => {
  test('percentile is numpy.percentile (linear)', () => {
    const s = [...x].sort((a, b) => a - b);
    closeAll([25, 50, 75].map((p) => percentile(s, p)), [-0.375, 0.55, 1.55]);
    closeAll([25, 50, 75].map((p) => percentile([...skewed].sort((a, b) => a - b), p)), [1, 2, 2]);
    close(percentile([5], 30), 5);
    assert.ok(Number.isNaN(percentile([], 50)));
  });

  test('box statistics follow matplotlib: whiskers to the last point within 1.5·IQR, the rest fliers', () => {
    const b = boxStats(skewed);
    assert.deepEqual([b.q1, b.median, b.q3, b.iqr], [1, 2, 2, 1]);
    // Fences at 1 − 1.5 = −0.5 and 2 + 1.5 = 3.5: the whiskers end at the data, 1 and 3.
    assert.deepEqual([b.whiskerLow, b.whiskerHigh, b.fliers], [1, 3, [50]]);
    const c = boxStats([...x, NaN, Infinity]);
    assert.equal(c.n, 20);
    assert.deepEqual([c.whiskerLow, c.whiskerHigh, c.fliers], [-2.2, 4.1, []]);
    // A whisker never reaches inside the box, even when no point lies between box and fence.
    const d = boxStats([0, 10, 10, 10, 20]);
    assert.deepEqual([d.q1, d.q3, d.whiskerLow, d.whiskerHigh, d.fliers], [10, 10, 10, 10, [0, 20]]);
  });

  test("'auto' bins are numpy 2.4's (min of Sturges and Freedman–Diaconis floored at half the √n width)", () => {
    closeAll(autoBinEdges(x), [-2.2, -1.1500000000000001, -0.10000000000000009, 0.9500000000000002, 2.0, 3.05, 4.1], 1e-12);
    closeAll(autoBinEdges(skewed), [1.0, 9.166666666666666, 17.333333333333332, 25.5, 33.666666666666664, 41.83333333333333, 50.0], 1e-12);
    assert.deepEqual(autoBins(x), { bins: 6, range: [-2.2, 4.1] });
    assert.deepEqual(autoBinEdges([3, 3, 3]), [2.5, 3.5]); // no spread: one bin around the value, as numpy
    const ramp = Array.from({ length: 100000 }, (_, i) => i);
    assert.equal(autoBinEdges(ramp).length, 48); // len(np.histogram_bin_edges(np.arange(100000), 'auto'))
    assert.equal(autoBinEdges(ramp, { maxBins: 20 }).length, 21);
  });

  test('jitter: deterministic without a seed, reproducible with one, inside the width', () => {
    const a = jitterOffsets(500, 0.1);
    assert.deepEqual(jitterOffsets(500, 0.1), a);
    assert.ok(a.every((v) => v >= -0.1 && v <= 0.1));
    // Spread over the whole width, not clumped: every tenth of it is used.
    const deciles = new Set(a.map((v) => Math.min(9, Math.floor(((v + 0.1) / 0.2) * 10))));
    assert.equal(deciles.size, 10);
    const s = jitterOffsets(50, 0.2, 7);
    assert.deepEqual(jitterOffsets(50, 0.2, 7), s);
    assert.notDeepEqual(jitterOffsets(50, 0.2, 8), s);
    assert.ok(s.every((v) => Math.abs(v) <= 0.2));
  });

  test("desaturate scales HLS saturation (seaborn's saturation=0.75)", () => {
    assert.equal(desaturate('#808080', 0.75), '#808080'); // grey has no saturation
    assert.equal(desaturate('#ff0000', 0.5), '#bf4040'); // l = .5, s 1 → .5: (0.75, 0.25, 0.25)
    assert.equal(desaturate('#ff0000', 1), '#ff0000');
  });
});

describe('categorical plots', () => {
  const groups = [
    { label: 'a', values: x },
    { label: 'b', values: skewed.map((v) => v / 10) },
    { label: 'c', values: x.map((v) => -v) },
  ];

  test('data: one box per group, jitter per point, y range covering data and reference lines', () => {
    const d = categoricalPlotData({ groups, strip: true, hlines: [{ y: 6 }, { y: -6 }] });
    assert.equal(d.groups.length, 3);
    assert.deepEqual(d.groups[1]!.box.fliers, [5]);
    assert.equal(d.groups[0]!.jitter!.length, x.length);
    assert.ok(d.yDomain[0] < -6 && d.yDomain[1] > 6);
    assert.equal(categoricalPlotData({ groups }).groups[0]!.jitter, undefined);
    assert.throws(() => categoricalPlotData({ groups: [] }), /groups must not be empty/);
  });

  test('renders box + strip panels with the thresholds drawn', async () => {
    const png = await renderCategoricalPlots([
      { title: 'with strip', groups, strip: true, xLabel: 'feature', yLabel: 'z', hlines: [{ y: 3, color: '#e6b3b3' }] },
      { title: 'boxes only', groups, xLabel: 'feature', yLabel: 'z' },
    ], { title: 'Two panels' });
    const img = await checkFigure(png, 'categorical', { width: 1200, height: 640 + 18 + 24 });
    // Both panels carry ink in their plot areas; the figure is mostly background elsewhere.
    assert.ok(inkIn(img, 200, 300, 1100, 1200) > 500, 'left panel');
    assert.ok(inkIn(img, 1400, 300, 2300, 1200) > 500, 'right panel');
    const single = await decodePng(await renderCategoricalPlots([{ groups }], { width: 600, panelHeight: 500 }));
    assert.deepEqual([single.width, single.height], [1200, 1000]);
    await assert.rejects(renderCategoricalPlots([]), /1–12 panels/);
  });
});
