// `npm start`: the whole thing on one machine, no chat account needed — Redis (the one in
// REDIS_URL, one already on the default port, or a redis-server started here), a worker, the web
// playground on PORT, and the Discord/Slack bot too when their credentials are set. Ctrl-C stops
// everything in order: the playground, then the worker (which finishes or hands back its job),
// then the Redis it started.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { startPlayground, type RunningPlayground } from './chat/web/server.ts';
import { config, repoRoot } from './config.ts';
import { ENGINE_NODE_FLAGS, engineEnv } from './llm/node-flags.ts';
import type { Logger } from './queue/processor.ts';
import { openRuntime } from './queue/runtime.ts';

const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';
/** A child that ignores SIGTERM this long is killed; the worker's own deadline is SHUTDOWN_TIMEOUT_MS. */
const CHILD_GRACE_MS = config.SHUTDOWN_TIMEOUT_MS + 5_000;

export class RedisUnavailableError extends Error {
  override name = 'RedisUnavailableError';
}

/** What to do when there is no Redis and no redis-server to start. */
export function redisHelp(url: string): string {
  return `No Redis answers at ${url}, and redis-server is not installed. Get one either way, then run \`npm start\` again:

  With Docker Compose (from this directory):
      docker compose run -d -p 127.0.0.1:6379:6379 redis

  Or the system package (npm start then starts redis-server by itself):
      Debian/Ubuntu:  sudo apt-get install redis-server
      Fedora:         sudo dnf install redis
      macOS:          brew install redis

  Or point REDIS_URL at a Redis you already have: REDIS_URL=redis://host:6379 npm start`;
}

/** True when a Redis answers PING at `url` within the timeout. */
export async function pingRedis(url: string, timeoutMs = 1_500): Promise<boolean> {
  const r = new Redis(url, { lazyConnect: true, connectTimeout: timeoutMs, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null });
  r.on('error', () => {}); // the outcome is the answer; no unhandled-error noise
  try {
    await r.connect();
    return (await r.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    r.disconnect();
  }
}

export function findExecutable(name: string, pathEnv = process.env.PATH ?? ''): string | undefined {
  for (const dir of pathEnv.split(path.delimiter).filter(Boolean)) {
    const file = path.join(dir, name);
    try {
      fs.accessSync(file, fs.constants.X_OK);
      return file;
    } catch {
      // not here
    }
  }
  return undefined;
}

export interface RedisHandle {
  url: string;
  /** The redis-server this process started, if it started one. */
  child?: ChildProcess;
  stop(): Promise<void>;
}

export interface EnsureRedisOptions {
  /** REDIS_URL as the user set it: used as is, never replaced by a local server. */
  explicitUrl?: string;
  defaultUrl?: string;
  /** Where a started redis-server keeps its append-only file, so subscriptions survive restarts. */
  dataDir: string;
  pathEnv?: string;
  log: Logger;
}

export async function ensureRedis(opts: EnsureRedisOptions): Promise<RedisHandle> {
  const none = async () => {};
  if (opts.explicitUrl) {
    if (await pingRedis(opts.explicitUrl)) return { url: opts.explicitUrl, stop: none };
    throw new RedisUnavailableError(`REDIS_URL is ${opts.explicitUrl}, but no Redis answers there. Start it, or unset REDIS_URL to use (or start) a local one.`);
  }
  const url = opts.defaultUrl ?? DEFAULT_REDIS_URL;
  if (await pingRedis(url)) return { url, stop: none };

  const server = findExecutable('redis-server', opts.pathEnv);
  if (!server) throw new RedisUnavailableError(redisHelp(url));
  const { hostname, port } = new URL(url);
  fs.mkdirSync(opts.dataDir, { recursive: true });
  const child = spawn(server, [
    '--bind', hostname, '--port', port || '6379', '--dir', opts.dataDir,
    '--appendonly', 'yes', '--save', '', '--maxmemory-policy', 'noeviction',
  ], { stdio: ['ignore', 'ignore', 'pipe'], detached: true });
  let stderr = '';
  child.stderr?.on('data', (b: Buffer) => (stderr += b.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

  for (let waited = 0; waited < 10_000; waited += 100) {
    if (child.exitCode !== null) break;
    if (await pingRedis(url, 500)) {
      opts.log.info({ url, dataDir: opts.dataDir, pid: child.pid }, 'started redis-server');
      return { url, child, stop: () => stopChild(child, exited, 10_000) };
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGKILL');
  throw new RedisUnavailableError(`redis-server (${server}) did not start on ${url}: ${stderr.trim() || 'no output'}`);
}

/** SIGTERM, then SIGKILL after the grace period; resolves when the process is gone. */
async function stopChild(child: ChildProcess, exited: Promise<unknown>, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

interface Child {
  name: string;
  process: ChildProcess;
  exited: Promise<number | null>;
}

/**
 * A Node child running one of our entry points. Detached, so a Ctrl-C in the terminal reaches
 * only this process, which then stops the children in order (the worker needs Redis to hand back
 * an unfinished job, so Redis goes last).
 */
function startNodeChild(name: string, entry: string, env: NodeJS.ProcessEnv, nodeFlags: readonly string[] = []): Child {
  const child = spawn(process.execPath, [...nodeFlags, '--import', 'tsx', path.join(repoRoot, entry)], { cwd: repoRoot, env, stdio: ['ignore', 'inherit', 'inherit'], detached: true });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { name, process: child, exited };
}

function stateDir(): string {
  const base = process.env.XDG_STATE_HOME || path.join(os.homedir(), '.local', 'state');
  return path.join(base, 'substack-lab', 'redis');
}

async function main(): Promise<void> {
  const log = pino({ level: config.LOG_LEVEL, base: { proc: 'start', pid: process.pid } });
  let redis: RedisHandle;
  try {
    redis = await ensureRedis({ ...(process.env.REDIS_URL ? { explicitUrl: process.env.REDIS_URL } : {}), dataDir: stateDir(), log });
  } catch (err) {
    if (!(err instanceof RedisUnavailableError)) throw err;
    console.error(err.message);
    process.exit(1);
  }

  // Children log warnings and errors only, unless LOG_LEVEL asks for more.
  const env = { ...process.env, REDIS_URL: redis.url, LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' };
  const children: Child[] = [startNodeChild('worker', 'workers/analysis.ts', engineEnv(env), ENGINE_NODE_FLAGS)];
  const chat = [config.DISCORD_TOKEN && 'Discord', config.SLACK_BOT_TOKEN && 'Slack'].filter(Boolean) as string[];
  if (chat.length) children.push(startNodeChild('bot', 'src/bot.ts', env));
  // Last resort: never leave children behind if this process dies without shutting down.
  process.on('exit', () => {
    for (const c of [...children.map((x) => x.process), redis.child]) if (c && c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  });

  // Slack's HTTP mode listens on PORT: the playground then takes the next one.
  const slackHttp = Boolean(config.SLACK_BOT_TOKEN && config.SLACK_SIGNING_SECRET && !config.SLACK_APP_TOKEN);
  const runtime = openRuntime({ redisUrl: redis.url });
  let playground: RunningPlayground;
  try {
    playground = await startPlayground({ runtime, port: slackHttp ? config.PORT + 1 : config.PORT, log });
  } catch (err) {
    console.error(`The playground could not listen on port ${slackHttp ? config.PORT + 1 : config.PORT}: ${err instanceof Error ? err.message : String(err)}. Set PORT to a free port.`);
    process.exit(1);
  }

  let stopping = false;
  const shutdown = async (why: string, code = 0) => {
    if (stopping) return;
    stopping = true;
    console.log(`\nStopping (${why}): playground, ${children.map((c) => c.name).join(', ')}${redis.child ? ', redis-server' : ''}…`);
    await playground.close();
    await runtime.close();
    await Promise.all(children.map((c) => stopChild(c.process, c.exited, CHILD_GRACE_MS)));
    await redis.stop();
    process.exit(code);
  };
  for (const c of children) {
    void c.exited.then((exitCode) => {
      if (!stopping) void shutdown(`the ${c.name} exited with code ${exitCode}`, 1);
    });
  }
  process.once('SIGINT', () => void shutdown('Ctrl-C'));
  process.once('SIGTERM', () => void shutdown('SIGTERM'));

  console.log([
    '',
    `  substack-lab is running${chat.length ? ` (bot on ${chat.join(' and ')})` : ''}.`,
    `  Redis:      ${redis.url}${redis.child ? ` (redis-server started here; data in ${stateDir()})` : ''}`,
    `  Worker:     pid ${children[0]!.process.pid}`,
    `  Playground: ${playground.url}   ← open it and type /help`,
    '  Ctrl-C stops everything.',
    '',
  ].join('\n'));
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
