// Real worker processes for end-to-end tests: `node --import tsx workers/analysis.ts` with the
// test's queue prefix, its log lines kept for assertions.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readWebEvents, type WebEvent } from '../../src/chat/web/deliver.ts';
import { ENGINE_NODE_FLAGS } from '../../src/llm/node-flags.ts';
import type { QueueRuntime } from '../../src/queue/runtime.ts';
import { REDIS_URL, waitFor } from '../queue/support.ts';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface WorkerProcess {
  child: ChildProcess;
  logs: LogEntry[];
  exited: Promise<number | null>;
  /** Resolves when the worker logged "worker ready". */
  ready: Promise<void>;
}

export function spawnWorker(prefix: string, env: Record<string, string> = {}): WorkerProcess {
  const child = spawn(process.execPath, [...ENGINE_NODE_FLAGS, '--import', 'tsx', 'workers/analysis.ts'], {
    cwd: repo,
    env: {
      ...process.env,
      REDIS_URL, QUEUE_PREFIX: prefix, LOG_LEVEL: 'info',
      WORKER_QUEUES: 'light,cached', PROGRESS_INTERVAL_MS: '200', JOB_BACKOFF_MS: '200',
      // No platform credentials: these tests deliver to the web target only.
      DISCORD_TOKEN: '', SLACK_BOT_TOKEN: '',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: WorkerProcess['logs'] = [];
  let readyResolve!: () => void;
  const ready = new Promise<void>((r) => (readyResolve = r));
  collectJsonLines(child.stdout!, (entry) => {
    logs.push(entry);
    if (entry.msg === 'worker ready') readyResolve();
  });
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const readyOrDead = Promise.race([
    ready,
    exited.then((code) => {
      throw new Error(`worker exited (${code}) before it was ready: ${stderr.slice(-2000)}`);
    }),
  ]);
  readyOrDead.catch(() => {});
  return { child, logs, exited, ready: readyOrDead };
}

export type LogEntry = { msg: string; [k: string]: unknown };

/** Each line a child process logs (pino JSON; other lines as { msg }), as it arrives. */
export function collectJsonLines(stream: NodeJS.ReadableStream, onEntry: (entry: LogEntry) => void): void {
  let buf = '';
  stream.on('data', (chunk: Buffer) => {
    buf += chunk.toString('utf8');
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      let entry: LogEntry;
      try {
        entry = { msg: '', ...JSON.parse(line) };
      } catch {
        entry = { msg: line };
      }
      onEntry(entry);
    }
  });
}

/** Stop a worker the test started (by its pid), if it is still running. */
export async function stopWorker(w: WorkerProcess): Promise<void> {
  if (w.child.exitCode === null && w.child.signalCode === null) {
    w.child.kill('SIGKILL');
    await w.exited;
  }
}

export function events(rt: QueueRuntime, sessionId: string): Promise<WebEvent[]> {
  return readWebEvents(rt.redis, rt.prefix, sessionId);
}

export async function waitForEvent(rt: QueueRuntime, sessionId: string, type: WebEvent['type'], timeoutMs: number): Promise<WebEvent> {
  return waitFor(async () => (await events(rt, sessionId)).find((e) => e.type === type), timeoutMs, `a ${type} event in ${sessionId}`);
}
