// Results cached by (analysis, options, model) with a TTL, so a study group re-running a command
// gets it at once. The key is computed from the *validated* options (defaults filled in) so that
// `/fourier` and `/fourier srate:1000` share an entry.
//
// Seeds: runAnalysis draws a fresh random seed when the user gives none. We key such a request by
// its options *before* the seed is drawn ("no seed given"), so re-running the bare command hits
// the cache and shows the same figures with the same reported seed — which is what a study group
// expects. The result is also stored under its explicit seed, so `seed:<that seed>` hits too.
import { createHash } from 'node:crypto';
import type { AnalysisResult } from '../analyses/types.ts';
import { decodeResult, encodeResult } from './result-codec.ts';
import type { QueueRuntime } from './runtime.ts';

/** Bump when the stored result format or the analyses' output changes meaning. */
const CACHE_FORMAT = 1;

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
    return decodeResult({ json: json.toString('utf8'), pngs });
  }

  /** Store under the request's identity and, when a seed was drawn, under the explicit seed too. */
  async put(id: CacheIdentity, result: AnalysisResult): Promise<void> {
    if (!this.enabled) return;
    const { json, pngs } = encodeResult(result);
    const fields: Record<string, string | Buffer> = { json, count: String(pngs.length) };
    pngs.forEach((png, i) => (fields[`png:${i}`] = png));
    const ids = [id];
    if (result.seed !== null && id.options.seed === undefined) ids.push({ ...id, options: { ...id.options, seed: result.seed } });
    const tx = this.rt.redis.multi();
    for (const x of ids) {
      const k = this.redisKey(cacheKeyOf(x));
      tx.del(k).hset(k, fields).expire(k, this.rt.settings.cacheTtlS);
    }
    await tx.exec();
  }
}
