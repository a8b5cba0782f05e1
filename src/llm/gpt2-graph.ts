// GPT-2 as one topologically ordered list of ONNX nodes, read top-down like nanoGPT's model.py.
// Every hook point of DESIGN.md §4 is a value of the same name, so requesting a hook means adding
// a graph output and patching one means cutting the list there (segments.ts). Weights are
// referenced by their Hugging Face names without `transformer.` ("h.3.attn.c_attn.weight");
// small constants (shapes, ε, the GELU coefficients) live in `constants`. Attention and GELU
// also register fused replacements (onnxruntime's Attention and FastGelu) that segments.ts uses
// whenever no hook inside them is wanted; the primitive nodes stay the readable definition.
//
// B = batch, T = positions, d = n_embd, H = n_head, dh = d / H, m = n_inner, V = vocab_size.
// The token and position embeddings are a gather done in JS (engine.ts); the graph starts at
// `blocks.0.hook_resid_pre`.
import { attr, floatConst, int64Const, type Attr, type ConstTensor, type ElemType, type OnnxNode } from './onnx-graph.ts';
import { GRAPH_INPUT, hookInfos, type Dim } from './hooks.ts';
import type { Fusion, NodeGraph } from './segments.ts';
import type { GPT2Config } from './types.ts';

/** int64 [P]: which positions get logits (all of them, or only the last). Fed from JS. */
export const LOGIT_POSITIONS = 'unembed.logit_positions';

export interface Stage {
  /** `blocks.3`, `ln_final`, `unembed`. */
  name: string;
  /** Node index range [start, end). */
  start: number;
  end: number;
}

export interface Gpt2Graph extends NodeGraph {
  /** Consecutive ranges that are always separate sessions: each block, ln_final, unembed. */
  stages: Stage[];
  /**
   * The last block and ln_final for the logit rows only (see lastRowsFusion), kept out of
   * `fusions`: only the engine's all-blocks sessions use it.
   */
  lastRows: Fusion;
}

/** Appends nodes; returns output names so the model code reads as data flow. */
class NodeList {
  readonly nodes: OnnxNode[] = [];
  readonly constants = new Map<string, ConstTensor>();
  readonly valueTypes = new Map<string, ElemType>();

  op(op: string, inputs: string[], output: string, attrs?: Record<string, Attr>, type?: ElemType): string {
    this.nodes.push({ op, inputs, outputs: [output], attrs, name: output });
    if (type) this.valueTypes.set(output, type);
    return output;
  }

  multi(op: string, inputs: string[], outputs: string[], attrs?: Record<string, Attr>): string[] {
    this.nodes.push({ op, inputs, outputs, attrs, name: outputs[0] });
    return outputs;
  }

  constant(name: string, t: ConstTensor): string {
    this.constants.set(name, t);
    return name;
  }
}

/**
 * The graph as the engine's all-blocks sessions cut it: one session for every block and
 * ln_final, one for the unembedding, and the last block for the logit rows only (`lastRows`).
 */
export function allBlocksGraph(graph: Gpt2Graph): Gpt2Graph {
  const unembed = graph.stages.find((st) => st.name === 'unembed')!;
  return { ...graph, boundaries: [unembed.start], fusions: [...graph.fusions, graph.lastRows] };
}

/** Whether a segment is the unembedding (the one that reads the logit positions to pick rows). */
export const isUnembedding = (seg: { outputs: string[] }): boolean => seg.outputs.includes('logits');

export function buildGpt2Graph(config: GPT2Config, opts: { untiedHead?: boolean } = {}): Gpt2Graph {
  const { n_layer, n_head: H, n_embd: d } = config;
  if (d % H !== 0) throw new Error(`n_embd ${d} is not divisible by n_head ${H}`);
  const dh = d / H;
  const g = new NodeList();
  const fusions: Fusion[] = [];
  const lnAttrs = { axis: attr.int(-1), epsilon: attr.float(config.layer_norm_epsilon) };
  const c = {
    two: g.constant('const.two', floatConst([2])),
    eps: g.constant('const.ln_eps', floatConst([config.layer_norm_epsilon])),
    splitHeads: g.constant('const.split_heads', int64Const([0, 0, H, dh])),
    mergeHeads: g.constant('const.merge_heads', int64Const([0, 0, d])),
    sqrtDh: g.constant('const.sqrt_d_head', floatConst([Math.sqrt(dh)])),
    negInf: g.constant('const.neg_inf', floatConst([-Infinity])),
    one: g.constant('const.one_i64', int64Const([1], [])),
    three: g.constant('const.three', floatConst([3])),
    geluCoef: g.constant('const.gelu_coef', floatConst([0.044715])),
    sqrt2OverPi: g.constant('const.sqrt_2_over_pi', floatConst([Math.sqrt(2 / Math.PI)])),
    onef: g.constant('const.one', floatConst([1])),
    unitGain: g.constant('const.unit_gain', floatConst(new Float32Array(d).fill(1), [d])),
    zeroBias: g.constant('const.zero_bias', floatConst(new Float32Array(d), [d])),
    half: g.constant('const.half', floatConst([0.5])),
    zeroI64: g.constant('const.zero_i64_1', int64Const([0])),
    oneI64: g.constant('const.one_i64_1', int64Const([1])),
    endI64: g.constant('const.end_i64', int64Const([Number.MAX_SAFE_INTEGER])),
  };

  // LayerNorm from primitives so hook_scale = √(var + ε) and hook_normalized exist as values;
  // onnxruntime fuses the pattern back into LayerNormalization when they are not outputs. When
  // they are read but not patched, three nodes replace the nine: LayerNormalization with unit
  // weight and zero bias gives hook_normalized and 1/√(var + ε), whose reciprocal is hook_scale,
  // and a second LayerNormalization gives the output (fewer passes over the activations, and
  // nodes, which is what a full activation cache pays for at short inputs).
  function layerNorm(prefix: string, x: string, weight: string, out: string): string {
    const first = g.nodes.length;
    const mean = g.op('ReduceMean', [x], `${prefix}.mean`, { axes: attr.ints([-1]), keepdims: attr.int(1) }); // (B, T, 1)
    const centered = g.op('Sub', [x, mean], `${prefix}.centered`); // (B, T, d)
    const squared = g.op('Pow', [centered, c.two], `${prefix}.squared`);
    const variance = g.op('ReduceMean', [squared], `${prefix}.variance`, { axes: attr.ints([-1]), keepdims: attr.int(1) });
    const shifted = g.op('Add', [variance, c.eps], `${prefix}.variance_eps`);
    const scale = g.op('Sqrt', [shifted], `${prefix}.hook_scale`); // (B, T, 1)
    const normalized = g.op('Div', [centered, scale], `${prefix}.hook_normalized`); // (B, T, d)
    const gained = g.op('Mul', [normalized, `${weight}.weight`], `${prefix}.gained`);
    const result = g.op('Add', [gained, `${weight}.bias`], out); // (B, T, d)
    const attrs = lnAttrs;
    const fused: OnnxNode = { op: 'LayerNormalization', inputs: [x, `${weight}.weight`, `${weight}.bias`], outputs: [out], attrs, name: `${out}.fused` };
    const invStd = `${prefix}.inv_std`;
    fusions.push({
      first,
      last: g.nodes.length - 1,
      node: fused,
      readOnly: {
        exports: [scale, normalized],
        nodes: [
          { op: 'LayerNormalization', inputs: [x, c.unitGain, c.zeroBias], outputs: [normalized, '', invStd], attrs, name: normalized },
          { op: 'Reciprocal', inputs: [invStd], outputs: [scale], name: scale },
          fused,
        ],
      },
    });
    return result;
  }

  // Conv1D in Hugging Face's layout: x @ W + b with W [in, out].
  function linear(x: string, weight: string, out: string, list: NodeList = g): string {
    const product = list.op('MatMul', [x, `${weight}.weight`], `${out}.matmul`);
    return list.op('Add', [product, `${weight}.bias`], out);
  }

  function attention(l: number, x: string): string {
    const p = `blocks.${l}.attn`;
    const w = `h.${l}.attn`;
    const first = g.nodes.length;
    const qkv = linear(x, `${w}.c_attn`, `${p}.qkv`); // (B, T, 3d)
    const [qFlat, kFlat, vFlat] = g.multi('Split', [qkv], [`${p}.q_flat`, `${p}.k_flat`, `${p}.v_flat`], { axis: attr.int(-1) }); // 3 × (B, T, d)
    const q = g.op('Reshape', [qFlat, c.splitHeads], `${p}.hook_q`); // (B, T, H, dh)
    const k = g.op('Reshape', [kFlat, c.splitHeads], `${p}.hook_k`);
    const v = g.op('Reshape', [vFlat, c.splitHeads], `${p}.hook_v`);
    const qh = g.op('Transpose', [q], `${p}.q_heads`, { perm: attr.ints([0, 2, 1, 3]) }); // (B, H, T, dh)
    const kt = g.op('Transpose', [k], `${p}.k_heads_t`, { perm: attr.ints([0, 2, 3, 1]) }); // (B, H, dh, T)
    const vh = g.op('Transpose', [v], `${p}.v_heads`, { perm: attr.ints([0, 2, 1, 3]) }); // (B, H, T, dh)
    const raw = g.op('MatMul', [qh, kt], `${p}.raw_scores`); // (B, H, T, T)
    const scaled = g.op('Div', [raw, c.sqrtDh], `${p}.scaled_scores`); // as HF: q·k / √dh

    // Causal mask, added: 0 where query i may see key j (j ≤ i), −inf above the diagonal. Built
    // from T at run time so T stays dynamic. An additive [T, T] mask broadcasts through
    // onnxruntime's fast Add path; Where(bool mask, scores, −inf) took 235 ms a block at 1024
    // tokens (its generic broadcast), more than the whole fused block.
    const t = g.op('Shape', [scaled], `${p}.mask_len`, { start: attr.int(-1) }, 'int64'); // (1)
    const square = g.op('Concat', [t, t], `${p}.mask_shape`, { axis: attr.int(0) }, 'int64'); // (2) = [T, T]
    const filled = g.op('Expand', [c.negInf, square], `${p}.mask_fill`); // (T, T), all −inf
    const mask = g.op('Trilu', [filled, c.one], `${p}.mask`, { upper: attr.int(1) }); // −inf for j > i, else 0

    const scores = g.op('Add', [scaled, mask], `${p}.hook_attn_scores`); // (B, H, T, T), masked −inf
    const pattern = g.op('Softmax', [scores], `${p}.hook_pattern`, { axis: attr.int(-1) });
    const zh = g.op('MatMul', [pattern, vh], `${p}.z_heads`); // (B, H, T, dh)
    const z = g.op('Transpose', [zh], `${p}.hook_z`, { perm: attr.ints([0, 2, 1, 3]) }); // (B, T, H, dh)
    const merged = g.op('Reshape', [z, c.mergeHeads], `${p}.z_merged`); // (B, T, d)

    // When no hook from q to z is wanted, onnxruntime's fused causal Attention op computes the
    // same z from x and c_attn in one node: no [B, H, T, T] intermediates written out (37% less
    // CPU per block at 1024 tokens). Its masked entries are −10000, not −inf: same softmax.
    fusions.push({
      first,
      last: g.nodes.length - 1,
      node: {
        op: 'Attention',
        domain: 'com.microsoft',
        inputs: [x, `${w}.c_attn.weight`, `${w}.c_attn.bias`],
        outputs: [merged],
        attrs: { num_heads: attr.int(H), unidirectional: attr.int(1) },
        name: `${p}.fused`,
      },
    });
    return linear(merged, `${w}.c_proj`, `blocks.${l}.hook_attn_out`); // (B, T, d)
  }

  // gelu_new (tanh approximation), exactly Hugging Face's:
  // 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))), in the node order onnxruntime fuses to FastGelu.
  function geluNew(x: string, out: string): string {
    // No hook lies inside, so the fused op always replaces these nodes (onnxruntime's own FastGelu
    // fusion gives up when the output is a graph output, i.e. whenever mlp.hook_post is wanted).
    fusions.push({ first: g.nodes.length, last: g.nodes.length + 7, node: { op: 'FastGelu', domain: 'com.microsoft', inputs: [x], outputs: [out], name: `${out}.fused` } });
    const cube = g.op('Pow', [x, c.three], `${out}.cube`);
    const cubeTerm = g.op('Mul', [cube, c.geluCoef], `${out}.cube_term`);
    const inner = g.op('Add', [x, cubeTerm], `${out}.inner`);
    const scaled = g.op('Mul', [inner, c.sqrt2OverPi], `${out}.inner_scaled`);
    const tanh = g.op('Tanh', [scaled], `${out}.tanh`);
    const onePlus = g.op('Add', [tanh, c.onef], `${out}.one_plus_tanh`);
    const halfX = g.op('Mul', [x, c.half], `${out}.half_x`);
    return g.op('Mul', [halfX, onePlus], out);
  }

  function mlp(l: number, x: string): string {
    const p = `blocks.${l}.mlp`;
    const pre = linear(x, `h.${l}.mlp.c_fc`, `${p}.hook_pre`); // (B, T, m)
    const post = geluNew(pre, `${p}.hook_post`); // (B, T, m)
    return linear(post, `h.${l}.mlp.c_proj`, `blocks.${l}.hook_mlp_out`); // (B, T, d)
  }

  function block(l: number, residPre: string): string {
    const b = `blocks.${l}`;
    const ln1 = layerNorm(`${b}.ln1`, residPre, `h.${l}.ln_1`, `${b}.ln1.hook_out`);
    const attnOut = attention(l, ln1);
    const residMid = g.op('Add', [residPre, attnOut], `${b}.hook_resid_mid`); // (B, T, d)
    const ln2 = layerNorm(`${b}.ln2`, residMid, `h.${l}.ln_2`, `${b}.ln2.hook_out`);
    const mlpOut = mlp(l, ln2);
    return g.op('Add', [residMid, mlpOut], `${b}.hook_resid_post`); // (B, T, d)
  }

  // The last block and ln_final computed only for the rows whose logits are wanted, which the
  // engine passes as a suffix of the positions: all of them, or the last. Keys and values still
  // come from every row, but the query, the attention output, the MLP and ln_final take only
  // those rows, so last-position logits skip most of the last block (as llama.cpp's output ids
  // do). onnxruntime's causal mask for MultiHeadAttention (`unidirectional`) is the usual one
  // when every row is a query, and it leaves the last query row unmasked, so a single query row,
  // the last position, sees every key, as it should; it would not be right for 1 < P < T, which
  // the engine never asks for (the reference tests check both cases). The rows start at the
  // first logit position. It produces unembed.hook_in for those rows only, so it applies only
  // when nobody reads that value as a hook (`partialOutput`). On GPT-2-small (npm run bench) it
  // took last-position logits from 0.71 to 0.69 of the all-position time at 64 tokens (0.77-0.79
  // to 0.73-0.75 interleaved with other kinds of run), and from 0.71 to 0.65 at 1024.
  function lastRowsFusion(l: number, residPre: string, first: number, last: number): Fusion {
    const p = `blocks.${l}.rows`;
    const w = `h.${l}`;
    const r = new NodeList(); // the replacement's nodes, kept out of the graph's own list
    const layerNormFused = (x: string, weight: string, out: string) => r.op('LayerNormalization', [x, `${weight}.weight`, `${weight}.bias`], out, lnAttrs);
    const contrib = (op: string, inputs: string[], output: string, attrs?: Record<string, Attr>) => {
      r.nodes.push({ op, domain: 'com.microsoft', inputs, outputs: [output], attrs, name: output });
      return output;
    };
    const from = r.op('Slice', [LOGIT_POSITIONS, c.zeroI64, c.oneI64], `${p}.from`); // (1): the first row wanted
    const rows = (x: string, out: string) => r.op('Slice', [x, from, c.endI64, c.oneI64], out); // (B, P, ·)
    const ln1 = layerNormFused(residPre, `${w}.ln_1`, `${p}.ln1`); // (B, T, d)
    const qkv = linear(ln1, `${w}.attn.c_attn`, `${p}.qkv`, r); // (B, T, 3d)
    const [qAll, k, v] = r.multi('Split', [qkv], [`${p}.q_all`, `${p}.k`, `${p}.v`], { axis: attr.int(-1) });
    const z = contrib('MultiHeadAttention', [rows(qAll, `${p}.q`), k, v], `${p}.z`, { num_heads: attr.int(H), unidirectional: attr.int(1) }); // (B, P, d)
    const residMid = r.op('Add', [rows(residPre, `${p}.resid_pre`), linear(z, `${w}.attn.c_proj`, `${p}.attn_out`, r)], `${p}.resid_mid`);
    const ln2 = layerNormFused(residMid, `${w}.ln_2`, `${p}.ln2`);
    const post = contrib('FastGelu', [linear(ln2, `${w}.mlp.c_fc`, `${p}.mlp_pre`, r)], `${p}.mlp_post`);
    const residPost = r.op('Add', [residMid, linear(post, `${w}.mlp.c_proj`, `${p}.mlp_out`, r)], `${p}.resid_post`);
    layerNormFused(residPost, 'ln_f', 'unembed.hook_in'); // (B, P, d)
    return { first, last, lead: r.nodes.slice(0, -1), node: r.nodes[r.nodes.length - 1], partialOutput: true };
  }

  const stages: Stage[] = [];
  const stage = (name: string, build: () => void) => {
    const start = g.nodes.length;
    build();
    stages.push({ name, start, end: g.nodes.length });
  };

  let resid = GRAPH_INPUT; // (B, T, d): token + position embeddings, from JS
  let lastPre = resid;
  for (let l = 0; l < n_layer; l++) stage(`blocks.${l}`, () => ((lastPre = resid), (resid = block(l, resid))));
  stage('ln_final', () => layerNorm('ln_final', resid, 'ln_f', 'unembed.hook_in'));
  const lastRows = lastRowsFusion(n_layer - 1, lastPre, stages[n_layer - 1].start, g.nodes.length - 1);

  // Unembedding: onnxruntime's FusedMatMul with transB against the [V, d] embedding matrix itself
  // (tied, as in GPT-2), so the largest matrix is not transposed into a second copy, and the
  // product is the graph output itself: when the engine provides the output buffer, onnxruntime
  // writes the logits straight into it (a Gemm on 2-D rows needed a [B·P, V] temporary and a
  // reshaping copy, 2 × 26 MB per 128-position chunk). Positions are picked first, so logits for
  // the last position cost one row, not T.
  stage('unembed', () => {
    const unembedWeight = opts.untiedHead ? 'lm_head.weight' : 'wte.weight';
    const picked = g.op('Gather', ['unembed.hook_in', LOGIT_POSITIONS], 'unembed.picked', { axis: attr.int(1) }); // (B, P, d)
    g.nodes.push({ op: 'FusedMatMul', domain: 'com.microsoft', inputs: [picked, unembedWeight], outputs: ['logits'], attrs: { transB: attr.int(1) }, name: 'logits' }); // (B, P, V)
  });
  g.valueTypes.set(LOGIT_POSITIONS, 'int64');

  // Hook values have known shapes (batch and pos symbolic); declaring them on segment inputs helps fusion.
  const shapes = new Map<string, Dim[]>();
  for (const h of hookInfos(config)) if (h.value && !shapes.has(h.value)) shapes.set(h.value, h.shape);
  return {
    nodes: g.nodes,
    constants: g.constants,
    valueTypes: g.valueTypes,
    shapes,
    inputs: [GRAPH_INPUT, LOGIT_POSITIONS],
    boundaries: stages.map((s) => s.start),
    fusions,
    stages,
    lastRows,
  };
}

// ---------------------------------------------------------------------------------------------
// The decode graph: generation with a key/value cache (kv-cache.ts).

/** int64 [batch, past + new]: 1 where a cache slot holds a token, 0 for padding. Fed from JS. */
export const KEY_MASK = 'attn.key_mask';
/** Block l's cached keys and values, [2, batch, heads, slots, d_head] (keys first), fed from JS. */
export const pastName = (l: number): string => `blocks.${l}.attn.past_kv`;
/** Block l's keys and values of this run's new positions, [2, batch, heads, new, d_head]. */
export const newKvName = (l: number): string => `blocks.${l}.attn.new_kv`;

/**
 * GPT-2's blocks for a run that continues what a key/value cache holds: the residual stream of
 * the new positions (token + position embeddings, from JS) goes through every block, whose
 * attention reads the cached keys and values of earlier positions and returns them with the new
 * ones appended; the last block's projection and MLP, and ln_final, run for the rows in
 * LOGIT_POSITIONS only (relative to the new positions: the last, or all of them), giving
 * `unembed.hook_in` for those rows, which the engine's unembedding session (buildGpt2Graph's last
 * stage) turns into logits, and the new positions' keys and values. It is the same network as
 * buildGpt2Graph's, in its fused forms (LayerNormalization, FastGelu) and with onnxruntime's
 * Attention op, which takes the cache as `past` and offsets its causal mask by the past length
 * (new query i sees every cached slot and the new keys up to i), the layout of onnxruntime's own
 * GPT-2 export. With an empty past (0 slots) it is a plain forward pass: the engine's runs
 * without hooks use it too, so one session holds the blocks' weights for both. KEY_MASK hides
 * slots that hold no token (padding, and cache slots not filled yet), so sequences of different
 * lengths share a batch (padded on the left, each with its own position ids) and the cache can
 * be allocated ahead; masked scores are −10000 before softmax, whose exp is exactly 0 in
 * float32. Weight names are the full graph's.
 */
export function buildDecodeGraph(config: GPT2Config): NodeGraph {
  const { n_layer, n_head: H, n_embd: d } = config;
  if (d % H !== 0) throw new Error(`n_embd ${d} is not divisible by n_head ${H}`);
  const dh = d / H;
  const g = new NodeList();
  const ln = (x: string, weight: string, out: string) =>
    g.op('LayerNormalization', [x, `${weight}.weight`, `${weight}.bias`], out, { axis: attr.int(-1), epsilon: attr.float(config.layer_norm_epsilon) });
  const linear = (x: string, weight: string, out: string) => g.op('Add', [g.op('MatMul', [x, `${weight}.weight`], `${out}.matmul`), `${weight}.bias`], out);
  const contrib = (op: string, inputs: string[], outputs: string[], attrs?: Record<string, Attr>) => {
    g.nodes.push({ op, domain: 'com.microsoft', inputs, outputs, attrs, name: outputs[0] });
    return outputs[0];
  };
  // onnxruntime's Attention takes an int32 mask; JS feeds int64 like every other integer input.
  const mask = g.op('Cast', [KEY_MASK], 'decode.key_mask_i32', { to: attr.int(6) }); // TensorProto INT32
  const three = g.constant('const.decode.axis3', int64Const([3]));
  const end = g.constant('const.decode.end', int64Const([Number.MAX_SAFE_INTEGER]));

  let x = GRAPH_INPUT; // (B, S, d)
  for (let l = 0; l < n_layer; l++) {
    const b = `decode.blocks.${l}`; // value names only: this graph has no hooks
    const w = `h.${l}`;
    const ln1 = ln(x, `${w}.ln_1`, `${b}.ln1`);
    const present = `${b}.attn.present`; // (2, B, H, slots + S, dh)
    let z = contrib('Attention', [ln1, `${w}.attn.c_attn.weight`, `${w}.attn.c_attn.bias`, mask, pastName(l)], [`${b}.attn.z`, present], {
      num_heads: attr.int(H),
      unidirectional: attr.int(1),
    }); // (B, S, d)
    // Only the new positions' keys and values leave the session: JS writes them into its own
    // cache buffers, so no run copies the whole cache back out (see kv-cache.ts).
    const slots = g.op('Shape', [pastName(l)], `${b}.attn.slots`, { start: attr.int(3), end: attr.int(4) }, 'int64'); // (1)
    g.op('Slice', [present, slots, end, three], newKvName(l)); // (2, B, H, S, dh)
    if (l === n_layer - 1) {
      // Every row's keys and values are in `present`; from here on only the logit rows matter,
      // so the last block's projection and MLP, and ln_final, run for those alone (for a plain
      // run's last-position logits: most of the last block, as lastRowsFusion saves).
      z = g.op('Gather', [z, LOGIT_POSITIONS], `${b}.attn.z_rows`, { axis: attr.int(1) }); // (B, P, d)
      x = g.op('Gather', [x, LOGIT_POSITIONS], `${b}.resid_pre_rows`, { axis: attr.int(1) });
    }
    const mid = g.op('Add', [x, linear(z, `${w}.attn.c_proj`, `${b}.attn_out`)], `${b}.resid_mid`);
    const ln2 = ln(mid, `${w}.ln_2`, `${b}.ln2`);
    const post = contrib('FastGelu', [linear(ln2, `${w}.mlp.c_fc`, `${b}.mlp_pre`)], [`${b}.mlp_post`]);
    x = g.op('Add', [mid, linear(post, `${w}.mlp.c_proj`, `${b}.mlp_out`)], `${b}.resid_post`);
  }
  ln(x, 'ln_f', 'unembed.hook_in'); // (B, P, d): the rows the unembedding session reads

  g.valueTypes.set(LOGIT_POSITIONS, 'int64');
  g.valueTypes.set(KEY_MASK, 'int64');
  const shapes = new Map<string, (number | string)[]>([
    [GRAPH_INPUT, ['batch', 'pos', d]],
    [KEY_MASK, ['batch', 'total']],
  ]);
  for (let l = 0; l < n_layer; l++) shapes.set(pastName(l), [2, 'batch', H, 'past', dh]);
  return {
    nodes: g.nodes,
    constants: g.constants,
    valueTypes: g.valueTypes,
    shapes,
    inputs: [GRAPH_INPUT, LOGIT_POSITIONS, KEY_MASK, ...Array.from({ length: n_layer }, (_, l) => pastName(l))],
    boundaries: [],
    fusions: [],
  };
}
