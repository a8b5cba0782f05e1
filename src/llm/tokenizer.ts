// GPT-2's tokenizer: byte-level BPE r50k_base, through gpt-tokenizer (no Python, no vocab files).
// User text is always text: "<|endoftext|>" typed by a user encodes as the characters it is made
// of, unless a caller explicitly allows the special token (e.g. to separate documents).
import { decode as bpeDecode, encode as bpeEncode, EndOfText } from 'gpt-tokenizer/encoding/r50k_base';

/** The id of <|endoftext|> in GPT-2's vocabulary. */
export const END_OF_TEXT_ID = 50256;

const NO_SPECIAL = { disallowedSpecial: new Set<string>() };

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

export function decode(ids: number[]): string {
  return bpeDecode(ids);
}

/**
 * The text of one token as GPT-2 would print it (" Berlin"). A token holding part of a
 * multi-byte character decodes to U+FFFD, as Hugging Face's decode does.
 */
export function tokenText(id: number): string {
  return bpeDecode([id]);
}
