// The queue system as one object: a Redis connection, the three BullMQ queues and the settings
// that shape jobs, all under one key prefix. The bot, the workers, the dashboard and the tests
// each open one (tests with their own prefix), so nothing below reads globals.
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { config, type Config } from '../config.ts';
import type { AnalysisJob } from './jobs.ts';

/**
 * Model jobs (GPT-2 forward passes, seconds each) and light jobs (data science, ~1 s) get their
 * own queues so neither starves the other; cache hits get a third so a repeated command is
 * answered at once instead of waiting behind a queue of model runs.
 */
export const ANALYSIS_KINDS = ['model', 'light', 'cached'] as const;
export type AnalysisKind = (typeof ANALYSIS_KINDS)[number];
/**
 * Every queue a request can be in. 'delivery' holds finished requests whose final message
 * (result or error) is still to be posted: the analysis queues hand their results over to it, so
 * a slow or failing platform never holds an analysis slot, and posting is retried for minutes
 * without recomputing anything (src/queue/delivery.ts). A delivery job has the same id as the
 * analysis job it finishes, so /job follows a request from one queue to the next.
 */
export const QUEUE_KINDS = [...ANALYSIS_KINDS, 'delivery'] as const;
export type QueueKind = (typeof QUEUE_KINDS)[number];

export const queueName = (kind: QueueKind): string => (kind === 'delivery' ? 'delivery' : `analysis-${kind}`);

/** The delivery queue's backoff: exponential from deliveryBackoffMs, capped at deliveryBackoffMaxMs. */
export const DELIVERY_BACKOFF = 'capped-exponential';
export function deliveryBackoffMs(attemptsMade: number, s: Pick<QueueSettings, 'deliveryBackoffMs' | 'deliveryBackoffMaxMs'>): number {
  return Math.min(s.deliveryBackoffMaxMs, Math.round(s.deliveryBackoffMs * 2 ** Math.max(0, attemptsMade - 1)));
}

export interface QueueSettings {
  cacheTtlS: number;
  rateLimitCount: number;
  rateLimitWindowS: number;
  channelMaxJobs: number;
  jobAttempts: number;
  jobBackoffMs: number;
  jobLockMs: number;
  stalledIntervalMs: number;
  progressIntervalMs: number;
  jobTimeoutMs: number;
  shutdownTimeoutMs: number;
  lightConcurrency: number;
  /** The model an LLM command runs on when it names none. */
  defaultModel: string;
  /**
   * Posting a finished request (the delivery queue): attempts, the first backoff delay and the
   * longest one. The defaults keep trying for about 8 minutes (2 s, 4 s, … then every 60 s),
   * which outlasts a platform outage of several minutes without recomputing the analysis.
   */
  deliveryAttempts: number;
  deliveryBackoffMs: number;
  deliveryBackoffMaxMs: number;
  /** Deliveries one worker process posts at once (network-bound: they cost no analysis slot). */
  deliveryConcurrency: number;
  /** How long a computed result waits in Redis for its delivery (seconds). */
  resultTtlS: number;
}

export function settingsFromConfig(c: Config = config): QueueSettings {
  return {
    cacheTtlS: c.CACHE_TTL_S,
    rateLimitCount: c.RATE_LIMIT_COUNT,
    rateLimitWindowS: c.RATE_LIMIT_WINDOW_S,
    channelMaxJobs: c.CHANNEL_MAX_JOBS,
    jobAttempts: c.JOB_ATTEMPTS,
    jobBackoffMs: c.JOB_BACKOFF_MS,
    jobLockMs: c.JOB_LOCK_MS,
    stalledIntervalMs: c.STALLED_INTERVAL_MS,
    progressIntervalMs: c.PROGRESS_INTERVAL_MS,
    jobTimeoutMs: c.JOB_TIMEOUT_MS,
    shutdownTimeoutMs: c.SHUTDOWN_TIMEOUT_MS,
    lightConcurrency: c.LIGHT_CONCURRENCY,
    defaultModel: c.MODEL,
    // Derived from JOB_BACKOFF_MS so a deployment (or a test) that shortens one shortens both.
    deliveryAttempts: 12,
    deliveryBackoffMs: c.JOB_BACKOFF_MS,
    deliveryBackoffMaxMs: Math.min(60_000, Math.max(1_000, c.JOB_BACKOFF_MS * 30)),
    deliveryConcurrency: 8,
    resultTtlS: 2 * 86_400,
  };
}

export interface QueueRuntime {
  readonly prefix: string;
  readonly redisUrl: string;
  /** For cache, limits, ledger and status keys. BullMQ gets connections of its own. */
  readonly redis: Redis;
  readonly queues: Record<QueueKind, Queue<AnalysisJob>>;
  readonly settings: QueueSettings;
  /** A key under this runtime's prefix: key('cache', hash) → "lab:cache:<hash>". */
  key(...parts: string[]): string;
  close(): Promise<void>;
}

export interface RuntimeOptions {
  prefix?: string;
  redisUrl?: string;
  settings?: Partial<QueueSettings>;
}

/** A new ioredis connection. `maxRetriesPerRequest: null` is what BullMQ's blocking commands require. */
export function connectRedis(url: string): Redis {
  return new Redis(url, { maxRetriesPerRequest: null });
}

/**
 * Connection options for a BullMQ Queue or Worker. Options, not a client: BullMQ then owns the
 * connection and closes it in close() (a client passed in is treated as shared and left open).
 */
export function bullConnection(url: string): { url: string; maxRetriesPerRequest: null } {
  return { url, maxRetriesPerRequest: null };
}

export function openRuntime(opts: RuntimeOptions = {}): QueueRuntime {
  const prefix = opts.prefix ?? config.QUEUE_PREFIX;
  const redisUrl = opts.redisUrl ?? config.REDIS_URL;
  const settings = { ...settingsFromConfig(), ...opts.settings };
  // The delivery backoff follows a job backoff given here, unless it is given too.
  if (opts.settings?.jobBackoffMs !== undefined && opts.settings.deliveryBackoffMs === undefined) {
    settings.deliveryBackoffMs = opts.settings.jobBackoffMs;
    if (opts.settings.deliveryBackoffMaxMs === undefined) settings.deliveryBackoffMaxMs = Math.min(60_000, Math.max(1_000, opts.settings.jobBackoffMs * 30));
  }
  const redis = connectRedis(redisUrl);
  const defaultJobOptions = {
    attempts: settings.jobAttempts,
    backoff: { type: 'exponential' as const, delay: settings.jobBackoffMs },
    // Keep finished jobs long enough for /job and the dashboard, not forever.
    removeOnComplete: { age: 7 * 86_400, count: 2_000 },
    removeOnFail: { age: 14 * 86_400, count: 2_000 },
  };
  const deliveryJobOptions = {
    ...defaultJobOptions,
    attempts: settings.deliveryAttempts,
    backoff: { type: DELIVERY_BACKOFF },
  };
  const queues = Object.fromEntries(
    QUEUE_KINDS.map((kind) => [kind, new Queue<AnalysisJob>(queueName(kind), {
      connection: bullConnection(redisUrl), prefix, defaultJobOptions: kind === 'delivery' ? deliveryJobOptions : defaultJobOptions,
    })]),
  ) as Record<QueueKind, Queue<AnalysisJob>>;
  return {
    prefix,
    redisUrl,
    redis,
    queues,
    settings,
    key: (...parts) => [prefix, ...parts].join(':'),
    async close() {
      await Promise.all(Object.values(queues).map((q) => q.close()));
      redis.disconnect();
    },
  };
}

let shared: QueueRuntime | undefined;

/** The process-wide runtime from the environment (bot, worker, dashboard). */
export function sharedRuntime(): QueueRuntime {
  return (shared ??= openRuntime());
}

export async function closeSharedRuntime(): Promise<void> {
  const r = shared;
  shared = undefined;
  await r?.close();
}

/**
 * BullMQ job ids: derived from the request id so a platform that re-sends the same interaction
 * enqueues nothing new (BullMQ ignores an add with an existing id). Numeric ids are refused by
 * BullMQ and ':' is its key separator, hence the "r-" and the character filter.
 */
export function jobIdFor(requestId: string): string {
  return `r-${requestId.replace(/[^A-Za-z0-9_.-]/g, '_')}`;
}
