import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { loadDataset, numericColumn } from '../../src/analyses/lib/datasets.ts';
import { pairGrid, pairGridData, pairGridLayout } from '../../src/render/pair-grid.ts';
import { checkFigure, inkIn } from './helpers.ts';

const table = await loadDataset('residential-building');
const vars = ['FloorArea', 'CPI', 'Price', 'Interest'].map((name) => ({ name, values: numericColumn(table, name) }));
const dpr = 2;

describe('pair grid numbers', () => {
  test("diagonal histograms use numpy's 'auto' bins (seaborn's default)", () => {
    const d = pairGridData({ variables: vars });
    assert.equal(d.n, 372);
    // numpy 2.4: np.histogram_bin_edges(col, bins='auto') and np.histogram on the bundled CSV.
    const expected: Record<string, { bins: number; first: number; last: number; counts: number[] }> = {
      FloorArea: { bins: 39, first: 200, last: 15670, counts: [68, 84, 51, 47, 40, 20, 12, 15] },
      CPI: { bins: 10, first: 11.62, last: 204.7, counts: [38, 50, 66, 39, 46, 48, 41, 25] },
      Price: { bins: 22, first: 50, last: 6800, counts: [46, 64, 64, 49, 39, 26, 21, 17] },
      Interest: { bins: 15, first: 11, last: 15, counts: [66, 0, 0, 8, 0, 0, 0, 0] },
    };
    for (const v of d.variables) {
      const e = expected[v.name]!;
      assert.equal(v.histogram.edges.length - 1, e.bins, v.name);
      assert.equal(v.histogram.edges[0], e.first, v.name);
      assert.equal(v.histogram.edges[e.bins], e.last, v.name);
      assert.deepEqual((v.histogram.counts as number[]).slice(0, 8), e.counts, v.name);
      assert.equal((v.histogram.counts as number[]).reduce((a, b) => a + b, 0), 372, v.name);
      // Axis ranges: the data's with matplotlib's 5% margins.
      const span = e.last - e.first;
      assert.ok(Math.abs(v.domain[0] - (e.first - 0.05 * span)) < 1e-9 && Math.abs(v.domain[1] - (e.last + 0.05 * span)) < 1e-9, v.name);
    }
  });

  test('a hue splits the histograms on shared edges and counts each level', () => {
    const interest = numericColumn(table, 'Interest');
    const d = pairGridData({
      variables: vars.slice(0, 2),
      hue: { values: interest.map((v) => (v > 14.5 ? 'high' : 'low')), levels: [{ value: 'low' }, { value: 'high', color: '#ff0000' }] },
      bins: 8,
    });
    assert.deepEqual(d.hueLevels!.map((l) => [l.label, l.n]), [['low', 132], ['high', 240]]); // python: sum(Interest > 14.5) = 240
    assert.equal(d.hueLevels![1]!.color, '#ff0000');
    const counts = d.variables[1]!.histogram.counts as number[][];
    assert.equal(counts.length, 2);
    assert.equal(counts[0]!.length, 8);
    assert.equal(counts.flat().reduce((a, b) => a + b, 0), 372);
  });

  test('bad input is refused with the reason', () => {
    assert.throws(() => pairGridData({ variables: [] }), /1–10 variables/);
    assert.throws(() => pairGridData({ variables: [{ name: 'a', values: [1, 2] }, { name: 'b', values: [1] }] }), /"b" has 1 values, "a" has 2/);
    assert.throws(() => pairGridData({ variables: vars, bins: 0 }), /bins must be 'auto' or an integer/);
    assert.throws(() => pairGridData({ variables: vars, hue: { values: [1, 2] } }), /hue has 2 values for 372 observations/);
    assert.throws(() => pairGridLayout({ variables: vars, aspect: 10 }), /aspect must be in 0.25–4/);
  });
});

describe('pair grid figure', () => {
  test('k × k cells of the same size, rows and columns aligned, inside the figure', () => {
    const layout = pairGridLayout({ variables: vars, title: 't' });
    assert.equal(layout.cells.length, 4);
    const c = layout.cells;
    for (let r = 0; r < 4; r++) {
      for (let k = 0; k < 4; k++) {
        assert.equal(c[r]![k]!.width, c[0]![0]!.width);
        assert.equal(c[r]![k]!.x, c[0]![k]!.x);
        assert.equal(c[r]![k]!.y, c[r]![0]!.y);
      }
    }
    assert.ok(Math.abs(c[0]![0]!.width / c[0]![0]!.height - 1.5) < 0.02); // seaborn's aspect=1.5
    assert.ok(c[3]![3]!.x + c[3]![3]!.width <= layout.width);
    assert.ok(c[3]![3]!.y + c[3]![3]!.height < layout.height);
  });

  test('renders every cell: histograms on the diagonal, points elsewhere; corner leaves the upper triangle empty', async () => {
    const opts = { variables: vars.slice(0, 3), title: 'Pair plot (3 variables)' };
    const png = await pairGrid(opts);
    const layout = pairGridLayout(opts);
    const img = await checkFigure(png, 'pair-grid', { width: layout.width, height: img0(png) });
    for (const row of layout.cells) {
      for (const cell of row) {
        const ink = inkIn(img, (cell.x + 4) * dpr, (cell.y + 4) * dpr, (cell.x + cell.width - 4) * dpr, (cell.y + cell.height - 4) * dpr);
        assert.ok(ink > 50, `cell at ${cell.x},${cell.y} has ${ink} ink pixels`);
      }
    }
    const corner = await pairGrid({ ...opts, corner: true });
    const cimg = await checkFigure(corner, 'pair-grid corner', { width: layout.width, height: img0(corner) });
    const upper = layout.cells[0]![2]!;
    assert.equal(inkIn(cimg, (upper.x + 4) * dpr, (upper.y + 4) * dpr, (upper.x + upper.width - 4) * dpr, (upper.y + upper.height - 4) * dpr), 0);
  });

  test('thousands of points with a hue render quickly', async () => {
    const bike = await loadDataset('seoul-bike');
    const variables = ['Rented Bike Count', 'Hour', 'Temperature(°C)', 'Humidity(%)'].map((name) => ({ name, values: numericColumn(bike, name) }));
    const t0 = performance.now();
    const png = await pairGrid({ variables, hue: { values: bike.rows.map((r) => r[11]!), name: 'Seasons' }, title: 'Seoul Bike' });
    const ms = performance.now() - t0;
    assert.ok(png.length < 8 * 1024 * 1024);
    assert.ok(ms < 10_000, `${ms} ms`); // ~0.3 s on an idle core; generous for a shared machine
  });
});

/** Logical height of a PNG (its IHDR height over the pixel ratio). */
function img0(png: Buffer): number {
  return png.readUInt32BE(20) / dpr;
}
