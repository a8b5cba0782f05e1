// Queue throughput: jobs per minute with 1 and 2 worker processes, end to end (dispatch → BullMQ →
// worker thread → web delivery read back from Redis), for a light analysis (/correlation) and a
// model one (/heatmap on random-weight GPT-2s: the tiny test model, and one of GPT-2-small shape
// written to a temp dir, so no download is needed). Prints a markdown table.
//   node --import tsx scripts/bench-queue.ts [--jobs 16] [--workers 1,2]
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createWebDeliverer, readWebEvents } from '../src/chat/web/deliver.ts';
import { createDispatcher } from '../src/commands/dispatch.ts';
import { config } from '../src/config.ts';
import { ENGINE_NODE_FLAGS, engineEnv } from '../src/llm/node-flags.ts';
import { writeTinyCheckpoint } from '../src/llm/tiny.ts';
import { openRuntime, type QueueRuntime } from '../src/queue/runtime.ts';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
};
const JOBS = Number(arg('jobs', '16'));
const WORKER_COUNTS = arg('workers', '1,2').split(',').map(Number);
const CORES = os.availableParallelism();

interface Scenario {
  name: string;
  command: string;
  queues: string;
  /** Distinct options per job, so none is a cache hit. */
  options(i: number): Record<string, unknown>;
  /** The model jobs run on when they name none (a checkpoint directory is allowed here, as for an operator's MODEL). */
  defaultModel?: () => Promise<string>;
}

const STORMY = 'it was a dark and stormy night; the rain fell in torrents, except at occasional intervals.';
const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'bench-queue-'));
let smallDir: Promise<string> | undefined;
/** Random weights in GPT-2 small's shape (12 layers, 768 wide, full vocabulary): real forward-pass cost. */
const gpt2SmallShape = () => (smallDir ??= writeTinyCheckpoint(path.join(tmp, 'gpt2-small-shape'), { n_layer: 12, n_head: 12, n_embd: 768 }));

const SCENARIOS: Scenario[] = [
  { name: '/correlation (light)', command: 'correlation', queues: 'light', options: (i) => ({ seed: String(1000 + i) }) },
  { name: '/heatmap, tiny GPT-2 (model)', command: 'heatmap', queues: 'model', options: (i) => ({ model: 'tiny-random', text: `Run ${i}: ${STORMY}` }) },
  { name: '/heatmap, GPT-2-small shape (model)', command: 'heatmap', queues: 'model', options: (i) => ({ text: `Run ${i}: ${STORMY}` }), defaultModel: gpt2SmallShape },
];

function startWorker(prefix: string, queues: string, ortThreads: number): ChildProcess {
  return spawn(process.execPath, [...ENGINE_NODE_FLAGS, '--import', 'tsx', 'workers/analysis.ts'], {
    cwd: repo,
    env: { ...engineEnv(), QUEUE_PREFIX: prefix, WORKER_QUEUES: queues, ORT_THREADS: String(ortThreads), LOG_LEVEL: 'warn', DISCORD_TOKEN: '', SLACK_BOT_TOKEN: '' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

/** Workers register with BullMQ once their threads are up; a worker that dies fails the bench. */
async function waitForWorkers(rt: QueueRuntime, queue: 'light' | 'model', children: ChildProcess[]): Promise<void> {
  for (;;) {
    const dead = children.find((c) => c.exitCode !== null);
    if (dead) throw new Error(`a worker exited with code ${dead.exitCode}`);
    if ((await rt.queues[queue].getWorkers()).length >= children.length) return;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Enqueue jobs, wait until every one is delivered; returns per-job latencies (ms) and the wall time. */
async function runBatch(rt: QueueRuntime, s: Scenario, count: number, tag: string, firstOption: number): Promise<{ wallMs: number; latencies: number[] }> {
  const web = createWebDeliverer({ redis: rt.redis, prefix: rt.prefix });
  const dispatcher = createDispatcher({ runtime: rt, deliverers: () => web });
  const sessions: string[] = [];
  const sentAt = new Map<string, number>();
  const t0 = performance.now();
  for (let i = 0; i < count; i++) {
    const sessionId = `${tag}-${i}`;
    sessions.push(sessionId);
    sentAt.set(sessionId, performance.now());
    const out = await dispatcher.handle({ requestId: `${tag}-${i}-${randomUUID()}`, command: s.command, rawOptions: s.options(firstOption + i), requester: { platform: 'web', userId: `bench-${i}` }, target: { platform: 'web', sessionId } });
    if (out.kind !== 'queued') throw new Error(`not queued: ${JSON.stringify(out)}`);
  }
  const latencies: number[] = [];
  const pending = new Set(sessions);
  while (pending.size) {
    for (const sessionId of [...pending]) {
      const events = await readWebEvents(rt.redis, rt.prefix, sessionId);
      const final = events.find((e) => e.type === 'result' || e.type === 'error');
      if (final?.type === 'error') throw new Error(`job failed: ${final.message}`);
      if (final) {
        latencies.push(performance.now() - sentAt.get(sessionId)!);
        pending.delete(sessionId);
      }
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return { wallMs: performance.now() - t0, latencies: latencies.sort((a, b) => a - b) };
}

const pct = (xs: number[], p: number) => xs[Math.min(xs.length - 1, Math.floor(p * xs.length))]!;

/** CPU seconds a process (all its threads) has used, from /proc (Linux); undefined elsewhere. */
async function cpuSeconds(pid: number | undefined): Promise<number | undefined> {
  if (pid === undefined) return undefined;
  try {
    const stat = await fs.readFile(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, in clock ticks (USER_HZ = 100)
  } catch {
    return undefined;
  }
}

async function workersCpu(children: ChildProcess[]): Promise<number | undefined> {
  const all = await Promise.all(children.map((c) => cpuSeconds(c.pid)));
  return all.some((x) => x === undefined) ? undefined : all.reduce((a, b) => a! + b!, 0);
}

async function main(): Promise<void> {
  const loadBefore = os.loadavg()[0]!;
  const rows: string[] = [];
  for (const s of SCENARIOS) {
    for (const workers of WORKER_COUNTS) {
      const prefix = `bench-queue-${randomUUID().slice(0, 8)}`;
      const defaultModel = s.defaultModel ? await s.defaultModel() : config.MODEL;
      const rt = openRuntime({ prefix, settings: { rateLimitCount: 100_000, channelMaxJobs: 100_000, cacheTtlS: 0, defaultModel } });
      const ortThreads = Math.max(1, Math.floor(CORES / workers));
      const children = Array.from({ length: workers }, () => startWorker(prefix, s.queues, ortThreads));
      try {
        await waitForWorkers(rt, s.queues as 'light' | 'model', children);
        // Warm-up: the first job per thread loads modules, fonts and (for GPT-2) the model.
        await runBatch(rt, s, 2 * workers, 'warm', 10_000);
        const cpuBefore = await workersCpu(children);
        const { wallMs, latencies } = await runBatch(rt, s, JOBS, 'run', 0);
        const cpuAfter = await workersCpu(children);
        const perMin = (JOBS / wallMs) * 60_000;
        // How many cores the workers kept busy: near the machine's core count, more workers cannot help.
        const cores = cpuBefore !== undefined && cpuAfter !== undefined ? ((cpuAfter - cpuBefore) / (wallMs / 1000)).toFixed(2) : 'n/a';
        rows.push(`| ${s.name} | ${workers} | ${JOBS} | ${(wallMs / 1000).toFixed(1)} | **${perMin.toFixed(0)}** | ${(pct(latencies, 0.5) / 1000).toFixed(1)} | ${(pct(latencies, 0.95) / 1000).toFixed(1)} | ${cores} |`);
        console.error(rows.at(-1));
      } finally {
        for (const c of children) c.kill('SIGTERM');
        await Promise.all(children.map((c) => new Promise((r) => (c.exitCode !== null ? r(null) : c.once('exit', r)))));
        for (const q of Object.values(rt.queues)) await q.obliterate({ force: true }).catch(() => {});
        const keys = await rt.redis.keys(`${prefix}:*`);
        if (keys.length) await rt.redis.del(...keys);
        await rt.close();
      }
    }
  }
  // Other processes on the machine change these numbers a lot: say how busy it was.
  const load = `load average ${loadBefore.toFixed(1)} before, ${os.loadavg()[0]!.toFixed(1)} after`;
  console.log(`\nQueue throughput — ${CORES} cores (${os.cpus()[0]?.model ?? 'cpu'}, ${load}), Redis ${config.REDIS_URL}, ${JOBS} jobs per run after a warm-up, each job distinct (no cache hits); ORT_THREADS = cores / workers.\n`);
  console.log('| job | workers | jobs | wall (s) | jobs/min | p50 latency (s) | p95 latency (s) | worker CPU (cores busy) |');
  console.log('|---|---|---|---|---|---|---|---|');
  for (const r of rows) console.log(r);
}

main()
  .catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  })
  .finally(() => fs.rm(tmp, { recursive: true, force: true }));
