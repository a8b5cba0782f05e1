// The key/value cache (types.ts KVCache): every block's keys and values for the positions seen so
// far, kept in JS between runs of the decode session (gpt2-graph.ts buildDecodeGraph), so a
// generation step runs one new position instead of the whole prefix.
//
// onnxruntime-node has no I/O binding that would let a session keep a tensor between runs, and
// it copies every output into a new ArrayBuffer. So the cache lives in JS, in buffers allocated
// ahead for `capacity` slots ([2, rows, heads, capacity, d_head] per block), which each run reads
// as its past without a copy (slots not filled yet are masked), and the session returns only the
// new positions' keys and values, which are written into the next free slots. Returning the whole
// cache instead (Attention's `present`) cost a copy of it, and fresh memory for it, every step:
// at 200 tokens that took a GPT-2-small step from ~40 to ~55 ms, and a batch of 3 twice that.
//
// Rows are sequences. Rows of different lengths are padded on the left of each run's new
// positions: a padding slot's residual stream is zeros, its KEY_MASK entry 0 hides it from every
// query, and each row counts its own position ids, so a row's logits equal an unpadded run's.
import * as ort from 'onnxruntime-node';
import { KEY_MASK, LOGIT_POSITIONS, newKvName, pastName } from './gpt2-graph.ts';
import { GRAPH_INPUT } from './hooks.ts';
import { applyIntervention, normalizePos } from './interventions.ts';
import type { AppendOptions, GPT2Config, Intervention, KVCache, Tensor } from './types.ts';

/** What the cache needs from the engine. */
export interface DecodeBackend {
  readonly name: string;
  readonly config: GPT2Config;
  /** Token embedding rows, concatenated ([ids.length × d]). */
  tokenRows(ids: number[]): Float32Array;
  /** Position embedding rows, concatenated. */
  positionRows(positions: number[]): Float32Array;
  /** One run of the decode session (serialized with the engine's other runs). */
  run(feeds: Record<string, ort.Tensor>): Promise<Record<string, ort.Tensor>>;
}

export class DecodeCache implements KVCache {
  private rows = 0;
  /** Slots per row in use (tokens plus padding). */
  private slots = 0;
  /** Slots allocated per row (≥ slots); the rest are masked. */
  private capacity = 0;
  /** Tokens per row. */
  private counts: number[] = [];
  /** [rows × slots], 1 for a token, 0 for padding. */
  private mask = new Uint8Array(0);
  /** Per block, [2, rows, heads, capacity, d_head]. */
  private past: Float32Array[] = [];
  /** An append is waiting for its run (the cache changes when it returns). */
  private busy = false;

  constructor(
    private readonly backend: DecodeBackend,
    private readonly patches: Intervention[],
    /** Slots the caller expects to need: growth stops there (a hint: the cache grows past it if asked). */
    private readonly initialCapacity?: number,
  ) {}

  get batch(): number {
    return this.rows;
  }

  get lengths(): readonly number[] {
    return this.counts;
  }

  async append(tokens: number[][], opts: AppendOptions = {}): Promise<Tensor> {
    const { n_layer: L, n_head: H, n_embd: d, n_positions, vocab_size: V } = this.backend.config;
    const dh = d / H;
    const mode = opts.logits ?? 'last';
    if (mode !== 'last' && mode !== 'all') throw new RangeError(`logits must be 'last' or 'all' (got ${String(mode)})`);
    if (!Array.isArray(tokens) || tokens.length === 0 || !tokens.every(Array.isArray)) throw new TypeError('append takes one list of token ids per row');
    const fresh = this.rows === 0;
    const B = fresh ? tokens.length : this.rows;
    if (tokens.length !== B) throw new RangeError(`the cache holds ${B} rows; append got ${tokens.length}`);
    const counts = fresh ? new Array<number>(B).fill(0) : this.counts;
    const S = Math.max(...tokens.map((r) => r.length));
    for (const [b, row] of tokens.entries()) {
      if (row.length === 0) throw new RangeError(`row ${b} has no new tokens: give every row at least one`);
      if (mode === 'all' && row.length !== S) throw new RangeError("logits: 'all' needs the same number of new tokens in every row");
      for (const id of row) {
        if (!Number.isInteger(id) || id < 0 || id >= V) throw new RangeError(`token id ${id} is outside ${this.backend.name}'s vocabulary (0 to ${V - 1})`);
      }
      if (counts[b] + row.length > n_positions) {
        throw new RangeError(`row ${b} would hold ${counts[b] + row.length} tokens; ${this.backend.name} takes at most ${n_positions}`);
      }
      // A record's position must exist, as in a full run of the row's tokens (checked before the
      // run, so a failed append leaves the cache as it was).
      for (const p of this.patches) if (p.pos !== undefined) normalizePos(p.pos, counts[b] + row.length, 'logits');
    }
    if (this.busy) throw new Error('append or select while an append is running: await each append first');
    if (fresh) this.past = Array.from({ length: L }, () => new Float32Array(0));

    // The new positions' residual stream: token + position embeddings, zeros for padding.
    const x = new Float32Array(B * S * d);
    const ids: number[] = [];
    const positions: number[] = [];
    const at: number[] = [];
    for (const [b, row] of tokens.entries()) {
      const pad = S - row.length;
      row.forEach((id, i) => {
        ids.push(id);
        positions.push(counts[b] + i);
        at.push(b * S + pad + i);
      });
    }
    const wte = this.backend.tokenRows(ids);
    const wpe = this.backend.positionRows(positions);
    at.forEach((slot, j) => {
      for (let i = 0; i < d; i++) x[slot * d + i] = wte[j * d + i] + wpe[j * d + i];
    });
    // The session sees the allocated slots (those not in use masked), then the new positions.
    const C = this.capacity;
    const total = this.slots + S;
    const mask = new Uint8Array(B * total);
    const maskFeed = new BigInt64Array(B * (C + S));
    for (let b = 0; b < B; b++) {
      mask.set(this.mask.subarray(b * this.slots, (b + 1) * this.slots), b * total);
      mask.fill(1, b * total + this.slots + S - tokens[b].length, (b + 1) * total);
      for (let j = 0; j < this.slots; j++) maskFeed[b * (C + S) + j] = BigInt(mask[b * total + j]);
      for (let j = 0; j < S; j++) maskFeed[b * (C + S) + C + j] = BigInt(mask[b * total + this.slots + j]);
    }
    const rows = mode === 'last' ? [S - 1] : Array.from({ length: S }, (_, i) => i);
    const feeds: Record<string, ort.Tensor> = {
      [GRAPH_INPUT]: new ort.Tensor('float32', x, [B, S, d]),
      [LOGIT_POSITIONS]: new ort.Tensor('int64', BigInt64Array.from(rows, BigInt), [rows.length]),
      [KEY_MASK]: new ort.Tensor('int64', maskFeed, [B, C + S]),
    };
    this.past.forEach((p, l) => (feeds[pastName(l)] = new ort.Tensor('float32', p, [2, B, H, C, dh])));
    let out: Record<string, ort.Tensor>;
    this.busy = true;
    try {
      out = await this.backend.run(feeds);
    } finally {
      this.busy = false;
    }
    this.rows = B;

    // Doubling, but never past what the caller said it needs: every run reads all allocated slots
    // (onnxruntime's Attention copies the past into its present), so unused ones cost time too
    // (a GPT-2-small step: 28 ms with 32 slots, 36-40 ms with 1024).
    if (total > C) this.grow(Math.max(total, Math.min(this.initialCapacity ?? Infinity, Math.max(2 * C, 2 * S, 16))));
    const C2 = this.capacity;
    this.past.forEach((p, l) => {
      const kv = out[newKvName(l)].data as Float32Array; // [2, B, H, S, dh]
      for (let i = 0; i < 2 * B * H; i++) p.set(kv.subarray(i * S * dh, (i + 1) * S * dh), (i * C2 + this.slots) * dh);
    });
    this.slots = total;
    this.mask = mask;
    this.counts = counts.map((n, b) => n + tokens[b].length);
    const logits: Tensor = { dims: [B, rows.length, V], data: out.logits.data as Float32Array };
    this.applyPatches(logits);
    return logits;
  }

  /**
   * Patches on `logits`, each row on its own: a record's `pos` counts from that row's start (or,
   * negative, from its end), as in a full run of the row's tokens, and changes these logits only
   * where they hold that position.
   */
  private applyPatches(logits: Tensor): void {
    if (this.patches.length === 0) return;
    const [B, P, V] = logits.dims;
    for (let b = 0; b < B; b++) {
      const T = this.counts[b];
      const first = T - P; // the position of this row's first logits row
      const row: Tensor = { dims: [1, P, V], data: logits.data.subarray(b * P * V, (b + 1) * P * V) };
      for (const p of this.patches) {
        if (p.op === 'mix_embed') continue; // never on logits (checked by the engine)
        if (p.pos === undefined) {
          applyIntervention({ tensor: row, layout: 'pos', hook: 'logits' }, p);
          continue;
        }
        const abs = normalizePos(p.pos, T, 'logits');
        if (abs >= first) applyIntervention({ tensor: row, layout: 'pos', hook: 'logits' }, { ...p, pos: abs - first });
      }
    }
  }

  /** Reallocate every block's buffer for `capacity` slots per row, keeping the slots in use. */
  private grow(capacity: number): void {
    const { n_head: H, n_embd: d } = this.backend.config;
    const dh = d / H;
    const C = this.capacity;
    this.past = this.past.map((p) => {
      const next = new Float32Array(2 * this.rows * H * capacity * dh);
      for (let i = 0; i < 2 * this.rows * H; i++) next.set(p.subarray(i * C * dh, (i * C + this.slots) * dh), i * capacity * dh);
      return next;
    });
    this.capacity = capacity;
  }

  select(rows: number[]): void {
    if (this.busy) throw new Error('select while an append is running: await the append first');
    if (!Array.isArray(rows) || rows.length === 0) throw new RangeError('select needs at least one row');
    for (const r of rows) {
      if (!Number.isInteger(r) || r < 0 || r >= this.rows) throw new RangeError(`row ${r} is not in the cache (0 to ${this.rows - 1})`);
    }
    const { n_head: H, n_embd: d } = this.backend.config;
    const dh = d / H;
    const B = this.rows;
    const S = this.slots;
    // Padding that every kept row has at its start is dropped.
    let drop = S;
    for (const r of rows) {
      let lead = 0;
      while (lead < S && this.mask[r * S + lead] === 0) lead++;
      drop = Math.min(drop, lead);
    }
    const S2 = S - drop;
    const B2 = rows.length;
    const C = this.capacity;
    const C2 = C - drop;
    this.past = this.past.map((src) => {
      const dst = new Float32Array(2 * B2 * H * C2 * dh);
      for (let kv = 0; kv < 2; kv++) {
        rows.forEach((r, b2) => {
          for (let h = 0; h < H; h++) {
            const from = (((kv * B + r) * H + h) * C + drop) * dh;
            dst.set(src.subarray(from, from + S2 * dh), ((kv * B2 + b2) * H + h) * C2 * dh);
          }
        });
      }
      return dst;
    });
    this.capacity = C2;
    const mask = new Uint8Array(B2 * S2);
    rows.forEach((r, b2) => mask.set(this.mask.subarray(r * S + drop, (r + 1) * S), b2 * S2));
    this.mask = mask;
    this.counts = rows.map((r) => this.counts[r]);
    this.rows = B2;
    this.slots = S2;
  }
}
