import assert from 'node:assert/strict';
import { optionErrorMessage } from './reference.ts';
import { describe, test } from 'node:test';
import FFT from 'fft.js';
import { computeFourier, fourierAnalysis, Options, phaseLabel } from '../../src/analyses/fourier.ts';
import { lttb } from '../../src/analyses/lib/decimate.ts';
import { createRng } from '../../src/analyses/lib/random.ts';
import { fft, loopDft, maxAbsDifference } from '../../src/analyses/lib/spectrum.ts';
import { parseOptions } from '../../src/analyses/options.ts';
import { runAnalysis } from '../../src/analyses/run.ts';
import { decodePng } from '../../src/render/png.ts';
import { inkIn } from '../render/helpers.ts';

const defaults = () => parseOptions(Options, {});

/** The DFT straight from its definition, cos/sin evaluated per term (no tables, no tricks). */
function definitionDft(x: number[]): { re: Float64Array; im: Float64Array } {
  const n = x.length;
  const re = new Float64Array(n);
  const im = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    for (let t = 0; t < n; t++) {
      re[k] += x[t] * Math.cos((2 * Math.PI * k * t) / n);
      im[k] -= x[t] * Math.sin((2 * Math.PI * k * t) / n);
    }
  }
  return { re, im };
}

function randomSignal(n: number, seed: number): number[] {
  const rng = createRng(seed);
  return Array.from({ length: n }, () => rng.normal());
}

describe('DFT as a loop vs FFT', () => {
  test('the loop equals the DFT definition', () => {
    const x = randomSignal(97, 1);
    assert.ok(maxAbsDifference(loopDft(x), definitionDft(x)) < 1e-9);
  });

  test('the loop equals fft.js to 1e-9 on a power-of-two length', () => {
    const x = randomSignal(1024, 2);
    const f = new FFT(1024);
    const out = f.createComplexArray() as number[];
    f.realTransform(out, x);
    f.completeSpectrum(out);
    const reference = { re: Float64Array.from({ length: 1024 }, (_, i) => out[2 * i]), im: Float64Array.from({ length: 1024 }, (_, i) => out[2 * i + 1]) };
    assert.ok(maxAbsDifference(loopDft(x), reference) < 1e-9);
    assert.ok(maxAbsDifference(fft(x), reference) < 1e-9);
  });

  test('the loop equals the FFT (Bluestein on fft.js) to 1e-9 on the post\'s 3001-sample length and odd lengths', () => {
    for (const [n, seed] of [[3001, 3], [1000, 4], [7, 5], [2, 6], [1, 7]] as const) {
      const x = randomSignal(n, seed);
      const diff = maxAbsDifference(loopDft(x), fft(x));
      assert.ok(diff < 1e-9, `n = ${n}: ${diff}`);
    }
  });

  test('a pure cosine puts amplitude N/2 at its frequency bin', () => {
    const n = 300;
    const x = Array.from({ length: n }, (_, t) => Math.cos((2 * Math.PI * 7 * t) / n));
    const X = fft(x);
    assert.ok(Math.abs(X.re[7] - n / 2) < 1e-9);
    assert.ok(Math.abs(X.re[n - 7] - n / 2) < 1e-9);
    assert.ok(Math.abs(X.re[8]) < 1e-9);
  });
});

describe('/fourier numbers', () => {
  const d = computeFourier(defaults());

  test('defaults reproduce the notebook', () => {
    const o = defaults();
    assert.deepEqual(o.frequencies, [3, 5, 9, 12]);
    assert.deepEqual(o.amplitudes, [1, 5, 2, 8]);
    assert.equal(o.srate, 1000);
    assert.equal(o.duration, 3);
    assert.equal(d.compound.signal.length, 3000);
    assert.equal(d.wavelet.signal.length, 3001); // −1.5 … 1.5 s inclusive
    assert.deepEqual(d.scanHz, [2, 2.5, 3, 3.5, 4, 4.5, 5, 5.5, 6, 6.5, 7, 7.5, 8]);
    assert.equal(d.sweep.phases.length, 16);
  });

  test('the amplitude spectrum recovers each component\'s amplitude', () => {
    for (const [i, r] of d.compound.recovered.entries()) {
      assert.ok(Math.abs(r.amplitude - [1, 5, 2, 8][i]) < 1e-9, `${r.frequency} Hz: ${r.amplitude}`);
    }
  });

  test('real-cosine dot products depend on phase; complex-sine magnitudes do not', () => {
    const real = d.sweep.atFrequency.real;
    assert.ok(Math.max(...real) - Math.min(...real) > 0.3);
    const mags = d.sweep.atFrequency.complexRe.map((re, i) => Math.hypot(re, d.sweep.atFrequency.complexIm[i]));
    assert.ok(Math.max(...mags) - Math.min(...mags) < 1e-9);
    // Every phase gives the same complex spectrum, but different real ones.
    for (const row of d.sweep.complexDots) row.forEach((v, k) => assert.ok(Math.abs(v - d.sweep.complexDots[0][k]) < 1e-9));
    assert.ok(Math.abs(d.sweep.realDots[0][6] - d.sweep.realDots[4][6]) > 0.05);
    // The complex magnitude bounds every real dot product at the same frequency.
    for (const v of real) assert.ok(Math.abs(v) <= mags[0] + 1e-12);
  });

  test('at θ = π/2 the real cosine finds (almost) nothing at the wavelet frequency; the complex sine finds it all', () => {
    const q = computeFourier(parseOptions(Options, { phase: Math.PI / 2 }));
    const at5 = q.scanHz.indexOf(5);
    assert.ok(Math.abs(q.realDots[at5]) < 1e-3, String(q.realDots[at5]));
    assert.ok(q.complexDots[at5] > 0.18);
    assert.ok(Math.abs(q.templates[1].dot) < 1e-3); // the notebook's θ = π/2 template
  });

  test('the loop DFT of the wavelet matches the FFT and the reported difference is tiny', () => {
    assert.ok(d.loop.maxAbsDifference < 1e-9);
    d.loop.loopAmplitude.forEach((v, k) => assert.ok(Math.abs(v - d.loop.fftAmplitude[k]) < 1e-9));
    const peak = d.loop.hz[d.loop.loopAmplitude.indexOf(Math.max(...d.loop.loopAmplitude))];
    assert.ok(Math.abs(peak - 5) < 0.34, `peak at ${peak} Hz`);
  });

  test('the loop transforms the sweep\'s last wavelet (θ = 2π), as the notebook\'s `signal` is by then', () => {
    assert.equal(d.loop.phase, 2 * Math.PI);
    assert.deepEqual(d.loop.signal, d.sweep.signals[15]);
    // numpy: t = np.arange(-1.5, 1.5+1/1000, 1/1000); s = np.cos(2*np.pi*5*t + 2*np.pi)*np.exp(-t**2/.1);
    // 2*abs(np.fft.fft(s)/len(s)) at bins 12, 15, 18 (len 3001).
    const expected = [[12, 0.0694279065235], [15, 0.186770271914], [18, 0.0698859236065]] as const;
    for (const [k, v] of expected) assert.ok(Math.abs(d.loop.loopAmplitude[k] - v) < 1e-9, `bin ${k}: ${d.loop.loopAmplitude[k]}`);
    assert.ok(Math.abs(d.loop.hz[15] - 15000 / 3001) < 1e-12);
  });

  test('phase labels read as fractions of π', () => {
    assert.equal(phaseLabel(Math.PI / 4), 'π/4');
    assert.equal(phaseLabel(Math.PI / 2), 'π/2');
    assert.equal(phaseLabel((3 * Math.PI) / 4), '3π/4');
    assert.equal(phaseLabel(2 * Math.PI), '2π');
    assert.equal(phaseLabel(1), '0.32π');
  });

  test('thinning for drawing keeps the ends, the peaks and one point per bucket', () => {
    const y = d.compound.signal;
    const thin = lttb(d.compound.time, y, 480);
    assert.equal(thin.y.length, 480);
    assert.equal(thin.x[0], 0);
    assert.equal(thin.x[479], d.compound.time[2999]);
    assert.ok(thin.x.every((v, i) => i === 0 || v > thin.x[i - 1]));
    assert.ok(Math.max(...thin.y) > 0.97 * Math.max(...y));
    const spike = Array.from({ length: 1000 }, (_, i) => (i === 637 ? 5 : 0));
    assert.ok(lttb(spike.map((_, i) => i), spike, 50).y.includes(5)); // a one-sample spike survives
  });
});

describe('/fourier options', () => {
  const message = (raw: Record<string, unknown>) => optionErrorMessage(Options, raw);

  test('frequencies above Nyquist name the option and the limit', () => {
    assert.match(message({ srate: '20', frequencies: '3,5,9,12' }), /^frequencies: 12 Hz is not below the Nyquist frequency \(srate\/2 = 10 Hz\)/);
    assert.match(message({ srate: '20', frequencies: '3,5', amplitudes: '1,2', wavelet_freq: '10' }), /^wavelet_freq: .*Nyquist/);
  });

  test('one amplitude per frequency', () => {
    assert.match(message({ amplitudes: '1,2' }), /^amplitudes: give one amplitude per frequency \(4 frequencies, 2 amplitudes\)/);
  });

  test('out-of-range numbers and unknown options', () => {
    assert.equal(message({ srate: '5000' }), 'srate: must be at most 2000');
    assert.equal(message({ duration: '0.1' }), 'duration: must be at least 0.5');
    assert.equal(message({ frequencies: '1,2,3,4,5,6,7,8,9' }), 'frequencies: at most 8 items');
    assert.match(message({ window: 'hann' }), /^window: unknown option; valid options are frequencies, amplitudes/);
  });
});

describe('/fourier end to end', () => {
  test('runs without a model, draws every figure and explains with this run\'s numbers', async () => {
    const r = await runAnalysis(fourierAnalysis, { phases: '8' });
    assert.equal(r.model, null);
    assert.deepEqual(r.figures.map((f) => f.name), [
      'compound', 'phase-templates', 'complex-sine', 'dot-products', 'phase-sweep', 'complex-plane', 'loop-dft', 'loop-vs-fft',
    ]);
    for (const f of r.figures) {
      assert.ok(f.png.length < 8 * 1024 * 1024, f.name);
      const img = await decodePng(f.png);
      assert.equal(img.width, f.name === 'complex-sine' ? 3600 : 2400, f.name);
      if (f.name === 'complex-sine') {
        // Parts over time, the notebook's 3-D helix, the circle in the complex plane: all drawn.
        for (let p = 0; p < 3; p++) assert.ok(inkIn(img, p * 1200 + 100, 200, p * 1200 + 1100, 900) > 2000, `complex-sine panel ${p}`);
      }
      assert.ok(!img.isBlank(), f.name);
      assert.ok(f.alt.length > 40, f.name);
    }
    assert.deepEqual(Object.keys(r.data).sort(), r.figures.map((f) => f.name).sort());
    assert.match(r.explanation, /5\.00 at 5 Hz/);
    assert.match(r.explanation, /across 8 phases/);
    assert.match(r.explanation, /`\/fourier phase:/);
    assert.match(r.explanation, /sweep's last wavelet, θ = 2π/);
    assert.deepEqual((r.data['complex-sine'] as { helix_view: unknown }).helix_view, { elev: 20, azim: 60 });
    assert.match(r.figures.find((f) => f.name === 'complex-sine')!.alt, /Middle: the notebook's 3-D view.*elevation 20° and azimuth 60°: a helix of 15 turns/);
    assert.match(r.figures.find((f) => f.name === 'loop-dft')!.alt, /phase θ = 2π .*peaking at 5\.00 Hz with 0\.187/);
    JSON.stringify(r.data); // serialisable
  });
});
