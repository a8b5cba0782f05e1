import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { colormap } from '../../src/render/colormaps.ts';
import { layoutTextHeatmap, renderTextHeatmap, type TextHeatmapOptions } from '../../src/render/text-heatmap.ts';
import { theme } from '../../src/render/theme.ts';
import { BACKGROUND, checkFigure } from './helpers.ts';

const tokens = ['It', ' was', ' a', ' dark', ' and', ' storm', 'y', ' night', '.\n', 'The', ' rain', '   ', ' fell'];
const values = [NaN, 0.2, 0.1, 0.9, 0.3, 1.7, 0.5, 0.4, 0.6, 0.25, 0.35, 0.15, -0.4];
const opts: TextHeatmapOptions = { tokens, values, colormap: 'plasma', title: 'log-probability', legendLabel: 'scaled', maxWidth: 600 };

describe('renderTextHeatmap', () => {
  it('colours each box by its value: the highest is the top colour, the lowest the bottom', async () => {
    const layout = layoutTextHeatmap(opts);
    const png = await renderTextHeatmap(opts);
    const img = await checkFigure(png, 'text heatmap', { width: layout.width, height: layout.height });
    const dpr = theme.pixelRatio;
    // Sample inside the box's left edge, clear of the text.
    const fill = (i: number) => img.pixel((layout.boxes[i].x + 1) * dpr, (layout.boxes[i].y + 2) * dpr).slice(0, 3);
    assert.deepEqual(fill(values.indexOf(1.7)), colormap('plasma')(1));
    assert.deepEqual(fill(values.indexOf(-0.4)), colormap('plasma')(0));
    assert.deepEqual(fill(3), layout.boxes[3].color);
    // No value: an outlined, unfilled box.
    assert.equal(layout.boxes[0].color, null);
    const inside = img.pixel((layout.boxes[0].x + layout.boxes[0].width / 2) * dpr, (layout.boxes[0].y + 3) * dpr).slice(0, 3);
    assert.deepEqual(inside, BACKGROUND);
  });

  it('breaks the line after a newline token and keeps leading spaces', () => {
    const { boxes } = layoutTextHeatmap(opts);
    const newline = tokens.indexOf('.\n');
    assert.equal(boxes[newline].text, '.↵');
    assert.equal(boxes[newline + 1].x, boxes[0].x);
    assert.ok(boxes[newline + 1].y > boxes[newline].y);
    assert.equal(boxes[1].text, ' was');
    assert.ok(boxes[11].width > boxes[6].width, 'a box of three spaces is wider than one letter');
  });

  it('wraps long text inside maxWidth and honours vmin/vmax', () => {
    const many = Array.from({ length: 300 }, (_, i) => ` word${i}`);
    const layout = layoutTextHeatmap({ tokens: many, values: many.map((_, i) => i), maxWidth: 500, vmin: 0, vmax: 100 });
    assert.ok(new Set(layout.boxes.map((b) => b.y)).size > 10);
    for (const b of layout.boxes) assert.ok(b.x + b.width <= 500 - 20 + 1e-9, `box ${b.index} overflows`);
    assert.deepEqual(layout.boxes[250].color, colormap('viridis')(1), 'clamped above vmax');
  });

  it('rejects mismatched input, naming the option and the limit', () => {
    assert.throws(() => layoutTextHeatmap({ tokens: ['a', 'b'], values: [1] }), /values has 1 entries for 2 tokens/);
    assert.throws(() => layoutTextHeatmap({ tokens: ['a'], values: [1], maxWidth: 100 }), /maxWidth must be in 300–4000 px \(got 100\)/);
    assert.throws(() => layoutTextHeatmap({ tokens: [], values: [] }), /tokens must not be empty/);
  });
});
