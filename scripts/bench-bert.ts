// BERT engine benchmark on a random checkpoint of bert-base shape (generated here, not
// downloaded: 12 layers × 768, 12 heads, a 30 522-token vocabulary): the engine's masked-LM
// logits against the same network as ONE plain onnxruntime graph fed the same embeddings, the
// full activation cache against logits only, and the peak memory of a process that holds only
// the engine, against the weights' size.
//
//   node --import tsx scripts/bench-bert.ts [--lengths 128] [--reps 10] [--warmup 3] [--rounds 5] [--threads 2]
//
// Each mode runs as a block (its warm-ups, then its timed runs), and the blocks are repeated over
// several rounds in alternating order, so drift in a shared machine's speed falls on every mode
// alike; the table gives the median over all rounds, and the fastest run (on a busy machine the
// better measure of what a run costs by itself). Children start as a worker does, with its Node
// flags and malloc settings (node-flags.ts).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as ort from 'onnxruntime-node';
import { loadBertCheckpoint } from '../src/llm/bert/checkpoint.ts';
import { loadBertEngine } from '../src/llm/bert/engine.ts';
import { buildBertGraph } from '../src/llm/bert/graph.ts';
import { ATTENTION_MASK, EMBED_SUM } from '../src/llm/bert/hooks.ts';
import { tinyBertVocab, writeTinyBertCheckpoint } from '../src/llm/bert/tiny.ts';
import { ENGINE_NODE_FLAGS, engineEnv } from '../src/llm/node-flags.ts';
import { planSegments, segmentModel } from '../src/llm/segments.ts';

const BERT_BASE = { num_hidden_layers: 12, num_attention_heads: 12, hidden_size: 768, max_position_embeddings: 512, seed: 1 };
const VOCAB_SIZE = 30_522;

const { values: args } = parseArgs({
  options: {
    lengths: { type: 'string', default: '128' },
    reps: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '3' },
    rounds: { type: 'string', default: '5' },
    threads: { type: 'string', default: '2' },
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
const fastest = (xs: number[]) => Math.min(...xs);
const peakRssMiB = () => process.resourceUsage().maxRSS / 1024;

/** T token ids: [CLS], ordinary tokens, [SEP]. */
const tokensOf = (T: number) => Array.from({ length: T }, (_, i) => (i === 0 ? 101 : i === T - 1 ? 102 : 1000 + ((i * 7919) % 29_000)));

/** bert-base-uncased's vocabulary size: the tiny vocabulary padded with filler tokens. */
function benchVocab(): string[] {
  const small = tinyBertVocab();
  return [...small, ...Array.from({ length: VOCAB_SIZE - small.length }, (_, i) => `[filler${i}]`)];
}

// ---------------------------------------------------------------------------------------------
// Children: each prints one JSON line.

/** The same network as ONE plain onnxruntime graph, fed the embeddings the engine would compute. */
async function plainGraph(dir: string): Promise<(T: number) => () => Promise<unknown>> {
  const ckpt = await loadBertCheckpoint(dir);
  const graph = { ...buildBertGraph(ckpt.config, { mlmHead: true }), boundaries: [] };
  const [segment] = planSegments(graph, { targets: ['mlm_logits'], cutAfter: [] }).segments;
  const { bytes } = await segmentModel(graph, segment, (name) => ckpt.tensors.get(name)!);
  const t = (name: string) => ckpt.tensors.get(name)!.data;
  const [words, positions, types] = [t('embeddings.word_embeddings.weight'), t('embeddings.position_embeddings.weight'), t('embeddings.token_type_embeddings.weight')];
  ckpt.tensors.clear();
  const session = await ort.InferenceSession.create(bytes, {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
    executionMode: 'sequential',
    extra: { session: { intra_op: { allow_spinning: '0' } } },
  });
  const d = ckpt.config.hidden_size;
  return (T) => {
    const x = new Float32Array(T * d);
    tokensOf(T).forEach((id, p) => {
      for (let i = 0; i < d; i++) x[p * d + i] = words[id * d + i] + positions[p * d + i] + types[i];
    });
    const feeds = { [EMBED_SUM]: new ort.Tensor('float32', x, [1, T, d]), [ATTENTION_MASK]: new ort.Tensor('float32', new Float32Array(T), [1, 1, 1, T]) };
    return () => session.run(feeds);
  };
}

async function childTimes(dir: string): Promise<object> {
  const plain = await plainGraph(dir);
  const engine = await loadBertEngine(dir, { threads });
  const result: Record<string, Record<number, number>> = { plain: {}, logits: {}, cache: {}, plainMin: {}, logitsMin: {}, cacheMin: {} };
  for (const T of lengths) {
    const ids = tokensOf(T);
    const runs: [string, () => Promise<unknown>][] = [
      ['plain', plain(T)],
      ['logits', () => engine.run(ids)],
      ['cache', () => engine.run(ids, { hooks: '*' })],
    ];
    const times: Record<string, number[]> = { plain: [], logits: [], cache: [] };
    for (let r = 0; r < rounds; r++) {
      for (const [mode, run] of r % 2 ? [...runs].reverse() : runs) {
        for (let i = 0; i < warmup; i++) await run();
        for (let i = 0; i < Math.ceil(reps / rounds); i++) {
          const t0 = performance.now();
          await run();
          times[mode].push(performance.now() - t0);
        }
      }
    }
    for (const mode of Object.keys(times)) {
      result[mode][T] = median(times[mode]);
      result[`${mode}Min`][T] = fastest(times[mode]);
    }
  }
  await engine.dispose();
  return result;
}

/** Load time and peak RSS, the engine alone in its process (two runs per mode and length). */
async function childMemory(dir: string): Promise<object> {
  const t0 = performance.now();
  const engine = await loadBertEngine(dir, { threads });
  const loadMs = performance.now() - t0;
  const afterLoad = peakRssMiB();
  const twice = async (opts: object) => {
    for (const T of lengths) for (let i = 0; i < 2; i++) await engine.run(tokensOf(T), opts);
    return peakRssMiB();
  };
  const logitsRuns = await twice({});
  const cacheRuns = await twice({ hooks: '*' });
  await engine.dispose();
  return { loadMs, afterLoad, logitsRuns, cacheRuns };
}

// ---------------------------------------------------------------------------------------------
// Parent

function runChild(kind: string, dir: string): Record<string, unknown> {
  const self = fileURLToPath(import.meta.url);
  const out = execFileSync(
    process.execPath,
    [...ENGINE_NODE_FLAGS, '--import', 'tsx', self, '--child', kind, '--dir', dir, '--lengths', args.lengths, '--reps', args.reps, '--warmup', args.warmup, '--rounds', args.rounds, '--threads', args.threads],
    { encoding: 'utf8', env: engineEnv(), stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 20 },
  );
  return JSON.parse(out.trim().split('\n').pop()!);
}

async function main(): Promise<void> {
  if (args.child) {
    const run = { times: childTimes, memory: childMemory }[args.child];
    if (!run) throw new Error(`unknown --child ${args.child}`);
    console.log(JSON.stringify(await run(args.dir!)));
    return;
  }
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'bench-bert-'));
  try {
    const t0 = performance.now();
    const dir = await writeTinyBertCheckpoint(path.join(root, 'bert-base-random'), { ...BERT_BASE, vocab: benchVocab() });
    const weightsMiB = (await fs.stat(path.join(dir, 'model.safetensors'))).size / 2 ** 20;
    console.error(`random bert-base-shaped checkpoint: ${weightsMiB.toFixed(0)} MiB written in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    console.error('timing the plain graph, logits and the full cache…');
    const times = runChild('times', dir) as Record<'plain' | 'logits' | 'cache' | 'plainMin' | 'logitsMin' | 'cacheMin', Record<number, number>>;
    console.error('load time and memory…');
    const m = runChild('memory', dir) as { loadMs: number; afterLoad: number; logitsRuns: number; cacheRuns: number };
    const row = (T: number, label: string, plain: number, logits: number, cache: number) =>
      `| ${T} | ${label} | ${plain.toFixed(1)} | ${logits.toFixed(1)} | ${(logits / plain).toFixed(2)} | ${cache.toFixed(1)} | ${(cache / logits).toFixed(2)} |`;
    const rows = lengths.flatMap((T) => [
      row(T, 'median', times.plain[T], times.logits[T], times.cache[T]),
      row(T, 'fastest', times.plainMin[T], times.logitsMin[T], times.cacheMin[T]),
    ]);
    console.log(`
bert-base shape (12 layers, 768 wide, 12 heads, vocab ${VOCAB_SIZE}), random weights (${weightsMiB.toFixed(0)} MiB F32); ${threads} intra-op threads; ${os.cpus()[0]?.model ?? 'unknown CPU'}, load average ${os.loadavg()[0].toFixed(1)} at the end.

${Math.ceil(reps / rounds) * rounds} runs per mode (${rounds} rounds of ${warmup} warm-ups and ${Math.ceil(reps / rounds)} timed runs, in alternating order):

| tokens | of the runs | one plain graph ms | logits ms | ×plain (≤ 1.15) | full cache ms | ×logits (≤ 1.3) |
|---:|---|---:|---:|---:|---:|---:|
${rows.join('\n')}

- load ${(m.loadMs / 1000).toFixed(2)} s
- peak RSS: after load ${m.afterLoad.toFixed(0)} MiB (${(m.afterLoad / weightsMiB).toFixed(2)}× weights); through logits runs ${m.logitsRuns.toFixed(0)} MiB (${(m.logitsRuns / weightsMiB).toFixed(2)}×, target < 2.2×); with full-cache runs ${m.cacheRuns.toFixed(0)} MiB (${(m.cacheRuns / weightsMiB).toFixed(2)}×: the session that exports the hooks holds a second copy of the weights, and the run its hooks twice, as onnxruntime outputs and as the copies returned)
`);
  } finally {
    await fs.rm(root, { recursive: true, force: true });
  }
}

await main();
