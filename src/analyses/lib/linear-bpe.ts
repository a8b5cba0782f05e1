// Byte-level BPE encoding (tiktoken's algorithm, the same ids as gpt-tokenizer) that stays fast
// on any input. gpt-tokenizer merges each pre-tokenizer piece by scanning every pair for the
// lowest rank after every merge: quadratic in the piece's length. Ordinary text has short pieces,
// but the pre-tokenizer keeps a run of letters, spaces or punctuation together, so 200,000 "a"s
// are one piece and took 25 s (1 MiB: minutes). Here the merge keeps its candidate pairs in a
// binary heap ordered by (rank, position) — the pair the scan would pick, lowest rank and then
// leftmost — so a piece of n bytes costs O(n log n) and the ids are exactly the scan's, for
// every input (no chunking: no token is cut at an artificial boundary).
//
// One quirk of gpt-tokenizer 4.0 is kept so that counts stay what they were: it looks up a byte
// sequence that is valid UTF-8 by its decoded text, and its TextDecoder drops a leading
// byte-order mark, so cl100k's eight tokens that start with U+FEFF are never produced and a
// BOM-prefixed sequence ranks as the text after the BOM (see `rankOfBytes`).
import cl100kRanks from 'gpt-tokenizer/bpeRanks/cl100k_base';
import { CL100K_TOKEN_SPLIT_REGEX } from 'gpt-tokenizer/encodingParams/constants';

type Ranks = readonly (string | readonly number[])[];

/** Positions fit in 2^26 bytes (64 MiB per piece; inputs are at most a few MB). */
const POSITION_BITS = 2 ** 26;
/** Pieces seen this often are remembered (words repeat: most of a book is cache hits). */
const CACHE_ENTRIES = 50_000;
/** Only pieces this short are cached (long ones are rare and would pin memory). */
const CACHE_MAX_CHARS = 64;

export interface BpeEncoder {
  /** Token ids of `text`; special-token strings in it are ordinary text. */
  encode(text: string): number[];
  /** Ids of one pre-tokenizer piece (exposed for tests). */
  encodePiece(piece: string): number[];
}

const utf8 = new TextEncoder();
const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const NO_PAIR = 0x7fffffff;
const BOM = '\xEF\xBB\xBF';

/** An encoder for a rank table (id → token text, or bytes when not valid UTF-8) and a split regex. */
export function createBpeEncoder(ranks: Ranks, splitRegex: RegExp): BpeEncoder {
  // Heap keys are rank · 2^26 + position: exact in a double while rank < 2^27.
  if (ranks.length >= 2 ** 27) throw new RangeError('rank table too large for the merge heap keys');
  // Tokens by their JavaScript string (whole pieces that are one token: most words).
  const byText = new Map<string, number>();
  // Tokens by their bytes as a Latin-1 string (one char per byte): the merge's lookups.
  const byBytes = new Map<string, number>();
  let maxTokenBytes = 1;
  ranks.forEach((entry, id) => {
    let key: string;
    if (typeof entry === 'string') {
      byText.set(entry, id);
      key = /^[\x00-\x7f]*$/.test(entry) ? entry : latin1(utf8.encode(entry));
    } else {
      key = latin1(Uint8Array.from(entry));
    }
    byBytes.set(key, id);
    if (key.length > maxTokenBytes) maxTokenBytes = key.length;
  });
  // Ranks of all two-byte sequences (most lookups: every pair of a piece's bytes, at the start).
  const pairTable = new Int32Array(65536).fill(NO_PAIR);
  for (const [key, id] of byBytes) if (key.length === 2) pairTable[(key.charCodeAt(0) << 8) | key.charCodeAt(1)] = id;

  /** gpt-tokenizer's rank of a byte sequence, or NO_PAIR (see the note at the top on the BOM). */
  function rankOfBytes(bin: string): number {
    if (!bin.startsWith(BOM)) return byBytes.get(bin) ?? NO_PAIR;
    // Valid UTF-8 is looked up by its text with the BOM dropped; other bytes by the bytes.
    let text: string;
    try {
      text = strictUtf8.decode(Buffer.from(bin.slice(BOM.length), 'latin1'));
    } catch {
      return byBytes.get(bin) ?? NO_PAIR;
    }
    return byText.get(text) ?? NO_PAIR;
  }

  const cache = new Map<string, number[]>();

  function encodePiece(piece: string): number[] {
    const one = byText.get(piece);
    if (one !== undefined) return [one];
    const short = piece.length <= CACHE_MAX_CHARS;
    if (short) {
      const hit = cache.get(piece);
      if (hit) return hit;
    }
    const ids = merge(latin1(utf8.encode(piece)));
    if (short) {
      if (cache.size >= CACHE_ENTRIES) cache.clear();
      cache.set(piece, ids);
    }
    return ids;
  }

  /** BPE on the bytes of one piece (`bin`: one char per byte): repeatedly merge the lowest-ranked adjacent pair, leftmost first. */
  function merge(bin: string): number[] {
    const n = bin.length;
    if (n >= POSITION_BITS) throw new RangeError(`a piece of ${n} bytes is too long to encode`);
    const rankOf = (start: number, end: number): number => {
      const length = end - start;
      if (length === 2) return pairTable[(bin.charCodeAt(start) << 8) | bin.charCodeAt(start + 1)];
      // A BOM-prefixed sequence may rank as the (max-length) token after its BOM.
      return length > maxTokenBytes + BOM.length ? NO_PAIR : rankOfBytes(bin.slice(start, end));
    };
    // Parts are identified by their first byte; next[s] is where the following part starts.
    const next = new Int32Array(n);
    const prev = new Int32Array(n);
    const pairRank = new Int32Array(n); // rank of merging the part at s with the next one
    const alive = new Uint8Array(n).fill(1);
    const heap = new MinHeap(n);
    for (let s = 0; s < n; s++) {
      next[s] = s + 1;
      prev[s] = s - 1;
      pairRank[s] = s + 2 <= n ? rankOf(s, s + 2) : NO_PAIR;
      if (pairRank[s] !== NO_PAIR) heap.append(pairRank[s] * POSITION_BITS + s);
    }
    heap.heapify();
    while (heap.size > 0) {
      const key = heap.pop();
      const s = key % POSITION_BITS;
      const rank = (key - s) / POSITION_BITS;
      // Stale entry: the part is gone, or its pair changed since the entry was pushed.
      if (!alive[s] || pairRank[s] !== rank) continue;
      const t = next[s];
      const u = next[t];
      alive[t] = 0;
      next[s] = u;
      if (u < n) prev[u] = s;
      pairRank[s] = u < n ? rankOf(s, next[u]) : NO_PAIR;
      if (pairRank[s] !== NO_PAIR) heap.push(pairRank[s] * POSITION_BITS + s);
      const p = prev[s];
      if (p >= 0) {
        pairRank[p] = rankOf(p, u);
        if (pairRank[p] !== NO_PAIR) heap.push(pairRank[p] * POSITION_BITS + p);
      }
    }
    const ids: number[] = [];
    for (let s = 0; s < n; s = next[s]) {
      const id = rankOfBytes(bin.slice(s, next[s]));
      // Every single byte is a token, and a merged part was merged because it is one.
      if (id === NO_PAIR) throw new Error('BPE produced a part that is not a token');
      ids.push(id);
    }
    return ids;
  }

  return {
    encodePiece,
    encode(text: string): number[] {
      const ids: number[] = [];
      const re = new RegExp(splitRegex.source, splitRegex.flags.includes('g') ? splitRegex.flags : `${splitRegex.flags}g`);
      for (let m = re.exec(text); m !== null; m = re.exec(text)) {
        const piece = m[0];
        if (piece.length === 0) {
          re.lastIndex++; // never with these patterns; guards against an endless loop
          continue;
        }
        const one = byText.get(piece);
        if (one !== undefined) ids.push(one);
        else for (const id of encodePiece(piece)) ids.push(id);
      }
      return ids;
    },
  };
}

/** Bytes as a string of char codes 0–255 (a cheap hashable key for byte sequences). */
function latin1(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
}

/** A binary min-heap of numbers in a growable Float64Array. */
class MinHeap {
  private a: Float64Array;
  size = 0;
  constructor(capacity: number) {
    this.a = new Float64Array(Math.max(16, capacity));
  }
  /** Add `v` without keeping the heap order: call heapify() before the first pop. */
  append(v: number): void {
    if (this.size === this.a.length) this.grow();
    this.a[this.size++] = v;
  }
  /** Restore the heap order bottom-up, in O(n). */
  heapify(): void {
    for (let i = (this.size >> 1) - 1; i >= 0; i--) this.siftDown(i, this.a[i]);
  }
  private grow(): void {
    const bigger = new Float64Array(this.a.length * 2);
    bigger.set(this.a);
    this.a = bigger;
  }
  push(v: number): void {
    if (this.size === this.a.length) this.grow();
    const a = this.a;
    let i = this.size++;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (a[parent] <= v) break;
      a[i] = a[parent];
      i = parent;
    }
    a[i] = v;
  }
  pop(): number {
    const top = this.a[0];
    const last = this.a[--this.size];
    if (this.size > 0) this.siftDown(0, last);
    return top;
  }
  /** Put `v` at slot `i`, moving it down below smaller children. */
  private siftDown(i: number, v: number): void {
    const a = this.a;
    const half = this.size >> 1;
    while (i < half) {
      let c = 2 * i + 1;
      if (c + 1 < this.size && a[c + 1] < a[c]) c++;
      if (a[c] >= v) break;
      a[i] = a[c];
      i = c;
    }
    a[i] = v;
  }
}

let cl100k: BpeEncoder | undefined;

/** GPT-4's tokenizer (cl100k_base), built on first use (~0.2 s). */
export function cl100kEncoder(): BpeEncoder {
  return (cl100k ??= createBpeEncoder(cl100kRanks, CL100K_TOKEN_SPLIT_REGEX));
}
