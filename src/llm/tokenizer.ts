// GPT-2's tokenizer: byte-level BPE r50k_base, through gpt-tokenizer (no Python, no vocab files).
// User text is always text: "<|endoftext|>" typed by a user encodes as the characters it is made
// of, unless a caller explicitly allows the special token (e.g. to separate documents).
//
// Decoding joins the tokens' bytes and decodes them once, as Hugging Face does (invalid or cut
// UTF-8 → U+FFFD). gpt-tokenizer's own decode keeps an unfinished character in a module-wide
// streaming decoder, so decode([47249]) returns "" and a later decode([222]) returns "😀".
import bpeRanks from 'gpt-tokenizer/bpeRanks/r50k_base';
import { encode as bpeEncode, EndOfText } from 'gpt-tokenizer/encoding/r50k_base';
import { decodeTokenBytes } from './token-bytes.ts';

/** The id of <|endoftext|> in GPT-2's vocabulary. */
export const END_OF_TEXT_ID = 50256;
export const VOCAB_SIZE = 50257;

const NO_SPECIAL = { disallowedSpecial: new Set<string>() };
const utf8 = new TextEncoder();

export interface EncodeOptions {
  /** Encode "<|endoftext|>" in the text as the special token 50256 instead of as text. */
  allowEndOfText?: boolean;
}

export function encode(text: string, opts: EncodeOptions = {}): number[] {
  if (!opts.allowEndOfText) return bpeEncode(text, NO_SPECIAL);
  // Split on the marker ourselves: the pieces between are plain text.
  const ids: number[] = [];
  text.split(EndOfText).forEach((piece, i) => {
    if (i > 0) ids.push(END_OF_TEXT_ID);
    if (piece) ids.push(...bpeEncode(piece, NO_SPECIAL));
  });
  return ids;
}

function tokenBytes(id: number): Uint8Array {
  if (id === END_OF_TEXT_ID) return utf8.encode(EndOfText);
  const entry = Number.isInteger(id) ? bpeRanks[id] : undefined;
  if (entry === undefined) throw new RangeError(`token id ${id} is not in GPT-2's vocabulary (0 to ${VOCAB_SIZE - 1})`);
  return typeof entry === 'string' ? utf8.encode(entry) : Uint8Array.from(entry);
}

export function decode(ids: number[]): string {
  return decodeTokenBytes(ids.map(tokenBytes));
}

/**
 * The text of one token as GPT-2 would print it (" Berlin"). A token holding part of a
 * multi-byte character shows U+FFFD for the missing part.
 */
export function tokenText(id: number): string {
  return decode([id]);
}
