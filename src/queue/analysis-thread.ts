// The main-thread side of an analysis thread (workers/analysis-thread.ts). onnxruntime's run()
// and canvas rendering are synchronous native work: on the worker's event loop they would stall
// BullMQ's lock renewal, the job would be declared stalled and run (and posted) twice. Here they
// run in a worker thread that lives as long as the worker, so a loaded model stays loaded.
import { Worker } from 'node:worker_threads';
import { OptionError, type AnalysisResult } from '../analyses/types.ts';
import { CANCELLED_ERROR, type RunMessage, type SerializedError, type ThreadInit, type ThreadMessage } from './thread-protocol.ts';

const THREAD_ENTRY = new URL('../../workers/analysis-thread.ts', import.meta.url);
/** After a cancel, how long an analysis may take to reach its next stage before its thread is terminated. */
const CANCEL_GRACE_MS = 5_000;

export class JobCancelledError extends Error {
  override name = CANCELLED_ERROR;
}
export class JobTimeoutError extends Error {
  override name = 'JobTimeoutError';
}

export interface ThreadJob {
  analysis: string;
  options: Record<string, unknown>;
  model?: string;
}

export interface RunHooks {
  progress(stage: string, fraction?: number): void;
  signal?: AbortSignal;
  timeoutMs: number;
}

export interface ThreadEvents {
  warm?(info: { model?: string; error?: string }): void;
  exit?(info: { code: number; running: boolean }): void;
}

interface Running {
  id: number;
  hooks: RunHooks;
  resolve(r: AnalysisResult): void;
  reject(e: Error): void;
}

function reviveError(e: SerializedError): Error {
  let err: Error;
  if (e.name === 'OptionError' && e.option !== undefined) {
    err = new OptionError(e.option, '');
    err.message = e.message;
  } else if (e.name === CANCELLED_ERROR) {
    err = new JobCancelledError(e.message);
  } else {
    err = new Error(e.message);
    err.name = e.name;
  }
  if (e.stack) err.stack = e.stack;
  return err;
}

/**
 * tsx's loader is not inherited by worker threads, so each thread registers it before importing
 * its TypeScript entry. (A plain-JS deployment would point `new Worker` at the entry directly.)
 */
function spawnTsWorker(entry: URL, workerData: ThreadInit): Worker {
  const tsxApi = import.meta.resolve('tsx/esm/api');
  const boot = `import(${JSON.stringify(tsxApi)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(entry.href)}); })`;
  return new Worker(boot, { eval: true, workerData });
}

export class AnalysisThread {
  private worker: Worker | undefined;
  private ready: Promise<void> | undefined;
  private running: Running | undefined;
  /** Taken synchronously by run(), before it awaits start(): a pool never hands one thread two jobs. */
  private reserved = false;
  private nextId = 1;

  constructor(private readonly init: ThreadInit, private readonly events: ThreadEvents = {}) {}

  get busy(): boolean {
    return this.reserved || this.running !== undefined;
  }

  /** Start the thread (idempotent); resolves once its modules are loaded. */
  start(): Promise<void> {
    if (this.ready) return this.ready;
    const worker = spawnTsWorker(THREAD_ENTRY, this.init);
    this.worker = worker;
    this.ready = new Promise<void>((resolve, reject) => {
      worker.on('message', (msg: ThreadMessage) => {
        if (msg.type === 'ready') resolve();
        else this.onMessage(msg);
      });
      // Only the current thread's death fails the running job: a thread replaced by restart()
      // has already failed its job and must not fail the next one.
      worker.once('error', (err) => {
        reject(err);
        if (this.worker === worker) this.fail(err);
      });
      worker.once('exit', (code) => {
        reject(new Error(`analysis thread exited with code ${code} before it was ready`));
        if (this.worker !== worker) return;
        const wasRunning = this.running !== undefined;
        this.worker = undefined;
        this.ready = undefined;
        this.fail(new Error(`analysis thread exited (code ${code})`));
        this.events.exit?.({ code, running: wasRunning });
      });
    });
    this.ready.catch(() => {}); // callers that await start() see the rejection; nobody else should
    return this.ready;
  }

  private onMessage(msg: ThreadMessage): void {
    if (msg.type === 'warm') {
      this.events.warm?.({ model: msg.model, error: msg.error });
      return;
    }
    const job = this.running;
    if (!job || msg.type === 'ready' || msg.id !== job.id) return;
    if (msg.type === 'progress') {
      try {
        job.hooks.progress(msg.stage, msg.fraction);
      } catch {
        // A progress consumer's bug must not break the job.
      }
    } else if (msg.type === 'result') {
      const figures = msg.result.figures.map((f) => ({ ...f, png: Buffer.from(f.png) }));
      this.settle(() => job.resolve({ ...(msg.result as unknown as AnalysisResult), figures }));
    } else if (msg.type === 'error') {
      this.settle(() => job.reject(reviveError(msg.error)));
    }
  }

  private settle(fn: () => void): void {
    this.running = undefined;
    fn();
  }

  private fail(err: Error): void {
    const job = this.running;
    if (job) this.settle(() => job.reject(err));
  }

  /** Run one analysis. One job at a time per thread; the caller (a pool) guarantees that. */
  async run(job: ThreadJob, hooks: RunHooks): Promise<AnalysisResult> {
    if (this.busy) throw new Error('analysis thread is busy');
    this.reserved = true;
    try {
      await this.start();
    } finally {
      this.reserved = false;
    }
    const worker = this.worker!;
    const cancel = new SharedArrayBuffer(4);
    const flag = new Int32Array(cancel);
    const id = this.nextId++;
    return new Promise<AnalysisResult>((resolve, reject) => {
      let graceTimer: NodeJS.Timeout | undefined;
      const timeout = setTimeout(() => {
        // Stuck in native or synchronous code: only terminating the thread stops it.
        this.fail(new JobTimeoutError(`took longer than ${Math.round(hooks.timeoutMs / 1000)} s`));
        void this.restart();
      }, hooks.timeoutMs);
      const onAbort = () => {
        Atomics.store(flag, 0, 1);
        graceTimer = setTimeout(() => {
          this.fail(new JobCancelledError(String(hooks.signal?.reason ?? 'cancelled')));
          void this.restart();
        }, CANCEL_GRACE_MS);
      };
      const cleanup = () => {
        clearTimeout(timeout);
        if (graceTimer) clearTimeout(graceTimer);
        hooks.signal?.removeEventListener('abort', onAbort);
      };
      this.running = {
        id, hooks,
        resolve: (r) => (cleanup(), resolve(r)),
        reject: (e) => (cleanup(), reject(e)),
      };
      if (hooks.signal?.aborted) onAbort();
      else hooks.signal?.addEventListener('abort', onAbort, { once: true });
      const msg: RunMessage = { type: 'run', id, cancel, analysis: job.analysis, options: job.options, ...(job.model ? { model: job.model } : {}) };
      worker.postMessage(msg);
    });
  }

  /** Replace the thread (after a timeout or an ignored cancel); the new one loads lazily. */
  private async restart(): Promise<void> {
    const w = this.worker;
    this.worker = undefined;
    this.ready = undefined;
    await w?.terminate();
  }

  async terminate(): Promise<void> {
    this.fail(new Error('analysis thread terminated'));
    await this.restart();
  }
}

/** A fixed set of threads for one queue; BullMQ's concurrency equals the pool size. */
export class ThreadPool {
  readonly threads: AnalysisThread[];

  constructor(size: number, make: () => AnalysisThread) {
    this.threads = Array.from({ length: size }, make);
  }

  start(): Promise<void[]> {
    return Promise.all(this.threads.map((t) => t.start()));
  }

  run(job: ThreadJob, hooks: RunHooks): Promise<AnalysisResult> {
    const idle = this.threads.find((t) => !t.busy);
    if (!idle) return Promise.reject(new Error('no idle analysis thread (concurrency exceeds pool size)'));
    return idle.run(job, hooks);
  }

  async terminate(): Promise<void> {
    await Promise.all(this.threads.map((t) => t.terminate()));
  }
}
