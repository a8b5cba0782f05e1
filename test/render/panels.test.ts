import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { lineChart, scatterChart } from '../../src/render/charts.ts';
import { panelBoxes, renderPanels, type Panel } from '../../src/render/panels.ts';
import { theme } from '../../src/render/theme.ts';
import { checkFigure, inkIn } from './helpers.ts';

const line = (k: number) => lineChart({ title: `panel ${k}`, series: [{ label: 's', values: [1, 3, 2, 4].map((v) => v * k) }] });

describe('renderPanels', () => {
  it('places N panels on the grid, each with content, and leaves the unused cell empty', async () => {
    const panels: Panel[] = [
      line(1),
      scatterChart({ series: [{ label: 'p', points: [[0, 1], [1, 0], [2, 2]] }] }),
      { matrix: { data: [0, 1, 2, 3], rows: 2, cols: 2, title: 'matrix' } },
      line(2),
      line(3),
    ];
    const layout = { columns: 3, title: 'five panels', panelHeight: 300 };
    const { width, height, boxes } = panelBoxes(panels.length, layout);
    assert.equal(boxes.length, 5);
    const img = await checkFigure(await renderPanels(panels, layout), 'panels', { width, height });
    const dpr = theme.pixelRatio;
    for (const [i, b] of boxes.entries()) {
      const ink = inkIn(img, b.x * dpr, b.y * dpr, (b.x + b.width) * dpr, (b.y + b.height) * dpr);
      assert.ok(ink > 500, `panel ${i} is empty (${ink} pixels drawn)`);
    }
    // Sixth cell (row 2, column 3) has nothing in it.
    const empty = { x: boxes[2].x, y: boxes[4].y };
    assert.equal(inkIn(img, empty.x * dpr, empty.y * dpr, (empty.x + boxes[2].width) * dpr, (empty.y + 300) * dpr), 0);
  });

  it('rejects layouts outside their limits', async () => {
    await assert.rejects(renderPanels([line(1)], { columns: 0 }), /columns must be an integer in 1–6 \(got 0\)/);
    await assert.rejects(renderPanels([], {}), /panels must number 1–48 \(got 0\)/);
    assert.throws(() => panelBoxes(2, { panelHeight: 20 }), /panelHeight must be in 150–1500 px/);
  });
});
