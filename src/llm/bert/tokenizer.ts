// BERT's WordPiece tokenizer, as Hugging Face's BertTokenizer does it (no Python, no native
// package): special tokens typed in the text ("[MASK]") are kept whole; the rest is cleaned
// (control characters dropped, every kind of whitespace a space), CJK ideographs are split into
// single characters, the text is NFC-normalized and split on whitespace; each word is
// lower-cased and its accents stripped (NFD, combining marks removed) for an uncased model, split
// at every punctuation character, and cut into the longest vocabulary pieces from the left, with
// `##` marking a piece that continues a word. A word with no such cutting, or longer than 100
// characters, is [UNK].
//
// The vocabulary comes from `vocab.txt` (one token per line; the line number is the id) or,
// when that is absent, `tokenizer.json`'s WordPiece model; `tokenizer_config.json`'s
// do_lower_case / strip_accents (or tokenizer.json's BertNormalizer) say whether it is uncased.
import fs from 'node:fs/promises';
import path from 'node:path';

export const SPECIAL_TOKENS = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'] as const;
export type SpecialToken = (typeof SPECIAL_TOKENS)[number];

const CONTINUATION = '##';
const MAX_CHARS_PER_WORD = 100;

export interface WordPieceOptions {
  /** Lower-case the text (uncased models; default true). */
  lowercase?: boolean;
  /** Strip accents; default: when lower-casing, as Hugging Face does. */
  stripAccents?: boolean;
}

// ---------------------------------------------------------------------------------------------
// Character classes, as BERT's reference tokenizer defines them

/** Whitespace: space, tab, newline, carriage return, and Unicode space separators (Zs). */
const isWhitespace = (ch: string) => ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r' || /\p{Zs}/u.test(ch);

/** Control characters (other than tab and line breaks, which count as whitespace): category C*. */
const isControl = (ch: string) => ch !== '\t' && ch !== '\n' && ch !== '\r' && /\p{C}/u.test(ch);

/** Punctuation: Unicode P*, and every ASCII non-alphanumeric symbol ($, +, ^, `, …). */
function isPunctuation(ch: string): boolean {
  const cp = ch.codePointAt(0)!;
  if ((cp >= 33 && cp <= 47) || (cp >= 58 && cp <= 64) || (cp >= 91 && cp <= 96) || (cp >= 123 && cp <= 126)) return true;
  return /\p{P}/u.test(ch);
}

/** CJK Unified Ideographs and their extensions (not Hiragana, Katakana or Hangul). */
function isCjk(cp: number): boolean {
  return (
    (cp >= 0x4e00 && cp <= 0x9fff) ||
    (cp >= 0x3400 && cp <= 0x4dbf) ||
    (cp >= 0x20000 && cp <= 0x2a6df) ||
    (cp >= 0x2a700 && cp <= 0x2b73f) ||
    (cp >= 0x2b740 && cp <= 0x2b81f) ||
    (cp >= 0x2b820 && cp <= 0x2ceaf) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0x2f800 && cp <= 0x2fa1f)
  );
}

/** Hugging Face's clean_up_tokenization, in its order. */
const CLEANUP: [string, string][] = [[' .', '.'], [' ?', '?'], [' !', '!'], [' ,', ','], [" ' ", "'"], [" n't", "n't"], [" 'm", "'m"], [" 's", "'s"], [" 've", "'ve"], [" 're", "'re"]];

const stripAccents = (word: string) => word.normalize('NFD').replace(/\p{Mn}/gu, '');

// ---------------------------------------------------------------------------------------------

export class WordPieceTokenizer {
  private readonly byToken = new Map<string, number>();
  private readonly lowercase: boolean;
  private readonly stripAccents: boolean;
  /** Splits text around special tokens typed in it (case-sensitive, as Hugging Face matches them). */
  private readonly specialPattern: RegExp;

  /** `vocab[id]` is the token with that id. */
  constructor(
    readonly vocab: readonly string[],
    opts: WordPieceOptions = {},
  ) {
    vocab.forEach((token, id) => {
      if (!this.byToken.has(token)) this.byToken.set(token, id); // a duplicate line keeps its first id, as Hugging Face's does
    });
    for (const t of ['[UNK]', '[CLS]', '[SEP]'] as const) {
      if (!this.byToken.has(t)) throw new Error(`the WordPiece vocabulary has no ${t} token`);
    }
    this.lowercase = opts.lowercase ?? true;
    this.stripAccents = opts.stripAccents ?? this.lowercase;
    const specials = SPECIAL_TOKENS.filter((t) => this.byToken.has(t));
    this.specialPattern = new RegExp(`(${specials.map((t) => t.replace(/[[\]]/g, '\\$&')).join('|')})`);
  }

  /** From the text of a vocab.txt: one token per line. */
  static fromVocabText(text: string, opts: WordPieceOptions = {}): WordPieceTokenizer {
    const lines = text.split('\n').map((l) => l.replace(/\r$/, ''));
    if (lines.at(-1) === '') lines.pop();
    return new WordPieceTokenizer(lines, opts);
  }

  /** From a parsed tokenizer.json whose model is WordPiece. */
  static fromTokenizerJson(json: unknown, source = 'tokenizer.json'): WordPieceTokenizer {
    const t = json as { model?: { type?: string; vocab?: Record<string, number> }; normalizer?: { type?: string; lowercase?: boolean; strip_accents?: boolean | null } };
    if (t?.model?.type !== 'WordPiece' || typeof t.model.vocab !== 'object') {
      throw new Error(`${source}: not a WordPiece tokenizer (model.type is ${JSON.stringify(t?.model?.type)})`);
    }
    const vocab: string[] = [];
    for (const [token, id] of Object.entries(t.model.vocab)) {
      if (!Number.isInteger(id) || id < 0) throw new Error(`${source}: token ${JSON.stringify(token)} has id ${id}`);
      vocab[id] = token;
    }
    const gap = vocab.findIndex((v) => v === undefined);
    if (gap >= 0 || vocab.length === 0) throw new Error(`${source}: the vocabulary has no token with id ${Math.max(gap, 0)}`);
    const n = t.normalizer?.type === 'BertNormalizer' ? t.normalizer : undefined;
    return new WordPieceTokenizer(vocab, { lowercase: n?.lowercase ?? true, stripAccents: n?.strip_accents ?? undefined });
  }

  /** From a checkpoint folder: vocab.txt, else tokenizer.json; casing from tokenizer_config.json. */
  static async fromDir(dir: string): Promise<WordPieceTokenizer> {
    const read = (file: string) => fs.readFile(path.join(dir, file), 'utf8').catch(() => undefined);
    const parse = (text: string, file: string): unknown => {
      try {
        return JSON.parse(text);
      } catch (err) {
        throw new Error(`${path.join(dir, file)}: not valid JSON (${(err as Error).message})`);
      }
    };
    const configText = await read('tokenizer_config.json');
    const cfg = (configText ? parse(configText, 'tokenizer_config.json') : {}) as { do_lower_case?: boolean; strip_accents?: boolean | null };
    const opts: WordPieceOptions = { lowercase: cfg.do_lower_case ?? true, stripAccents: cfg.strip_accents ?? undefined };
    const vocabText = await read('vocab.txt');
    if (vocabText !== undefined) return WordPieceTokenizer.fromVocabText(vocabText, opts);
    const jsonText = await read('tokenizer.json');
    if (jsonText !== undefined) {
      const tok = WordPieceTokenizer.fromTokenizerJson(parse(jsonText, 'tokenizer.json'), path.join(dir, 'tokenizer.json'));
      return configText ? new WordPieceTokenizer(tok.vocab, opts) : tok;
    }
    throw new Error(`${dir} has neither vocab.txt nor tokenizer.json: the BERT tokenizer needs its vocabulary`);
  }

  get size(): number {
    return this.vocab.length;
  }

  /** The id of a token in the vocabulary, or undefined. */
  idOf(token: string): number | undefined {
    return this.byToken.get(token);
  }

  /** The id of a special token; an error if the vocabulary lacks it. */
  special(token: SpecialToken): number {
    const id = this.byToken.get(token);
    if (id === undefined) throw new Error(`the WordPiece vocabulary has no ${token} token`);
    return id;
  }

  /** WordPieces of a text, special tokens kept whole ("[MASK]"). */
  tokenize(text: string): string[] {
    const out: string[] = [];
    for (const [i, part] of text.split(this.specialPattern).entries()) {
      if (i % 2 === 1) out.push(part); // a special token (the split's captured group)
      else for (const word of this.basicTokens(part)) out.push(...this.wordPieces(word));
    }
    return out;
  }

  /** Ids of a text's WordPieces, without [CLS] and [SEP]. */
  tokenIds(text: string): number[] {
    const unk = this.special('[UNK]');
    return this.tokenize(text).map((t) => this.byToken.get(t) ?? unk);
  }

  /** `[CLS] text [SEP]`. */
  encode(text: string): number[] {
    return [this.special('[CLS]'), ...this.tokenIds(text), this.special('[SEP]')];
  }

  /** `[CLS] a [SEP] b [SEP]` with token types 0 for [CLS] a [SEP] and 1 for b [SEP]. */
  encodePair(a: string, b: string): { ids: number[]; tokenTypes: number[] } {
    const first = this.encode(a);
    const second = [...this.tokenIds(b), this.special('[SEP]')];
    return { ids: [...first, ...second], tokenTypes: [...first.map(() => 0), ...second.map(() => 1)] };
  }

  tokenText(id: number): string {
    const t = Number.isInteger(id) ? this.vocab[id] : undefined;
    if (t === undefined) throw new RangeError(`token id ${id} is not in the vocabulary (0 to ${this.vocab.length - 1})`);
    return t;
  }

  /**
   * Ids back to text as Hugging Face's decode does: pieces joined by spaces, `##` pieces glued to
   * the one before, and the spaces before punctuation and English contractions removed.
   * Special tokens are kept unless `skipSpecial`.
   */
  decode(ids: number[], opts: { skipSpecial?: boolean } = {}): string {
    const specials = new Set<string>(SPECIAL_TOKENS);
    const tokens = ids.map((id) => this.tokenText(id)).filter((t) => !(opts.skipSpecial && specials.has(t)));
    let text = tokens.join(' ').replaceAll(' ##', '').trim();
    for (const [from, to] of CLEANUP) text = text.replaceAll(from, to);
    return text;
  }

  /** The id of a word that is one WordPiece; an error naming the pieces when it is several. */
  wordId(word: string): number {
    const pieces = this.tokenize(word);
    if (pieces.length === 1) {
      const id = this.byToken.get(pieces[0]);
      if (id === undefined || (pieces[0] === '[UNK]' && word.trim() !== '[UNK]')) throw new Error(`"${word}" is not in the WordPiece vocabulary (it would be [UNK]); pick another word`);
      return id;
    }
    if (pieces.length === 0) throw new Error(`"${word}" has no WordPieces: give a word`);
    throw new Error(`"${word}" is ${pieces.length} WordPieces (${pieces.join(' ')}), but one token is needed here; pick a word that is a single WordPiece`);
  }

  // -------------------------------------------------------------------------------------------

  /** Clean, split CJK, normalize, split on whitespace; then lower-case, strip accents, split punctuation. */
  private basicTokens(text: string): string[] {
    let cleaned = '';
    for (const ch of text) {
      const cp = ch.codePointAt(0)!;
      if (cp === 0 || cp === 0xfffd || isControl(ch)) continue;
      if (isWhitespace(ch)) cleaned += ' ';
      else if (isCjk(cp)) cleaned += ` ${ch} `;
      else cleaned += ch;
    }
    const words: string[] = [];
    for (let word of cleaned.normalize('NFC').split(' ')) {
      if (!word) continue;
      if (this.lowercase) word = word.toLowerCase();
      if (this.stripAccents) word = stripAccents(word);
      let current = '';
      for (const ch of word) {
        if (!isPunctuation(ch)) {
          current += ch;
          continue;
        }
        if (current) words.push(current);
        words.push(ch);
        current = '';
      }
      if (current) words.push(current);
    }
    return words;
  }

  /** Greedy longest-match-first WordPieces of one word; [UNK] when it cannot be cut. */
  private wordPieces(word: string): string[] {
    const chars = Array.from(word);
    if (chars.length > MAX_CHARS_PER_WORD) return ['[UNK]'];
    const pieces: string[] = [];
    for (let start = 0; start < chars.length; ) {
      let end = chars.length;
      let piece: string | undefined;
      for (; end > start; end--) {
        const candidate = (start > 0 ? CONTINUATION : '') + chars.slice(start, end).join('');
        if (this.byToken.has(candidate)) {
          piece = candidate;
          break;
        }
      }
      if (piece === undefined) return ['[UNK]'];
      pieces.push(piece);
      start = end;
    }
    return pieces;
  }
}
