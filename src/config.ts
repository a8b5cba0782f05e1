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
  CORPUS_DIR: z.string().default(path.join(repoRoot, '..', 'shared', 'corpus', 'gutenberg')),
  /** onnxruntime intra-op threads per inference session. */
  ORT_THREADS: z.coerce.number().int().min(1).max(256).default(2),
  LOG_LEVEL: z.string().default('info'),
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
