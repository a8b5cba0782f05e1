// The engines' onnxruntime session options, and their sessions by segment key, least recently used first out, within a budget of the
// weight bytes they hold (each session owns its copy of its weights). Shared by the GPT-2 and
// BERT engines.
import type * as ort from 'onnxruntime-node';

/**
 * The session options every engine session starts from (GPT-2's and BERT's alike); a session
 * that keeps an arena turns it on for itself.
 */
export function engineSessionOptions(threads: number, externalDir?: string): ort.InferenceSession.SessionOptions {
  if (!Number.isInteger(threads) || threads < 1) throw new RangeError(`threads must be a whole number ≥ 1 (got ${threads})`);
  return {
    executionProviders: ['cpu'],
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
    executionMode: 'sequential',
    // Each session has its own arena, which would keep every block's peak activations for the
    // process's life (+1 GB for gpt2 after one 1024-token run). Without arenas buffers come
    // from malloc and are shared across sessions; it costs some page faults on long inputs.
    enableCpuMemArena: false,
    // With no arena, a per-run memory pattern is one big malloc per run: more faults, higher peak.
    enableMemPattern: false,
    // Each session has its own intra-op pool; threads that spin after one session's work
    // steal the cores the next session needs (measured: 1.1 s instead of 66 ms at 16 tokens).
    extra: {
      session: {
        intra_op: { allow_spinning: '0' },
        ...(externalDir ? { model_external_initializers_file_folder_path: externalDir } : {}),
      },
    },
  };
}

interface CachedSession {
  session: ort.InferenceSession;
  weightBytes: number;
}

export class SessionCache {
  private readonly sessions = new Map<string, CachedSession>();

  constructor(private readonly budgetBytes: number) {}

  get size(): number {
    return this.sessions.size;
  }

  /** The session for `key`, now the most recently used; undefined when there is none. */
  get(key: string): ort.InferenceSession | undefined {
    const hit = this.sessions.get(key);
    if (!hit) return undefined;
    this.sessions.delete(key); // refresh LRU order
    this.sessions.set(key, hit);
    return hit.session;
  }

  /**
   * Make room for `weightBytes` more, then build and keep the session. Room comes first: a
   * session that holds every block's weights, built beside the ones it replaces, raised the peak.
   */
  async add(key: string, weightBytes: number, create: () => Promise<ort.InferenceSession>): Promise<ort.InferenceSession> {
    await this.evict(weightBytes);
    const session = await create();
    this.sessions.set(key, { session, weightBytes });
    return session;
  }

  private async evict(incoming: number): Promise<void> {
    let total = incoming;
    for (const s of this.sessions.values()) total += s.weightBytes;
    for (const [key, s] of this.sessions) {
      if (total <= this.budgetBytes) break;
      this.sessions.delete(key);
      total -= s.weightBytes;
      await s.session.release();
    }
  }

  async releaseAll(): Promise<void> {
    for (const s of this.sessions.values()) await s.session.release();
    this.sessions.clear();
  }
}
