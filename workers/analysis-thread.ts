// An analysis thread: runs runAnalysis off the worker's event loop and keeps its loaded engines
// (src/llm/provider.ts caches them per thread) from one job to the next. One message in, progress
// messages and one result (figures as transferred buffers) or error out.
import { parentPort, workerData } from 'node:worker_threads';
import { getAnalysis } from '../src/analyses/index.ts';
import { runAnalysis } from '../src/analyses/run.ts';
import { getEngine } from '../src/llm/provider.ts';
import {
  CANCELLED_ERROR, type RunMessage, type SerializedError, type ThreadInit, type ThreadMessage, type TransferredFigure,
} from '../src/queue/thread-protocol.ts';

const port = parentPort;
if (!port) throw new Error('workers/analysis-thread.ts runs as a worker thread of workers/analysis.ts');
const init = workerData as ThreadInit;
const post = (msg: ThreadMessage, transfer: ArrayBuffer[] = []) => port.postMessage(msg, transfer);

class JobCancelledError extends Error {
  override name = CANCELLED_ERROR;
}

function serializeError(err: unknown): SerializedError {
  if (err instanceof Error) {
    const option = (err as { option?: unknown }).option;
    return { name: err.name, message: err.message, stack: err.stack, ...(typeof option === 'string' ? { option } : {}) };
  }
  return { name: 'Error', message: String(err) };
}

async function run(msg: RunMessage): Promise<void> {
  const cancelFlag = new Int32Array(msg.cancel);
  const controller = new AbortController();
  // Analyses report stages between pieces of synchronous work; that is where a cancel can land.
  const checkCancelled = () => {
    if (Atomics.load(cancelFlag, 0) !== 0) {
      controller.abort();
      throw new JobCancelledError('cancelled');
    }
  };
  try {
    checkCancelled();
    const result = await runAnalysis(getAnalysis(msg.analysis), msg.options, {
      model: msg.model,
      signal: controller.signal,
      progress: (stage, fraction) => {
        checkCancelled();
        post({ type: 'progress', id: msg.id, stage, ...(fraction !== undefined ? { fraction } : {}) });
      },
      // runAnalysis picks the model by the one rule (a named one, else the notebook's, else MODEL)
      // and says which; engines stay loaded in this thread between jobs (provider.ts).
      threads: init.ortThreads,
    });
    checkCancelled(); // a cancel during the last stage (rendering) still wins over posting
    // Copy each PNG into an ArrayBuffer of its own (canvas buffers may be pooled or external),
    // then move it to the main thread instead of cloning it again.
    const figures: TransferredFigure[] = result.figures.map((f) => ({
      name: f.name, title: f.title, alt: f.alt,
      png: f.png.buffer.slice(f.png.byteOffset, f.png.byteOffset + f.png.byteLength) as ArrayBuffer,
    }));
    post({ type: 'result', id: msg.id, result: { ...result, figures } }, figures.map((f) => f.png));
  } catch (err) {
    post({ type: 'error', id: msg.id, error: serializeError(err) });
  }
}

port.on('message', (msg: RunMessage) => {
  if (msg.type === 'run') void run(msg);
});

post({ type: 'ready' });
if (init.warmModel) {
  getEngine({ threads: init.ortThreads }).then(
    (e) => post({ type: 'warm', model: e.name }),
    (err: unknown) => post({ type: 'warm', error: err instanceof Error ? err.message : String(err) }),
  );
}
