// End-to-end rig: the fake Discord and fake Slack, a real Redis under a fresh key prefix, the
// real bot process (`src/bot.ts`) and real worker processes (`workers/analysis.ts`), all pointed
// at the fakes. Tests drive it the way users and the platforms would.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { openRuntime, type QueueRuntime } from '../../src/queue/runtime.ts';
import { FakeDiscord } from '../fakes/fake-discord.ts';
import { FakeSlack } from '../fakes/fake-slack.ts';
import { dropRuntime, REDIS_URL, testRuntime } from '../queue/support.ts';
import { collectJsonLines, spawnWorker, stopWorker, type WorkerProcess } from '../workers/support.ts';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface BotProcess {
  child: ChildProcess;
  logs: { msg: string; [k: string]: unknown }[];
  exited: Promise<number | null>;
  /** HTTP port of the Slack receiver, as the bot logged it. */
  slackPort?: number;
}

export interface Rig {
  discord: FakeDiscord;
  slack: FakeSlack;
  rt: QueueRuntime;
  bot: BotProcess;
  workers: WorkerProcess[];
  /** Where the fake Slack posts signed slash commands. */
  slackEventsUrl: string;
  /** Start another worker (it is ready when this resolves). */
  addWorker(env?: Record<string, string>): Promise<WorkerProcess>;
  /** Jobs in any state, across the queues (the analysis queues and the delivery queue). */
  jobCount(): Promise<number>;
  close(): Promise<void>;
}

export interface RigOptions {
  workers?: number;
  /** How the bot talks to Slack: signed HTTP requests (default) or Socket Mode. */
  slackMode?: 'http' | 'socket';
  /** Extra environment for the bot and workers. */
  env?: Record<string, string>;
  workerEnv?: Record<string, string>;
  /** Another Redis than the shared test one (a test that restarts its own). */
  redisUrl?: string;
}

export async function startRig(opts: RigOptions = {}): Promise<Rig> {
  const [discord, slack] = await Promise.all([FakeDiscord.start(), FakeSlack.start()]);
  const prefix = `test-platforms-${randomUUID().slice(0, 8)}`;
  const redisUrl = opts.redisUrl ?? REDIS_URL;
  const rt = opts.redisUrl ? openRuntime({ prefix, redisUrl }) : testRuntime({}, prefix);
  const env: Record<string, string> = {
    REDIS_URL: redisUrl, QUEUE_PREFIX: prefix, LOG_LEVEL: 'info',
    DISCORD_TOKEN: discord.token, DISCORD_API_URL: discord.apiUrl, DISCORD_APP_ID: discord.applicationId,
    SLACK_BOT_TOKEN: slack.botToken, SLACK_SIGNING_SECRET: slack.signingSecret, SLACK_API_URL: slack.apiUrl,
    SLACK_APP_TOKEN: opts.slackMode === 'socket' ? slack.appToken : '',
    // Tests send many commands from one user and channel; the limits have tests of their own.
    RATE_LIMIT_COUNT: '10000', CHANNEL_MAX_JOBS: '10000',
    PROGRESS_INTERVAL_MS: '200', JOB_BACKOFF_MS: '200',
    ...opts.env,
  };
  const bot = spawnBot({ ...env, PORT: String(await freePort()) });
  const workers: WorkerProcess[] = [];
  const addWorker = async (extra: Record<string, string> = {}) => {
    const w = spawnWorker(prefix, { ...env, WORKER_QUEUES: 'light,cached', ...opts.workerEnv, ...extra });
    workers.push(w);
    await w.ready;
    return w;
  };
  try {
    await Promise.all([botReady(bot), ...Array.from({ length: opts.workers ?? 1 }, () => addWorker())]);
  } catch (err) {
    await stopChild(bot.child, bot.exited);
    for (const w of workers) await stopWorker(w);
    await Promise.all([discord.close(), slack.close(), dropRuntime(rt)]);
    throw err;
  }
  return {
    discord, slack, rt, bot, workers, addWorker,
    slackEventsUrl: `http://127.0.0.1:${bot.slackPort}/slack/events`,
    async jobCount() {
      const counts = await Promise.all(Object.values(rt.queues).map((q) => q.getJobCounts()));
      return counts.reduce((n, c) => n + Object.values(c).reduce((a, b) => a + b, 0), 0);
    },
    async close() {
      if (process.env.DEBUG_E2E_LOGS) {
        console.log('bot', JSON.stringify(bot.logs));
        for (const w of workers) console.log('worker', w.child.pid, JSON.stringify(w.logs));
      }
      await stopChild(bot.child, bot.exited);
      for (const w of workers) await stopWorker(w);
      await Promise.all([discord.close(), slack.close(), dropRuntime(rt)]);
    },
  };
}

function spawnBot(env: Record<string, string>): BotProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/bot.ts'], { cwd: repo, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const bot: BotProcess = { child, logs: [], exited: new Promise((resolve) => child.once('exit', (code) => resolve(code))) };
  collectJsonLines(child.stdout!, (entry) => {
    bot.logs.push(entry);
    if (typeof entry.port === 'number') bot.slackPort = entry.port;
  });
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
  bot.exited.then((code) => bot.logs.push({ msg: `exited ${code}`, stderr: stderr.slice(-2000) }));
  return bot;
}

async function botReady(bot: BotProcess, timeoutMs = 60_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!bot.logs.some((l) => l.msg === 'bot ready')) {
    if (bot.child.exitCode !== null) throw new Error(`bot exited before it was ready: ${JSON.stringify(bot.logs.slice(-5))}`);
    if (Date.now() > end) throw new Error(`bot not ready after ${timeoutMs} ms: ${JSON.stringify(bot.logs.slice(-5))}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Stop a process this test started (by its own handle), if it still runs. */
async function stopChild(child: ChildProcess, exited: Promise<unknown>): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) {
    child.kill('SIGTERM');
    const t = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(t);
  }
}

/** A port nothing listens on right now (config refuses PORT=0, so the bot cannot pick one). */
async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const { port } = srv.address() as net.AddressInfo;
  await new Promise((resolve) => srv.close(resolve));
  return port;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
