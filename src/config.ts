// Configuration comes from the environment (DESIGN.md §5); validated once, here, where it enters.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

const EnvSchema = z.object({
  REDIS_URL: z.string().default('redis://127.0.0.1:6379'),
  DISCORD_TOKEN: z.string().optional(),
  DISCORD_APP_ID: z.string().optional(),
  DISCORD_GUILD_ID: z.string().optional(),
  DISCORD_API_URL: z.string().default('https://discord.com/api'),
  SLACK_BOT_TOKEN: z.string().optional(),
  SLACK_SIGNING_SECRET: z.string().optional(),
  SLACK_APP_TOKEN: z.string().optional(),
  SLACK_API_URL: z.string().default('https://slack.com/api/'),
  PORT: z.coerce.number().int().min(1).max(65535).default(3000),
  MODEL: z.string().default('gpt2'),
  HF_HOME: z.string().optional(),
  HF_ENDPOINT: z.string().default('https://huggingface.co'),
  /** Hugging Face access token for gated or private repositories (sent only to HF_ENDPOINT). */
  HF_TOKEN: z.string().optional(),
  /** Where downloaded checkpoints live when HF_HOME is not set. */
  MODELS_DIR: z.string().default(path.join(repoRoot, 'models', 'cache')),
  /** Directory of Gutenberg plain-text books (pgNNN.txt) consulted before downloading. */
  CORPUS_DIR: z.string().default(path.join(repoRoot, 'data', 'gutenberg')),
  /** Base of Gutenberg's plain-text URLs: <GUTENBERG_URL>/<id>/pg<id>.txt (for a book not in CORPUS_DIR). */
  GUTENBERG_URL: z.string().default('https://www.gutenberg.org/cache/epub'),
  /** Downloaded books and per-book Zipf counts (a cache: safe to delete). */
  BOOK_CACHE_DIR: z.string().default(path.join(repoRoot, 'models', 'cache', 'books')),
  /** Size bound of BOOK_CACHE_DIR in MB: least recently used books and counts are deleted beyond it (the bundled corpus never is). */
  BOOK_CACHE_MAX_MB: z.coerce.number().min(1).default(256),
  /** Data sets downloaded from UCI on request (the bundled copies are in data/uci; a cache: safe to delete). */
  DATA_CACHE_DIR: z.string().default(path.join(repoRoot, 'models', 'cache', 'data')),
  /** onnxruntime intra-op threads per inference session. */
  ORT_THREADS: z.coerce.number().int().min(1).max(256).default(2),
  LOG_LEVEL: z.string().default('info'),
  // ── Queue, workers, cache, limits (src/queue, workers/) ──
  /** Prefix of every BullMQ queue and every cache/limit/delivery key: one Redis can host several deployments (and tests). */
  QUEUE_PREFIX: z.string().regex(/^[A-Za-z0-9_.-]+$/, 'letters, digits, _ . - only').default('lab'),
  /** How long a finished result stays cached, in seconds (0 turns the cache off). */
  CACHE_TTL_S: z.coerce.number().int().min(0).default(86_400),
  /**
   * Per-user rate limit: at most RATE_LIMIT_COUNT analyses per RATE_LIMIT_WINDOW_S seconds. 10 a
   * minute lets one person try each of the ~20 commands once in about two minutes; jobs that fail,
   * are rejected or cancelled give their slot back.
   */
  RATE_LIMIT_COUNT: z.coerce.number().int().min(1).default(10),
  RATE_LIMIT_WINDOW_S: z.coerce.number().int().min(1).default(60),
  /** Per-user limit on text commands (help, posts, job, …), apart from analyses: TEXT_RATE_LIMIT_COUNT per TEXT_RATE_LIMIT_WINDOW_S. */
  TEXT_RATE_LIMIT_COUNT: z.coerce.number().int().min(1).default(30),
  TEXT_RATE_LIMIT_WINDOW_S: z.coerce.number().int().min(1).default(60),
  /** Per-channel cap on unfinished (waiting or running) analyses. */
  CHANNEL_MAX_JOBS: z.coerce.number().int().min(1).default(3),
  /**
   * Work budgets (src/queue/admission.ts, cost.ts): at most RATE_COST_USER_S model-seconds per
   * user and RATE_COST_CHANNEL_S per channel in any RATE_COST_WINDOW_S, a model-second being a
   * second of work on the reference 2-core worker (a default /logits on gpt2 is about 2). 0 turns
   * a budget off. Failed, rejected and cancelled jobs give their cost back.
   */
  RATE_COST_WINDOW_S: z.coerce.number().int().min(1).default(600),
  RATE_COST_USER_S: z.coerce.number().min(0).default(300),
  RATE_COST_CHANNEL_S: z.coerce.number().min(0).default(600),
  /** Attempts per job (first run + retries) and the first exponential backoff delay. */
  JOB_ATTEMPTS: z.coerce.number().int().min(1).max(10).default(3),
  JOB_BACKOFF_MS: z.coerce.number().int().min(0).default(2_000),
  /** BullMQ job lock; a worker that dies mid-job loses it, and the job is re-run after the next stalled check. */
  JOB_LOCK_MS: z.coerce.number().int().min(500).default(30_000),
  STALLED_INTERVAL_MS: z.coerce.number().int().min(500).default(30_000),
  /** Minimum gap between two progress edits of one job (Discord/Slack rate limits). */
  PROGRESS_INTERVAL_MS: z.coerce.number().int().min(0).default(1_000),
  /** On SIGTERM/SIGINT a worker finishes its current jobs for at most this long, then returns them to the queue. */
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(0).default(60_000),
  /** A single analysis run longer than this is stopped (its thread is terminated) and reported as failed. */
  JOB_TIMEOUT_MS: z.coerce.number().int().min(1_000).default(300_000),
  /** Which queues a worker process serves (comma-separated): split model and light work across machines. */
  WORKER_QUEUES: z.string().regex(/^(model|light|cached)(,(model|light|cached))*$/, 'comma-separated list of model, light, cached').default('model,light,cached'),
  /** Threads (and concurrent jobs) per worker for analyses without a model; model jobs get one thread. */
  LIGHT_CONCURRENCY: z.coerce.number().int().min(1).max(32).default(1),
  /** Bull Board dashboard: HTTP basic auth; it refuses to start without a password. */
  DASHBOARD_USER: z.string().default('admin'),
  DASHBOARD_PASSWORD: z.string().optional(),
  DASHBOARD_PORT: z.coerce.number().int().min(1).max(65535).default(3001),
  /** Interface the dashboard listens on: localhost unless a deployment publishes it on purpose. */
  DASHBOARD_HOST: z.string().default('127.0.0.1'),
  // ── Digests (src/digest, workers/digest.ts) ──
  /** Slack user ids (comma-separated) who may manage digests besides workspace admins and owners. */
  SLACK_DIGEST_ADMINS: z.string().regex(/^[A-Z0-9]+(,\s*[A-Z0-9]+)*$/, 'comma-separated Slack user ids, e.g. U012AB3CD,U045EF6GH').optional(),
  /** A cron pattern (seconds allowed) that replaces the weekly day/time of new subscriptions: demos and tests. */
  DIGEST_CRON: z.string().optional(),
});

export type Config = z.infer<typeof EnvSchema>;

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const clean = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== ''));
  const parsed = EnvSchema.safeParse(clean);
  if (!parsed.success) {
    const msg = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new Error(`Bad configuration: ${msg}`);
  }
  return parsed.data;
}

export const config: Config = loadConfig();
