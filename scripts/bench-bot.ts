// Chat-front benchmarks with the fake Discord and fake Slack on loopback, the real bot process
// and real workers (Redis from REDIS_URL). Prints markdown tables.
//   1. Acknowledgement latency for a burst of N commands at once on each platform (the bot alone,
//      warmed up by a small burst first, no worker competing for the CPU): Discord = INTERACTION_CREATE sent → deferral received;
//      Slack = signed POST sent → ack response received (the ack carries the queued note, so it
//      includes validation and the enqueue). Target: p99 < 300 ms, every one < 3 s.
//   2. /heatmap end to end with a warm worker: command sent → figures received by the platform,
//      on the tiny random GPT-2 and on random weights in GPT-2-small's shape (the real model's
//      cost, no download), then the same command again (a cache hit).
//   node --import tsx scripts/bench-bot.ts [--burst 200] [--runs 3] [--acks-only]
import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { writeTinyCheckpoint } from '../src/llm/tiny.ts';
import { signedSlashCommand } from '../test/fakes/fake-slack.ts';
import { startRig, type Rig } from '../test/e2e/harness.ts';

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
};
const BURST = Number(arg('burst', '200'));
const RUNS = Number(arg('runs', '3'));
const DEADLINE_MS = 3_000;
const WARM_UP = 20;
let seed = 100_000;
/** Every command distinct, so none is a cache hit. */
const nextSeed = () => seed++;

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)]!;
const ms = (x: number) => x.toFixed(0);
const median = (xs: number[]) => pct([...xs].sort((a, b) => a - b), 0.5);

/** Commands sent so far; each one ends as a job once the bot has finished with it. */
let sent = 0;
/**
 * Wait until the bot has finished every command sent so far (the job is enqueued; the queued
 * note went out before that). A burst is acknowledged long before it is dispatched (Discord's
 * deferral comes first), so without this the next burst would race the previous one's tail and
 * measure both.
 */
async function settle(rig: Rig): Promise<void> {
  const end = Date.now() + 30_000;
  while ((await rig.jobCount()) < sent) {
    if (Date.now() > end) throw new Error(`the bot did not finish ${sent} commands within 30 s`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

interface AckStats { platform: string; round?: string; n: number; p50: number; p99: number; max: number; late: number; failed: number; cpuMsPerCommand?: number }

/**
 * The bot's CPU time so far (user + system, ms), from /proc: steadier than a latency percentile
 * for telling whether a change made each command cheaper. Undefined where /proc is missing.
 */
async function botCpuMs(rig: Rig): Promise<number | undefined> {
  const stat = await fs.readFile(`/proc/${rig.bot.child.pid}/stat`, 'utf8').catch(() => undefined);
  if (!stat) return undefined;
  // Fields after the parenthesised command name; utime and stime are the 14th and 15th overall.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_S;
}
/** USER_HZ: 100 on every Linux Node supports. */
const CLOCK_TICKS_PER_S = 100;

/** One burst, with the bot's CPU time per command from the first send until it has finished them all. */
async function measured(rig: Rig, n: number, burst: (rig: Rig, n: number) => Promise<AckStats>): Promise<AckStats> {
  await settle(rig);
  const cpu0 = await botCpuMs(rig);
  const stats = await burst(rig, n);
  await settle(rig);
  const cpu1 = await botCpuMs(rig);
  return cpu0 === undefined || cpu1 === undefined ? stats : { ...stats, cpuMsPerCommand: (cpu1 - cpu0) / n };
}

function stats(platform: string, latencies: number[], failed: number): AckStats {
  const s = [...latencies].sort((a, b) => a - b);
  return { platform, n: s.length, p50: pct(s, 0.5), p99: pct(s, 0.99), max: s.at(-1)!, late: s.filter((x) => x >= DEADLINE_MS).length, failed };
}

/** N interactions dispatched in one go; each latency is gateway send → callback received by the fake. */
async function discordBurst(rig: Rig, n: number): Promise<AckStats> {
  await settle(rig);
  sent += n;
  const tokens = Array.from({ length: n }, (_, i) => rig.discord.dispatchInteraction({ command: 'correlation', options: { seed: nextSeed() }, user: { id: String(400000000000000000n + BigInt(i)), username: `reader${i}` } }).token);
  await rig.discord.waitFor(() => tokens.every((t) => rig.discord.interaction(t).acknowledged || rig.discord.find(/\/callback$/).some((r) => r.path.includes(t) && r.status !== 204)), 30_000, 'every deferral');
  const callbacks = new Map(rig.discord.find(/\/callback$/).map((r) => [r.path.split('/').at(-2)!, r]));
  const lat: number[] = [];
  let failed = 0;
  for (const t of tokens) {
    const r = callbacks.get(t)!;
    if (r.status === 204 || r.status === 200) lat.push(r.at - rig.discord.interaction(t).createdAt);
    else failed++;
  }
  return stats('Discord (deferral)', lat, failed);
}

/** N signed slash commands posted at once; each latency is request sent → ack response received. */
async function slackBurst(rig: Rig, n: number): Promise<AckStats> {
  await settle(rig);
  sent += n;
  const results = await Promise.all(
    Array.from({ length: n }, (_, i) => signedSlashCommand(rig.slackEventsUrl, rig.slack.signingSecret, rig.slack.slashCommand({ text: `correlation seed:${nextSeed()}`, user_id: `U${i}` }))),
  );
  const ok = results.filter((r) => r.status === 200);
  const holding = ok.filter((r) => !/queued/.test(r.body?.text ?? '')).length;
  return stats(`Slack (ack: ${ok.length - holding} queued notes, ${holding} holding)`, ok.map((r) => r.ms), n - ok.length);
}

interface E2E { scenario: string; platform: string; runs: number[]; cached: number }
/** Embed footers seen (model · seed · time): shows which model really ran. */
const footers = new Set<string>();

async function heatmapRuns(rig: Rig, scenario: string, model: string | undefined, runs: number): Promise<E2E[]> {
  const text = (i: number) => `Bench run ${i} ${randomUUID().slice(0, 6)}: it was a dark and stormy night; the rain fell in torrents, except at occasional intervals.`;
  const discordOnce = async (t: string) => {
    const t0 = performance.now();
    const { token } = rig.discord.dispatchInteraction({ command: 'heatmap', options: { text: t, ...(model ? { model } : {}) } });
    await rig.discord.waitFor(() => rig.discord.interaction(token).original?.attachments.length, 300_000, 'the /heatmap result');
    const elapsed = performance.now() - t0;
    footers.add(rig.discord.interaction(token).original!.embeds[0]?.footer?.text ?? '');
    return elapsed;
  };
  const slackOnce = async (t: string) => {
    const t0 = performance.now();
    const fields = rig.slack.slashCommand({ text: `heatmap text:"${t}"${model ? ` model:${model}` : ''}` });
    const before = rig.slack.messages.length;
    await signedSlashCommand(rig.slackEventsUrl, rig.slack.signingSecret, fields);
    await rig.slack.waitFor(() => rig.slack.messages.slice(before).some((m) => m.files.length > 0), 300_000, 'the /heatmap result');
    return performance.now() - t0;
  };
  await discordOnce(text(-1)); // warm-up: the thread's first run of this analysis
  const out: E2E[] = [];
  for (const [platform, once] of [['Discord', discordOnce], ['Slack', slackOnce]] as const) {
    const runsMs: number[] = [];
    let last = '';
    for (let i = 0; i < runs; i++) runsMs.push(await once((last = text(i))));
    out.push({ scenario, platform, runs: runsMs, cached: await once(last) });
  }
  return out;
}

function printAcks(acks: AckStats[]): void {
  const cpu = `${os.availableParallelism()} cores (${os.cpus()[0]?.model ?? 'cpu'}), load average ${os.loadavg()[0]!.toFixed(1)}`;
  console.log(`\nAcknowledgement latency, burst of ${BURST} commands at once, bot process alone — ${cpu}, fakes on loopback, Redis ${process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'}\n`);
  console.log('| platform | burst | acked | p50 (ms) | p99 (ms) | max (ms) | ≥ 3 s | failed | bot CPU per command (ms) |');
  console.log('|---|---|---|---|---|---|---|---|---|');
  for (const a of acks) console.log(`| ${a.platform} | ${a.round} | ${a.n}/${BURST} | ${ms(a.p50)} | **${ms(a.p99)}** | ${ms(a.max)} | ${a.late} | ${a.failed} | ${a.cpuMsPerCommand?.toFixed(2) ?? '–'} |`);
}

async function main(): Promise<void> {
  const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'bench-bot-'));
  // Random weights in GPT-2 small's shape: the real forward-pass cost without a download.
  const smallShape = await writeTinyCheckpoint(path.join(tmp, 'gpt2-small-shape'), { n_layer: 12, n_head: 12, n_embd: 768 });
  const rig = await startRig({ workers: 0, env: { MODEL: smallShape, CACHE_TTL_S: '3600', ...(process.env.BENCH_BOT_NODE_OPTIONS ? { NODE_OPTIONS: process.env.BENCH_BOT_NODE_OPTIONS } : {}) } });
  try {
    // A running bot is warm: code compiled, Redis connected, BullMQ's scripts loaded. The first
    // full burst also opens the HTTP connections (Slack → bot) it needs; the second reuses them,
    // as a bot behind a pooling proxy would.
    console.error('warming up…');
    await discordBurst(rig, WARM_UP);
    await slackBurst(rig, WARM_UP);
    console.error(`bursts of ${BURST} on each platform…`);
    const acks: AckStats[] = [];
    for (const round of ['first', 'second']) {
      acks.push({ ...(await measured(rig, BURST, discordBurst)), round }, { ...(await measured(rig, BURST, slackBurst)), round });
    }
    for (const q of Object.values(rig.rt.queues)) await q.obliterate({ force: true });

    if (process.argv.includes('--acks-only')) {
      printAcks(acks);
      return;
    }
    console.error('starting a model worker…');
    const worker = await rig.addWorker({ WORKER_QUEUES: 'model,cached' });
    await rig.discord.waitFor(() => worker.logs.some((l) => l.msg === 'model loaded'), 120_000, 'the warm model');
    const e2e = [...(await heatmapRuns(rig, 'tiny random GPT-2', 'tiny-random', RUNS)), ...(await heatmapRuns(rig, 'GPT-2-small shape (124M)', undefined, RUNS))];

    printAcks(acks);
    console.log(`\n/heatmap end to end with a warm worker (command sent → PNGs received by the platform), median of ${RUNS} distinct texts, then one repeat (cache hit)\n`);
    console.log(`Models named in the results' footers: ${[...new Set([...footers].map((f) => f.split(' · ')[0]))].join('; ')}\n`);
    console.log('| model | platform | median (s) | runs (s) | repeat, cached (s) |');
    console.log('|---|---|---|---|---|');
    for (const r of e2e) console.log(`| ${r.scenario} | ${r.platform} | **${(median(r.runs) / 1000).toFixed(2)}** | ${r.runs.map((x) => (x / 1000).toFixed(2)).join(', ')} | ${(r.cached / 1000).toFixed(2)} |`);
  } finally {
    await rig.close();
    await fs.rm(tmp, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
