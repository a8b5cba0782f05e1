import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createCanvas } from '@napi-rs/canvas';
import { assertPng, decodePng, encodeRgba } from '../../src/render/png.ts';
import { theme } from '../../src/render/theme.ts';

describe('png', () => {
  it('encodes RGBA pixels that decode back exactly', async () => {
    const rgba = new Uint8Array(3 * 2 * 4).map((_, i) => (i % 4 === 3 ? 255 : (i * 37) % 256));
    const img = await decodePng(await encodeRgba(rgba, 3, 2));
    assert.equal(img.width, 3);
    assert.equal(img.height, 2);
    assert.deepEqual([...img.data], [...rgba]);
  });

  it('rejects non-PNG bytes and oversized figures, naming the figure', () => {
    assert.throws(() => assertPng(Buffer.from('GIF89a not a png at all, not at all'), 'spectrum'), /spectrum: not a PNG/);
    const huge = Buffer.alloc(theme.maxPngBytes + 1);
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]).copy(huge);
    assert.throws(() => assertPng(huge, 'embeddings'), /embeddings: PNG is 8\.0 MB, over the 8\.0 MB limit/);
  });

  it('calls a one-colour image blank', async () => {
    const canvas = createCanvas(50, 50);
    const ctx = canvas.getContext('2d');
    ctx.fillStyle = theme.background;
    ctx.fillRect(0, 0, 50, 50);
    const blank = await decodePng(await canvas.encode('png'));
    assert.equal(blank.isBlank(), true);
    ctx.fillStyle = '#fff';
    ctx.fillRect(10, 10, 20, 20);
    assert.equal((await decodePng(await canvas.encode('png'))).isBlank(), false);
  });
});

// The fonts checks live in test/render/fonts.test.ts.
