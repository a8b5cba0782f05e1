// `npm run bot`: the chat fronts. Discord starts when DISCORD_TOKEN is set; Slack when
// SLACK_BOT_TOKEN is set, over HTTP (SLACK_SIGNING_SECRET, on PORT at /slack/events) or Socket
// Mode (SLACK_APP_TOKEN). Both hand commands to the dispatcher; `npm run worker` does the rest.
import { pathToFileURL } from 'node:url';
import { pino } from 'pino';
import { registerDeliverer } from './chat/deliverers.ts';
import { createDiscordDeliverer } from './chat/discord/deliver.ts';
import { startDiscordBot } from './chat/discord/gateway-bot.ts';
import { startSlackBot } from './chat/slack/app.ts';
import { createSlackDeliverer } from './chat/slack/deliver.ts';
import { handleCommand } from './commands/dispatch.ts';
import { parseSlackText } from './commands/slack-text.ts';
import { config, type Config } from './config.ts';
import { closeSharedRuntime } from './queue/runtime.ts';

export const NOT_CONFIGURED = `No chat platform is configured, so there is nothing for the bot to connect to.

  Discord: set DISCORD_TOKEN (the bot token) and DISCORD_APP_ID, then register the commands
           with \`npm run deploy-commands\` (DISCORD_GUILD_ID registers them in one server at once).
  Slack:   create the app from slack-manifest.yml, then set SLACK_BOT_TOKEN and either
           SLACK_SIGNING_SECRET (HTTP: Slack posts to https://<host>:PORT/slack/events) or
           SLACK_APP_TOKEN (Socket Mode: no public URL needed).

Without any of them, \`npm start\` opens the local web playground, which takes the same commands.`;

export interface RunningBot {
  platforms: ('discord' | 'slack')[];
  stop(): Promise<void>;
}

export async function startBot(cfg: Config, log: pino.Logger): Promise<RunningBot | undefined> {
  const stops: (() => Promise<void>)[] = [];
  const platforms: RunningBot['platforms'] = [];
  const stopAll = async () => {
    for (const stop of stops.reverse()) await stop().catch((err: unknown) => log.error({ err }, 'error while stopping'));
  };
  try {
    if (cfg.DISCORD_TOKEN) {
      const discord = await startDiscordBot({ ...cfg, DISCORD_TOKEN: cfg.DISCORD_TOKEN, handle: handleCommand, log: log.child({ platform: 'discord' }) });
      // Share the gateway client's REST queue, so the bot's own deliveries respect the same rate limits.
      registerDeliverer(createDiscordDeliverer(cfg, { rest: discord.client.rest }));
      stops.push(discord.stop);
      platforms.push('discord');
    }
    if (cfg.SLACK_BOT_TOKEN) {
      const slack = await startSlackBot({ ...cfg, SLACK_BOT_TOKEN: cfg.SLACK_BOT_TOKEN, parse: parseSlackText, handle: handleCommand, log: log.child({ platform: 'slack' }) });
      registerDeliverer(createSlackDeliverer(cfg, { client: slack.app.client }));
      stops.push(slack.stop);
      platforms.push('slack');
    }
  } catch (err) {
    await stopAll();
    throw err;
  }
  if (platforms.length === 0) return undefined;
  return { platforms, stop: stopAll };
}

async function main(): Promise<void> {
  const log = pino({ level: config.LOG_LEVEL, base: { proc: 'bot', pid: process.pid } });
  let bot: RunningBot | undefined;
  try {
    bot = await startBot(config, log);
  } catch (err) {
    log.fatal({ err }, `could not start: ${err instanceof Error ? err.message : String(err)}`);
    await closeSharedRuntime();
    process.exit(1);
  }
  if (!bot) {
    console.error(NOT_CONFIGURED);
    process.exit(1);
  }
  log.info({ platforms: bot.platforms }, 'bot ready');
  const shutdown = async (signal: string) => {
    log.info({ signal }, 'shutting down');
    await bot.stop();
    await closeSharedRuntime();
    process.exit(0);
  };
  process.once('SIGINT', () => void shutdown('SIGINT'));
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
