// How commands and options read in help text, per platform: Discord and the playground use
// `/attention layer:5`, Slack has one command, `/lab attention layer:5`.
import type { OptionInfo } from '../analyses/options.ts';

export type Platform = 'discord' | 'slack' | 'web';

export const SLACK_COMMAND = '/lab';

export function invocation(platform: Platform, command: string, args = ''): string {
  const head = platform === 'slack' ? `${SLACK_COMMAND} ${command}` : `/${command}`;
  return args ? `${head} ${args}` : head;
}

/** A value as it is typed after `key:` (quoted when it has spaces). */
export function typedValue(value: unknown): string {
  // 0.7853981633974483 reads better as 0.785398; integers and short decimals stay as they are.
  const show = (v: unknown) => (typeof v === 'number' && !Number.isInteger(v) ? String(Number(v.toPrecision(6))) : String(v));
  const text = Array.isArray(value) ? value.map(show).join(',') : show(value);
  return /[\s"]/.test(text) || text === '' ? `"${text.replace(/"/g, '\\"')}"` : text;
}

/** "integer 0–11, default 5", "one of gpt2, gpt2-medium; default gpt2", "text up to 500 characters". */
export function optionSummary(o: OptionInfo): string {
  const parts: string[] = [];
  if (o.choices) parts.push(`one of ${o.choices.join(', ')}`);
  else {
    const kind = { string: 'text', integer: 'integer', number: 'number', boolean: 'true/false', 'string[]': 'comma-separated list', 'number[]': 'comma-separated numbers' }[o.type];
    const range = o.min !== undefined && o.max !== undefined ? ` ${o.min}–${o.max}` : o.min !== undefined ? ` ≥ ${o.min}` : o.max !== undefined ? ` ≤ ${o.max}` : '';
    parts.push(kind + range);
    if (o.maxLength !== undefined) parts.push(o.type === 'string' ? `up to ${o.maxLength} characters` : `up to ${o.maxLength} items`);
  }
  if (o.required) parts.push('required');
  else if (o.default !== undefined) parts.push(`default ${typedValue(o.default).slice(0, 60)}`);
  return parts.join(', ');
}
