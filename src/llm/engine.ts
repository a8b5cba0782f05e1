// The GPT-2 engine on onnxruntime-node (DESIGN.md §4). A run without hooks (at most its logits
// patched) and every generation step go through the decode session (gpt2-graph.ts
// buildDecodeGraph: every block and ln_final, with a key/value past that is empty for a plain
// run; its last block's projection and MLP for the logit rows only), so one session holds the
// blocks' weights for both, then the unembedding session. Runs with hooks use the hook node list
// (gpt2-graph.ts buildGpt2Graph) cut into sessions (segments.ts): while the hooks are few bytes
// and nothing inside the network is patched, one for every block and ln_final and one for the
// unembedding; otherwise one per block, one for ln_final and one for the unembedding, plus
// half-block sessions wherever a run patches a hook inside a block. Weights reach onnxruntime as
// external data in the checkpoint's files. Embeddings and every intervention are applied in JS
// between sessions. Sessions are cached by (nodes, outputs), so a worker builds each shape of run
// once. Generation keeps its key/value cache in JS (kv-cache.ts).
import fs from 'node:fs/promises';
import path from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';
import * as ort from 'onnxruntime-node';
import { resolveModelDir } from '../../models/registry.ts';
import { config as appConfig } from '../config.ts';
import { CheckpointReader } from './checkpoint.ts';
import { generateTokens } from './generate.ts';
import { allBlocksGraph, buildDecodeGraph, buildGpt2Graph, isUnembedding, KEY_MASK, LOGIT_POSITIONS, newKvName, pastName, type Gpt2Graph } from './gpt2-graph.ts';
import { GRAPH_INPUT, hookInfos, hookPatterns, resolveHookPatterns, unknownHookError, type HookInfo } from './hooks.ts';
import { applyIntervention, checkPatchFitsHook, mixEmbed, normalizePos, parsePatches } from './interventions.ts';
import { DecodeCache } from './kv-cache.ts';
import type { ExternalTensor } from './onnx-graph.ts';
import { ScratchOutputs } from './scratch-outputs.ts';
import { engineSessionOptions, SessionCache } from './session-cache.ts';
import { planSegments, segmentModel, type NodeGraph, type Segment, type SegmentPlan } from './segments.ts';
import * as tokenizer from './tokenizer.ts';
import type { Engine, GenerateOptions, GPT2Config, Intervention, KVCache, KVCacheOptions, RunOptions, RunResult, Tensor } from './types.ts';

export interface LoadOptions {
  /** onnxruntime intra-op threads per session (default ORT_THREADS). */
  threads?: number;
  /**
   * Weight bytes the session cache may hold before evicting the least recently used sessions
   * (default: twice the model's weights, so the clean model plus one set of patched or
   * hook-exporting sessions stay resident).
   */
  sessionBudgetBytes?: number;
  /** Write each session's optimized model here (debugging: see which ops onnxruntime fused). */
  dumpOptimizedDir?: string;
  /**
   * A run that reads hooks and patches nothing inside the network runs every block as one
   * session, like a plain run, while its hooks come to at most this many bytes (default
   * ONE_SESSION_HOOK_BYTES); larger ones, and 0 here, run a session per block (see forward).
   */
  oneSessionHookBytes?: number;
}

/**
 * Where weights come from. The engine keeps no copy of the big matrices in JS once their sessions
 * exist (onnxruntime holds one): the embedding gather reads just the rows a run needs, and
 * `weight()` re-reads from the checkpoint. That is what keeps a loaded gpt2 near 1.5× its weights.
 */
interface WeightSource {
  config: GPT2Config;
  isTinyRandom: boolean;
  untiedHead: boolean;
  /** For building sessions: float32 weights in a file are handed to onnxruntime as references. */
  read(name: string): Promise<Tensor | ExternalTensor>;
  /** The folder external weights are read from (onnxruntime resolves `location` against it). */
  externalDir?: string;
  /** For `weight()`, whose contract is synchronous. */
  readSync(name: string): Tensor;
  /** Rows of a 2-D weight (token or position embeddings), concatenated. */
  rows(name: string, ids: number[]): Float32Array;
  close(): Promise<void>;
}

const noSuchWeight = (name: string) => new Error(`no weight named "${name}"; names look like wte.weight, h.0.attn.c_attn.weight`);

async function fileSource(dir: string): Promise<WeightSource> {
  const reader = await CheckpointReader.open(dir);
  // Position embeddings are small (3 MB for gpt2) and every run reads T rows of them: keep them.
  const positions = await reader.read('wpe.weight');
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
  return {
    config: reader.config,
    isTinyRandom: reader.isTinyRandom,
    untiedHead: reader.untiedHead,
    // F32 weights stay in the file: onnxruntime reads each straight into its own buffer, instead of
    // JS reading it, protobufjs copying it into the model bytes and onnxruntime parsing a third
    // copy (which set the load's peak memory and took half its time). Shards sit side by side, so
    // a file name relative to the checkpoint folder locates any of them.
    read: async (name) => {
      const t = info(name);
      // Shards linked into several folders (no cache lays them out so) are read through JS instead.
      if (t.dtype !== 'F32' || !externalDir) return reader.read(name);
      return { type: 'float32', dims: [...t.dims], external: { location: path.basename(realFiles.get(t.file)!), offset: t.begin, length: t.end - t.begin } };
    },
    ...(externalDir ? { externalDir } : {}),
    readSync(name) {
      const t = info(name);
      return { dims: [...t.dims], data: reader.readRangeSync(name, 0, t.dims.reduce((a, b) => a * b, 1)) };
    },
    rows(name, ids) {
      if (name === 'wpe.weight') return gatherRows(positions, ids);
      const width = info(name).dims[1];
      const out = new Float32Array(ids.length * width);
      ids.forEach((id, i) => out.set(reader.readRangeSync(name, id * width, width), i * width));
      return out;
    },
    close: () => reader.close(),
  };
}

function gatherRows(t: Tensor, ids: number[]): Float32Array {
  const width = t.dims[1];
  const out = new Float32Array(ids.length * width);
  ids.forEach((id, i) => out.set(t.data.subarray(id * width, (id + 1) * width), i * width));
  return out;
}

/** In-memory checkpoint (`{ config, tensors }`, as makeTinyCheckpoint returns). */
function memorySource(ckpt: { config: GPT2Config; tensors: Map<string, Tensor>; isTinyRandom?: boolean }): WeightSource {
  const get = (name: string): Tensor => {
    const t = ckpt.tensors.get(name);
    if (!t) throw noSuchWeight(name);
    return t;
  };
  return {
    config: ckpt.config,
    isTinyRandom: ckpt.isTinyRandom ?? false,
    untiedHead: ckpt.tensors.has('lm_head.weight'),
    read: async (name) => get(name),
    readSync: get,
    rows: (name, ids) => gatherRows(get(name), ids),
    close: async () => {},
  };
}

/** Load a model by name (gpt2, tiny-random, …) or checkpoint directory. */
export async function loadEngine(nameOrDir: string, opts: LoadOptions = {}): Promise<Engine> {
  const dir = await resolveModelDir(nameOrDir);
  return OnnxEngine.create(nameOrDir, await fileSource(dir), opts);
}

/** An engine over an in-memory checkpoint (tests, benchmarks). */
export async function createEngine(
  name: string,
  ckpt: { config: GPT2Config; tensors: Map<string, Tensor>; isTinyRandom?: boolean },
  opts: LoadOptions = {},
): Promise<Engine> {
  return OnnxEngine.create(name, memorySource(ckpt), opts);
}

/** Positions per unembedding call at full context (see runUnembed and unembedRows). */
const LOGIT_CHUNK = 64;

const toOrt = (t: Tensor) => new ort.Tensor('float32', t.data, t.dims);
const fromOrt = (t: ort.Tensor): Tensor => ({ dims: [...t.dims], data: t.data as Float32Array });
const cloneTensor = (t: Tensor): Tensor => ({ dims: [...t.dims], data: new Float32Array(t.data) });

class OnnxEngine implements Engine {
  readonly config: GPT2Config;
  readonly isTinyRandom: boolean;
  private readonly graph: Gpt2Graph;
  /**
   * The same nodes cut only before the unembedding, for runs with small hooks (plain runs use the
   * decode graph, which is one session for the same reason). One session for every block has one
   * intra-op pool to wake and one arena: per-block sessions must run without arenas
   * (fourteen arenas would each keep their block's peak), so each run's activations came fresh
   * from the OS, and on a VM where a first touch costs ~3 ms/MB that doubled the time at 1024
   * tokens. Patch runs use per-block sessions (they change values between blocks), and so do
   * hook runs whose hooks are large (see ONE_SESSION_HOOK_BYTES); a run with smaller hooks uses
   * these nodes, in a session that exports them (without an arena: see session()).
   */
  private readonly cleanGraph: Gpt2Graph;
  /** The blocks for plain runs and for runs that continue a key/value cache (gpt2-graph.ts buildDecodeGraph), one session. */
  private readonly decodeGraph: NodeGraph;
  private decodeSegment?: Segment;
  /** Segment keys of cleanGraph's all-blocks sessions (small-hooks runs'; plain runs use the decode session). */
  private readonly allBlocksKeys = new Set<string>();
  private readonly hooks: HookInfo[];
  private readonly hookByName: Map<string, HookInfo>;
  /** Graph value → the hooks that read it, in forward order (resid_post(l) then resid_pre(l+1)). */
  private readonly hooksAtValue = new Map<string, HookInfo[]>();
  /** The last tensor `weight()` returned per name, while the caller still holds it. */
  private readonly weightRefs = new Map<string, WeakRef<Tensor>>();
  private readonly sessions: SessionCache;
  private readonly plans = new Map<string, SegmentPlan>();
  private readonly sessionOptions: ort.InferenceSession.SessionOptions;
  private readonly oneSessionHookBytes: number;
  private readonly dumpDir?: string;
  /** Runs are serialized: sessions share the intra-op threads, and the cache must not change mid-run. */
  private queue: Promise<unknown> = Promise.resolve();
  private disposed = false;

  private constructor(
    readonly name: string,
    private readonly source: WeightSource,
    opts: LoadOptions,
  ) {
    this.config = source.config;
    this.isTinyRandom = source.isTinyRandom;
    this.graph = buildGpt2Graph(this.config, { untiedHead: source.untiedHead });
    // Only all-blocks sessions compute the last block for the logit rows alone: in a session per
    // block it would put the rows' shapes on hooks' buffers.
    this.cleanGraph = allBlocksGraph(this.graph);
    this.decodeGraph = buildDecodeGraph(this.config);
    this.hooks = hookInfos(this.config);
    this.hookByName = new Map(this.hooks.map((h) => [h.name, h]));
    for (const h of this.hooks) if (h.value) this.hooksAtValue.set(h.value, [...(this.hooksAtValue.get(h.value) ?? []), h]);
    this.sessionOptions = engineSessionOptions(opts.threads ?? appConfig.ORT_THREADS, source.externalDir);
    this.sessions = new SessionCache(opts.sessionBudgetBytes ?? 2 * weightBytes(this.config, source.untiedHead));
    this.dumpDir = opts.dumpOptimizedDir;
    this.oneSessionHookBytes = opts.oneSessionHookBytes ?? ONE_SESSION_HOOK_BYTES;
    if (!(this.oneSessionHookBytes >= 0)) throw new RangeError(`oneSessionHookBytes must be a number ≥ 0 (got ${this.oneSessionHookBytes})`);
  }

  static async create(name: string, source: WeightSource, opts: LoadOptions): Promise<OnnxEngine> {
    let engine: OnnxEngine;
    try {
      engine = new OnnxEngine(name, source, opts);
    } catch (err) {
      await source.close(); // bad options: the checkpoint's files are open already
      throw err;
    }
    try {
      // Build the clean model's sessions now, so the first request does not pay for them; the
      // unembedding (the largest matrix) first, while little else is in memory, which keeps the
      // transient copies made while onnxruntime parses it from setting the peak.
      await engine.session(engine.unembedSeg());
      await engine.session(engine.decodeSeg(), engine.decodeGraph);
    } catch (err) {
      await engine.dispose();
      throw err;
    }
    return engine;
  }

  // ------------------------------------------------------------------------------------------
  // Tokens

  encode(text: string): number[] {
    return tokenizer.encode(text);
  }

  decode(ids: number[]): string {
    return tokenizer.decode(ids);
  }

  tokenText(id: number): string {
    return tokenizer.tokenText(id);
  }

  hookNames(): string[] {
    return this.hooks.map((h) => h.name);
  }

  weight(name: string): Tensor {
    const held = this.weightRefs.get(name)?.deref();
    if (held) return held;
    const t = this.source.readSync(name);
    this.weightRefs.set(name, new WeakRef(t));
    return t;
  }

  /** Token ids → equal-length rows, or a clear error naming the limit. */
  private checkTokens(tokens: number[] | number[][]): number[][] {
    const batch = tokens.length > 0 && Array.isArray(tokens[0]) ? (tokens as number[][]) : [tokens as number[]];
    const { n_positions, vocab_size } = this.config;
    if (batch.length === 0 || batch[0].length === 0) throw new RangeError('the input is empty: give at least one token');
    const T = batch[0].length;
    for (const [b, row] of batch.entries()) {
      if (!Array.isArray(row)) throw new TypeError('tokens must be a list of ids or a list of equal-length lists');
      if (row.length !== T) throw new RangeError(`batch rows must have equal lengths: row 0 has ${T} tokens, row ${b} has ${row.length}`);
      for (const id of row) {
        if (!Number.isInteger(id) || id < 0 || id >= vocab_size) {
          throw new RangeError(`token id ${id} is outside ${this.name}'s vocabulary (0 to ${vocab_size - 1})`);
        }
      }
    }
    if (T > n_positions) throw new RangeError(`text is ${T} tokens; ${this.name} takes at most ${n_positions}`);
    return batch;
  }

  private checkPatches(patches: Intervention[]): Intervention[] {
    // Records arrive in job payloads as JSON: validate them again here, whatever their type says.
    const list = parsePatches(patches);
    for (const p of list) {
      const info = this.hookByName.get(p.hook);
      if (!info) throw unknownHookError(p.hook, this.hookNames(), 'intervention hook');
      checkPatchFitsHook(p, info.layout);
    }
    return list;
  }

  // ------------------------------------------------------------------------------------------
  // Running

  async run(tokens: number[] | number[][], opts: RunOptions = {}): Promise<RunResult> {
    const batch = this.checkTokens(tokens);
    const hooks = opts.hooks === undefined ? [] : resolveHookPatterns(hookPatterns(opts.hooks), this.hookNames());
    const patches = this.checkPatches(opts.patches ?? []);
    const mode = opts.logits ?? 'all';
    if (!['all', 'last', 'none'].includes(mode)) throw new RangeError(`logits must be 'all', 'last' or 'none' (got ${String(mode)})`);
    return this.exclusive(() => this.forward(batch, hooks, patches, mode));
  }

  async hiddenStates(tokens: number[] | number[][], patches: Intervention[] = []): Promise<Tensor[]> {
    const L = this.config.n_layer;
    const names = [GRAPH_INPUT, ...Array.from({ length: L - 1 }, (_, l) => `blocks.${l}.hook_resid_post`), 'unembed.hook_in'];
    const { cache } = await this.run(tokens, { hooks: names, patches, logits: 'none' });
    return names.map((n) => cache.get(n)!);
  }

  async generate(tokens: number[], opts: GenerateOptions): Promise<number[]> {
    this.checkTokens(tokens);
    const limit = this.config.n_positions;
    if (tokens.length + opts.maxNewTokens > limit) {
      throw new RangeError(`prompt (${tokens.length} tokens) + maxNewTokens (${opts.maxNewTokens}) exceeds ${this.name}'s ${limit}-token context`);
    }
    const patches = this.checkPatches(opts.patches ?? []);
    // A patch inside the network changes every position's keys and values as the prefix grows
    // (or needs hooks the decode session does not have): those steps re-run the whole prefix.
    if (opts.kvCache === false || patches.some((p) => p.hook !== 'logits')) {
      return generateTokens(tokens, opts, async (prefix) => {
        const { logits } = await this.run(prefix, { logits: 'last', patches });
        return logits!.data;
      });
    }
    const cache = this.kvCache({ patches, capacity: tokens.length + opts.maxNewTokens });
    let fed = 0;
    return generateTokens(tokens, opts, async (prefix) => {
      const logits = await cache.append([prefix.slice(fed)]);
      fed = prefix.length;
      return logits.data;
    });
  }

  kvCache(opts: KVCacheOptions = {}): KVCache {
    if (this.disposed) throw new Error(`engine ${this.name} has been disposed`);
    if (opts.capacity !== undefined && !(Number.isInteger(opts.capacity) && opts.capacity >= 1)) {
      throw new RangeError(`capacity must be a whole number ≥ 1 (got ${opts.capacity})`);
    }
    const patches = this.checkPatches(opts.patches ?? []);
    for (const p of patches) {
      if (p.hook !== 'logits') {
        throw new RangeError(`the key/value cache applies patches on logits only (got one at ${p.hook}); engine.generate runs such patches on the whole prefix each step`);
      }
    }
    return new DecodeCache(
      {
        name: this.name,
        config: this.config,
        tokenRows: (ids) => this.source.rows('wte.weight', ids),
        positionRows: (positions) => this.source.rows('wpe.weight', positions),
        run: (feeds) => this.exclusive(() => this.decodeForward(feeds, true)),
      },
      patches,
      opts.capacity,
    );
  }

  /**
   * The blocks of a run without hooks, or of one that continues a key/value cache, then the
   * unembedding: logits for the LOGIT_POSITIONS rows of the new positions, and with `newKv`
   * every block's keys and values for those positions. Runs inside `exclusive`.
   */
  private async decodeForward(feeds: Record<string, ort.Tensor>, newKv: boolean): Promise<Record<string, ort.Tensor>> {
    const blocks = await this.session(this.decodeSeg(), this.decodeGraph);
    // Without them, onnxruntime still computes the keys and values (the Attention op needs them)
    // but the binding copies nothing back.
    const out = newKv ? await blocks.run(feeds) : await blocks.run(feeds, ['unembed.hook_in']);
    const rows = feeds[LOGIT_POSITIONS].dims[0];
    const unembed = await this.session(this.unembedSeg());
    const { logits } = await this.runUnembed(unembed, { 'unembed.hook_in': out['unembed.hook_in'] }, Array.from({ length: rows }, (_, i) => i));
    return { ...out, logits };
  }

  /** The unembedding segment (buildGpt2Graph's last stage), shared by every run that wants logits. */
  private unembedSeg(): Segment {
    return this.plan(['logits'], [], true).segments.find(isUnembedding)!;
  }

  /** The decode graph's one segment: every block and ln_final for the logit rows, and the new caches. */
  private decodeSeg(): Segment {
    if (!this.decodeSegment) {
      const targets = ['unembed.hook_in', ...Array.from({ length: this.config.n_layer }, (_, l) => newKvName(l))];
      const { segments } = planSegments(this.decodeGraph, { targets, cutAfter: [] });
      if (segments.length !== 1) throw new Error(`internal: the decode graph planned as ${segments.length} segments`);
      this.decodeSegment = segments[0];
    }
    return this.decodeSegment;
  }

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    if (this.disposed) return Promise.reject(new Error(`engine ${this.name} has been disposed`));
    const next = this.queue.then(fn, fn);
    this.queue = next.then(
      () => {},
      () => {},
    ); // not `next` itself: the queue must not keep the last result alive
    return next;
  }

  /** `oneSession`: all blocks and ln_final as one session (cleanGraph); only when `cutAfter` holds nothing but logits. */
  private plan(targets: string[], cutAfter: string[], oneSession: boolean): SegmentPlan {
    const key = `${oneSession ? 'one' : 'blocks'}#${targets.join('|')}#${cutAfter.join('|')}`;
    let plan = this.plans.get(key);
    if (!plan) {
      // A small-hooks run runs all blocks and ln_final as one session, like one plain onnxruntime
      // graph (see cleanGraph). Plain runs take only the unembedding segment of this plan for
      // logits alone: their blocks run in the decode session.
      plan = planSegments(oneSession ? this.cleanGraph : this.graph, { targets, cutAfter });
      for (const seg of plan.segments) if (oneSession && seg.inputs.includes(GRAPH_INPUT)) this.allBlocksKeys.add(seg.key);
      if (this.plans.size >= 256) this.plans.delete(this.plans.keys().next().value!);
      this.plans.set(key, plan);
    }
    return plan;
  }

  private async forward(batch: number[][], hooks: string[], patches: Intervention[], mode: 'all' | 'last' | 'none'): Promise<RunResult> {
    const B = batch.length;
    const T = batch[0].length;
    const d = this.config.n_embd;
    const requested = new Set(hooks);
    const cache = new Map<string, Tensor>();
    const patchesAt = new Map<string, Intervention[]>();
    for (const p of patches) patchesAt.set(p.hook, [...(patchesAt.get(p.hook) ?? []), p]);

    // Logits for every position if the caller wants the `logits` hook, else as `mode` says.
    const allLogits = mode === 'all' || requested.has('logits');
    const wantLogits = mode !== 'none' || requested.has('logits');
    const logitPositions = allLogits ? Array.from({ length: T }, (_, i) => i) : [T - 1];
    let hookBytes = 0;
    for (const h of requested) if (h !== 'logits') hookBytes += 4 * this.valueSize(h, B, T);
    const resultBytes = hookBytes + (wantLogits ? 4 * B * logitPositions.length * this.config.vocab_size : 0);
    if (resultBytes >= COLLECT_BEFORE_BYTES && B * T >= COLLECT_BEFORE_POSITIONS) collectAllGarbage();

    // Apply a hook's patches (to a copy: the unpatched tensor may be cached or still in use) and cache it.
    const atHook = (name: string, t: Tensor): Tensor => {
      const list = patchesAt.get(name);
      if (list) {
        t = cloneTensor(t);
        for (const p of list) this.applyPatch(name, t, p, allLogits ? null : T);
      }
      if (requested.has(name)) cache.set(name, t);
      return t;
    };

    // Embeddings in JS: a gather, and it makes mix_embed a row replacement.
    let embed: Tensor = { dims: [B, T, d], data: this.source.rows('wte.weight', batch.flat()) };
    const positions = this.source.rows('wpe.weight', Array.from({ length: T }, (_, t) => t));
    let posEmbed: Tensor = { dims: [B, T, d], data: new Float32Array(B * T * d) };
    for (let b = 0; b < B; b++) posEmbed.data.set(positions, b * T * d);
    embed = atHook('hook_embed', embed);
    posEmbed = atHook('hook_pos_embed', posEmbed);
    const residPre: Tensor = { dims: [B, T, d], data: new Float32Array(B * T * d) };
    for (let i = 0; i < residPre.data.length; i++) residPre.data[i] = embed.data[i] + posEmbed.data[i];
    const env = new Map<string, ort.Tensor>();
    env.set(GRAPH_INPUT, toOrt(atHook(GRAPH_INPUT, residPre)));

    // Which graph values the run needs, and where it must stop to patch.
    const targets = new Set<string>();
    for (const h of hooks) {
      const v = this.hookByName.get(h)!.value;
      if (v && v !== GRAPH_INPUT) targets.add(v);
    }
    if (wantLogits) targets.add('logits');
    const cutAfter = new Set<string>();
    for (const p of patches) {
      const v = this.hookByName.get(p.hook)!.value;
      if (v && v !== GRAPH_INPUT) cutAfter.add(v);
    }
    // Only logits from the network, patched nowhere inside it: the decode session with an empty
    // cache (buildDecodeGraph), which generation uses too, so one session holds the blocks'
    // weights for both.
    if (targets.size === 1 && targets.has('logits') && [...cutAfter].every((v) => v === 'logits')) {
      const out = await this.decodeForward(emptyCacheFeeds(this.config, env.get(GRAPH_INPUT)!, logitPositions), false);
      const logits = atHook('logits', fromOrt(out.logits));
      const result: RunResult = { cache: new Map(this.hooks.filter((h) => cache.has(h.name)).map((h) => [h.name, cache.get(h.name)!])) };
      if (mode !== 'none') result.logits = mode === 'last' && allLogits ? lastPosition(logits) : logits;
      return result;
    }
    // Nothing patched inside the network: one session for all blocks when the hooks are small
    // (see ONE_SESSION_HOOK_BYTES).
    const oneSession = [...cutAfter].every((v) => v === 'logits') && hookBytes <= this.oneSessionHookBytes;
    const plan = targets.size ? this.plan([...targets].sort(), [...cutAfter].sort(), oneSession) : { segments: [], lastUse: new Map() };

    // An all-blocks session that reads the logit positions computes its last block for those
    // rows only (gpt2-graph.ts, lastRows): they are a suffix, all positions or the last, and
    // unembed.hook_in then holds just them, so the unembedding picks its rows from 0.
    const rowsOnly = plan.segments.some((seg) => !isUnembedding(seg) && seg.inputs.includes(LOGIT_POSITIONS));
    const unembedPositions = rowsOnly ? logitPositions.map((p) => p - logitPositions[0]) : logitPositions;
    const scratch = new ScratchOutputs();
    for (const [s, seg] of plan.segments.entries()) {
      const session = await this.session(seg);
      const feeds: Record<string, ort.Tensor> = {};
      for (const v of seg.inputs) if (v !== LOGIT_POSITIONS) feeds[v] = env.get(v)!;
      let out: ort.InferenceSession.OnnxValueMapType;
      if (isUnembedding(seg)) out = await this.runUnembed(session, feeds, unembedPositions);
      // An all-blocks session allocates its own outputs (a plain run's from its arena). Buffers
      // lent to it would all be live at once, never reused within the run: for a small-hooks run,
      // fresh zeroed ones only added work and external memory for V8 to collect (64-token full
      // cache 120-127 -> 110-115 ms in one process).
      else if (this.allBlocksKeys.has(seg.key)) {
        if (rowsOnly) feeds[LOGIT_POSITIONS] = new ort.Tensor('int64', BigInt64Array.from(logitPositions, BigInt), [logitPositions.length]);
        out = await session.run(feeds);
      }
      else out = await scratch.run(session, feeds, (v) => this.valueDims(v, B, T));
      for (const v of seg.inputs) if (plan.lastUse.get(v) === s) env.delete(v);
      for (const v of seg.outputs) {
        let t = fromOrt(out[v]);
        for (const h of this.hooksAtValue.get(v) ?? []) t = atHook(h.name, t);
        env.set(v, toOrt(t));
      }
    }

    // In forward order, whatever order the sessions produced them in (a LayerNorm rewrite yields
    // hook_normalized before hook_scale).
    const result: RunResult = { cache: new Map(this.hooks.filter((h) => cache.has(h.name)).map((h) => [h.name, cache.get(h.name)!])) };
    if (mode !== 'none') {
      const logits = fromOrt(env.get('logits')!);
      result.logits = mode === 'last' && allLogits ? lastPosition(logits) : logits;
    }
    return result;
  }

  /** Elements of a hook's tensor in a run of B × T tokens. */
  private valueSize(hook: string, B: number, T: number): number {
    return this.hookByName.get(hook)!.shape.reduce<number>((n, d) => n * (d === 'batch' ? B : d === 'pos' ? T : d), 1);
  }

  /** A graph value's dims in a run of B × T tokens, from the hook that reads it; null if no hook does. */
  private valueDims(value: string, B: number, T: number): number[] | null {
    const hook = this.hooksAtValue.get(value)?.[0];
    return hook ? hook.shape.map((d) => (d === 'batch' ? B : d === 'pos' ? T : d)) : null;
  }

  /**
   * The unembedding, a chunk of positions at a time (LOGIT_CHUNK at full context, more for a
   * shorter sequence: unembedRows): onnxruntime's output and its copy into JS then cost a chunk
   * each instead of two full [batch, pos, vocab] tensors (2 × 196 MB at 1024 tokens on gpt2),
   * which would otherwise set the process's peak memory.
   */
  private async runUnembed(session: ort.InferenceSession, feeds: Record<string, ort.Tensor>, positions: number[]): Promise<Record<string, ort.Tensor>> {
    const run = (from: number, to: number, fetches?: Record<string, ort.Tensor>) => {
      const chunk = BigInt64Array.from(positions.slice(from, to), BigInt);
      const withPositions = { ...feeds, [LOGIT_POSITIONS]: new ort.Tensor('int64', chunk, [chunk.length]) };
      return fetches ? session.run(withPositions, fetches) : session.run(withPositions);
    };
    if (positions.length <= LOGIT_CHUNK) return run(0, positions.length);
    if (session.outputNames.length !== 1 || session.outputNames[0] !== 'logits') {
      throw new Error(`internal: the unembedding segment outputs ${session.outputNames.join(', ')}, expected only logits`);
    }
    const B = feeds['unembed.hook_in'].dims[0];
    const P = positions.length;
    const V = this.config.vocab_size;
    const all = new Float32Array(B * P * V);
    // Several sequences go through onnxruntime's own output buffer, which its arena then keeps:
    // those stay at LOGIT_CHUNK rows.
    const rows = B === 1 ? this.unembedRows(P) : LOGIT_CHUNK;
    for (let from = 0; from < P; from += rows) {
      const to = Math.min(P, from + rows);
      if (B === 1) {
        // A chunk of one sequence is a contiguous range of `all`: onnxruntime writes a provided
        // output in place, which saves its own chunk buffer and a copy (measured: 490 → 470 ms,
        // 550 → 490 ms for the 1024-position unembedding). The binding still returns a copy of
        // its own, dropped at once; a young-generation collection frees it before the next chunk
        // (see collectYoungGarbage).
        // `.then`: the binding's copy must not wait in this frame for the collection below.
        await run(from, to, { logits: new ort.Tensor('float32', all.subarray(from * V, to * V), [1, to - from, V]) }).then(() => undefined);
        collectYoungGarbage();
        continue;
      }
      const part = (await run(from, to)).logits.data as Float32Array; // [B, to - from, V]
      for (let b = 0; b < B; b++) all.set(part.subarray(b * (to - from) * V, (b + 1) * (to - from) * V), (b * P + from) * V);
    }
    return { logits: new ort.Tensor('float32', all, [B, P, V]) };
  }

  /**
   * Positions per unembedding call for one sequence of P positions. Every call streams the whole
   * unembedding matrix, so fewer, larger calls are faster (in onnxruntime's profiler 256
   * positions take 97 ms as one call, 127 ms as four; a 256-token run 430 -> 405 ms, 512 tokens
   * 888 -> 809 ms). Each call also holds its rows twice more (onnxruntime writes them into
   * `all`, and the binding returns a copy), so the logits plus two chunks may take no more than
   * a full-context run's logits plus two LOGIT_CHUNK chunks, the run that sets the peak.
   */
  private unembedRows(P: number): number {
    return Math.max(LOGIT_CHUNK, Math.floor((this.config.n_positions + 2 * LOGIT_CHUNK - P) / 2));
  }

  /** One intervention on one hook's tensor. `lastOnlyOf` = T when the logits hold only position T-1. */
  private applyPatch(hook: string, t: Tensor, p: Intervention, lastOnlyOf: number | null): void {
    if (p.op === 'mix_embed') return mixEmbed(t, (ids) => this.source.rows('wte.weight', ids), p, this.config.vocab_size);
    if (hook === 'logits' && lastOnlyOf !== null && p.pos !== undefined) {
      // Only the last position's logits exist; a record for another position changes nothing returned.
      if (normalizePos(p.pos, lastOnlyOf, hook) !== lastOnlyOf - 1) return;
      p = { ...p, pos: 0 };
    }
    applyIntervention({ tensor: t, layout: this.hookByName.get(hook)!.layout, hook }, p);
  }

  // ------------------------------------------------------------------------------------------
  // Sessions

  private async session(seg: Segment, graph: NodeGraph = this.graph): Promise<ort.InferenceSession> {
    const hit = this.sessions.get(seg.key);
    if (hit) return hit;
    const { bytes, weightBytes } = await segmentModel(graph, seg, (name) => this.source.read(name));
    // The cache makes room first: a small-hooks run's session holds every block's weights, and
    // building it beside the sessions it replaces took the peak RSS of three gpt2 hook sets in
    // turn from 1322 to 1618 MiB.
    // The decode session, which runs every plain run, keeps an arena: its activations reuse the
    // same memory run after run instead of coming fresh from the OS (see cleanGraph). So does the unembedding:
    // a run of up to LOGIT_CHUNK positions returns its logits through onnxruntime's own output
    // buffer, which the arena then keeps for the next run (measured: all-position logits at 64
    // tokens 148 -> 76 ms, when each run's 13 MB output came fresh from the OS). Those two also
    // plan each input shape's activations into one block (memory pattern), which packed the arena
    // tighter than one allocation at a time (peak through 1024-token logits 1038-1055 -> 1021-1023
    // MiB; time unchanged), except the decode session: a generation step's input shape changes with
    // every token, and onnxruntime keeps a pattern per shape (without one, the peak through
    // 1024-token logits is 1044 MiB). The all-blocks session of a run with hooks (up to ONE_SESSION_HOOK_BYTES)
    // has none: an arena would keep its largest run's hooks, up to 512 MiB per hook set, after the
    // binding had copied them. From malloc they go back to the heap that the next run's results
    // come from, which the workers' malloc settings keep warm (node-flags.ts). Measured with those
    // settings, alternating with logits-only in one process: the same time at 16, 64 and 256
    // tokens, and 528 -> 479 ms for a 512-token full cache in one session. (With glibc's default
    // malloc and 64 MiB of hooks at most, an arena had helped: 16-token full cache 39-44 -> 33-39 ms.)
    const decode = seg === this.decodeSegment;
    const arena = isUnembedding(seg) || decode;
    const options = { ...this.sessionOptions, enableCpuMemArena: arena, enableMemPattern: arena && !decode };
    if (this.dumpDir) {
      // Debugging aid: what onnxruntime made of this segment after fusion.
      options.optimizedModelFilePath = path.join(this.dumpDir, `segment-${seg.nodes[0]}-${seg.nodes[seg.nodes.length - 1]}-${this.sessions.size}.onnx`);
      options.logSeverityLevel = 3;
    }
    return this.sessions.add(seg.key, weightBytes, () => ort.InferenceSession.create(bytes, options));
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    await this.queue;
    await this.sessions.releaseAll();
    this.weightRefs.clear();
    await this.source.close();
  }
}

/**
 * onnxruntime-node returns a fresh copy of every output, even one it wrote into a buffer we
 * provided. For the chunked unembedding those copies are garbage at once, but V8 collects them
 * only when its external-memory heuristics fire, so up to ~100 MB of dead chunks stacked on top
 * of the logits at 1024 tokens (the run's peak memory). A scavenge per chunk (~1 ms) frees each
 * before the next: peak 1112 -> 1050 MiB, and the freed memory is reused instead of faulted in.
 * `gc` is exposed the way jest's leak detector does it, when the process was not started with
 * --expose-gc; a runtime that refuses simply skips the collection.
 */
const v8Gc: ((opts?: { type: 'minor' | 'major' }) => void) | undefined = (() => {
  const g = (globalThis as { gc?: unknown }).gc;
  if (typeof g === 'function') return g as (opts?: { type: 'minor' | 'major' }) => void;
  try {
    v8.setFlagsFromString('--expose-gc');
    const fn = vm.runInNewContext('gc');
    return typeof fn === 'function' ? fn : undefined;
  } catch {
    return undefined;
  }
})();

function collectYoungGarbage(): void {
  v8Gc?.({ type: 'minor' });
}

/**
 * Hook bytes up to which a run that patches nothing inside the network runs all blocks as one
 * session (its outputs: the hooks). Per-block sessions add a dozen session runs, each with its
 * feeds, fetches, output copies and Tensor wrappers, whatever the length; at 16-64 tokens that
 * was most of what a full cache cost beyond logits-only. In three pairs of processes on
 * GPT-2-small, the full cache went from 1.16-1.50x to 1.16-1.21x logits-only at 16 tokens and
 * from 1.25-1.43x to 1.24-1.29x at 64. Per-block sessions write each block's outputs into the
 * same scratch buffers (ScratchOutputs); one session holds all of them at once until the binding
 * has copied them, so a run's peak holds its hooks twice (4.6 GB for a 1024-token full cache).
 * 512 MiB takes a 256-token full cache of gpt2 (285 MB), where one session measured 1.18-1.21x
 * logits-only against 1.29-1.33x for per-block sessions (with the workers' malloc settings,
 * node-flags.ts; 64 MiB before those, when the two took the same time at 256 tokens); a 1024-token
 * full cache (2.3 GB) keeps per-block sessions: one session there was 5-10 % faster for 1.8 GB
 * more peak.
 * The one-session and per-block sessions for the same hooks are different sessions: a worker
 * that alternates short and long runs of the same hooks builds both, and keeps them while the
 * session budget allows.
 */
const ONE_SESSION_HOOK_BYTES = 512 * 2 ** 20;

/**
 * A long run that returns this much or more first collects all garbage. A worker runs with
 * --single-threaded-gc (node-flags.ts): V8 then marks and frees only on this thread, a step at a
 * time between JavaScript allocations, and a run that spends seconds inside onnxruntime gives it
 * few; the previous run's results, dead since the caller dropped them, were still allocated when
 * the next run's arrived (peak RSS through 1024-token logits runs 1026 -> 1199-1214 MiB; with
 * this, 984-986). It is `gc()` with no options, V8's collection of all available garbage, which
 * also frees ArrayBuffer memory before it returns (`{ type: 'major' }` leaves that for later).
 * It costs 17-40 ms here, so only runs of 512 positions and more pay it.
 */
const COLLECT_BEFORE_BYTES = 64 * 2 ** 20;
const COLLECT_BEFORE_POSITIONS = 512;

function collectAllGarbage(): void {
  v8Gc?.(); // no options: see COLLECT_BEFORE_BYTES
}

/** Feeds for the decode session that make it a plain forward pass of `x` [B, T, d]. */
function emptyCacheFeeds(config: GPT2Config, x: ort.Tensor, logitPositions: number[]): Record<string, ort.Tensor> {
  const [B, T] = x.dims;
  const H = config.n_head;
  const feeds: Record<string, ort.Tensor> = {
    [GRAPH_INPUT]: x,
    [LOGIT_POSITIONS]: new ort.Tensor('int64', BigInt64Array.from(logitPositions, BigInt), [logitPositions.length]),
    [KEY_MASK]: new ort.Tensor('int64', new BigInt64Array(B * T).fill(1n), [B, T]),
  };
  const empty = new ort.Tensor('float32', new Float32Array(0), [2, B, H, 0, config.n_embd / H]);
  for (let l = 0; l < config.n_layer; l++) feeds[pastName(l)] = empty;
  return feeds;
}

function lastPosition(t: Tensor): Tensor {
  const [B, T, V] = t.dims;
  const data = new Float32Array(B * V);
  for (let b = 0; b < B; b++) data.set(t.data.subarray((b * T + T - 1) * V, (b * T + T) * V), b * V);
  return { dims: [B, 1, V], data };
}

function weightBytes(c: GPT2Config, untiedHead: boolean): number {
  const d = c.n_embd;
  const perBlock = 4 * d + 3 * d * d + 3 * d + d * d + d + 2 * d * c.n_inner + c.n_inner + d;
  return 4 * (c.vocab_size * d * (untiedHead ? 2 : 1) + c.n_positions * d + c.n_layer * perBlock + 2 * d);
}
