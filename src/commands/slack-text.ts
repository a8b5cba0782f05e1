// Slack has one slash command, `/lab`, whose text names the command and its options:
//   /lab attention text:"The cat sat" layer:5 model:gpt2-medium
// Values with spaces are quoted ("…", '…', or the curly quotes Slack clients like to insert);
// \" inside a quoted value is a quote. Slack sends &, < and > HTML-escaped; values get them back.
import { findCommand, COMMANDS } from '../../commands/index.ts';
import { OptionError } from '../analyses/types.ts';
import { MODEL_OPTION, SUBCOMMAND_OPTION } from './define.ts';
import { SLACK_COMMAND } from './usage.ts';

export interface ParsedCommandText {
  command: string;
  rawOptions: Record<string, string>;
  model?: string;
}

/** A message for the user about the command text itself (not one option's value). */
export class CommandTextError extends Error {
  override name = 'CommandTextError';
}

const OPEN_QUOTES: Record<string, string> = { '"': '"', "'": "'", '“': '”', '”': '”', '‘': '’', '’': '’', '„': '“' };

const unescapeSlack = (s: string) => s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');

const isSpace = (c: string | undefined) => c === undefined || /\s/.test(c);

/**
 * Split into words. A quote opens only where a value starts (at the start of a word or right
 * after its first ':') and closes only before a space or the end, so apostrophes — don't,
 * don’t — stay text, inside quotes or out.
 */
function words(text: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < text.length) {
    while (i < text.length && isSpace(text[i])) i++;
    if (i >= text.length) break;
    let word = '';
    while (i < text.length && !isSpace(text[i])) {
      const ch = text[i]!;
      const valueStart = word === '' || (word.endsWith(':') && word.indexOf(':') === word.length - 1);
      const close = valueStart ? OPEN_QUOTES[ch] : undefined;
      if (!close) {
        word += ch;
        i++;
        continue;
      }
      const closers = close === '"' ? ['"', '”'] : close === "'" ? ["'", '’'] : [close, '"'];
      i++;
      let quoted = '';
      for (;;) {
        if (i >= text.length) throw new CommandTextError(`the quote before "${quoted.slice(0, 24)}" is never closed`);
        const c = text[i]!;
        if (c === '\\' && (closers.includes(text[i + 1] ?? '') || text[i + 1] === '\\')) {
          quoted += text[i + 1]!;
          i += 2;
          continue;
        }
        if (closers.includes(c) && isSpace(text[i + 1])) {
          i++;
          break;
        }
        quoted += c;
        i++;
      }
      word += quoted;
    }
    out.push(word);
  }
  return out;
}

export function parseSlackText(text: string): ParsedCommandText {
  const [first, ...rest] = words(unescapeSlack(text.trim()));
  if (!first) return { command: 'help', rawOptions: {} };
  const cmd = findCommand(first);
  if (!cmd) {
    throw new CommandTextError(`There is no command "${first}". The commands are ${COMMANDS.map((c) => c.name).join(', ')} — try \`${SLACK_COMMAND} help\`.`);
  }
  const rawOptions: Record<string, string> = {};
  // `/lab digest subscribe day:monday`: a verb is the first word without a colon.
  const verbs = cmd.kind === 'text' ? cmd.subcommands : undefined;
  if (verbs && rest[0] !== undefined && !rest[0].includes(':')) {
    const verb = rest.shift()!.toLowerCase();
    if (!verbs.some((v) => v.name === verb)) {
      throw new CommandTextError(`"${verb}" is not something ${cmd.name} does; write one of ${verbs.map((v) => v.name).join(', ')} after it, e.g. \`${SLACK_COMMAND} ${cmd.name} ${verbs[0]!.name}\`.`);
    }
    rawOptions[SUBCOMMAND_OPTION] = verb;
  }
  for (const w of rest) {
    const colon = w.indexOf(':');
    if (colon <= 0) {
      throw new CommandTextError(`"${w}" is not an option: write options as name:value, e.g. \`${SLACK_COMMAND} help command:${cmd.name}\` lists those of ${cmd.name}.`);
    }
    const name = w.slice(0, colon).toLowerCase().replace(/-/g, '_');
    if (name in rawOptions) throw new OptionError(name, 'given twice');
    rawOptions[name] = w.slice(colon + 1);
  }
  const { [MODEL_OPTION]: model, ...options } = rawOptions;
  return { command: cmd.name, rawOptions: options, ...(model !== undefined ? { model } : {}) };
}
