import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { renderChart } from '../../src/render/chart.ts';
import { decodePng } from '../../src/render/png.ts';
import {
  barChart, decimateMinMax, histogram, histogramChart, lineChart, linearFit, scatterChart, seriesPoints, stemChart, twinAxesChart,
} from '../../src/render/charts.ts';
import { theme } from '../../src/render/theme.ts';
import { checkFigure, medianMs } from './helpers.ts';

const size = { width: theme.width, height: theme.height };
const wave = Array.from({ length: 300 }, (_, i) => Math.sin(i / 20));

describe('chart builders', () => {
  it('each builder draws a non-blank 2× PNG on the dark background', async () => {
    const configs = {
      scatter: scatterChart({
        title: 'r = 0.7', xLabel: 'x', yLabel: 'y', fitLine: true, identityLine: true,
        series: [{ label: 'pairs', points: wave.map((y, i) => [i / 100, y] as [number, number]), pointLabels: wave.map((_, i) => `p${i}`) }],
        annotations: [{ kind: 'note', text: 'r = 0.70' }],
      }),
      line: lineChart({ title: 'Zipf', logX: true, logY: true, series: [{ label: 'book', x: wave.map((_, i) => i + 1), values: wave.map((_, i) => 1000 / (i + 1)) }] }),
      stem: stemChart({ title: 'spectrum', series: [{ label: 'amplitude', values: wave.map(Math.abs) }], mark: { index: 31, label: '3 Hz' } }),
      bar: barChart({ title: 'top tokens', horizontal: true, categories: [' the', ' a', ' coffee'], series: [{ label: 'p', values: [0.5, 0.3, 0.2] }] }),
      histogram: histogramChart({ title: 'Q', density: true, series: [{ label: 'Q', values: wave }, { label: 'K', values: wave.map((v) => v * 2) }] }),
      twin: twinAxesChart({ categories: ['en', 'de', 'zh'], left: { label: 'tokens', values: [10, 14, 30] }, right: { label: 'chars', values: [50, 60, 20] }, kinds: ['bar', 'line'] }),
      complex: lineChart({ title: 'complex sine', series: [{ label: 'real', values: wave }, { label: 'imag', values: wave.map((v) => -v), dashed: true }], annotations: [{ kind: 'vline', x: 150, label: 'here' }] }),
      coloured: scatterChart({ colorScale: { colormap: 'plasma', label: 'third value' }, series: [{ label: 'pts', points: wave.map((y, i) => [i, y] as [number, number]), colorValues: wave }] }),
    };
    // Half size keeps the file fast; the full-size path is covered by the tests below.
    const small = { width: 600, height: 360 };
    for (const [name, config] of Object.entries(configs)) {
      await checkFigure(await renderChart(config, small), name, small);
    }
  });

  it('renders a chart within the time budget (< 500 ms, loose for a busy machine)', async () => {
    const config = lineChart({ title: 't', x: wave.map((_, i) => i), series: [{ label: 'a', values: wave }, { label: 'b', values: wave.map((v) => v / 2) }] });
    const ms = await medianMs(() => renderChart(config));
    assert.ok(ms < 500, `${ms.toFixed(0)} ms`);
  });

  it('draws 50k stems (logits over the GPT-2 vocabulary) within the budget', async () => {
    const logits = Float32Array.from({ length: 50257 }, (_, i) => Math.sin(i) * 3 - 100);
    const config = stemChart({ series: [{ label: 'logits', values: logits }], baseline: -104, mark: { index: 6891, label: 'coffee' } });
    const t = performance.now();
    await renderChart(config);
    const ms = performance.now() - t;
    assert.ok(ms < 1500, `${ms.toFixed(0)} ms`);
  });

  it('keeps every point of an unsorted scatter cloud', async () => {
    // Chart.js assumes sorted x when parsing is off; points at both ends must still be drawn.
    const config = scatterChart({ xMin: 0, xMax: 10, series: [{ label: 'p', color: '#ff0000', points: [[10, 0], [0, 0], [5, 0]] }] });
    const img = await checkFigure(await renderChart(config), 'scatter-ends', size);
    const red = (x0: number, x1: number) => {
      let n = 0;
      // Above the x axis, where the outline runs along zero under an empty bin.
      for (let y = 0; y < img.height * 0.85; y += 2) for (let x = x0; x < x1; x += 2) {
        const [r, g, b] = img.pixel(x, y);
        if (r > 200 && g < 60 && b < 60) n++;
      }
      return n;
    };
    assert.ok(red(0, img.width * 0.15) > 0, 'point at x = 0 missing');
    assert.ok(red(img.width * 0.85, img.width) > 0, 'point at x = 10 missing');
  });

  it('marks the chosen stem and rejects a mark outside the data', () => {
    const config = stemChart({ series: [{ label: 's', values: [1, 2, 3] }], mark: { index: 1, label: 'two' } });
    const anns = config.options?.plugins?.labOverlays?.annotations ?? [];
    assert.deepEqual(anns.find((a) => a.kind === 'marker'), { kind: 'marker', x: 1, y: 2, label: 'two', color: theme.highlight });
    assert.throws(() => stemChart({ series: [{ label: 's', values: [1, 2, 3] }], mark: { index: 7 } }), /stemChart: mark index 7 is not a point of "s" \(3 points\)/);
  });

  it('drops non-positive points on log axes and non-finite ones everywhere', () => {
    const pts = seriesPoints({ label: 'z', values: [0, 1, NaN, 4] }, { logY: true });
    assert.deepEqual(pts, [{ x: 1, y: 1 }, { x: 3, y: 4 }]);
  });

  it('names the builder, the series and the limit in errors', () => {
    assert.throws(() => lineChart({ series: [{ label: 'empty' }] }), /lineChart: series "empty" needs points or values/);
    assert.throws(() => barChart({ categories: ['a', 'b'], series: [{ label: 'v', values: [1] }] }), /barChart: series "v" has 1 values for 2 categories/);
    assert.throws(() => lineChart({ x: [1, 2], series: [{ label: 'v', values: [1, 2, 3] }] }), /series "v" has 3 values but 2 x values/);
    assert.throws(() => histogram([1, 2], { bins: 0 }), /bins must be an integer in 1–10000/);
  });
});

describe('decimateMinMax', () => {
  it('keeps ends and every column\'s extremes while dropping the rest', () => {
    const pts = Array.from({ length: 100_000 }, (_, i) => ({ x: i, y: Math.sin(i / 7) * (i === 77_777 ? 5 : 1) }));
    const out = decimateMinMax(pts, false, 1000);
    assert.ok(out.length <= 4000 && out.length >= 1000, `${out.length} points`);
    assert.deepEqual(out[0], pts[0]);
    assert.deepEqual(out.at(-1), pts.at(-1));
    assert.ok(out.some((p) => p.x === 77_777), 'the spike survives');
    for (let i = 1; i < out.length; i++) assert.ok(out[i].x > out[i - 1].x, 'x stays sorted');
    const short = pts.slice(0, 100);
    assert.equal(decimateMinMax(short, false, 1000), short);
  });
});

describe('histogram and fit helpers', () => {
  it('counts every value in range, like numpy.histogram', () => {
    const h = histogram([0, 0.1, 0.5, 0.99, 1, NaN, 2], { bins: 2, range: [0, 1] });
    assert.deepEqual(h.edges, [0, 0.5, 1]);
    assert.deepEqual(h.counts, [2, 3]); // the last bin includes its right edge; 2 and NaN are out
  });

  it('draws each bin at its own height (all values in the right bin: only the right half is filled)', async () => {
    const png = await renderChart(histogramChart({ title: 'H', range: [0, 1], bins: 2, series: [{ label: 'v', values: [0.6, 0.7, 0.8, 0.9], color: '#ff0000' }] }), size);
    const img = await decodePng(png);
    const red = (x0: number, x1: number) => {
      let n = 0;
      // Above the x axis, where the outline runs along zero under an empty bin.
      for (let y = 0; y < img.height * 0.85; y += 2) for (let x = x0; x < x1; x += 2) {
        const [r, g] = img.pixel(x, y);
        if (r > 100 && g < 60) n++;
      }
      return n;
    };
    const mid = img.width / 2;
    assert.ok(red(mid + 20, img.width) > 1000, 'the full bin is drawn');
    assert.ok(red(0, mid - 60) < 50, 'the empty bin stays empty');
  });

  it('has unit area with density', () => {
    const values = Array.from({ length: 1000 }, (_, i) => Math.sin(i) * 3);
    const h = histogram(values, { bins: 30, density: true });
    const width = h.edges[1] - h.edges[0];
    assert.ok(Math.abs(h.counts.reduce((a, c) => a + c * width, 0) - 1) < 1e-9);
  });

  it('fits a line through exact points', () => {
    const fit = linearFit([{ x: 0, y: 1 }, { x: 1, y: 3 }, { x: 2, y: 5 }])!;
    assert.ok(Math.abs(fit.slope - 2) < 1e-12 && Math.abs(fit.intercept - 1) < 1e-12);
    assert.equal(linearFit([{ x: 1, y: 1 }, { x: 1, y: 2 }]), undefined);
  });
});
