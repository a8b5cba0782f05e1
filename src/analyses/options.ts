// Option schemas are zod objects; this module turns them into what every front end needs:
// descriptions (for --list, /help, Discord JSON, autocomplete), coercion of text values
// (CLI flags, Slack `key:value` arguments), and friendly errors that name the option and the limit.
import { z } from 'zod';
import { OptionError } from './types.ts';

export type OptionType = 'string' | 'integer' | 'number' | 'boolean' | 'string[]' | 'number[]';

export interface OptionInfo {
  name: string;
  type: OptionType;
  description: string;
  default?: unknown;
  min?: number;
  max?: number;
  /** Allowed values for enums. */
  choices?: string[];
  /** For strings: max length; for lists: max items. */
  maxLength?: number;
  minLength?: number;
  required: boolean;
}

interface JsonSchemaProp {
  type?: string;
  description?: string;
  default?: unknown;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  enum?: string[];
  items?: { type?: string };
  anyOf?: JsonSchemaProp[];
}

const SAFE_INT = 9007199254740991;

// Schemas never change after definition, and every command validates through them: describe
// each once (z.toJSONSchema is the costly part of parsing a chat command's options).
const described = new WeakMap<z.ZodObject, readonly OptionInfo[]>();

export function describeOptions(schema: z.ZodObject): readonly OptionInfo[] {
  let infos = described.get(schema);
  if (!infos) {
    infos = describeSchema(schema);
    described.set(schema, infos);
  }
  return infos;
}

function describeSchema(schema: z.ZodObject): OptionInfo[] {
  const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as {
    properties?: Record<string, JsonSchemaProp>;
    required?: string[];
  };
  const required = new Set(json.required ?? []);
  return Object.entries(json.properties ?? {}).map(([name, raw]) => {
    const p = raw.anyOf?.find((x) => x.type && x.type !== 'null') ?? raw;
    let type: OptionType = 'string';
    if (p.type === 'integer') type = 'integer';
    else if (p.type === 'number') type = 'number';
    else if (p.type === 'boolean') type = 'boolean';
    else if (p.type === 'array') type = p.items?.type === 'number' || p.items?.type === 'integer' ? 'number[]' : 'string[]';
    const info: OptionInfo = {
      name,
      type,
      description: raw.description ?? p.description ?? name,
      required: required.has(name) && raw.default === undefined,
    };
    if (raw.default !== undefined) info.default = raw.default;
    if (p.minimum !== undefined && Math.abs(p.minimum) < SAFE_INT) info.min = p.minimum;
    if (p.maximum !== undefined && Math.abs(p.maximum) < SAFE_INT) info.max = p.maximum;
    if (p.enum) info.choices = p.enum.map(String);
    const maxLen = p.maxLength ?? p.maxItems;
    const minLen = p.minLength ?? p.minItems;
    if (maxLen !== undefined) info.maxLength = maxLen;
    if (minLen !== undefined) info.minLength = minLen;
    return info;
  });
}

/** Split a list given as text: "a, b, c" or "a|b|c" (use | when items contain commas). */
function splitList(text: string): string[] {
  const sep = text.includes('|') ? '|' : ',';
  return text.split(sep).map((s) => s.trim()).filter((s) => s.length > 0);
}

/**
 * Coerce raw values (strings from a CLI or chat, or already-typed JSON) to the schema's types,
 * then validate. Unknown options and bad values throw OptionError naming the option.
 */
export function parseOptions<S extends z.ZodObject>(schema: S, raw: Record<string, unknown>): z.infer<S> {
  const infos = new Map(describeOptions(schema).map((o) => [o.name, o]));
  const coerced: Record<string, unknown> = {};
  for (const [key0, value] of Object.entries(raw)) {
    if (value === undefined) continue;
    const key = key0.replace(/-/g, '_');
    const info = infos.get(key);
    if (!info) {
      throw new OptionError(key0, `unknown option; valid options are ${[...infos.keys()].join(', ') || '(none)'}`);
    }
    coerced[key] = typeof value === 'string' ? coerceText(info, value) : value;
  }
  const parsed = schema.safeParse(coerced);
  if (!parsed.success) throw optionErrorFromZod(parsed.error, infos);
  return parsed.data;
}

/**
 * Plain decimal numbers only: Number() would also read "0x10" as 16, "0b1" as 1 and "" as 0,
 * which nobody typing an option means.
 */
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

function decimal(text: string): number | undefined {
  const t = text.trim();
  if (!DECIMAL.test(t)) return undefined;
  const n = Number(t);
  return Number.isFinite(n) ? n : undefined;
}

function coerceText(info: OptionInfo, text: string): unknown {
  switch (info.type) {
    case 'integer':
    case 'number': {
      const n = decimal(text);
      if (n === undefined) throw new OptionError(info.name, `expected a number, got "${text}"`);
      return n;
    }
    case 'boolean': {
      const t = text.trim().toLowerCase();
      if (['true', 'yes', '1', 'on'].includes(t)) return true;
      if (['false', 'no', '0', 'off'].includes(t)) return false;
      throw new OptionError(info.name, `expected true or false, got "${text}"`);
    }
    case 'string[]':
      return splitList(text);
    case 'number[]':
      return splitList(text).map((s) => {
        const n = decimal(s);
        if (n === undefined) throw new OptionError(info.name, `expected a list of numbers, got "${s}"`);
        return n;
      });
    default:
      return text;
  }
}

/** "1 item", "3 items". */
const count = (n: number | bigint, noun: string) => `${n} ${noun}${Number(n) === 1 ? '' : 's'}`;

function optionErrorFromZod(error: z.ZodError, infos: Map<string, OptionInfo>): OptionError {
  const issue = error.issues[0]!;
  const option = issue.path.length ? String(issue.path[0]) : 'options';
  const info = infos.get(option);
  let message: string;
  switch (issue.code) {
    case 'too_big':
      message = issue.origin === 'string'
        ? `at most ${count(issue.maximum, 'character')}`
        : issue.origin === 'array'
          ? `at most ${count(issue.maximum, 'item')}`
          : `must be at most ${issue.maximum}`;
      break;
    case 'too_small':
      message = issue.origin === 'string'
        ? Number(issue.minimum) <= 1 ? 'must not be empty' : `at least ${count(issue.minimum, 'character')}`
        : issue.origin === 'array'
          ? `at least ${count(issue.minimum, 'item')}`
          : `must be at least ${issue.minimum}`;
      break;
    case 'invalid_value':
      message = `must be one of ${issue.values.map(String).join(', ')}`;
      break;
    case 'unrecognized_keys':
      return new OptionError(issue.keys[0] ?? 'options', `unknown option; valid options are ${[...infos.keys()].join(', ')}`);
    case 'invalid_type':
      message = `expected ${info?.type ?? issue.expected}`;
      break;
    default:
      message = issue.message;
  }
  return new OptionError(option, message);
}
