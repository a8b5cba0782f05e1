// onnxruntime sessions by segment key, least recently used first out, within a budget of the
// weight bytes they hold (each session owns its copy of its weights). Shared by the GPT-2 and
// BERT engines.
import type * as ort from 'onnxruntime-node';

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
