// A slash-command interaction → the platform-neutral command request the dispatcher takes.
import { ApplicationCommandOptionType, PermissionFlagsBits, type ChatInputCommandInteraction, type CommandInteractionOption } from 'discord.js';
import type { CommandRequest } from '../../commands/dispatch.ts';
import { SUBCOMMAND_OPTION } from '../../commands/define.ts';
import type { DiscordTarget } from './deliver.ts';

/** Interaction tokens are valid for 15 minutes from the moment Discord created the interaction. */
export const INTERACTION_TOKEN_LIFETIME_MS = 15 * 60_000;

export function commandRequest(interaction: ChatInputCommandInteraction): CommandRequest {
  const target: DiscordTarget = {
    platform: 'discord',
    applicationId: interaction.applicationId,
    interactionId: interaction.id,
    interactionToken: interaction.token,
    tokenExpiresAt: interaction.createdTimestamp + INTERACTION_TOKEN_LIFETIME_MS,
    channelId: interaction.channelId,
  };
  if (interaction.guildId) target.guildId = interaction.guildId;
  if (interaction.attachmentSizeLimit) target.attachmentSizeLimit = interaction.attachmentSizeLimit;
  return {
    requestId: `discord-${interaction.id}`,
    command: interaction.commandName,
    rawOptions: optionValues(interaction.options.data),
    requester: { platform: 'discord', userId: interaction.user.id, userName: interaction.user.username, channelAdmin: isChannelAdmin(interaction) },
    target,
  };
}

/**
 * Channel admins (digest subscriptions): Manage Channels or Manage Server in this channel, as the
 * interaction's member permissions say (Administrator implies both). Never in a DM.
 */
function isChannelAdmin(interaction: ChatInputCommandInteraction): boolean {
  return interaction.memberPermissions?.any([PermissionFlagsBits.ManageChannels, PermissionFlagsBits.ManageGuild]) ?? false;
}

/** Option name → value as Discord typed it; a subcommand's name and options are flattened into one record. */
function optionValues(options: readonly CommandInteractionOption[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const o of options) {
    if (o.type === ApplicationCommandOptionType.Subcommand) out[SUBCOMMAND_OPTION] = o.name;
    if (o.options) Object.assign(out, optionValues(o.options));
    else if (o.value !== undefined) out[o.name] = o.value;
  }
  return out;
}
