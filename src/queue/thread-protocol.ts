// Messages between a worker process's main thread (BullMQ, delivery) and its analysis threads
// (onnxruntime and rendering, which run synchronously and must not block lock renewal).

export interface ThreadInit {
  /** onnxruntime intra-op threads for engines loaded in this thread. */
  ortThreads: number;
  /** Load the default model as soon as the thread starts, so the first job does not pay for it. */
  warmModel: boolean;
}

export interface RunMessage {
  type: 'run';
  id: number;
  analysis: string;
  options: Record<string, unknown>;
  model?: string;
  /** Int32Array(1) over shared memory: set to 1 by the main thread to cancel between stages. */
  cancel: SharedArrayBuffer;
}

export interface SerializedError {
  name: string;
  message: string;
  /** OptionError's option name. */
  option?: string;
  stack?: string;
}

export interface TransferredFigure {
  name: string;
  title: string;
  alt: string;
  png: ArrayBuffer;
}

export type ThreadMessage =
  | { type: 'ready' }
  | { type: 'warm'; model?: string; error?: string }
  | { type: 'progress'; id: number; stage: string; fraction?: number }
  | { type: 'result'; id: number; result: Record<string, unknown> & { figures: TransferredFigure[] } }
  | { type: 'error'; id: number; error: SerializedError };

/** Thrown in the analysis thread when the cancel flag is seen; crosses back by name. */
export const CANCELLED_ERROR = 'JobCancelledError';
