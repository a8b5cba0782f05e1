// BERT as one topologically ordered list of ONNX nodes, read top-down like gpt2-graph.ts. Every
// hook point (hooks.ts) is a value of the same name, so reading a hook adds a graph output and
// patching one cuts the list there (../segments.ts). Weights are referenced by their canonical
// Hugging Face names ("encoder.layer.3.attention.self.query.weight", bert/checkpoint.ts). The
// readable primitive LayerNorm also registers fused replacements (LayerNormalization) that
// segments.ts uses whenever no hook inside it is wanted.
//
// B = batch, T = positions, d = hidden_size, H = heads, dh = d / H, m = intermediate_size,
// V = vocab_size. The three embeddings are gathered and summed in JS (engine.ts): the graph starts
// at their sum (EMBED_SUM) and reads the additive attention mask (ATTENTION_MASK).
import { attr, floatConst, int64Const, type Attr, type ConstTensor, type ElemType, type OnnxNode } from '../onnx-graph.ts';
import type { Dim } from '../hooks.ts';
import type { Fusion, NodeGraph } from '../segments.ts';
import { MLM_BIAS, MLM_DECODER, WORD_EMBEDDINGS } from './checkpoint.ts';
import { ATTENTION_MASK, EMBED_SUM, bertHookInfos } from './hooks.ts';
import type { BertConfig } from './types.ts';

export interface BertGraph extends NodeGraph {
  /** Node index where each block starts, then where the masked-LM head starts (if any). */
  stageStarts: number[];
}

export interface BertGraphOptions {
  /** Build the masked-LM head (BertForMaskedLM); false for a bare encoder. */
  mlmHead: boolean;
  /** Decode with `cls.predictions.decoder.weight` instead of the word embeddings. */
  untiedDecoder?: boolean;
}

/** Appends nodes; returns output names so the model code reads as data flow. */
class NodeList {
  readonly nodes: OnnxNode[] = [];
  readonly constants = new Map<string, ConstTensor>();
  readonly fusions: Fusion[] = [];

  op(op: string, inputs: string[], output: string, attrs?: Record<string, Attr>, domain?: string): string {
    this.nodes.push({ op, inputs, outputs: [output], attrs, name: output, ...(domain ? { domain } : {}) });
    return output;
  }

  constant(name: string, t: ConstTensor): string {
    this.constants.set(name, t);
    return name;
  }
}

export function buildBertGraph(config: BertConfig, opts: BertGraphOptions): BertGraph {
  const { num_hidden_layers: L, num_attention_heads: H, hidden_size: d, layer_norm_eps: eps } = config;
  if (d % H !== 0) throw new Error(`hidden_size ${d} is not divisible by num_attention_heads ${H}`);
  const dh = d / H;
  const g = new NodeList();
  const lnAttrs = { axis: attr.int(-1), epsilon: attr.float(eps) };
  const c = {
    two: g.constant('const.two', floatConst([2])),
    eps: g.constant('const.ln_eps', floatConst([eps])),
    splitHeads: g.constant('const.split_heads', int64Const([0, 0, H, dh])),
    mergeHeads: g.constant('const.merge_heads', int64Const([0, 0, d])),
    sqrtDh: g.constant('const.sqrt_d_head', floatConst([Math.sqrt(dh)])),
    unitGain: g.constant('const.unit_gain', floatConst(new Float32Array(d).fill(1), [d])),
    zeroBias: g.constant('const.zero_bias', floatConst(new Float32Array(d), [d])),
  };

  // LayerNorm from primitives, so hook_scale = √(var + ε) and hook_normalized exist as values.
  // Fused to one LayerNormalization when neither is wanted; when they are read but not patched,
  // a LayerNormalization with unit gain and zero bias gives hook_normalized and 1/√(var + ε),
  // whose reciprocal is hook_scale, and a second one the output (as gpt2-graph.ts does).
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
    const fused: OnnxNode = { op: 'LayerNormalization', inputs: [x, `${weight}.weight`, `${weight}.bias`], outputs: [out], attrs: lnAttrs, name: `${out}.fused` };
    const invStd = `${prefix}.inv_std`;
    g.fusions.push({
      first,
      last: g.nodes.length - 1,
      node: fused,
      readOnly: {
        exports: [scale, normalized],
        nodes: [
          { op: 'LayerNormalization', inputs: [x, c.unitGain, c.zeroBias], outputs: [normalized, '', invStd], attrs: lnAttrs, name: normalized },
          { op: 'Reciprocal', inputs: [invStd], outputs: [scale], name: scale },
          fused,
        ],
      },
    });
    return result;
  }

  // nn.Linear: x @ Wᵀ + b with W [out, in] as stored; FusedMatMul's transB reads it as is.
  function linear(x: string, weight: string, out: string): string {
    const product = g.op('FusedMatMul', [x, `${weight}.weight`], `${out}.matmul`, { transB: attr.int(1) }, 'com.microsoft');
    return g.op('Add', [product, `${weight}.bias`], out);
  }

  // BERT's GELU, with erf: 0.5·x·(1 + erf(x/√2)), as onnxruntime's Gelu computes it. (Written out
  // as Div, Erf, Add, Mul, Mul it would never run: no hook lies inside, so the fused op would
  // always replace it.)
  const gelu = (x: string, out: string) => g.op('Gelu', [x], out, undefined, 'com.microsoft');

  // Bidirectional self-attention: every query sees every key that is not padding.
  function attention(l: number, x: string): string {
    const p = `blocks.${l}.attn`;
    const w = `encoder.layer.${l}.attention`;
    const heads = (name: 'q' | 'k' | 'v', linearName: string) => g.op('Reshape', [linear(x, `${w}.self.${linearName}`, `${p}.${name}_flat`), c.splitHeads], `${p}.hook_${name}`); // (B, T, H, dh)
    const q = heads('q', 'query');
    const k = heads('k', 'key');
    const v = heads('v', 'value');
    const qh = g.op('Transpose', [q], `${p}.q_heads`, { perm: attr.ints([0, 2, 1, 3]) }); // (B, H, T, dh)
    const kt = g.op('Transpose', [k], `${p}.k_heads_t`, { perm: attr.ints([0, 2, 3, 1]) }); // (B, H, dh, T)
    const vh = g.op('Transpose', [v], `${p}.v_heads`, { perm: attr.ints([0, 2, 1, 3]) }); // (B, H, T, dh)
    const raw = g.op('MatMul', [qh, kt], `${p}.raw_scores`); // (B, H, T, T)
    const scaled = g.op('Div', [raw, c.sqrtDh], `${p}.scaled_scores`); // q·k / √dh
    const scores = g.op('Add', [scaled, ATTENTION_MASK], `${p}.hook_attn_scores`); // + (B, 1, 1, T): −inf at padded keys
    const pattern = g.op('Softmax', [scores], `${p}.hook_pattern`, { axis: attr.int(-1) });
    const zh = g.op('MatMul', [pattern, vh], `${p}.z_heads`); // (B, H, T, dh)
    const z = g.op('Transpose', [zh], `${p}.hook_z`, { perm: attr.ints([0, 2, 1, 3]) }); // (B, T, H, dh)
    const merged = g.op('Reshape', [z, c.mergeHeads], `${p}.z_merged`); // (B, T, d)
    return linear(merged, `${w}.output.dense`, `blocks.${l}.hook_attn_out`); // (B, T, d)
  }

  // Post-LayerNorm block (Hugging Face's BertLayer): normalize after each residual addition.
  function block(l: number, residPre: string): string {
    const b = `blocks.${l}`;
    const e = `encoder.layer.${l}`;
    const attnOut = attention(l, residPre);
    const residMid = g.op('Add', [residPre, attnOut], `${b}.hook_resid_mid`); // (B, T, d)
    const normed = layerNorm(`${b}.ln1`, residMid, `${e}.attention.output.LayerNorm`, `${b}.ln1.hook_out`);
    const pre = linear(normed, `${e}.intermediate.dense`, `${b}.mlp.hook_pre`); // (B, T, m)
    const post = gelu(pre, `${b}.mlp.hook_post`); // (B, T, m)
    const mlpOut = linear(post, `${e}.output.dense`, `${b}.hook_mlp_out`); // (B, T, d)
    const residPost = g.op('Add', [normed, mlpOut], `${b}.hook_resid_post`); // (B, T, d)
    return layerNorm(`${b}.ln2`, residPost, `${e}.output.LayerNorm`, `${b}.hook_normalized_resid_post`);
  }

  // Embeddings: LayerNorm of the summed word, position and token-type embeddings.
  let resid = layerNorm('embed.ln', EMBED_SUM, 'embeddings.LayerNorm', 'hook_full_embed'); // (B, T, d)
  const stageStarts: number[] = [];
  for (let l = 0; l < L; l++) {
    stageStarts.push(g.nodes.length);
    resid = block(l, resid);
  }

  // Masked-LM head (BertLMPredictionHead): dense + GELU + LayerNorm, then the decoder, tied to the
  // word embeddings and read as stored ([V, d], transB), plus its own bias.
  if (opts.mlmHead) {
    stageStarts.push(g.nodes.length);
    const pre = linear(resid, 'cls.predictions.transform.dense', 'mlm_head.hook_pre'); // (B, T, d)
    const post = gelu(pre, 'mlm_head.hook_post');
    const normed = layerNorm('mlm_head.ln', post, 'cls.predictions.transform.LayerNorm', 'unembed.hook_in'); // (B, T, d)
    const decoder = opts.untiedDecoder ? MLM_DECODER : WORD_EMBEDDINGS;
    const product = g.op('FusedMatMul', [normed, decoder], 'mlm_logits.matmul', { transB: attr.int(1) }, 'com.microsoft'); // (B, T, V)
    g.op('Add', [product, MLM_BIAS], 'mlm_logits');
  }

  // Hook values have known shapes (batch and pos symbolic); declaring them on segment inputs helps fusion.
  const shapes = new Map<string, Dim[]>([
    [EMBED_SUM, ['batch', 'pos', d]],
    [ATTENTION_MASK, ['batch', 1, 1, 'pos']],
  ]);
  for (const h of bertHookInfos(config, opts.mlmHead)) if (h.value && !shapes.has(h.value)) shapes.set(h.value, h.shape);
  return {
    nodes: g.nodes,
    constants: g.constants,
    valueTypes: new Map<string, ElemType>(),
    shapes,
    inputs: [EMBED_SUM, ATTENTION_MASK],
    boundaries: stageStarts,
    fusions: g.fusions,
    stageStarts,
  };
}
