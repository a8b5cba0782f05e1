// Engine benchmark on a random checkpoint of GPT-2-small shape (generated here, not downloaded):
// forward time with logits only, with the full activation cache, and with logits for the last
// position only, against the same network as ONE plain onnxruntime graph; GFLOP/s against this
// machine's fp32 matmul rate (a 2048³ MatMul through onnxruntime); load time; peak RSS.
//
//   node --import tsx scripts/bench-engine.ts [--lengths 16,64,256,1024] [--reps 10] [--warmup 3] [--rounds 5] [--threads 2] [--concurrent-gc]
//
// Timing (the table): each mode runs as a block, its warm-ups and then its timed runs, as a worker
// serving one kind of request does; the blocks are repeated over several rounds in alternating
// order, so minute-scale drift in a shared machine's speed falls on every mode alike, and the
// median is taken over all rounds. A second figure times the four interleaved run by run (a worker
// serving a mix): there each run also pays for the memory the previous, different run left
// behind, which on a VM with expensive page faults is most of the full cache's cost. Load time and
// peak RSS come from a child that holds only the engine. Children start as a worker does: with
// its Node flags (ENGINE_NODE_FLAGS: V8 collects garbage between onnxruntime sessions;
// --concurrent-gc measures V8's default instead) and its malloc settings (engineEnv); a
// GLIBC_TUNABLES already set is kept, so `GLIBC_TUNABLES= npm run bench -- engine` measures
// glibc's default malloc (README, Performance).
// The one-graph baseline is measured without thread spinning (as the engine runs) and with
// onnxruntime's default spinning (in a child of its own); the faster is the baseline.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as ort from 'onnxruntime-node';
import { loadCheckpoint } from '../src/llm/checkpoint.ts';
import { loadEngine } from '../src/llm/engine.ts';
import { buildGpt2Graph, LOGIT_POSITIONS } from '../src/llm/gpt2-graph.ts';
import { ENGINE_NODE_FLAGS, engineEnv } from '../src/llm/node-flags.ts';
import { GRAPH_INPUT } from '../src/llm/hooks.ts';
import { planSegments, segmentModel } from '../src/llm/segments.ts';
import { writeTinyCheckpoint } from '../src/llm/tiny.ts';
import type { GPT2Config } from '../src/llm/types.ts';

const GPT2_SMALL = { n_layer: 12, n_head: 12, n_embd: 768, n_positions: 1024, seed: 1 };

const { values: args } = parseArgs({
  options: {
    lengths: { type: 'string', default: '16,64,256,1024' },
    reps: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '3' },
    rounds: { type: 'string', default: '5' },
    threads: { type: 'string', default: '2' },
    // Children run as a worker does, with ENGINE_NODE_FLAGS; this measures them without.
    'concurrent-gc': { type: 'boolean', default: false },
    child: { type: 'string' },
    dir: { type: 'string' },
  },
});
const lengths = args.lengths.split(',').map(Number);
const reps = Number(args.reps);
const warmup = Number(args.warmup);
const rounds = Number(args.rounds);
const threads = Number(args.threads);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const peakRssMiB = () => process.resourceUsage().maxRSS / 1024;

async function timeIt(fn: () => Promise<unknown>): Promise<number> {
  for (let i = 0; i < warmup; i++) await fn();
  const times: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  return median(times);
}

function tokensOf(T: number): number[] {
  return Array.from({ length: T }, (_, i) => (i * 7919 + 13) % 50257);
}

/** FLOPs of one forward pass over T tokens with logits for `P` positions (attention computed densely, as here). */
function forwardFlops(c: GPT2Config, T: number, P: number): number {
  const d = c.n_embd;
  return c.n_layer * (2 * T * d * (3 * d + d + 2 * c.n_inner) + 4 * T * T * d) + 2 * P * d * c.vocab_size;
}

// ---------------------------------------------------------------------------------------------
// Children: each prints one JSON line.

async function childMatmul(): Promise<object> {
  const n = 2048;
  const { onnx } = (await import('onnx-proto')).default;
  const weights = new Float32Array(n * n).map((_, i) => ((i % 97) - 48) / 97);
  const model = onnx.ModelProto.encode({
    irVersion: 8,
    opsetImport: [{ domain: '', version: 17 }],
    graph: {
      name: 'matmul',
      node: [{ opType: 'MatMul', input: ['a', 'b'], output: ['c'] }],
      input: [{ name: 'a', type: { tensorType: { elemType: 1, shape: { dim: [{ dimValue: n }, { dimValue: n }] } } } }],
      output: [{ name: 'c', type: { tensorType: { elemType: 1 } } }],
      initializer: [{ name: 'b', dims: [n, n], dataType: 1, rawData: new Uint8Array(weights.buffer) }],
    },
  }).finish();
  const session = await ort.InferenceSession.create(model, { intraOpNumThreads: threads, interOpNumThreads: 1, graphOptimizationLevel: 'all' });
  const a = new ort.Tensor('float32', weights.slice(), [n, n]);
  const ms = await timeIt(() => session.run({ a }));
  return { matmulGflops: (2 * n ** 3) / (ms * 1e6) };
}

/** The same network as ONE plain onnxruntime graph, fed the same embeddings as the engine. */
async function plainGraph(dir: string, spinning: boolean): Promise<(T: number) => () => Promise<unknown>> {
  const ckpt = await loadCheckpoint(dir);
  const graph = { ...buildGpt2Graph(ckpt.config), boundaries: [] };
  const [segment] = planSegments(graph, { targets: ['logits'], cutAfter: [] }).segments;
  const { bytes } = await segmentModel(graph, segment, (name) => ckpt.tensors.get(name)!);
  const wte = ckpt.tensors.get('wte.weight')!; // to embed the inputs as the engine does
  ckpt.tensors.clear();
  const session = await ort.InferenceSession.create(bytes, {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
    executionMode: 'sequential',
    ...(spinning ? {} : { extra: { session: { intra_op: { allow_spinning: '0' } } } }),
  });
  const d = ckpt.config.n_embd;
  return (T) => {
    const x = new Float32Array(T * d);
    tokensOf(T).forEach((id, t) => x.set(wte.data.subarray(id * d, (id + 1) * d), t * d));
    const feeds = {
      [GRAPH_INPUT]: new ort.Tensor('float32', x, [1, T, d]),
      [LOGIT_POSITIONS]: new ort.Tensor('int64', BigInt64Array.from({ length: T }, (_, i) => BigInt(i)), [T]),
    };
    return () => session.run(feeds);
  };
}

/** The baseline with onnxruntime's default thread spinning, on its own (spinning threads would steal the cores of whatever runs next). */
async function childPlainSpinning(dir: string): Promise<object> {
  const plain = await plainGraph(dir, true);
  const times: Record<number, number> = {};
  for (const T of lengths) times[T] = await timeIt(plain(T));
  return { plain: times };
}

type ModeRun = [mode: string, run: () => Promise<unknown>];

/**
 * The plain graph (without spinning, as the engine runs) and the engine's three modes at each
 * length, run in the order `schedule` gives; `timed` runs one and records its time. Returns the
 * median per mode and length.
 */
async function timeModes(dir: string, schedule: (runs: ModeRun[], timed: (run: ModeRun) => Promise<void>) => Promise<void>): Promise<object> {
  const plain = await plainGraph(dir, false);
  const engine = await loadEngine(dir, { threads });
  const result: Record<string, Record<number, number>> = { plain: {}, logits: {}, cache: {}, last: {} };
  for (const T of lengths) {
    const runs: ModeRun[] = [
      ['plain', plain(T)],
      ['logits', () => engine.run(tokensOf(T))],
      ['cache', () => engine.run(tokensOf(T), { hooks: '*' })],
      ['last', () => engine.run(tokensOf(T), { logits: 'last' })],
    ];
    const times: Record<string, number[]> = Object.fromEntries(runs.map(([mode]) => [mode, []]));
    await schedule(runs, async ([mode, run]) => {
      const t0 = performance.now();
      await run();
      times[mode].push(performance.now() - t0);
    });
    for (const [mode] of runs) result[mode][T] = median(times[mode]);
  }
  await engine.dispose();
  return result;
}

/** A mixed workload: the four modes interleaved run by run, each run after a different one. */
const childInterleaved = (dir: string) =>
  timeModes(dir, async (runs, timed) => {
    for (const [, run] of runs) for (let i = 0; i < warmup; i++) await run();
    for (let r = 0; r < reps; r++) for (const run of runs) await timed(run);
  });

/**
 * One mode at a time: each mode runs its warm-ups and then its timed runs as a block (what a
 * worker serving one kind of request sees), and the blocks are repeated in alternating order
 * over `rounds`, so minute-scale drift falls on every mode alike.
 */
const childBlocks = (dir: string) =>
  timeModes(dir, async (runs, timed) => {
    for (let r = 0; r < rounds; r++) {
      for (const run of r % 2 ? [...runs].reverse() : runs) {
        for (let i = 0; i < warmup; i++) await run[1]();
        for (let i = 0; i < Math.ceil(reps / rounds); i++) await timed(run);
      }
    }
  });

/** Load time and peak RSS, the engine alone in its process (two runs per mode and length). */
async function childEngineMemory(dir: string): Promise<object> {
  const t0 = performance.now();
  const engine = await loadEngine(dir, { threads });
  const loadMs = performance.now() - t0;
  const rssAfterLoad = peakRssMiB();
  const twice = async (opts: object) => {
    for (const T of lengths) for (let i = 0; i < 2; i++) await engine.run(tokensOf(T), opts);
    return peakRssMiB();
  };
  // Cheapest outputs first, so each peak belongs to its mode.
  const peakLastRuns = await twice({ logits: 'last' });
  const peakLogitsRuns = await twice({});
  const peakWithCache = await twice({ hooks: '*' });
  await engine.dispose();
  return { loadMs, rssAfterLoad, peakLastRuns, peakLogitsRuns, peakWithCache };
}

// ---------------------------------------------------------------------------------------------
// Parent

interface MemoryResult {
  loadMs: number;
  rssAfterLoad: number;
  peakLastRuns: number;
  peakLogitsRuns: number;
  peakWithCache: number;
}

type Times = Record<number, number>;
interface ModeTimes {
  plain: Times;
  logits: Times;
  cache: Times;
  last: Times;
}

function runChild(kind: string, dir: string): Record<string, unknown> {
  const self = fileURLToPath(import.meta.url);
  const out = execFileSync(process.execPath, [...(args['concurrent-gc'] ? [] : ENGINE_NODE_FLAGS), '--import', 'tsx', self, '--child', kind, '--dir', dir, '--lengths', args.lengths, '--reps', args.reps, '--warmup', args.warmup, '--rounds', args.rounds, '--threads', args.threads], {
    encoding: 'utf8',
    env: engineEnv(),
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 1 << 20,
  });
  return JSON.parse(out.trim().split('\n').pop()!);
}

async function main(): Promise<void> {
  if (args.child) {
    const run = {
      matmul: childMatmul,
      'plain-spinning': () => childPlainSpinning(args.dir!),
      blocks: () => childBlocks(args.dir!),
      interleaved: () => childInterleaved(args.dir!),
      memory: () => childEngineMemory(args.dir!),
    }[args.child];
    if (!run) throw new Error(`unknown --child ${args.child}`);
    console.log(JSON.stringify(await run()));
    return;
  }

  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'bench-engine-'));
  try {
    const t0 = performance.now();
    const dir = await writeTinyCheckpoint(path.join(root, 'gpt2-small-random'), GPT2_SMALL);
    const weightsMiB = (await fs.stat(path.join(dir, 'model.safetensors'))).size / 2 ** 20;
    console.error(`random GPT-2-small checkpoint: ${weightsMiB.toFixed(0)} MiB written in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    console.error('measuring matmul rate…');
    const { matmulGflops } = runChild('matmul', dir) as { matmulGflops: number };
    console.error('timing each mode in blocks…');
    const blocks = runChild('blocks', dir) as unknown as ModeTimes;
    console.error('timing the modes interleaved…');
    const mixed = runChild('interleaved', dir) as unknown as ModeTimes;
    console.error('timing the plain graph with spinning threads…');
    const spinning = (runChild('plain-spinning', dir) as { plain: Times }).plain;
    console.error('load time and memory…');
    const memory = runChild('memory', dir) as unknown as MemoryResult;
    const config = (await loadCheckpoint(dir)).config;
    const baseline = Object.fromEntries(lengths.map((T) => [T, Math.min(blocks.plain[T], spinning[T])])) as Times;
    const mixedBaseline = Object.fromEntries(lengths.map((T) => [T, Math.min(mixed.plain[T], spinning[T])])) as Times;

    const rows = lengths.map((T) => {
      const e = blocks;
      const gflops = forwardFlops(config, T, T) / (e.logits[T] * 1e6);
      return `| ${T} | ${baseline[T].toFixed(1)} | ${e.logits[T].toFixed(1)} | ${(e.logits[T] / baseline[T]).toFixed(2)} | ${e.cache[T].toFixed(1)} | ${(e.cache[T] / e.logits[T]).toFixed(2)} | ${e.last[T].toFixed(1)} | ${(e.last[T] / e.logits[T]).toFixed(2)} | ${gflops.toFixed(1)} | ${((100 * gflops) / matmulGflops).toFixed(0)}% |`;
    });
    const mixedRows = lengths.map(
      (T) => `| ${T} | ${mixedBaseline[T].toFixed(1)} | ${mixed.logits[T].toFixed(1)} | ${(mixed.logits[T] / mixedBaseline[T]).toFixed(2)} | ${mixed.cache[T].toFixed(1)} | ${(mixed.cache[T] / mixed.logits[T]).toFixed(2)} | ${mixed.last[T].toFixed(1)} | ${(mixed.last[T] / mixed.logits[T]).toFixed(2)} |`,
    );
    const m = memory;
    const malloc = engineEnv().GLIBC_TUNABLES;
    const tunables = (malloc ? `GLIBC_TUNABLES=${malloc}` : "glibc's default malloc") + (process.env.GLIBC_TUNABLES === undefined ? ' (as a worker)' : '');
    const gc = args['concurrent-gc'] ? "V8's default concurrent GC" : `node ${ENGINE_NODE_FLAGS.join(' ')} (as a worker)`;
    console.log(`
GPT-2-small shape (12 layers, 768 wide, 12 heads, vocab 50257), random weights (${weightsMiB.toFixed(0)} MiB F32); ${threads} intra-op threads; ${tunables}; ${gc}; ${os.cpus()[0]?.model ?? 'unknown CPU'}, load average ${os.loadavg()[0].toFixed(1)} at the end.

Each mode on its own (median of ${Math.ceil(reps / rounds) * rounds} runs: ${rounds} rounds of ${warmup} warm-ups and ${Math.ceil(reps / rounds)} timed runs per mode):

| tokens | one plain graph ms | logits ms | ×plain (≤ 1.15) | full cache ms | ×logits (≤ 1.3) | last-pos ms | ×all (≤ 0.8 at 64) | GFLOP/s (logits) | of matmul rate |
|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|
${rows.join('\n')}

Interleaved run by run (a worker serving a mix; median of ${reps} after ${warmup} warm-ups of each):

| tokens | one plain graph ms | logits ms | ×plain | full cache ms | ×logits | last-pos ms | ×all |
|---:|---:|---:|---:|---:|---:|---:|---:|
${mixedRows.join('\n')}

- one plain graph: ${lengths.map((T) => `${T}: ${spinning[T].toFixed(1)} ms spinning / ${blocks.plain[T].toFixed(1)} ms not`).join('; ')} (the faster is the baseline)
- fp32 matmul rate (2048³ MatMul through onnxruntime, ${threads} threads): ${matmulGflops.toFixed(1)} GFLOP/s
- load ${(m.loadMs / 1000).toFixed(2)} s (target < 5 s)
- peak RSS: after load ${m.rssAfterLoad.toFixed(0)} MiB (${(m.rssAfterLoad / weightsMiB).toFixed(2)}× weights); through last-position runs ${m.peakLastRuns.toFixed(0)} MiB (${(m.peakLastRuns / weightsMiB).toFixed(2)}×); through all-position logits runs ${m.peakLogitsRuns.toFixed(0)} MiB (${(m.peakLogitsRuns / weightsMiB).toFixed(2)}×, target < 2.2×); with full-cache runs ${m.peakWithCache.toFixed(0)} MiB (${(m.peakWithCache / weightsMiB).toFixed(2)}×, the cache itself)
`);
  } finally {
    await fs.rm(root, { recursive: true, force: true });
  }
}

await main();
