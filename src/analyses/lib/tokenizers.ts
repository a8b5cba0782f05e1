// The three OpenAI byte-level BPE tokenizers the LLM posts compare, by name, from gpt-tokenizer:
// GPT-2 (r50k_base), GPT-4 (cl100k_base) and GPT-4o (o200k_base).
//
// Two things gpt-tokenizer does not do the way a chat bot needs, handled here:
// - its encode() throws on text containing "<|endoftext|>"; user and book text is encoded as
//   plain text instead (the special token is never produced from text);
// - its decode() shares one streaming TextDecoder between calls, so a token that is only part of
//   a UTF-8 character (GPT-2 spends three tokens on many Chinese characters) bleeds into the
//   next decode. We decode from each token's bytes ourselves, with a fresh decoder per call.

import { decodeTokenBytes } from '../../llm/token-bytes.ts';

export const TOKENIZER_NAMES = ['gpt2', 'gpt4', 'gpt4o'] as const;
export type TokenizerName = (typeof TOKENIZER_NAMES)[number];

export interface Tokenizer {
  name: TokenizerName;
  /** "GPT-2", "GPT-4", "GPT-4o". */
  label: string;
  /** tiktoken's encoding name: r50k_base, cl100k_base, o200k_base. */
  encoding: string;
  /** Number of token ids, special tokens included (GPT-2: 50 257). */
  vocabSize: number;
  /** Text → ids; special-token strings in the text are tokenized as ordinary text. */
  encode(text: string): number[];
  /** Ids → text; bytes that do not form whole characters become U+FFFD. */
  decode(ids: readonly number[]): string;
  /** The raw bytes of one token (special tokens: their UTF-8 name). */
  tokenBytes(id: number): Uint8Array;
  /** One token for display: its text, with bytes that are not whole characters as hex (" <e8>"). */
  tokenText(id: number): string;
}

type Ranks = readonly (string | number[])[];
interface EncodingModule {
  encode(text: string, opts?: { disallowedSpecial?: Set<string> }): number[];
  vocabularySize: number;
}

interface EncodingParams {
  specialTokensEncoder: Map<string, number>;
}

/** Each loads the encoder, its rank table (token id → text or bytes) and its special-token table. */
const SPEC: Record<TokenizerName, { label: string; encoding: string; load: () => Promise<[EncodingModule, Ranks, EncodingParams]> }> = {
  gpt2: {
    label: 'GPT-2',
    encoding: 'r50k_base',
    load: async () => {
      const ranks = (await import('gpt-tokenizer/bpeRanks/r50k_base')).default;
      const { R50KBase } = await import('gpt-tokenizer/encodingParams/r50k_base');
      return [await import('gpt-tokenizer/encoding/r50k_base'), ranks, R50KBase(ranks)];
    },
  },
  gpt4: {
    label: 'GPT-4',
    encoding: 'cl100k_base',
    load: async () => {
      const ranks = (await import('gpt-tokenizer/bpeRanks/cl100k_base')).default;
      const { Cl100KBase } = await import('gpt-tokenizer/encodingParams/cl100k_base');
      return [await import('gpt-tokenizer/encoding/cl100k_base'), ranks, Cl100KBase(ranks)];
    },
  },
  gpt4o: {
    label: 'GPT-4o',
    encoding: 'o200k_base',
    load: async () => {
      const ranks = (await import('gpt-tokenizer/bpeRanks/o200k_base')).default;
      const { O200KBase } = await import('gpt-tokenizer/encodingParams/o200k_base');
      return [await import('gpt-tokenizer/encoding/o200k_base'), ranks, O200KBase(ranks)];
    },
  },
};

const NO_SPECIAL = new Set<string>();
const utf8 = new TextEncoder();
const loaded = new Map<TokenizerName, Promise<Tokenizer>>();

/** The tokenizer by name, loaded once (each takes ~0.1 s and tens of MB). */
export function getTokenizer(name: TokenizerName): Promise<Tokenizer> {
  let t = loaded.get(name);
  if (!t) {
    t = build(name);
    loaded.set(name, t);
  }
  return t;
}

async function build(name: TokenizerName): Promise<Tokenizer> {
  const spec = SPEC[name];
  const [mod, ranks, params] = await spec.load();
  const special = new Map([...params.specialTokensEncoder].map(([text, id]) => [id, text]));
  const byteCache = new Map<number, Uint8Array>();

  const tokenBytes = (id: number): Uint8Array => {
    let bytes = byteCache.get(id);
    if (bytes) return bytes;
    const entry = ranks[id];
    if (typeof entry === 'string') bytes = utf8.encode(entry);
    else if (Array.isArray(entry)) bytes = Uint8Array.from(entry);
    else {
      const s = special.get(id);
      if (s === undefined) throw new RangeError(`${spec.label} tokenizer has no token ${id}`);
      bytes = utf8.encode(s);
    }
    byteCache.set(id, bytes);
    return bytes;
  };

  const decode = (ids: readonly number[]): string => decodeTokenBytes(ids.map(tokenBytes));

  return {
    name,
    label: spec.label,
    encoding: spec.encoding,
    vocabSize: mod.vocabularySize,
    encode: (text) => mod.encode(text, { disallowedSpecial: NO_SPECIAL }),
    decode,
    tokenBytes,
    tokenText: (id) => {
      const entry = ranks[id];
      if (typeof entry === 'string') return entry;
      if (special.has(id)) return special.get(id)!;
      return showBytes(tokenBytes(id));
    },
  };
}

/** Length of the UTF-8 sequence starting at `i`, or 0 when the bytes there are not a whole character. */
function utf8SequenceLength(bytes: Uint8Array, i: number): number {
  const b = bytes[i];
  const n = b < 0x80 ? 1 : b >= 0xc2 && b < 0xe0 ? 2 : b >= 0xe0 && b < 0xf0 ? 3 : b >= 0xf0 && b < 0xf5 ? 4 : 0;
  if (n === 0 || i + n > bytes.length) return 0;
  for (let k = 1; k < n; k++) if ((bytes[i + k] & 0xc0) !== 0x80) return 0;
  return n;
}

/** Whole characters as text, the leftover bytes of split characters as hex: [20 e8] → " <e8>". */
function showBytes(bytes: Uint8Array): string {
  let out = '';
  let hex: string[] = [];
  const flush = () => {
    if (hex.length) out += `<${hex.join(' ')}>`;
    hex = [];
  };
  for (let i = 0; i < bytes.length; ) {
    const n = utf8SequenceLength(bytes, i);
    if (n === 0) {
      hex.push(bytes[i].toString(16).padStart(2, '0'));
      i++;
    } else {
      flush();
      out += new TextDecoder().decode(bytes.subarray(i, i + n));
      i += n;
    }
  }
  flush();
  return out;
}

/** Make whitespace visible in a token label: " banana" → "␣banana", newline → "↵". */
export function showWhitespace(text: string): string {
  return text.replace(/ /g, '␣').replace(/\n/g, '↵').replace(/\t/g, '⇥').replace(/\r/g, '');
}
