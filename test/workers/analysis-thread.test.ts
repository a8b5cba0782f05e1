// The analysis thread: real analyses run off the main event loop, figures come back as PNG
// buffers, and errors, cancels and timeouts cross the thread boundary as the right kinds.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { OptionError } from '../../src/analyses/types.ts';
import { AnalysisThread, JobCancelledError, JobTimeoutError, ThreadPool } from '../../src/queue/analysis-thread.ts';

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const exits: { code: number; running: boolean }[] = [];
let thread: AnalysisThread;

before(async () => {
  thread = new AnalysisThread({ ortThreads: 1, warmModel: false }, { exit: (i) => exits.push(i) });
  await thread.start();
});
after(() => thread.terminate());

test('a real analysis runs in the thread; the main event loop stays free; figures arrive as PNGs', async () => {
  const stages: string[] = [];
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  const t0 = performance.now();
  const result = await thread.run({ analysis: 'fourier', options: {} }, { progress: (s) => stages.push(s), timeoutMs: 60_000 });
  const ms = performance.now() - t0;
  delay.disable();
  assert.equal(result.analysis, 'fourier');
  assert.ok(result.figures.length >= 3);
  for (const f of result.figures) {
    assert.ok(Buffer.isBuffer(f.png), `${f.name} is a Buffer`);
    assert.ok(f.png.subarray(0, 8).equals(PNG_SIGNATURE), `${f.name} is a PNG`);
  }
  assert.ok(stages.includes('rendering figures'), `stages: ${stages.join(', ')}`);
  // The run takes ~1–3 s of synchronous work; on the main thread it would stall the loop for
  // all of it. Here the loop keeps ticking (BullMQ's lock renewal needs exactly that).
  const maxDelayMs = delay.max / 1e6;
  assert.ok(maxDelayMs < Math.max(150, ms / 4), `event loop stalled ${maxDelayMs.toFixed(0)} ms during a ${ms.toFixed(0)} ms run`);
});

test('bad options come back as an OptionError naming the option', async () => {
  await assert.rejects(
    thread.run({ analysis: 'fourier', options: { srate: 100, frequencies: [80], amplitudes: [1] } }, { progress: () => {}, timeoutMs: 30_000 }),
    (err: unknown) => err instanceof OptionError && err.option === 'frequencies' && /Nyquist/.test(err.message),
  );
});

test('a cancel requested before the run starts stops it with JobCancelledError', async () => {
  const controller = new AbortController();
  controller.abort('cancelled by its requester');
  await assert.rejects(thread.run({ analysis: 'fourier', options: {} }, { progress: () => {}, signal: controller.signal, timeoutMs: 30_000 }), JobCancelledError);
});

test('a cancel during the run lands at the next stage', async () => {
  const controller = new AbortController();
  const stages: string[] = [];
  const run = thread.run({ analysis: 'fourier', options: {} }, {
    progress: (s) => {
      stages.push(s);
      controller.abort('cancelled by its requester');
    },
    signal: controller.signal,
    timeoutMs: 30_000,
  });
  await assert.rejects(run, JobCancelledError);
  assert.ok(stages.length >= 1);
});

test('a run past its timeout is stopped by replacing the thread; the next run works', async () => {
  await assert.rejects(thread.run({ analysis: 'fourier', options: { duration: 10 } }, { progress: () => {}, timeoutMs: 300 }), JobTimeoutError);
  const r = await thread.run({ analysis: 'correlation', options: { n: 20, sweep_n: 50, sweep_steps: 5, seed: 1 } }, { progress: () => {}, timeoutMs: 60_000 });
  assert.equal(r.seed, 1);
  assert.deepEqual(exits, [], 'a replaced thread does not report as crashed');
});

test('a pool given two jobs in the same tick runs them on two threads and settles both', { timeout: 60_000 }, async () => {
  const pool = new ThreadPool(2, () => new AnalysisThread({ ortThreads: 1, warmModel: false }));
  try {
    // No start() first: both run() calls must reserve their thread before awaiting its start.
    const hooks = { progress: () => {}, timeoutMs: 60_000 };
    const [a, b] = await Promise.all([
      pool.run({ analysis: 'correlation', options: { n: 30 } }, hooks),
      pool.run({ analysis: 'correlation', options: { n: 40 } }, hooks),
    ]);
    assert.equal(a.options.n, 30);
    assert.equal(b.options.n, 40);
  } finally {
    await pool.terminate();
  }
});

test("in the worker, a command without a model runs by the one rule: the notebook's model when present, else the default, said in the result", { timeout: 120_000 }, async () => {
  // No gpt2-large weights on a test machine: /attention (whose notebook used it) runs on the
  // default (here the tiny checkpoint) and says why, as it does in the CLI.
  const r = await thread.run({ analysis: 'attention', options: { text: 'The cat sat on the mat' } }, { progress: () => {}, timeoutMs: 120_000 });
  assert.match(r.explanation, /The notebook uses gpt2-large, which is not downloaded here \(`npx lab models pull gpt2-large`\), so this ran on /);
});
