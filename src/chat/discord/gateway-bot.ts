// The Discord front: a discord.js gateway client. Each slash command is deferred first (the
// 3-second deadline), then handed to the dispatcher; workers edit the deferred reply later.
import { Client, Events, GatewayIntentBits, MessageFlags, type ChatInputCommandInteraction, type InteractionEditReplyOptions } from 'discord.js';
import type { CommandOutcome, CommandRequest } from '../../commands/dispatch.ts';
import { INTERNAL_ERROR_TEXT, queuedText, type Log } from '../front.ts';
import type { DiscordMessage } from './message.ts';
import { errorMessage, NO_MENTIONS, textReplyMessage } from './message.ts';
import { commandRequest } from './request.ts';
import { DISCORD_REST_OPTIONS, type DiscordRestConfig } from './rest.ts';

export interface DiscordBotOptions extends DiscordRestConfig {
  DISCORD_TOKEN: string;
  handle: (req: CommandRequest) => Promise<CommandOutcome>;
  log: Log;
}

export interface RunningDiscordBot {
  client: Client;
  stop(): Promise<void>;
}

export async function startDiscordBot(opts: DiscordBotOptions): Promise<RunningDiscordBot> {
  const client = new Client({
    intents: [GatewayIntentBits.Guilds],
    rest: { api: opts.DISCORD_API_URL, ...DISCORD_REST_OPTIONS },
    // Nothing the bot says pings anyone, whatever text it echoes.
    allowedMentions: NO_MENTIONS,
  });

  client.on(Events.InteractionCreate, (interaction) => {
    if (!interaction.isChatInputCommand()) return;
    onCommand(interaction, opts).catch((err: unknown) => opts.log.error({ err, command: interaction.commandName }, 'discord: command failed'));
  });
  client.on(Events.Error, (err) => opts.log.error({ err }, 'discord: client error'));

  const ready = new Promise<void>((resolve) => client.once(Events.ClientReady, () => resolve()));
  await client.login(opts.DISCORD_TOKEN);
  await ready;
  opts.log.info({ user: client.user?.tag, application: client.application?.id }, 'discord: connected to the gateway');
  return { client, stop: () => client.destroy() };
}

async function onCommand(interaction: ChatInputCommandInteraction, opts: DiscordBotOptions): Promise<void> {
  // The deadline-critical acknowledgement comes first; everything slow waits behind it.
  await interaction.deferReply();

  const request: CommandRequest = {
    ...commandRequest(interaction),
    // Dispatch awaits this before the job is visible to workers, so the note never lands on
    // top of a result. Best effort: a note that fails to show must not cost the user the job.
    showQueued: async (position) => {
      await interaction.editReply({ content: `⏳ ${capitalise(queuedText(position))}.`, allowedMentions: NO_MENTIONS }).catch((err: unknown) => opts.log.warn({ err }, 'discord: could not show the queued note'));
    },
  };
  let outcome: CommandOutcome;
  try {
    outcome = await opts.handle(request);
  } catch (err) {
    opts.log.error({ err, command: interaction.commandName }, 'discord: dispatch failed');
    outcome = { kind: 'error', message: INTERNAL_ERROR_TEXT };
  }

  switch (outcome.kind) {
    case 'queued':
      return; // the pending message now belongs to the worker
    case 'reply':
      if (!outcome.ephemeral) {
        await interaction.editReply(editOptions(textReplyMessage(outcome.reply)));
        return;
      }
      await replyPrivately(interaction, textReplyMessage(outcome.reply));
      return;
    case 'error':
      await replyPrivately(interaction, errorMessage(outcome.message));
      return;
  }
}

const capitalise = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/**
 * The deferred reply is public, so a private answer replaces it: the placeholder is deleted and
 * the answer sent as an ephemeral follow-up only the user sees.
 */
async function replyPrivately(interaction: ChatInputCommandInteraction, msg: DiscordMessage): Promise<void> {
  await interaction.deleteReply();
  await interaction.followUp({ ...editOptions(msg), flags: MessageFlags.Ephemeral });
}

function editOptions(msg: DiscordMessage): InteractionEditReplyOptions & { content?: string } {
  const { content, embeds } = msg.body;
  return { content: content || undefined, embeds: embeds ?? [], allowedMentions: NO_MENTIONS };
}
