// /fourier — "The Fourier transform, explained with for-loops". A compound signal and its
// spectrum; dot products of a wavelet with real cosines (which depend on the wavelet's phase)
// and with complex sine waves (whose magnitude does not); and the Fourier transform written as
// a loop of those dot products, checked against an FFT. The complex sine wave is drawn as the
// notebook draws it, a 3-D helix (time, real, imaginary) seen from elevation 20° and azimuth 60°,
// next to its parts over time and its circle in the complex plane.
import { z } from 'zod';
import type { ChartConfiguration } from 'chart.js';
import { findPost } from '../catalog/posts.ts';
import { lineChart, scatterChart, stemChart, type LineOptions, type Series } from '../render/charts.ts';
import { renderChart } from '../render/chart.ts';
import { colormap, rgbCss } from '../render/colormaps.ts';
import { renderPanels } from '../render/panels.ts';
import { renderPanelsWith3d } from '../render/scatter3d.ts';
import { theme } from '../render/theme.ts';
import { lttb } from './lib/decimate.ts';
import { fixed } from './lib/format.ts';
import { lineLegendSwatches, smoothLines } from './lib/chart-tweaks.ts';
import { fft, loopDft, magnitudes, maxAbsDifference } from './lib/spectrum.ts';
import { linspace } from './lib/stats.ts';
import type { Analysis, Figure } from './types.ts';

/** The wavelet lives on −1.5…1.5 s with a Gaussian window exp(−t²/0.1), as in the notebook. */
const WAVELET_HALF_SPAN = 1.5;
const WAVELET_WIDTH = 0.1;
/** Dot products are taken at wavelet_freq ± 3 Hz in 0.5 Hz steps (2…8 Hz for the default 5 Hz). */
const SCAN_HALF_SPAN = 3;
const SCAN_STEP = 0.5;

export const Options = z.object({
  frequencies: z.array(z.number().min(0.1).max(1000)).min(1).max(8).default([3, 5, 9, 12])
    .describe('Frequencies (Hz) of the sine waves summed into the compound signal; below srate/2'),
  amplitudes: z.array(z.number().min(-100).max(100)).min(1).max(8).default([1, 5, 2, 8])
    .describe('Amplitude of each sine wave, one per frequency'),
  srate: z.number().int().min(20).max(2000).default(1000)
    .describe('Sampling rate in Hz; the Nyquist frequency srate/2 is the fastest one measurable'),
  duration: z.number().min(0.5).max(10).default(3)
    .describe('Length of the compound signal in seconds'),
  wavelet_freq: z.number().min(1).max(200).default(5)
    .describe('Frequency (Hz) of the wavelet signal that the dot products probe; below srate/2'),
  phase: z.number().min(-6.3).max(6.3).default(Math.PI / 4)
    .describe('Phase θ of the wavelet signal in radians (default π/4 ≈ 0.785)'),
  phases: z.number().int().min(2).max(64).default(16)
    .describe('Number of wavelet phases in the sweep from π to 2π'),
}).strict().superRefine((o, ctx) => {
  const nyquist = o.srate / 2;
  const above = o.frequencies.find((f) => f >= nyquist);
  if (above !== undefined) {
    ctx.addIssue({ code: 'custom', path: ['frequencies'], message: `${above} Hz is not below the Nyquist frequency (srate/2 = ${nyquist} Hz); lower it or raise srate (max 2000)` });
  }
  if (o.wavelet_freq >= nyquist) {
    ctx.addIssue({ code: 'custom', path: ['wavelet_freq'], message: `${o.wavelet_freq} Hz is not below the Nyquist frequency (srate/2 = ${nyquist} Hz)` });
  }
  if (o.amplitudes.length !== o.frequencies.length) {
    ctx.addIssue({ code: 'custom', path: ['amplitudes'], message: `give one amplitude per frequency (${o.frequencies.length} frequencies, ${o.amplitudes.length} amplitudes)` });
  }
});
export type FourierOptions = z.infer<typeof Options>;

export interface FourierData {
  srate: number;
  nyquist: number;
  compound: {
    time: number[];
    components: { frequency: number; amplitude: number; values: number[] }[];
    signal: number[];
    /** One-sided amplitude spectrum 2|F|/N up to the highest component + 2 Hz. */
    spectrum: { hz: number[]; amplitude: number[] };
    /** Spectrum amplitude at the bin nearest each component frequency. */
    recovered: { frequency: number; amplitude: number }[];
  };
  wavelet: { frequency: number; phase: number; time: number[]; signal: number[] };
  /** Frequencies of the sine waves in the dot products. */
  scanHz: number[];
  /** 2·(signal · cos)/N at each scan frequency. */
  realDots: number[];
  /** 2·|signal · e^{i2πft}|/N at each scan frequency. */
  complexDots: number[];
  /** The notebook's phase illustration: wavelets at θ = π/4, π/2, 3π/4 against a cosine template. */
  templates: { phase: number; dot: number; signal: number[] }[];
  template: number[];
  sweep: {
    phases: number[];
    signals: number[][];
    realDots: number[][];
    complexDots: number[][];
    /** Dot products at wavelet_freq for each phase: real cosine, and complex (re, im). */
    atFrequency: { real: number[]; complexRe: number[]; complexIm: number[] };
  };
  loop: {
    /** Phase of the wavelet the loop transforms: the sweep's last, as in the notebook (2π by default). */
    phase: number;
    /** That wavelet, sampled on wavelet.time. */
    signal: number[];
    n: number;
    hz: number[];
    loopAmplitude: number[];
    fftAmplitude: number[];
    /** max_k |loop_k − fft_k| / N over all N coefficients. */
    maxAbsDifference: number;
  };
}

const TWO_PI = 2 * Math.PI;
/** The notebook's view_init(elev=20, azim=60) of the complex sine wave. */
const HELIX_VIEW = { elev: 20, azim: 60 } as const;

/** Samples t = start + i/srate for i = 0…n−1. */
function timeAxis(start: number, n: number, srate: number): number[] {
  return Array.from({ length: n }, (_, i) => start + i / srate);
}

export function wavelet(time: readonly number[], frequency: number, phase: number): number[] {
  return time.map((t) => Math.cos(TWO_PI * frequency * t + phase) * Math.exp(-(t * t) / WAVELET_WIDTH));
}

/** The complex sine wave e^{i2πft} sampled at `time`, as its cosine and sine parts (reused per signal). */
export interface SineWave {
  frequency: number;
  cos: Float64Array;
  sin: Float64Array;
}

export function complexSineWave(time: readonly number[], frequency: number): SineWave {
  const cos = new Float64Array(time.length);
  const sin = new Float64Array(time.length);
  for (let i = 0; i < time.length; i++) {
    const a = TWO_PI * frequency * time[i];
    cos[i] = Math.cos(a);
    sin[i] = Math.sin(a);
  }
  return { frequency, cos, sin };
}

/** (signal · cos(2πft)) / N and (signal · e^{i2πft}) / N: one "Fourier coefficient" by hand. */
export function dotWithSine(signal: readonly number[], wave: SineWave) {
  let re = 0;
  let im = 0;
  for (let i = 0; i < signal.length; i++) {
    re += signal[i] * wave.cos[i];
    im += signal[i] * wave.sin[i];
  }
  const n = signal.length;
  return { real: re / n, complex: { re: re / n, im: im / n } };
}

export function computeFourier(opts: FourierOptions): FourierData {
  const { srate } = opts;
  const nyquist = srate / 2;

  // Compound signal and its amplitude spectrum.
  const nCompound = Math.round(opts.duration * srate);
  const time = timeAxis(0, nCompound, srate);
  const components = opts.frequencies.map((frequency, i) => ({
    frequency,
    amplitude: opts.amplitudes[i],
    values: time.map((t) => opts.amplitudes[i] * Math.sin(TWO_PI * frequency * t)),
  }));
  const signal = time.map((_, i) => components.reduce((s, c) => s + c.values[i], 0));
  const amp = magnitudes(fft(signal), 2 / nCompound);
  const binHz = srate / nCompound;
  const shownBins = Math.min(Math.floor(nCompound / 2), Math.floor((Math.max(...opts.frequencies) + 2) / binHz));
  const spectrum = { hz: [] as number[], amplitude: [] as number[] };
  for (let k = 0; k <= shownBins; k++) {
    spectrum.hz.push(k * binHz);
    spectrum.amplitude.push(amp[k]);
  }
  const recovered = opts.frequencies.map((frequency) => ({ frequency, amplitude: amp[Math.round(frequency / binHz)] }));

  // The wavelet and its dot products with real and complex sine waves.
  const nWavelet = Math.round(2 * WAVELET_HALF_SPAN * srate) + 1;
  const wTime = timeAxis(-WAVELET_HALF_SPAN, nWavelet, srate);
  const wSignal = wavelet(wTime, opts.wavelet_freq, opts.phase);
  const scanHz: number[] = [];
  for (let f = Math.max(SCAN_STEP, opts.wavelet_freq - SCAN_HALF_SPAN); f <= opts.wavelet_freq + SCAN_HALF_SPAN + 1e-9 && f < nyquist; f += SCAN_STEP) {
    scanHz.push(Math.round(f * 1e6) / 1e6);
  }
  const scanWaves = scanHz.map((f) => complexSineWave(wTime, f));
  const probe = complexSineWave(wTime, opts.wavelet_freq);
  const spectraOf = (sig: number[]) => {
    const dots = scanWaves.map((w) => dotWithSine(sig, w));
    return { real: dots.map((d) => 2 * d.real), complex: dots.map((d) => 2 * Math.hypot(d.complex.re, d.complex.im)) };
  };
  const main = spectraOf(wSignal);

  const template = Array.from(probe.cos);
  const templates = [1, 2, 3].map((i) => {
    const phase = (i * Math.PI) / 4;
    const sig = wavelet(wTime, opts.wavelet_freq, phase);
    return { phase, dot: 2 * dotWithSine(sig, probe).real, signal: sig };
  });

  const phases = linspace(Math.PI, 2 * Math.PI, opts.phases);
  const sweep: FourierData['sweep'] = { phases, signals: [], realDots: [], complexDots: [], atFrequency: { real: [], complexRe: [], complexIm: [] } };
  for (const phase of phases) {
    const sig = wavelet(wTime, opts.wavelet_freq, phase);
    const s = spectraOf(sig);
    sweep.signals.push(sig);
    sweep.realDots.push(s.real);
    sweep.complexDots.push(s.complex);
    const d = dotWithSine(sig, probe);
    sweep.atFrequency.real.push(2 * d.real);
    sweep.atFrequency.complexRe.push(2 * d.complex.re);
    sweep.atFrequency.complexIm.push(2 * d.complex.im);
  }

  // The Fourier transform as a loop, against the FFT, of the last wavelet of the sweep (the
  // notebook's `signal` at that point).
  const loopPhase = phases[phases.length - 1];
  const loopSignal = sweep.signals[sweep.signals.length - 1];
  const loopCoefs = loopDft(loopSignal);
  const fftCoefs = fft(loopSignal);
  const loopAmp = magnitudes(loopCoefs, 2 / nWavelet);
  const fftAmp = magnitudes(fftCoefs, 2 / nWavelet);
  const loopBinHz = srate / nWavelet;
  const lastLoopBin = Math.min(Math.floor(nWavelet / 2), Math.ceil((opts.wavelet_freq + SCAN_HALF_SPAN + 0.2) / loopBinHz));
  const loop: FourierData['loop'] = {
    phase: loopPhase,
    signal: loopSignal,
    n: nWavelet,
    hz: [],
    loopAmplitude: [],
    fftAmplitude: [],
    maxAbsDifference: maxAbsDifference(loopCoefs, fftCoefs) / nWavelet,
  };
  for (let k = 0; k <= lastLoopBin; k++) {
    loop.hz.push(k * loopBinHz);
    loop.loopAmplitude.push(loopAmp[k]);
    loop.fftAmplitude.push(fftAmp[k]);
  }

  return {
    srate,
    nyquist,
    compound: { time, components, signal, spectrum, recovered },
    wavelet: { frequency: opts.wavelet_freq, phase: opts.phase, time: wTime, signal: wSignal },
    scanHz,
    realDots: main.real,
    complexDots: main.complex,
    templates,
    template,
    sweep,
    loop,
  };
}

const f2 = (v: number) => fixed(v, 2);
const f3 = (v: number) => fixed(v, 3);
const spread = (v: number[]) => Math.max(...v) - Math.min(...v);

export function explainFourier(d: FourierData, opts: FourierOptions): string {
  const rec = d.compound.recovered.map((r) => `${r.amplitude.toFixed(2)} at ${r.frequency} Hz`).join(', ');
  const real = d.sweep.atFrequency.real;
  const complexAmp = real.map((_, i) => Math.hypot(d.sweep.atFrequency.complexRe[i], d.sweep.atFrequency.complexIm[i]));
  const tryNext = Math.abs(opts.phase - Math.PI / 2) > 0.01
    ? `Try \`/fourier phase:1.571\` (θ = π/2): the real cosine then finds almost nothing at ${d.wavelet.frequency} Hz, while the complex sine still finds the full amplitude.`
    : 'Try `/fourier phase:0.785` (θ = π/4) to compare: the real cosine finds part of the wavelet, the complex sine all of it.';
  return [
    `The amplitude spectrum of the compound signal recovers each sine wave's amplitude: ${rec}.`,
    `Dot products with real cosines depend on the wavelet's phase: across ${d.sweep.phases.length} phases the ${d.wavelet.frequency} Hz value swings from ${f3(Math.min(...real))} to ${f3(Math.max(...real))}, while the magnitude of the dot product with a complex sine wave stays at ${f3(complexAmp[0])} (spread ${spread(complexAmp).toExponential(1)}).`,
    `Writing the Fourier transform as a loop of such dot products over all ${d.loop.n} frequencies (for the sweep's last wavelet, θ = ${phaseLabel(d.loop.phase)}) gives the FFT's answer to within ${d.loop.maxAbsDifference.toExponential(1)}: the FFT is the same computation, only faster.`,
    tryNext,
  ].join(' ');
}

// ── Figures ──────────────────────────────────────────────────────────────────────────────────

/** plasma without its darkest end, which would vanish on the dark background. */
const plasma = (t: number) => rgbCss(colormap('plasma')(0.25 + 0.72 * t));
const signalColor = '#f2f2f2';
const stemColor = '#e6b3b3';

/** Samples per line, about one per CSS pixel of the plot: full width, half, third. */
const FULL = 1000;
const HALF = 480;
const THIRD = 300;

/** A sampled signal as a series' x and values, thinned for drawing (shape and peaks kept). */
function trace(x: readonly number[], y: readonly number[], points: number): { x: number[]; values: number[] } {
  const d = lttb(x, y, points);
  return { x: d.x, values: d.y };
}

/** θ as a multiple of π: "π/4", "3π/4", "1.25π". */
export function phaseLabel(phase: number): string {
  const quarters = (phase / Math.PI) * 4;
  if (Math.abs(quarters - Math.round(quarters)) < 1e-9) {
    const q = Math.round(quarters);
    if (q === 0) return '0';
    const g = gcd(Math.abs(q), 4);
    const num = q / g;
    const den = 4 / g;
    const n = num === 1 ? '' : num === -1 ? '-' : String(num);
    return den === 1 ? `${n}π` : `${n}π/${den}`;
  }
  return `${f2(phase / Math.PI)}π`;
}
const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));

/** A dataset drawn as a line instead of stems (the FFT over the loop's stems). */
function asLine(config: ChartConfiguration, datasetIndex: number): ChartConfiguration {
  const overlays = config.options?.plugins?.labOverlays;
  if (overlays?.stems) overlays.stems = overlays.stems.filter((st) => st.datasetIndex !== datasetIndex);
  Object.assign(config.data.datasets[datasetIndex]!, { showLine: true, pointRadius: 0, borderWidth: 2.5 });
  return config;
}

/** Whole-Hz axis limits around the scanned frequencies (ticks land on round numbers). */
function scanAxis(d: FourierData): { xMin: number; xMax: number } {
  return { xMin: Math.floor(d.scanHz[0] - 0.25), xMax: Math.ceil(d.scanHz[d.scanHz.length - 1] + 0.25) };
}

/** Sampled signals against time: smooth curves, legend swatches for the lines. */
function signalChart(opts: LineOptions): ChartConfiguration {
  return smoothLines(lineLegendSwatches(lineChart(opts)));
}

function signalPanel(d: FourierData, signal: number[], title: string): ChartConfiguration {
  return signalChart({
    title,
    xLabel: 'Time (s)',
    yLabel: 'Amplitude',
    xMin: d.wavelet.time[0],
    xMax: d.wavelet.time[d.wavelet.time.length - 1],
    series: [{ label: 'signal', ...trace(d.wavelet.time, signal, HALF), color: signalColor, lineWidth: 1.5 }],
    legend: false,
  });
}

function dotProductStems(d: FourierData, values: number[], title: string, subtitle: string, yMin: number, yMax: number): ChartConfiguration {
  return stemChart({
    title,
    subtitle,
    xLabel: 'Frequency (Hz)',
    yLabel: 'Amplitude',
    ...scanAxis(d),
    yMin,
    yMax,
    series: [{ label: 'dot products', x: d.scanHz, values, color: stemColor }],
    legend: false,
  });
}

export async function renderFourier(d: FourierData, opts: FourierOptions): Promise<Figure[]> {
  const c = d.compound;
  const tEnd = c.time[c.time.length - 1];
  const nComp = c.components.length;
  const compound = await renderPanels([
    ...c.components.map((comp, i) => signalChart({
      title: `Component ${i} (f = ${comp.frequency} Hz, a = ${comp.amplitude})`,
      xLabel: 'Time (s)',
      xMin: 0,
      xMax: tEnd,
      series: [{ label: `component ${i}`, ...trace(c.time, comp.values, HALF), color: plasma(nComp > 1 ? i / (nComp - 1) : 0.5), lineWidth: 1.5 }],
      legend: false,
    })),
    signalChart({
      title: 'Combined signal in the time domain',
      xLabel: 'Time (s)',
      yLabel: 'Amplitude',
      xMin: 0,
      xMax: tEnd,
      series: [{ label: 'signal', ...trace(c.time, c.signal, HALF), color: '#b3e6b3', lineWidth: 1.5 }],
      legend: false,
    }),
    stemChart({
      title: 'Frequency domain (amplitude spectrum)',
      xLabel: 'Frequency (Hz)',
      yLabel: 'Amplitude',
      xMin: 0,
      xMax: c.spectrum.hz[c.spectrum.hz.length - 1],
      yMin: 0,
      series: [{ label: 'amplitude', x: c.spectrum.hz, values: c.spectrum.amplitude, color: stemColor }],
      legend: false,
    }),
  ], { columns: 2, panelHeight: 250, title: `Compound signal: ${nComp} sine waves sampled at ${d.srate} Hz` });

  // Both dot-product figures share one y range, so that real and complex compare by eye.
  const lim = Math.ceil(Math.max(...d.complexDots, ...d.realDots.map(Math.abs)) * 1.05 * 20) / 20;
  const theta = `θ = ${phaseLabel(d.wavelet.phase)}`;

  const templates = await renderChart(signalChart({
    title: `Same frequency, different phase: dot products with a ${d.wavelet.frequency} Hz cosine`,
    xLabel: 'Time (s)',
    yLabel: 'Amplitude',
    xMin: d.wavelet.time[0],
    xMax: d.wavelet.time[d.wavelet.time.length - 1],
    series: [
      { label: `cosine template (${d.wavelet.frequency} Hz)`, ...trace(d.wavelet.time, d.template, FULL), color: theme.muted, lineWidth: 1 },
      ...d.templates.map((t, i): Series => ({
        label: `θ = ${phaseLabel(t.phase)}: dot product = ${f3(t.dot)}`,
        ...trace(d.wavelet.time, t.signal, FULL),
        color: theme.palette[i + 1],
        lineWidth: 2,
      })),
    ],
    legend: true,
  }), { height: 420 });

  // The complex sine wave three ways: its parts against time, the notebook's 3-D helix (time,
  // real, imaginary) from elevation 20° and azimuth 60°, and one cycle seen end-on (the circle).
  const period = 1 / d.wavelet.frequency;
  const cycle = d.wavelet.time.filter((t) => t >= 0 && t < period + 1e-12);
  const helixTime = trace(d.wavelet.time, d.wavelet.time, FULL).x; // evenly thinned times
  const omega = 2 * Math.PI * d.wavelet.frequency;
  const complexSine = await renderPanelsWith3d([
    signalChart({
      title: 'Complex sine wave in parts',
      subtitle: `exp(i·2π·${d.wavelet.frequency}·t) = cos + i·sin`,
      xLabel: 'Time (s)',
      yLabel: 'Amplitude',
      xMin: d.wavelet.time[0],
      xMax: d.wavelet.time[d.wavelet.time.length - 1],
      yMin: -1.2,
      yMax: 1.2,
      series: [
        { label: 'Real part (cosine)', ...trace(d.wavelet.time, d.template, HALF), color: '#e6b3b3', lineWidth: 1.5 },
        { label: 'Imaginary part (sine)', ...trace(d.wavelet.time, d.wavelet.time.map((t) => Math.sin(2 * Math.PI * d.wavelet.frequency * t)), HALF), color: '#b3e6b3', lineWidth: 1.5, dashed: true },
      ],
      legend: true,
    }),
    {
      scatter3d: {
        title: 'Complex sine wave',
        subtitle: 'a helix along time',
        xLabel: 'Time (s)',
        yLabel: 'Real (cos)',
        zLabel: 'Imag (sine)',
        ...HELIX_VIEW,
        xLim: [d.wavelet.time[0], d.wavelet.time[d.wavelet.time.length - 1]],
        yLim: [-1, 1],
        zLim: [-1, 1],
        legend: false,
        series: [{
          label: `exp(i·2π·${d.wavelet.frequency}·t)`,
          x: helixTime,
          y: helixTime.map((t) => Math.cos(omega * t)),
          z: helixTime.map((t) => Math.sin(omega * t)),
          marker: 'none',
          lineWidth: 1.5,
          color: '#b3b3e6',
        }],
      },
    },
    scatterChart({
      title: 'Seen end-on: one cycle in the complex plane',
      subtitle: `t = 0 → ${fixed(period, 3)} s turns once counter-clockwise`,
      xLabel: 'Real part (cosine)',
      yLabel: 'Imaginary part (sine)',
      xMin: -1.2, xMax: 1.2, yMin: -1.2, yMax: 1.2,
      series: [{
        label: 'e^{i2πft}',
        points: cycle.map((t) => [Math.cos(2 * Math.PI * d.wavelet.frequency * t), Math.sin(2 * Math.PI * d.wavelet.frequency * t)] as [number, number]),
        colorValues: cycle,
        pointRadius: 3,
      }],
      colorScale: { colormap: 'plasma', label: 'time (s)' },
      annotations: [
        { kind: 'hline', y: 0, color: theme.muted },
        { kind: 'vline', x: 0, color: theme.muted },
      ],
      legend: false,
    }),
  ], { columns: 3, width: 1800, panelHeight: 540 });

  // The same wavelet probed both ways, side by side (the notebook draws them as two figures).
  const dotProducts = await renderPanels([
    signalPanel(d, d.wavelet.signal, `Signal (${d.wavelet.frequency} Hz wavelet, ${theta})`),
    dotProductStems(d, d.realDots, 'Dot products with real cosines', '2·(signal · cos)/N', -lim, lim),
    dotProductStems(d, d.complexDots, 'Dot products with complex sines', '2·|signal · e^{i2πft}|/N', -lim, lim),
  ], { columns: 3, panelHeight: 420 });

  const nPh = d.sweep.phases.length;
  const phaseColor = (i: number) => plasma(nPh > 1 ? i / (nPh - 1) : 0.5);
  const sweepSeries = (rows: number[][], offset: number): Series[] => rows.map((values, i) => ({
    label: `θ = ${phaseLabel(d.sweep.phases[i])}`,
    x: d.scanHz.map((f) => f + i * offset),
    values,
    color: phaseColor(i),
    lineWidth: 1,
    pointRadius: 2.5,
  }));
  const scanRange = scanAxis(d);
  const phaseSweep = await renderPanels([
    signalChart({
      title: 'Signals in the time domain',
      subtitle: `${nPh} phases θ from π (purple) to 2π (yellow)`,
      xLabel: 'Time (s)',
      yLabel: 'Amplitude',
      xMin: d.wavelet.time[0],
      xMax: d.wavelet.time[d.wavelet.time.length - 1],
      series: d.sweep.signals.map((values, i) => ({ label: `θ ${i}`, ...trace(d.wavelet.time, values, THIRD), color: phaseColor(i), lineWidth: 0.8 })),
      legend: false,
    }),
    lineChart({
      title: 'Dot products with real cosines',
      subtitle: 'each phase gives a different spectrum',
      xLabel: 'Frequency (Hz)',
      yLabel: 'Amplitude',
      ...scanRange,
      yMin: -lim,
      yMax: lim,
      series: sweepSeries(d.sweep.realDots, 0),
      markers: true,
      legend: false,
    }),
    lineChart({
      title: 'Dot products with complex sines',
      subtitle: `all ${nPh} coincide (each shifted 0.01 Hz to show them)`,
      xLabel: 'Frequency (Hz)',
      yLabel: 'Amplitude',
      ...scanRange,
      yMin: -lim,
      yMax: lim,
      series: sweepSeries(d.sweep.complexDots, 0.01),
      markers: true,
      legend: false,
    }),
  ], { columns: 3, panelHeight: 440 });

  const at = d.sweep.atFrequency;
  const planeLim = Math.ceil(Math.max(...at.real.map(Math.abs), ...at.complexRe.map((re, i) => Math.hypot(re, at.complexIm[i]))) * 1.15 * 20) / 20;
  const planeAxes = {
    xLabel: 'Real part (cosine)',
    yLabel: 'Imaginary part (sine)',
    xMin: -planeLim, xMax: planeLim, yMin: -planeLim, yMax: planeLim,
    colorScale: { colormap: 'plasma' as const, vmin: d.sweep.phases[0], vmax: d.sweep.phases[nPh - 1], label: 'phase θ (rad)' },
    annotations: [{ kind: 'marker' as const, x: 0, y: 0, color: theme.foreground }],
    legend: false,
  };
  const complexPlane = await renderPanels([
    scatterChart({
      ...planeAxes,
      title: 'Dot products with real cosines',
      subtitle: `at ${d.wavelet.frequency} Hz: all on the real line, size set by phase`,
      series: [{ label: 'real', points: at.real.map((v) => [v, 0] as [number, number]), colorValues: d.sweep.phases, pointRadius: 6 }],
    }),
    scatterChart({
      ...planeAxes,
      title: 'Dot products with complex sines',
      subtitle: `at ${d.wavelet.frequency} Hz: on a circle, same distance from 0`,
      series: [{ label: 'complex', points: at.complexRe.map((re, i) => [re, at.complexIm[i]] as [number, number]), colorValues: d.sweep.phases, pointRadius: 6 }],
    }),
  ], { columns: 2, panelHeight: 540 });

  const l = d.loop;
  const loopTheta = `θ = ${phaseLabel(l.phase)}`;
  const loopLim = Math.ceil(Math.max(...l.loopAmplitude) * 1.05 * 20) / 20;
  const loopDftPng = await renderPanels([
    signalPanel(d, l.signal, `Signal (${d.wavelet.frequency} Hz wavelet, ${loopTheta})`),
    stemChart({
      title: 'Frequency domain',
      subtitle: `2·|loop coefficients|/N, ${l.n} complex sine waves`,
      xLabel: 'Frequency (Hz)',
      yLabel: 'Amplitude',
      ...scanAxis(d),
      yMin: 0,
      yMax: loopLim,
      series: [{ label: 'for-loop DFT', x: l.hz, values: l.loopAmplitude, color: stemColor }],
      legend: false,
    }),
  ], { columns: 2, panelHeight: 420, title: `The Fourier transform as a for-loop over all ${l.n} frequencies` });

  const loopVsFft = await renderChart(asLine(stemChart({
    title: 'The Fourier transform as a for-loop, compared with the FFT',
    subtitle: `${loopTheta} wavelet: ${l.n} dot products with complex sine waves; max |loop − FFT| = ${l.maxAbsDifference.toExponential(1)} (coefficients ÷ N)`,
    xLabel: 'Frequency (Hz)',
    yLabel: 'Amplitude',
    ...scanAxis(d),
    yMin: 0,
    series: [
      { label: 'For-loop', x: l.hz, values: l.loopAmplitude, color: plasma(1) },
      { label: 'fft()', x: l.hz, values: l.fftAmplitude, color: plasma(0.45) },
    ],
    legend: true,
  }), 1), { height: 460 });

  const recovered = c.recovered.map((r) => `${fixed(r.amplitude, 2)} at ${r.frequency} Hz`).join(', ');
  const real = at.real;
  return [
    {
      name: 'compound',
      title: 'Compound signal, its components and amplitude spectrum',
      alt: `${nComp} sine waves (${opts.frequencies.join(', ')} Hz with amplitudes ${opts.amplitudes.join(', ')}), their sum over ${opts.duration} s, and its amplitude spectrum with stems of ${recovered}.`,
      png: compound,
    },
    {
      name: 'phase-templates',
      title: 'Phase changes the dot product with a cosine',
      alt: `A ${d.wavelet.frequency} Hz cosine template and three wavelets of the same frequency at phases ${d.templates.map((t) => phaseLabel(t.phase)).join(', ')}; their dot products with the template are ${d.templates.map((t) => f3(t.dot)).join(', ')}.`,
      png: templates,
    },
    {
      name: 'complex-sine',
      title: 'A complex sine wave: parts, helix and circle',
      alt: `Three panels of a ${d.wavelet.frequency} Hz complex sine wave. Left: its real (cosine) and imaginary (sine) parts over time. ` +
        `Middle: the notebook's 3-D view, time against real and imaginary part, seen from elevation ${HELIX_VIEW.elev}° and azimuth ${HELIX_VIEW.azim}°: a helix of ${fixed(d.wavelet.frequency * (d.wavelet.time[d.wavelet.time.length - 1] - d.wavelet.time[0]), 0)} turns. ` +
        `Right: one cycle of it in the complex plane, a unit circle traced counter-clockwise.`,
      png: complexSine,
    },
    {
      name: 'dot-products',
      title: 'Dot products with real cosines and with complex sines',
      alt: `A ${d.wavelet.frequency} Hz wavelet with phase ${theta}, and stems of its dot products from ${d.scanHz[0]} to ${d.scanHz[d.scanHz.length - 1]} Hz: with real cosines the ${d.wavelet.frequency} Hz value is ${f3(d.realDots[d.scanHz.indexOf(d.wavelet.frequency)] ?? NaN)}, with complex sines ${f3(d.complexDots[d.scanHz.indexOf(d.wavelet.frequency)] ?? NaN)}.`,
      png: dotProducts,
    },
    {
      name: 'phase-sweep',
      title: `Phase sweep: ${nPh} phases from π to 2π`,
      alt: `${nPh} wavelets with phases from π to 2π; their dot products with real cosines vary with phase (at ${d.wavelet.frequency} Hz from ${f3(Math.min(...real))} to ${f3(Math.max(...real))}), their complex dot-product magnitudes coincide.`,
      png: phaseSweep,
    },
    {
      name: 'complex-plane',
      title: 'Dot products in the complex plane',
      alt: `At ${d.wavelet.frequency} Hz, the real-cosine dot products of the ${nPh} phases lie on the real axis at different distances from zero, while the complex dot products lie on a circle of radius ${f3(Math.hypot(at.complexRe[0], at.complexIm[0]))} around zero.`,
      png: complexPlane,
    },
    {
      name: 'loop-dft',
      title: 'Fourier transform in a loop',
      alt: `Left: the ${d.wavelet.frequency} Hz wavelet with phase ${loopTheta} (the sweep's last). Right: stems of its amplitude spectrum from ${l.n} loop dot products with complex sine waves, peaking at ${fixed(l.hz[l.loopAmplitude.indexOf(Math.max(...l.loopAmplitude))], 2)} Hz with ${f3(Math.max(...l.loopAmplitude))}.`,
      png: loopDftPng,
    },
    {
      name: 'loop-vs-fft',
      title: 'Fourier transform in a loop vs FFT',
      alt: `Amplitude spectrum of the ${loopTheta} wavelet from ${l.n} loop dot products (stems) and from the FFT (line); they agree to ${l.maxAbsDifference.toExponential(1)}.`,
      png: loopVsFft,
    },
  ];
}

export const fourierAnalysis: Analysis<typeof Options, FourierData> = {
  id: 'fourier',
  post: findPost('fourier')!,
  usesModel: false,
  options: Options,
  compute: async (opts) => computeFourier(opts),
  render: async (data, opts) => renderFourier(data, opts),
  explain: explainFourier,
  figureData: (d) => ({
    'compound': {
      srate_hz: d.srate,
      components: d.compound.components.map((c) => ({ frequency_hz: c.frequency, amplitude: c.amplitude })),
      signal: d.compound.signal.map(round6),
      spectrum_hz: d.compound.spectrum.hz.map(round6),
      spectrum_amplitude: d.compound.spectrum.amplitude.map(round6),
    },
    'phase-templates': { template: `cos(2π·${d.wavelet.frequency}·t)`, signals: d.templates.map((t) => ({ phase: t.phase, dot_product: t.dot })) },
    'complex-sine': { formula: `exp(i·2π·${d.wavelet.frequency}·t)`, frequency_hz: d.wavelet.frequency, helix_view: HELIX_VIEW, time_s: [d.wavelet.time[0], d.wavelet.time[d.wavelet.time.length - 1]] },
    'dot-products': { wavelet: waveletFormula(d), frequency_hz: d.scanHz, real_cosine_amplitude: d.realDots, complex_sine_amplitude: d.complexDots },
    'phase-sweep': {
      phases: d.sweep.phases,
      frequency_hz: d.scanHz,
      real_cosine_amplitude: d.sweep.realDots,
      complex_sine_amplitude: d.sweep.complexDots,
    },
    'complex-plane': {
      frequency_hz: d.wavelet.frequency,
      phases: d.sweep.phases,
      real_cosine: d.sweep.atFrequency.real,
      complex_real: d.sweep.atFrequency.complexRe,
      complex_imag: d.sweep.atFrequency.complexIm,
    },
    'loop-dft': {
      wavelet_phase: d.loop.phase,
      n: d.loop.n,
      frequency_hz: d.loop.hz.map(round6),
      loop_amplitude: d.loop.loopAmplitude.map(round6),
    },
    'loop-vs-fft': {
      wavelet_phase: d.loop.phase,
      n: d.loop.n,
      frequency_hz: d.loop.hz.map(round6),
      loop_amplitude: d.loop.loopAmplitude.map(round6),
      fft_amplitude: d.loop.fftAmplitude.map(round6),
      max_abs_difference: d.loop.maxAbsDifference,
    },
  }),
};

const round6 = (v: number) => Math.round(v * 1e6) / 1e6;
const waveletFormula = (d: FourierData) =>
  `cos(2π·${d.wavelet.frequency}·t + ${f2(d.wavelet.phase)})·exp(−t²/${WAVELET_WIDTH}), t = −${WAVELET_HALF_SPAN}…${WAVELET_HALF_SPAN} s at ${d.srate} Hz`;
