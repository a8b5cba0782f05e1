// The BERT engine on onnxruntime-node, beside GPT-2's (../engine.ts) and built the same way: one
// node list (graph.ts) cut into sessions (../segments.ts), weights handed to onnxruntime as
// external data in the checkpoint's files, embeddings and every intervention applied in JS
// between sessions. A plain run, and a run whose hooks are a few hundred MB at most and that
// patches nothing inside the network, is one session for the whole network; any other run has a
// session per block (one for the embedding LayerNorm, one for the masked-LM head) plus two
// half-block ones wherever it patches a hook inside a block. Sessions are cached by (nodes,
// outputs) within a weight budget, so a worker builds each shape of run once.
//
// Batches: rows of different lengths are padded at the end with [PAD] and masked (no query
// attends to a padded key), as Hugging Face's tokenizer and attention_mask do.
import fs from 'node:fs/promises';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { resolveModelDir } from '../../../models/registry.ts';
import { config as appConfig } from '../../config.ts';
import { hookPatterns, resolveHookPatterns, unknownHookError, type HookInfo } from '../hooks.ts';
import { applyIntervention, checkPatchFitsHook, mixEmbed } from '../interventions.ts';
import type { ExternalTensor } from '../onnx-graph.ts';
import { engineSessionOptions, SessionCache } from '../session-cache.ts';
import { planSegments, segmentModel, type Segment, type SegmentPlan } from '../segments.ts';
import type { Tensor } from '../types.ts';
import { BertCheckpointReader, POSITION_EMBEDDINGS, TOKEN_TYPE_EMBEDDINGS, WORD_EMBEDDINGS } from './checkpoint.ts';
import { buildBertGraph, type BertGraph } from './graph.ts';
import { ATTENTION_MASK, EMBED_SUM, bertHookInfos } from './hooks.ts';
import { applySetVector, parseBertPatches } from './interventions.ts';
import { WordPieceTokenizer } from './tokenizer.ts';
import type { BertConfig, BertEngine, BertIntervention, BertRunOptions, BertRunResult } from './types.ts';

export interface BertLoadOptions {
  /** onnxruntime intra-op threads per session (default ORT_THREADS). */
  threads?: number;
  /** Weight bytes the session cache may hold before evicting (default: twice the model's weights). */
  sessionBudgetBytes?: number;
  /**
   * A run that reads hooks and patches nothing inside the network is one session while its hooks
   * come to at most this many bytes (default 512 MiB); larger ones, and 0 here, run per block.
   */
  oneSessionHookBytes?: number;
}

const ONE_SESSION_HOOK_BYTES = 512 * 2 ** 20;

/**
 * Where weights come from. The engine keeps no copy of the large matrices in JS once their
 * sessions exist (onnxruntime holds one): word embedding rows are read from the checkpoint for
 * each run's tokens; the position and token-type tables are small and kept.
 */
interface WeightSource {
  config: BertConfig;
  isTinyRandom: boolean;
  hasMlmHead: boolean;
  untiedDecoder: boolean;
  /** For building sessions: float32 weights in a file are handed to onnxruntime by reference. */
  read(name: string): Promise<Tensor | ExternalTensor>;
  /** The folder external weights are read from. */
  externalDir?: string;
  /** For `weight()`, whose contract is synchronous. */
  readSync(name: string): Tensor;
  /** Rows of the word embeddings, concatenated [ids.length × d]. */
  wordRows(ids: number[]): Float32Array;
  positions: Tensor;
  tokenTypes: Tensor;
  close(): Promise<void>;
}

const noSuchWeight = (name: string) => new Error(`no weight named "${name}"; names look like ${WORD_EMBEDDINGS}, encoder.layer.0.attention.self.query.weight`);

async function fileSource(dir: string): Promise<WeightSource> {
  const reader = await BertCheckpointReader.open(dir);
  try {
    // Hugging Face's cache links snapshot files to blobs/<sha256>, and onnxruntime refuses external
    // data that resolves outside the folder it is given: hand it the real files' folder.
    const realFiles = new Map(await Promise.all(reader.filePaths().map(async (f) => [f, await fs.realpath(f)] as const)));
    const realDirs = new Set([...realFiles.values()].map((f) => path.dirname(f)));
    const externalDir = realDirs.size === 1 ? [...realDirs][0]! : undefined;
    const info = (name: string) => {
      try {
        return reader.locate(name);
      } catch {
        throw noSuchWeight(name);
      }
    };
    const d = reader.config.hidden_size;
    return {
      config: reader.config,
      isTinyRandom: reader.isTinyRandom,
      hasMlmHead: reader.hasMlmHead,
      untiedDecoder: reader.untiedDecoder,
      read: async (name) => {
        const t = info(name);
        if (t.dtype !== 'F32' || !externalDir) return reader.read(name); // F16/BF16 are converted in JS
        return { type: 'float32', dims: [...t.dims], external: { location: path.basename(realFiles.get(t.file)!), offset: t.begin, length: t.end - t.begin } };
      },
      ...(externalDir ? { externalDir } : {}),
      readSync(name) {
        const t = info(name);
        return { dims: [...t.dims], data: reader.readRangeSync(name, 0, t.dims.reduce((a, b) => a * b, 1)) };
      },
      wordRows(ids) {
        const out = new Float32Array(ids.length * d);
        ids.forEach((id, i) => out.set(reader.readRangeSync(WORD_EMBEDDINGS, id * d, d), i * d));
        return out;
      },
      positions: await reader.read(POSITION_EMBEDDINGS),
      tokenTypes: await reader.read(TOKEN_TYPE_EMBEDDINGS),
      close: () => reader.close(),
    };
  } catch (err) {
    await reader.close();
    throw err;
  }
}

function gatherRows(t: Tensor, ids: number[]): Float32Array {
  const width = t.dims[1];
  const out = new Float32Array(ids.length * width);
  ids.forEach((id, i) => out.set(t.data.subarray(id * width, (id + 1) * width), i * width));
  return out;
}

/** An in-memory checkpoint, as makeTinyBertCheckpoint and loadBertCheckpoint return it. */
export interface BertWeights {
  config: BertConfig;
  /** Canonical names; `cls.predictions.*` absent for a bare encoder. */
  tensors: Map<string, Tensor>;
  isTinyRandom?: boolean;
}

function memorySource(ckpt: BertWeights): WeightSource {
  const get = (name: string): Tensor => {
    const t = ckpt.tensors.get(name);
    if (!t) throw noSuchWeight(name);
    return t;
  };
  return {
    config: ckpt.config,
    isTinyRandom: ckpt.isTinyRandom ?? false,
    hasMlmHead: ckpt.tensors.has('cls.predictions.transform.dense.weight'),
    untiedDecoder: ckpt.tensors.has('cls.predictions.decoder.weight'),
    read: async (name) => get(name),
    readSync: get,
    wordRows: (ids) => gatherRows(get(WORD_EMBEDDINGS), ids),
    positions: get(POSITION_EMBEDDINGS),
    tokenTypes: get(TOKEN_TYPE_EMBEDDINGS),
    close: async () => {},
  };
}

/** Load a BERT model by name (bert-large-uncased, tiny-random-bert, …) or checkpoint directory. */
export async function loadBertEngine(nameOrDir: string, opts: BertLoadOptions = {}): Promise<BertEngine> {
  const dir = await resolveModelDir(nameOrDir);
  const tokenizer = await WordPieceTokenizer.fromDir(dir);
  return BertOnnxEngine.create(nameOrDir, await fileSource(dir), tokenizer, opts);
}

/** An engine over an in-memory checkpoint (tests, benchmarks). */
export async function createBertEngine(name: string, ckpt: BertWeights, tokenizer: WordPieceTokenizer, opts: BertLoadOptions = {}): Promise<BertEngine> {
  return BertOnnxEngine.create(name, memorySource(ckpt), tokenizer, opts);
}

const toOrt = (t: Tensor) => new ort.Tensor('float32', t.data, t.dims);
const fromOrt = (t: ort.Tensor): Tensor => ({ dims: [...t.dims], data: t.data as Float32Array });
const cloneTensor = (t: Tensor): Tensor => ({ dims: [...t.dims], data: new Float32Array(t.data) });

/** A batch as the graph takes it: equal-length rows, padded, with their mask and token types. */
interface Batch {
  ids: number[][];
  mask: number[][];
  types: number[][];
}

class BertOnnxEngine implements BertEngine {
  readonly arch = 'bert' as const;
  readonly config: BertConfig;
  readonly isTinyRandom: boolean;
  readonly hasMlmHead: boolean;
  /** Cut at every block, for patch runs and runs with large hooks. */
  private readonly blockGraph: BertGraph;
  /** The same nodes without cuts: a plain run and a small-hooks run are one session. */
  private readonly wholeGraph: BertGraph;
  private readonly hooks: HookInfo[];
  private readonly hookByName: Map<string, HookInfo>;
  /** Graph value → the hooks that read it, in forward order. */
  private readonly hooksAtValue = new Map<string, HookInfo[]>();
  private readonly sessions: SessionCache;
  private readonly plans = new Map<string, SegmentPlan>();
  private readonly sessionOptions: ort.InferenceSession.SessionOptions;
  private readonly oneSessionHookBytes: number;
  /** Runs are serialized: sessions share the intra-op threads, and the cache must not change mid-run. */
  private queue: Promise<unknown> = Promise.resolve();
  private disposed = false;

  private constructor(
    readonly name: string,
    private readonly source: WeightSource,
    readonly tokenizer: WordPieceTokenizer,
    opts: BertLoadOptions,
  ) {
    this.config = source.config;
    this.isTinyRandom = source.isTinyRandom;
    this.hasMlmHead = source.hasMlmHead;
    if (tokenizer.size > this.config.vocab_size) {
      throw new Error(`${name}: the tokenizer has ${tokenizer.size} tokens but config.json's vocab_size is ${this.config.vocab_size}`);
    }
    this.blockGraph = buildBertGraph(this.config, { mlmHead: source.hasMlmHead, untiedDecoder: source.untiedDecoder });
    this.wholeGraph = { ...this.blockGraph, boundaries: [] };
    this.hooks = bertHookInfos(this.config, source.hasMlmHead);
    this.hookByName = new Map(this.hooks.map((h) => [h.name, h]));
    for (const h of this.hooks) if (h.value) this.hooksAtValue.set(h.value, [...(this.hooksAtValue.get(h.value) ?? []), h]);
    this.sessionOptions = engineSessionOptions(opts.threads ?? appConfig.ORT_THREADS, source.externalDir);
    this.sessions = new SessionCache(opts.sessionBudgetBytes ?? 2 * weightBytes(this.config, source));
    this.oneSessionHookBytes = opts.oneSessionHookBytes ?? ONE_SESSION_HOOK_BYTES;
    if (!(this.oneSessionHookBytes >= 0)) throw new RangeError(`oneSessionHookBytes must be a number ≥ 0 (got ${this.oneSessionHookBytes})`);
  }

  static async create(name: string, source: WeightSource, tokenizer: WordPieceTokenizer, opts: BertLoadOptions): Promise<BertOnnxEngine> {
    let engine: BertOnnxEngine;
    try {
      engine = new BertOnnxEngine(name, source, tokenizer, opts);
    } catch (err) {
      await source.close();
      throw err;
    }
    try {
      // Build the plain run's session now, so the first request does not pay for it.
      const target = engine.hasMlmHead ? 'mlm_logits' : `blocks.${engine.config.num_hidden_layers - 1}.hook_normalized_resid_post`;
      for (const seg of engine.plan([target], [], true).segments) await engine.session(seg, true);
    } catch (err) {
      await engine.dispose();
      throw err;
    }
    return engine;
  }

  // ------------------------------------------------------------------------------------------
  // Tokens

  encode(text: string): number[] {
    return this.tokenizer.encode(text);
  }

  encodePair(a: string, b: string): { ids: number[]; tokenTypes: number[] } {
    return this.tokenizer.encodePair(a, b);
  }

  decode(ids: number[]): string {
    return this.tokenizer.decode(ids);
  }

  tokenText(id: number): string {
    return this.tokenizer.tokenText(id);
  }

  wordId(word: string): number {
    return this.tokenizer.wordId(word);
  }

  hookNames(): string[] {
    return this.hooks.map((h) => h.name);
  }

  weight(name: string): Tensor {
    return this.source.readSync(name);
  }

  // ------------------------------------------------------------------------------------------
  // Checking what comes in

  /** Token ids (and token types) → equal-length padded rows with their mask, or a clear error. */
  private checkBatch(tokens: number[] | number[][], tokenTypes?: number[] | number[][]): Batch {
    const rows = (x: number[] | number[][]): number[][] => (x.length > 0 && Array.isArray(x[0]) ? (x as number[][]) : [x as number[]]);
    const ids = rows(tokens);
    const { max_position_embeddings: P, vocab_size: V, type_vocab_size: types, pad_token_id: pad } = this.config;
    if (ids.length === 0 || ids.some((r) => !Array.isArray(r) || r.length === 0)) throw new RangeError('the input is empty: every row needs at least one token');
    for (const row of ids) {
      if (row.length > P) throw new RangeError(`text is ${row.length} tokens ([CLS] and [SEP] included); ${this.name} takes at most ${P}`);
      for (const id of row) {
        if (!Number.isInteger(id) || id < 0 || id >= V) throw new RangeError(`token id ${id} is outside ${this.name}'s vocabulary (0 to ${V - 1})`);
      }
    }
    const typeRows = tokenTypes === undefined ? ids.map((r) => r.map(() => 0)) : rows(tokenTypes);
    if (typeRows.length !== ids.length || typeRows.some((r, b) => r.length !== ids[b].length)) {
      throw new RangeError('tokenTypes must have the shape of the tokens (one type per token)');
    }
    for (const t of typeRows.flat()) {
      if (!Number.isInteger(t) || t < 0 || t >= types) throw new RangeError(`token type ${t} is outside 0 to ${types - 1} (type_vocab_size ${types})`);
    }
    const T = Math.max(...ids.map((r) => r.length));
    const padded = (r: number[], fill: number) => [...r, ...Array<number>(T - r.length).fill(fill)];
    return { ids: ids.map((r) => padded(r, pad)), mask: ids.map((r) => padded(r.map(() => 1), 0)), types: typeRows.map((r) => padded(r, 0)) };
  }

  private checkPatches(patches: BertIntervention[]): BertIntervention[] {
    // Records arrive in job payloads as JSON: validate them again here, whatever their type says.
    const list = parseBertPatches(patches);
    for (const p of list) {
      const info = this.hookByName.get(p.hook);
      if (!info) throw unknownHookError(p.hook, this.hookNames(), 'intervention hook');
      if (p.op === 'logit_boost') {
        if (p.hook !== 'mlm_logits') throw new Error(`intervention at ${p.hook}: logit_boost applies only at mlm_logits`);
      } else if (p.op === 'set_vector') {
        if (p.head !== undefined && info.layout === 'pos') throw new Error(`intervention at ${p.hook}: "head" given, but this hook has no head dimension`);
      } else {
        checkPatchFitsHook(p, info.layout);
      }
    }
    return list;
  }

  // ------------------------------------------------------------------------------------------
  // Running

  async run(tokens: number[] | number[][], opts: BertRunOptions = {}): Promise<BertRunResult> {
    const batch = this.checkBatch(tokens, opts.tokenTypes);
    const hooks = opts.hooks === undefined ? [] : resolveHookPatterns(hookPatterns(opts.hooks), this.hookNames());
    const patches = this.checkPatches(opts.patches ?? []);
    const mode = opts.logits ?? (this.hasMlmHead ? 'all' : 'none');
    if (mode !== 'all' && mode !== 'none') throw new RangeError(`logits must be 'all' or 'none' (got ${String(mode)})`);
    if (mode === 'all' && !this.hasMlmHead) throw new Error(`${this.name} has no masked-LM head (a bare BertModel checkpoint): run it with logits: 'none'`);
    return this.exclusive(() => this.forward(batch, hooks, patches, mode === 'all'));
  }

  async hiddenStates(tokens: number[] | number[][], opts: Omit<BertRunOptions, 'hooks' | 'logits'> = {}): Promise<Tensor[]> {
    const L = this.config.num_hidden_layers;
    const names = ['hook_full_embed', ...Array.from({ length: L }, (_, l) => `blocks.${l}.hook_normalized_resid_post`)];
    const { cache } = await this.run(tokens, { ...opts, hooks: names, logits: 'none' });
    return names.map((n) => cache.get(n)!);
  }

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    if (this.disposed) return Promise.reject(new Error(`engine ${this.name} has been disposed`));
    const next = this.queue.then(fn, fn);
    this.queue = next.then(
      () => {},
      () => {},
    );
    return next;
  }

  /** `whole`: the network as one session (wholeGraph); only when nothing inside it is patched. */
  private plan(targets: string[], cutAfter: string[], whole: boolean): SegmentPlan {
    const key = `${whole ? 'whole' : 'blocks'}#${targets.join('|')}#${cutAfter.join('|')}`;
    let plan = this.plans.get(key);
    if (!plan) {
      plan = planSegments(whole ? this.wholeGraph : this.blockGraph, { targets, cutAfter });
      if (this.plans.size >= 256) this.plans.delete(this.plans.keys().next().value!);
      this.plans.set(key, plan);
    }
    return plan;
  }

  private async forward(batch: Batch, hooks: string[], patches: BertIntervention[], wantLogits: boolean): Promise<BertRunResult> {
    const B = batch.ids.length;
    const T = batch.ids[0].length;
    const d = this.config.hidden_size;
    const requested = new Set(hooks);
    const cache = new Map<string, Tensor>();
    const patchesAt = new Map<string, BertIntervention[]>();
    for (const p of patches) patchesAt.set(p.hook, [...(patchesAt.get(p.hook) ?? []), p]);

    // A hook point: apply its patches (to a copy: the tensor may be cached or still in use), cache it.
    const atHook = (name: string, t: Tensor): Tensor => {
      const list = patchesAt.get(name);
      if (list) {
        t = cloneTensor(t);
        for (const p of list) this.applyPatch(name, t, p);
      }
      if (requested.has(name)) cache.set(name, t);
      return t;
    };

    // Embeddings in JS: three gathers (mix_embed is then a row replacement), summed.
    const embed = atHook('hook_embed', { dims: [B, T, d], data: this.source.wordRows(batch.ids.flat()) });
    const positions = gatherRows(this.source.positions, Array.from({ length: T }, (_, t) => t));
    const posData = new Float32Array(B * T * d);
    for (let b = 0; b < B; b++) posData.set(positions, b * T * d);
    const posEmbed = atHook('hook_pos_embed', { dims: [B, T, d], data: posData });
    const typeEmbed = atHook('hook_token_type_embed', { dims: [B, T, d], data: gatherRows(this.source.tokenTypes, batch.types.flat()) });
    const sum = new Float32Array(B * T * d);
    for (let i = 0; i < sum.length; i++) sum[i] = embed.data[i] + posEmbed.data[i] + typeEmbed.data[i];
    // Additive mask over keys: 0 for a token, −inf for padding (B, 1, 1, T).
    const mask = Float32Array.from(batch.mask.flat(), (m) => (m ? 0 : -Infinity));
    const env = new Map<string, ort.Tensor>([
      [EMBED_SUM, toOrt({ dims: [B, T, d], data: sum })],
      [ATTENTION_MASK, new ort.Tensor('float32', mask, [B, 1, 1, T])],
    ]);

    // Which graph values the run needs, and where it must stop to patch.
    const targets = new Set<string>();
    for (const h of hooks) {
      const v = this.hookByName.get(h)!.value;
      if (v) targets.add(v);
    }
    if (wantLogits) targets.add('mlm_logits');
    const cutAfter = new Set<string>();
    for (const p of patches) {
      const v = this.hookByName.get(p.hook)!.value;
      if (v) cutAfter.add(v);
    }
    let hookBytes = 0;
    for (const h of requested) hookBytes += 4 * this.hookByName.get(h)!.shape.reduce<number>((n, x) => n * (x === 'batch' ? B : x === 'pos' ? T : x), 1);
    const whole = [...cutAfter].every((v) => v === 'mlm_logits') && hookBytes <= this.oneSessionHookBytes;
    const plain = hooks.length === 0 && whole;
    const plan = targets.size ? this.plan([...targets].sort(), [...cutAfter].sort(), whole) : { segments: [], lastUse: new Map<string, number>() };

    for (const [s, seg] of plan.segments.entries()) {
      const session = await this.session(seg, plain);
      const feeds: Record<string, ort.Tensor> = {};
      for (const v of seg.inputs) feeds[v] = env.get(v)!;
      const out = await session.run(feeds);
      for (const v of seg.inputs) if (plan.lastUse.get(v) === s) env.delete(v);
      for (const v of seg.outputs) {
        let t = fromOrt(out[v]);
        for (const h of this.hooksAtValue.get(v) ?? []) t = atHook(h.name, t);
        env.set(v, toOrt(t));
      }
    }

    const result: BertRunResult = {
      cache: new Map(this.hooks.filter((h) => cache.has(h.name)).map((h) => [h.name, cache.get(h.name)!])),
      attentionMask: batch.mask,
    };
    if (wantLogits) result.logits = fromOrt(env.get('mlm_logits')!);
    return result;
  }

  private applyPatch(hook: string, t: Tensor, p: BertIntervention): void {
    const target = { tensor: t, layout: this.hookByName.get(hook)!.layout, hook };
    if (p.op === 'mix_embed') mixEmbed(t, (ids) => this.source.wordRows(ids), p, this.config.vocab_size);
    else if (p.op === 'set_vector') applySetVector(target, p);
    else applyIntervention(target, p);
  }

  // ------------------------------------------------------------------------------------------
  // Sessions

  /** `arena`: the plain run's session keeps an arena, so its activations reuse memory run after run. */
  private async session(seg: Segment, arena: boolean): Promise<ort.InferenceSession> {
    const hit = this.sessions.get(seg.key);
    if (hit) return hit;
    const { bytes, weightBytes } = await segmentModel(this.blockGraph, seg, (name) => this.source.read(name));
    return this.sessions.add(seg.key, weightBytes, () =>
      ort.InferenceSession.create(bytes, { ...this.sessionOptions, enableCpuMemArena: arena, enableMemPattern: arena }));
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    await this.queue;
    await this.sessions.releaseAll();
    await this.source.close();
  }
}

/** float32 bytes of the weights the graph reads. */
function weightBytes(c: BertConfig, source: { hasMlmHead: boolean; untiedDecoder: boolean }): number {
  const { hidden_size: d, intermediate_size: m, vocab_size: V } = c;
  const perLayer = 4 * (d * d + d) + 2 * (d * m) + m + d + 4 * d;
  const head = source.hasMlmHead ? d * d + 3 * d + V + (source.untiedDecoder ? V * d : 0) : 0;
  return 4 * ((V + c.max_position_embeddings + c.type_vocab_size) * d + 2 * d + c.num_hidden_layers * perLayer + head);
}
