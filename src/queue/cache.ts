// Results cached by (analysis, options, model) with a TTL, so a study group re-running a command
// gets it at once. The key is computed from the *validated* options (defaults filled in) so that
// `/fourier` and `/fourier srate:1000` share an entry.
//
// Seeds: runAnalysis draws a fresh random seed when the user gives none, and a user who runs the
// bare command again expects new samples: such a request never hits the cache. Its result is
// stored under the seed it drew, so `seed:<that seed>` (what a study group shares) hits.
import { createHash } from 'node:crypto';
import type { AnalysisResult } from '../analyses/types.ts';
import { decodeResult, encodeResult } from './result-codec.ts';
import type { QueueRuntime } from './runtime.ts';

/** Bump when the stored result format or the analyses' output changes meaning. */
const CACHE_FORMAT = 2;

export interface CacheIdentity {
  analysis: string;
  /** Validated options as enqueued (no seed when the user gave none). */
  options: Record<string, unknown>;
  /** Model name for LLM analyses, null for the others. */
  model: string | null;
}

/** JSON with object keys sorted at every level, so equal options give equal keys. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

export function cacheKeyOf(id: CacheIdentity): string {
  const text = canonicalJson({ v: CACHE_FORMAT, analysis: id.analysis, options: id.options, model: id.model });
  return createHash('sha256').update(text).digest('hex').slice(0, 40);
}

/**
 * Whether a request may be answered from the cache: a run with no seed draws a fresh one, so a
 * user who asks again without a seed expects new samples, never a stored result. Deterministic
 * analyses (no seed option) and explicit seeds are cacheable.
 */
export function cacheable(analysis: { options: { shape: object } }, options: Record<string, unknown>): boolean {
  return !('seed' in analysis.options.shape) || options.seed !== undefined;
}

export class ResultCache {
  constructor(private readonly rt: QueueRuntime) {}

  private redisKey(key: string): string {
    return this.rt.key('cache', key);
  }

  get enabled(): boolean {
    return this.rt.settings.cacheTtlS > 0;
  }

  async has(id: CacheIdentity): Promise<boolean> {
    if (!this.enabled) return false;
    return (await this.rt.redis.exists(this.redisKey(cacheKeyOf(id)))) === 1;
  }

  async get(id: CacheIdentity): Promise<AnalysisResult | null> {
    if (!this.enabled) return null;
    const fields = await this.rt.redis.hgetallBuffer(this.redisKey(cacheKeyOf(id)));
    const json = fields.json;
    if (!json) return null;
    const count = Number(fields.count?.toString() ?? '0');
    const pngs: Buffer[] = [];
    for (let i = 0; i < count; i++) {
      const png = fields[`png:${i}`];
      if (!png) return null; // partially expired or damaged: treat as a miss
      pngs.push(png);
    }
    const at = Number(fields.at?.toString() ?? NaN);
    return { ...decodeResult({ json: json.toString('utf8'), pngs }), ...(Number.isFinite(at) ? { cachedAt: at } : {}) };
  }

  /**
   * Store a result. A run whose seed was drawn (the user gave none) is stored only under that
   * seed, so `seed:<it>` reproduces it; the bare request never hits (see cacheable).
   */
  async put(id: CacheIdentity, result: AnalysisResult, now = Date.now()): Promise<void> {
    if (!this.enabled) return;
    const { json, pngs } = encodeResult(result);
    const fields: Record<string, string | Buffer> = { json, count: String(pngs.length), at: String(now) };
    pngs.forEach((png, i) => (fields[`png:${i}`] = png));
    const ids = id.options.seed === undefined && result.seed !== null ? [{ ...id, options: { ...id.options, seed: result.seed } }] : [id];
    const tx = this.rt.redis.multi();
    for (const x of ids) {
      const k = this.redisKey(cacheKeyOf(x));
      tx.del(k).hset(k, fields).expire(k, this.rt.settings.cacheTtlS);
    }
    await tx.exec();
  }
}
