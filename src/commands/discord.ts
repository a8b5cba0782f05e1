// Commands → Discord application-command JSON (what `npm run deploy-commands` registers).
// discord.js's SlashCommandBuilder checks Discord's own limits (name pattern, 100-character
// descriptions, 25 choices, required options first) as the JSON is built.
import { SlashCommandBuilder, SlashCommandSubcommandBuilder, type RESTPostAPIChatInputApplicationCommandsJSONBody } from 'discord.js';
import { COMMANDS } from '../../commands/index.ts';
import { config } from '../config.ts';
import type { OptionInfo } from '../analyses/options.ts';
import { commandOptions, type CommandDefinition } from './define.ts';
import { typedValue } from './usage.ts';

const DESCRIPTION_MAX = 100;
const MAX_OPTIONS = 25;
const MAX_CHOICES = 25;
const STRING_MAX = 6000;

function fit(text: string, max = DESCRIPTION_MAX): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** The option's description, with its default when it fits (Discord shows no defaults itself). */
function optionDescription(o: OptionInfo): string {
  const list = o.type === 'string[]' || o.type === 'number[]' ? ' (comma-separated)' : '';
  const base = o.description + list;
  const withDefault = o.default !== undefined && o.type !== 'boolean' ? `${base} [${typedValue(o.default)}]` : base;
  return withDefault.length <= DESCRIPTION_MAX ? withDefault : fit(base);
}

function addOption(b: SlashCommandBuilder | SlashCommandSubcommandBuilder, o: OptionInfo): void {
  const common = <T extends { setName(n: string): T; setDescription(d: string): T; setRequired(r: boolean): T }>(x: T) =>
    x.setName(o.name).setDescription(optionDescription(o)).setRequired(o.required);
  switch (o.type) {
    case 'integer':
      b.addIntegerOption((x) => {
        common(x);
        if (o.min !== undefined) x.setMinValue(o.min);
        if (o.max !== undefined) x.setMaxValue(o.max);
        return x;
      });
      return;
    case 'number':
      b.addNumberOption((x) => {
        common(x);
        if (o.min !== undefined) x.setMinValue(o.min);
        if (o.max !== undefined) x.setMaxValue(o.max);
        return x;
      });
      return;
    case 'boolean':
      b.addBooleanOption((x) => common(x));
      return;
    default:
      // Text, and lists typed as comma-separated text.
      b.addStringOption((x) => {
        common(x);
        if (o.choices && o.choices.length <= MAX_CHOICES) x.addChoices(...o.choices.map((c) => ({ name: c, value: c })));
        if (o.type === 'string' && o.maxLength !== undefined) x.setMaxLength(Math.min(o.maxLength, STRING_MAX));
        if (o.type === 'string' && o.minLength !== undefined && o.minLength > 0) x.setMinLength(Math.min(o.minLength, STRING_MAX));
        return x;
      });
  }
}

export function toDiscordCommand(cmd: CommandDefinition, defaultModel = config.MODEL): RESTPostAPIChatInputApplicationCommandsJSONBody {
  const options = commandOptions(cmd, defaultModel);
  if (options.length > MAX_OPTIONS) throw new Error(`/${cmd.name} has ${options.length} options; Discord allows ${MAX_OPTIONS}`);
  const b = new SlashCommandBuilder().setName(cmd.name).setDescription(fit(cmd.description));
  if (cmd.kind === 'text' && cmd.subcommands) {
    // A command with verbs (/digest subscribe): each verb is a subcommand with only its own options.
    for (const s of cmd.subcommands) {
      b.addSubcommand((sb) => {
        sb.setName(s.name).setDescription(fit(s.description));
        const own = options.filter((x) => s.options.includes(x.name));
        for (const o of [...own.filter((x) => x.required), ...own.filter((x) => !x.required)]) addOption(sb, o);
        return sb;
      });
    }
    return b.toJSON();
  }
  // Discord requires every required option before the optional ones.
  for (const o of [...options.filter((x) => x.required), ...options.filter((x) => !x.required)]) addOption(b, o);
  return b.toJSON();
}

export function toDiscordCommands(commands: readonly CommandDefinition[] = COMMANDS, defaultModel = config.MODEL): RESTPostAPIChatInputApplicationCommandsJSONBody[] {
  return commands.map((c) => toDiscordCommand(c, defaultModel));
}
