import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as d3 from 'd3-scale-chromatic';
import { colorLimits, colormap, colormapLut, colormapNames, contrastingText, isColormapName } from '../../src/render/colormaps.ts';

function d3rgb(css: string): number[] {
  if (css.startsWith('#')) {
    const n = parseInt(css.slice(1), 16);
    return [n >> 16, (n >> 8) & 255, n & 255];
  }
  return css.match(/\d+/g)!.slice(0, 3).map(Number);
}

describe('colormaps', () => {
  it('match d3-scale-chromatic at 0, 0.5 and 1', () => {
    const pairs = [
      ['plasma', d3.interpolatePlasma],
      ['magma', d3.interpolateMagma],
      ['viridis', d3.interpolateViridis],
      ['Reds', d3.interpolateReds],
    ] as const;
    for (const [name, ref] of pairs) {
      for (const t of [0, 0.5, 1]) assert.deepEqual(colormap(name)(t), d3rgb(ref(t)), `${name}(${t})`);
    }
  });

  it('bwr is RdBu reversed (blue low, red high) and gray runs black to white', () => {
    for (const t of [0, 0.5, 1]) assert.deepEqual(colormap('bwr')(t), d3rgb(d3.interpolateRdBu(1 - t)));
    const [r0, , b0] = colormap('bwr')(0);
    assert.ok(b0 > r0, 'bwr(0) is blue');
    assert.deepEqual(colormap('gray')(0), [0, 0, 0]);
    assert.deepEqual(colormap('gray')(1), [255, 255, 255]);
  });

  it('clamps t and builds a LUT with the map at its ends', () => {
    assert.deepEqual(colormap('viridis')(-3), colormap('viridis')(0));
    assert.deepEqual(colormap('viridis')(7), colormap('viridis')(1));
    const lut = colormapLut('magma');
    assert.equal(lut.length, 256 * 3);
    assert.deepEqual([...lut.slice(765)], colormap('magma')(1));
    assert.deepEqual([...lut.slice(0, 3)], colormap('magma')(0));
  });

  it('knows its names and rejects others', () => {
    for (const name of colormapNames) assert.equal(colormap(name)(0.3).length, 3);
    assert.equal(isColormapName('jet'), false);
    assert.throws(() => colormap('jet' as never), /unknown name "jet"/);
  });

  it('picks readable text colours', () => {
    assert.equal(contrastingText([255, 255, 200]), '#000000');
    assert.equal(contrastingText([20, 20, 80]), '#ffffff');
  });

  it('sets colour limits: given, symmetric around 0, and never zero-width', () => {
    assert.deepEqual(colorLimits([1, 2, NaN, -Infinity, 3], {}), [1, 3]);
    assert.deepEqual(colorLimits([-1, 3], { symmetric: true }), [-3, 3]);
    assert.deepEqual(colorLimits([1, 2], { vmin: 0 }), [0, 2]);
    const [lo, hi] = colorLimits([5, 5], {});
    assert.ok(lo < 5 && hi > 5);
  });
});
