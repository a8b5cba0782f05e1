// Engine benchmark on a random checkpoint of GPT-2-small shape (generated here, not downloaded):
// forward time with logits only, with the full activation cache, and with logits for the last
// position only, against the same network as ONE plain onnxruntime graph; GFLOP/s against this
// machine's fp32 matmul rate (a 2048³ MatMul through onnxruntime); load time; peak RSS.
//
//   node --import tsx scripts/bench-engine.ts [--lengths 16,64,256,1024] [--reps 10] [--warmup 3] [--threads 2]
//
// Each measurement runs in its own child process, so peak RSS belongs to one thing and one
// model's memory does not slow the other's. The engine is measured twice: with glibc's default
// malloc, and with MALLOC_MMAP_THRESHOLD_=4194304, which stops glibc from raising its mmap
// threshold after onnxruntime frees mid-sized buffers and then keeping freed memory in the heap.
// 4 MiB rather than 128 KiB: activations of short inputs stay in the heap at full speed, so
// last-position and full-cache runs up to 256 tokens cost the same as with default malloc; buffers
// of 4 MiB and more (all-position logits chunks from 64 tokens on, activations of long inputs) pay
// page faults: measured +5-25 % for all-position logits at 64-256 tokens and +20-25 % at 1024,
// for 2.09× instead of 2.47× peak RSS (128 KiB cost 20-60 % at every length for 2.07×).
// The one-graph baseline is measured with onnxruntime's default thread spinning and without it
// (as the engine runs); the faster of the two is the baseline.
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
    threads: { type: 'string', default: '2' },
    child: { type: 'string' },
    dir: { type: 'string' },
  },
});
const lengths = args.lengths.split(',').map(Number);
const reps = Number(args.reps);
const warmup = Number(args.warmup);
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

async function childPlain(dir: string, spinning: boolean): Promise<object> {
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
  const plain: Record<number, number> = {};
  for (const T of lengths) {
    const x = new Float32Array(T * d);
    tokensOf(T).forEach((id, t) => x.set(wte.data.subarray(id * d, (id + 1) * d), t * d));
    const feeds = {
      [GRAPH_INPUT]: new ort.Tensor('float32', x, [1, T, d]),
      [LOGIT_POSITIONS]: new ort.Tensor('int64', BigInt64Array.from({ length: T }, (_, i) => BigInt(i)), [T]),
    };
    plain[T] = await timeIt(() => session.run(feeds));
  }
  return { plain };
}

async function childEngine(dir: string): Promise<object> {
  const t0 = performance.now();
  const engine = await loadEngine(dir, { threads });
  const loadMs = performance.now() - t0;
  const rssAfterLoad = peakRssMiB();
  const logits: Record<number, number> = {};
  const last: Record<number, number> = {};
  const cache: Record<number, number> = {};
  // Cheapest outputs first, so each peak belongs to its mode.
  for (const T of lengths) last[T] = await timeIt(() => engine.run(tokensOf(T), { logits: 'last' }));
  const peakLastRuns = peakRssMiB();
  for (const T of lengths) logits[T] = await timeIt(() => engine.run(tokensOf(T)));
  const peakLogitsRuns = peakRssMiB();
  for (const T of lengths) cache[T] = await timeIt(() => engine.run(tokensOf(T), { hooks: '*' }));
  const peakWithCache = peakRssMiB();
  await engine.dispose();
  return { loadMs, rssAfterLoad, peakLastRuns, peakLogitsRuns, peakWithCache, logits, last, cache };
}

// ---------------------------------------------------------------------------------------------
// Parent

interface EngineResult {
  loadMs: number;
  rssAfterLoad: number;
  peakLastRuns: number;
  peakLogitsRuns: number;
  peakWithCache: number;
  logits: Record<number, number>;
  last: Record<number, number>;
  cache: Record<number, number>;
}

const TUNED_MALLOC = { MALLOC_MMAP_THRESHOLD_: '4194304' };

function runChild(kind: string, dir: string, env: Record<string, string> = {}): Record<string, unknown> {
  const self = fileURLToPath(import.meta.url);
  const out = execFileSync(process.execPath, ['--import', 'tsx', self, '--child', kind, '--dir', dir, '--lengths', args.lengths, '--reps', args.reps, '--warmup', args.warmup, '--threads', args.threads], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 1 << 20,
    env: { ...process.env, ...env },
  });
  return JSON.parse(out.trim().split('\n').pop()!);
}

async function main(): Promise<void> {
  if (args.child) {
    const run = {
      matmul: childMatmul,
      plain: () => childPlain(args.dir!, true),
      'plain-nospin': () => childPlain(args.dir!, false),
      engine: () => childEngine(args.dir!),
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
    console.error('measuring the one-graph baseline (spinning, then not)…');
    const spin = (runChild('plain', dir) as { plain: Record<number, number> }).plain;
    const nospin = (runChild('plain-nospin', dir) as { plain: Record<number, number> }).plain;
    const plain = Object.fromEntries(lengths.map((T) => [T, Math.min(spin[T], nospin[T])]));
    console.error('measuring the engine (default malloc, then tuned)…');
    const runs = [runChild('engine', dir), runChild('engine', dir, TUNED_MALLOC)] as unknown as EngineResult[];
    const config = (await loadCheckpoint(dir)).config;

    const table = (e: EngineResult) =>
      lengths.map((T) => {
        const gflops = forwardFlops(config, T, T) / (e.logits[T] * 1e6);
        return `| ${T} | ${plain[T].toFixed(1)} | ${e.logits[T].toFixed(1)} | ${(e.logits[T] / plain[T]).toFixed(2)} | ${e.cache[T].toFixed(1)} | ${(e.cache[T] / e.logits[T]).toFixed(2)} | ${e.last[T].toFixed(1)} | ${(e.last[T] / e.logits[T]).toFixed(2)} | ${gflops.toFixed(1)} | ${((100 * gflops) / matmulGflops).toFixed(0)}% |`;
      });
    const header = `| tokens | one plain graph ms | logits ms | ×plain (≤ 1.15) | full cache ms | ×logits (≤ 1.3) | last-pos ms | ×all (≤ 0.8 at 64) | GFLOP/s (logits) | of matmul rate |
|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|`;
    const memory = (e: EngineResult) =>
      `load ${(e.loadMs / 1000).toFixed(2)} s; peak RSS after load ${e.rssAfterLoad.toFixed(0)} MiB (${(e.rssAfterLoad / weightsMiB).toFixed(2)}×), through the last-position runs ${e.peakLastRuns.toFixed(0)} MiB (${(e.peakLastRuns / weightsMiB).toFixed(2)}×), through the all-position logits runs ${e.peakLogitsRuns.toFixed(0)} MiB (${(e.peakLogitsRuns / weightsMiB).toFixed(2)}× weights), with full-cache runs ${e.peakWithCache.toFixed(0)} MiB (${(e.peakWithCache / weightsMiB).toFixed(2)}×)`;
    console.log(`
GPT-2-small shape (12 layers, 768 wide, 12 heads, vocab 50257), random weights (${weightsMiB.toFixed(0)} MiB F32); ${threads} intra-op threads; median of ${reps} after ${warmup} warm-ups; ${os.cpus()[0]?.model ?? 'unknown CPU'}, load average ${os.loadavg()[0].toFixed(1)} at the end.

Engine, glibc default malloc:

${header}
${table(runs[0]).join('\n')}

Engine, MALLOC_MMAP_THRESHOLD_=4194304:

${header}
${table(runs[1]).join('\n')}

- one plain graph: ${lengths.map((T) => `${T}: ${spin[T].toFixed(1)} ms spinning / ${nospin[T].toFixed(1)} ms not`).join('; ')} (the faster is the baseline above)
- fp32 matmul rate (2048³ MatMul through onnxruntime, ${threads} threads): ${matmulGflops.toFixed(1)} GFLOP/s
- default malloc: ${memory(runs[0])}
- tuned malloc: ${memory(runs[1])}
- targets: load < 5 s; peak RSS < 2.2× weights
`);
  } finally {
    await fs.rm(root, { recursive: true, force: true });
  }
}

await main();
