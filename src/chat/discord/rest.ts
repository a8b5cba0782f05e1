// One place that builds the Discord REST client, so the bot and the workers retry the same way.
import { createRequire } from 'node:module';
import { REST, type RESTOptions } from 'discord.js';
import { DeliveryRefusedError } from '../../queue/delivery-ledger.ts';

export interface DiscordRestConfig {
  DISCORD_TOKEN?: string;
  /** REST base in the form discord.js's `rest.api` takes, e.g. https://discord.com/api. */
  DISCORD_API_URL: string;
}

/**
 * @discordjs/rest waits out 429s (Retry-After / X-RateLimit-* headers, per bucket and global)
 * and retries 5xx and network errors `retries` times; `timeout` bounds each attempt.
 */
/**
 * @discordjs/rest builds multipart bodies (attachments) with its own copy of undici, but sends
 * them through undici's process-wide dispatcher, which every undici copy shares: if another copy
 * loads first (@slack/bolt's, in a process that has both), that copy's Agent cannot read the
 * body and the upload fails with "action is not a function". An Agent from @discordjs/rest's own
 * undici makes uploads independent of import order.
 */
const restUndici = createRequire(import.meta.resolve('@discordjs/rest'))('undici') as { Agent: new () => unknown };
const agent = new restUndici.Agent() as RESTOptions['agent'];

export const DISCORD_REST_OPTIONS = { retries: 3, timeout: 15_000, agent } as const;

export function createDiscordRest(cfg: DiscordRestConfig): REST {
  // Refused, not failed: no retry brings the token (the delivery queue stops at once).
  if (!cfg.DISCORD_TOKEN) throw new DeliveryRefusedError('DISCORD_TOKEN is not set: cannot talk to Discord. Set it to the bot token from the Discord developer portal.');
  return new REST({ api: cfg.DISCORD_API_URL, ...DISCORD_REST_OPTIONS }).setToken(cfg.DISCORD_TOKEN);
}
