import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { createCanvas, GlobalFonts } from '@napi-rs/canvas';
import { bundledFonts, ensureFonts, FALLBACK_FONTS, familiesOf, fontStack, registerBundled, registeredFallbackFiles } from '../../src/render/fonts.ts';
import { theme } from '../../src/render/theme.ts';

/** The pixels of `text` drawn white on black in `font`, and how many of them have ink. */
function draw(text: string, font: string) {
  const canvas = createCanvas(420, 60);
  const ctx = canvas.getContext('2d');
  ctx.fillStyle = '#000';
  ctx.fillRect(0, 0, 420, 60);
  ctx.fillStyle = '#fff';
  ctx.font = font;
  ctx.fillText(text, 6, 42);
  const data = ctx.getImageData(0, 0, 420, 60).data;
  let ink = 0;
  for (let i = 0; i < data.length; i += 4) if (data[i] > 40) ink++;
  return { pixels: Buffer.from(data.buffer, data.byteOffset, data.byteLength), ink, width: ctx.measureText(text).width, png: () => canvas.toBuffer('image/png') };
}

/** U+10FFFD (a private-use code point no font here covers) as often as `text` has characters: tofu. */
const tofuLike = (text: string) => String.fromCodePoint(0x10fffd).repeat([...text].length);

const SAMPLES = [
  { script: 'Chinese (simplified)', text: '蓝色毛巾很棒', from: 'Noto Sans SC' },
  { script: 'Chinese (traditional)', text: '龍門鬱', from: 'Noto Sans SC' },
  { script: 'Tamil', text: 'துண்டுகள்', from: 'Noto Sans Tamil' },
  { script: 'emoji', text: '🍓🚀🎉', from: 'Noto Emoji' },
  { script: 'Arabic', text: 'المناشف الزرقاء', from: undefined },
  { script: 'Persian', text: 'حوله‌های آبی', from: undefined },
] as const;

describe('fonts', () => {
  it('makes every family of the theme font lists available', () => {
    const sources = ensureFonts();
    assert.equal(theme.fontFamily, fontStack('DejaVu Sans'));
    assert.equal(theme.monoFamily, fontStack('DejaVu Sans Mono'));
    for (const family of [...familiesOf(theme.fontFamily), ...familiesOf(theme.monoFamily)]) {
      assert.ok(sources[family], family);
      assert.ok(GlobalFonts.has(family), family);
    }
    assert.deepEqual(familiesOf(theme.fontFamily).slice(1), FALLBACK_FONTS.map((f) => f.family));
    // Noto Sans SC alone is ~100 unicode-range slices, all under one family.
    if (sources['Noto Sans SC'] === 'bundled') assert.ok(registeredFallbackFiles() > 100, String(registeredFallbackFiles()));
    assert.equal(ensureFonts(), sources); // idempotent
  });

  for (const s of SAMPLES) {
    it(`draws ${s.script} glyphs through the theme font list, not .notdef boxes`, () => {
      ensureFonts();
      const font = `28px ${theme.fontFamily}`;
      const drawn = draw(s.text, font);
      const tofu = draw(tofuLike(s.text), font);
      assert.ok(drawn.ink > 50, `${s.script}: ink ${drawn.ink}`);
      assert.ok(!drawn.pixels.equals(tofu.pixels), `${s.script} is drawn as tofu`);
      assert.notEqual(Math.round(drawn.width), Math.round(tofu.width), `${s.script}: width equals the tofu width`);
      if (s.from) {
        // The glyphs come from the Noto fallback: the same pixels as drawing with it alone…
        assert.ok(drawn.pixels.equals(draw(s.text, `28px ${s.from}`).pixels), `${s.script} not drawn from ${s.from}`);
        // …and DejaVu alone, which lacks them, draws something else (its boxes).
        assert.ok(!drawn.pixels.equals(draw(s.text, '28px DejaVu Sans').pixels), `${s.script}: DejaVu has these glyphs after all`);
      }
      if (process.env.FONT_TEST_PNG) writeFileSync(`${process.env.FONT_TEST_PNG}/${s.script.replace(/\W+/g, '-')}.png`, drawn.png());
    });
  }

  it('mixes scripts within one string, Latin from DejaVu', () => {
    ensureFonts();
    const mixed = draw('Tokens 蓝 நீ 🍓', `24px ${theme.fontFamily}`);
    const latin = draw('Tokens', `24px ${theme.fontFamily}`);
    assert.ok(mixed.width > latin.width + 40);
    // The Latin word is DejaVu's: same pixels as DejaVu alone.
    assert.ok(latin.pixels.equals(draw('Tokens', '24px DejaVu Sans').pixels));
  });

  it('can draw with the bundled DejaVu copies (machines without system fonts)', () => {
    const { pkg, stem } = bundledFonts[0];
    registerBundled('LabBundledTest', pkg, stem);
    const canvas = createCanvas(200, 40);
    const ctx = canvas.getContext('2d');
    ctx.font = '24px LabBundledTest';
    assert.ok(ctx.measureText('Hello').width > 30);
    ctx.fillStyle = '#fff';
    ctx.fillText('Hello', 5, 30);
    const data = ctx.getImageData(0, 0, 200, 40).data;
    assert.ok(data.some((v, i) => i % 4 === 3 && v > 0), 'text drew pixels');
  });
});
