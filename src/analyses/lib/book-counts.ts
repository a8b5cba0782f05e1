// Character and GPT-4 token counts of a book, cached by the text's SHA-256 in memory and on
// disk: tokenizing the post's ten books (≈ 4 MB) takes about a second, so a repeat run reads
// the counts instead. GPT-4's tokenizer is cl100k_base (gpt-tokenizer's default is o200k),
// encoded by linear-bpe.ts: the same ids as gpt-tokenizer, but O(n log n) on a long run of one
// character, where gpt-tokenizer's merge is quadratic (200,000 "a"s: 25 s there, 0.1 s here).
import fs from 'node:fs/promises';
import path from 'node:path';
import { pruneBookCache, touchCacheFile } from './book-cache.ts';
import { cl100kEncoder } from './linear-bpe.ts';
import { byFrequency, countCharacters, countItems } from './rank-frequency.ts';

export const TOKENIZER = 'cl100k_base';
const CACHE_VERSION = 1;
const MEMORY_ENTRIES = 32;

export interface BookCounts {
  numChars: number;
  numTokens: number;
  /** [character, count], most frequent first. */
  chars: [string, number][];
  /** [cl100k token id, count], most frequent first. */
  tokens: [number, number][];
}

/**
 * cl100k token ids of a text. Book text may contain "<|endoftext|>"; it is counted as the
 * ordinary text it is (no special-token check), not treated as a control token or an error.
 */
export function gpt4Tokens(text: string): number[] {
  return cl100kEncoder().encode(text);
}

export function countBook(text: string): BookCounts {
  const tokens = gpt4Tokens(text);
  const chars = byFrequency(countCharacters(text));
  return {
    numChars: chars.reduce((s, [, n]) => s + n, 0),
    numTokens: tokens.length,
    chars,
    tokens: byFrequency(countItems(tokens)),
  };
}

const memory = new Map<string, Promise<BookCounts>>();

/** Counts for a text, from memory, else `cacheDir`, else computed (and then stored in both). */
export function cachedBookCounts(book: { text: string; sha256: string }, cacheDir: string | undefined): Promise<BookCounts> {
  const hit = memory.get(book.sha256);
  if (hit) return hit;
  const pending = loadOrCount(book, cacheDir);
  pending.catch(() => memory.delete(book.sha256));
  memory.set(book.sha256, pending);
  if (memory.size > MEMORY_ENTRIES) memory.delete(memory.keys().next().value!);
  return pending;
}

/** Forget the in-memory counts (tests and benchmarks measure cold runs). */
export function clearCountMemory(): void {
  memory.clear();
}

async function loadOrCount(book: { text: string; sha256: string }, cacheDir: string | undefined): Promise<BookCounts> {
  const file = cacheDir && path.join(cacheDir, 'counts', `${book.sha256}.${TOKENIZER}.v${CACHE_VERSION}.json`);
  if (file) {
    try {
      const counts = JSON.parse(await fs.readFile(file, 'utf8')) as BookCounts;
      await touchCacheFile(file); // recently used: evicted last
      return counts;
    } catch {
      // missing or unreadable: count again
    }
  }
  const counts = countBook(book.text);
  if (file) {
    try {
      await fs.mkdir(path.dirname(file), { recursive: true });
      const tmp = `${file}.${process.pid}.tmp`;
      await fs.writeFile(tmp, JSON.stringify(counts));
      await fs.rename(tmp, file);
      await pruneBookCache(cacheDir, undefined, { keep: file });
    } catch {
      // a read-only or full disk only costs the next run its speed
    }
  }
  return counts;
}
