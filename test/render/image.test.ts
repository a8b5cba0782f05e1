import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { colormap } from '../../src/render/colormaps.ts';
import { renderMatrix } from '../../src/render/image.ts';
import { decodePng } from '../../src/render/png.ts';
import { theme } from '../../src/render/theme.ts';
import { checkFigure, medianMs } from './helpers.ts';

const size = { width: theme.width, height: theme.height };

describe('renderMatrix', () => {
  it('draws a 1024 × 768 matrix with a colour bar within the time budget', async () => {
    const data = Float32Array.from({ length: 1024 * 768 }, (_, i) => Math.sin(i / 997) + ((i * 7919) % 13) / 13);
    const opts = { data, rows: 1024, cols: 768, title: 'embeddings', xLabel: 'dimension', yLabel: 'token', colorbarLabel: 'value', symmetric: true };
    await checkFigure(await renderMatrix(opts), 'embeddings', size);
    // 300 ms on an idle machine; loose here because tests share the cores.
    const ms = await medianMs(() => renderMatrix(opts), 1);
    assert.ok(ms < 1000, `${ms.toFixed(0)} ms`);
  });

  it('colours cells by value (gray: low black, high white), row 0 on top', async () => {
    // 2 × 2 [[0, 1], [1, 0]], filling the area: sample each quadrant's centre.
    const png = await renderMatrix({ data: [0, 1, 1, 0], rows: 2, cols: 2, colormap: 'gray', colorbar: false, aspect: 'auto', annotate: false, width: 600, height: 400 });
    const img = await decodePng(png);
    const at = (fx: number, fy: number) => img.pixel(img.width * fx, img.height * fy).slice(0, 3);
    assert.deepEqual(at(0.3, 0.3), colormap('gray')(0));
    assert.deepEqual(at(0.75, 0.3), colormap('gray')(1));
    assert.deepEqual(at(0.3, 0.7), colormap('gray')(1));
    const lower = await decodePng(await renderMatrix({ data: [0, 1, 1, 0], rows: 2, cols: 2, colormap: 'gray', colorbar: false, aspect: 'auto', annotate: false, origin: 'lower', width: 600, height: 400 }));
    assert.deepEqual(lower.pixel(lower.width * 0.3, lower.height * 0.7).slice(0, 3), colormap('gray')(0));
  });

  it('draws masked (−Infinity) cells as empty, not as the lowest colour', async () => {
    const img = await decodePng(await renderMatrix({ data: [0.2, -Infinity, 0.5, 0.3], rows: 2, cols: 2, colormap: 'viridis', colorbar: false, aspect: 'auto', annotate: false, width: 600, height: 400 }));
    const surface = parseInt(theme.surface.slice(1), 16);
    assert.deepEqual(img.pixel(img.width * 0.75, img.height * 0.3).slice(0, 3), [surface >> 16, (surface >> 8) & 255, surface & 255]);
  });

  it('labels tokens and numeric extents without failing on long or odd labels', async () => {
    const tokens = ['<|endoftext|>', ' a', '\n', ' extraordinarily-long-token'];
    await checkFigure(await renderMatrix({ data: new Float32Array(16).map((_, i) => i), rows: 4, cols: 4, xTicks: tokens, yTicks: tokens, title: 'attention' }), 'tokens', size);
    await checkFigure(await renderMatrix({ data: new Float32Array(12 * 100).map((_, i) => i % 100), rows: 12, cols: 100, xRange: [-4, 4], origin: 'lower', title: 'histograms' }), 'extent', size);
  });

  it('rejects inconsistent input, naming the option', async () => {
    await assert.rejects(renderMatrix({ data: [1, 2, 3], rows: 2, cols: 2 }), /data has 3 values, expected rows × cols = 2 × 2 = 4/);
    await assert.rejects(renderMatrix({ data: [1, 2], rows: 1, cols: 2, xTicks: ['a'] }), /xTicks has 1 labels for 2 columns/);
    await assert.rejects(renderMatrix({ data: [1, 2], rows: 1, cols: 2, vmin: 2, vmax: 1 }), /vmax \(1\) must be greater than vmin \(2\)/);
  });
});
