// An independent GPT-2 forward pass in plain TypeScript: loops over Float32Arrays, no onnxruntime,
// no code shared with the engine beyond the types. It computes every hook point of DESIGN.md §4
// (TransformerLens names and shapes) and applies the same intervention records, written from the
// design's description rather than from the engine's code, so the two can check each other.
// Dot products accumulate in float64; it is slow, and meant for tiny models only.
import type { GPT2Config, Intervention, Tensor } from '../../src/llm/types.ts';

export interface ReferenceModel {
  config: GPT2Config;
  /** Canonical Hugging Face names without `transformer.`; `lm_head.weight` only when untied. */
  tensors: Map<string, Tensor>;
}

export interface ReferenceResult {
  cache: Map<string, Tensor>;
  logits: Tensor;
}

type Layout = 'pos' | 'heads' | 'attn';

function layoutOf(hook: string): Layout {
  if (/attn\.hook_(q|k|v|z)$/.test(hook)) return 'heads';
  if (/attn\.hook_(attn_scores|pattern)$/.test(hook)) return 'attn';
  return 'pos';
}

export function referenceForward(model: ReferenceModel, batch: number[][], patches: Intervention[] = []): ReferenceResult {
  const { n_layer: L, n_head: H, n_embd: d, layer_norm_epsilon: eps, vocab_size: V } = model.config;
  const m = model.config.n_inner;
  const dh = d / H;
  const B = batch.length;
  const T = batch[0].length;
  const W = (name: string): Float32Array => {
    const t = model.tensors.get(name);
    if (!t) throw new Error(`reference: missing tensor ${name}`);
    return t.data;
  };
  const cache = new Map<string, Tensor>();

  // A hook point: apply the records for this hook in order, then record a copy.
  function hook(name: string, dims: number[], data: Float32Array): Float32Array {
    for (const p of patches) if (p.hook === name) patch(name, dims, data, p, W('wte.weight'), d);
    cache.set(name, { dims, data: Float32Array.from(data) });
    return data;
  }

  // ---- embeddings
  const embed = new Float32Array(B * T * d);
  const posEmbed = new Float32Array(B * T * d);
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      for (let i = 0; i < d; i++) {
        embed[(b * T + t) * d + i] = W('wte.weight')[batch[b][t] * d + i];
        posEmbed[(b * T + t) * d + i] = W('wpe.weight')[t * d + i];
      }
    }
  }
  hook('hook_embed', [B, T, d], embed);
  hook('hook_pos_embed', [B, T, d], posEmbed);
  let resid: Float32Array = new Float32Array(B * T * d);
  for (let i = 0; i < resid.length; i++) resid[i] = embed[i] + posEmbed[i];

  function layerNorm(prefix: string, x: Float32Array, gain: Float32Array, bias: Float32Array, outName: string): Float32Array {
    const rows = B * T;
    const centered = new Float32Array(rows * d);
    const scale = new Float32Array(rows);
    for (let r = 0; r < rows; r++) {
      let mean = 0;
      for (let i = 0; i < d; i++) mean += x[r * d + i];
      mean /= d;
      let v = 0;
      for (let i = 0; i < d; i++) {
        centered[r * d + i] = x[r * d + i] - mean;
        v += centered[r * d + i] ** 2;
      }
      scale[r] = Math.sqrt(v / d + eps);
    }
    // A patched scale divides what flows on, as in TransformerLens's LayerNorm.
    hook(`${prefix}.hook_scale`, [B, T, 1], scale);
    const normalized = new Float32Array(rows * d);
    for (let r = 0; r < rows; r++) for (let i = 0; i < d; i++) normalized[r * d + i] = centered[r * d + i] / scale[r];
    hook(`${prefix}.hook_normalized`, [B, T, d], normalized);
    const out = new Float32Array(rows * d);
    for (let r = 0; r < rows; r++) for (let i = 0; i < d; i++) out[r * d + i] = normalized[r * d + i] * gain[i] + bias[i];
    return hook(outName, [B, T, d], out);
  }

  /** x [rows, nIn] @ w [nIn, nOut] + bias. */
  function linear(x: Float32Array, rows: number, nIn: number, nOut: number, w: Float32Array, bias: Float32Array): Float32Array {
    const out = new Float32Array(rows * nOut);
    for (let r = 0; r < rows; r++) {
      for (let o = 0; o < nOut; o++) {
        let s = bias[o];
        for (let i = 0; i < nIn; i++) s += x[r * nIn + i] * w[i * nOut + o];
        out[r * nOut + o] = s;
      }
    }
    return out;
  }

  for (let l = 0; l < L; l++) {
    const b_ = `blocks.${l}`;
    const h_ = `h.${l}`;
    resid = hook(`${b_}.hook_resid_pre`, [B, T, d], resid);
    const x1 = layerNorm(`${b_}.ln1`, resid, W(`${h_}.ln_1.weight`), W(`${h_}.ln_1.bias`), `${b_}.ln1.hook_out`);

    // attention
    const qkv = linear(x1, B * T, d, 3 * d, W(`${h_}.attn.c_attn.weight`), W(`${h_}.attn.c_attn.bias`));
    const q = new Float32Array(B * T * d);
    const k = new Float32Array(B * T * d);
    const v = new Float32Array(B * T * d);
    for (let r = 0; r < B * T; r++) {
      for (let i = 0; i < d; i++) {
        q[r * d + i] = qkv[r * 3 * d + i];
        k[r * d + i] = qkv[r * 3 * d + d + i];
        v[r * d + i] = qkv[r * 3 * d + 2 * d + i];
      }
    }
    // [B, T, d] is already [B, T, H, dh] in row-major order.
    hook(`${b_}.attn.hook_q`, [B, T, H, dh], q);
    hook(`${b_}.attn.hook_k`, [B, T, H, dh], k);
    hook(`${b_}.attn.hook_v`, [B, T, H, dh], v);
    const scores = new Float32Array(B * H * T * T);
    for (let b = 0; b < B; b++) {
      for (let h = 0; h < H; h++) {
        for (let i = 0; i < T; i++) {
          for (let j = 0; j < T; j++) {
            let s = 0;
            for (let e = 0; e < dh; e++) s += q[((b * T + i) * H + h) * dh + e] * k[((b * T + j) * H + h) * dh + e];
            scores[((b * H + h) * T + i) * T + j] = j <= i ? s / Math.sqrt(dh) : -Infinity;
          }
        }
      }
    }
    hook(`${b_}.attn.hook_attn_scores`, [B, H, T, T], scores);
    const pattern = new Float32Array(B * H * T * T);
    for (let row = 0; row < B * H * T; row++) {
      let max = -Infinity;
      for (let j = 0; j < T; j++) max = Math.max(max, scores[row * T + j]);
      let sum = 0;
      for (let j = 0; j < T; j++) sum += Math.exp(scores[row * T + j] - max);
      for (let j = 0; j < T; j++) pattern[row * T + j] = Math.exp(scores[row * T + j] - max) / sum;
    }
    hook(`${b_}.attn.hook_pattern`, [B, H, T, T], pattern);
    const z = new Float32Array(B * T * d);
    for (let b = 0; b < B; b++) {
      for (let h = 0; h < H; h++) {
        for (let i = 0; i < T; i++) {
          for (let e = 0; e < dh; e++) {
            let s = 0;
            for (let j = 0; j < T; j++) s += pattern[((b * H + h) * T + i) * T + j] * v[((b * T + j) * H + h) * dh + e];
            z[((b * T + i) * H + h) * dh + e] = s;
          }
        }
      }
    }
    hook(`${b_}.attn.hook_z`, [B, T, H, dh], z);
    const attnOut = linear(z, B * T, d, d, W(`${h_}.attn.c_proj.weight`), W(`${h_}.attn.c_proj.bias`));
    hook(`${b_}.hook_attn_out`, [B, T, d], attnOut);
    const mid = new Float32Array(B * T * d);
    for (let i = 0; i < mid.length; i++) mid[i] = resid[i] + attnOut[i];
    hook(`${b_}.hook_resid_mid`, [B, T, d], mid);

    // MLP with gelu_new
    const x2 = layerNorm(`${b_}.ln2`, mid, W(`${h_}.ln_2.weight`), W(`${h_}.ln_2.bias`), `${b_}.ln2.hook_out`);
    const pre = linear(x2, B * T, d, m, W(`${h_}.mlp.c_fc.weight`), W(`${h_}.mlp.c_fc.bias`));
    hook(`${b_}.mlp.hook_pre`, [B, T, m], pre);
    const post = new Float32Array(pre.length);
    for (let i = 0; i < pre.length; i++) {
      const x = pre[i];
      post[i] = 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3)));
    }
    hook(`${b_}.mlp.hook_post`, [B, T, m], post);
    const mlpOut = linear(post, B * T, m, d, W(`${h_}.mlp.c_proj.weight`), W(`${h_}.mlp.c_proj.bias`));
    hook(`${b_}.hook_mlp_out`, [B, T, d], mlpOut);
    const next = new Float32Array(B * T * d);
    for (let i = 0; i < next.length; i++) next[i] = mid[i] + mlpOut[i];
    resid = hook(`${b_}.hook_resid_post`, [B, T, d], next);
  }

  const final = layerNorm('ln_final', resid, W('ln_f.weight'), W('ln_f.bias'), 'unembed.hook_in');
  const unembed = model.tensors.get('lm_head.weight')?.data ?? W('wte.weight'); // [V, d]
  const logits = new Float32Array(B * T * V);
  for (let r = 0; r < B * T; r++) {
    for (let o = 0; o < V; o++) {
      let s = 0;
      for (let i = 0; i < d; i++) s += final[r * d + i] * unembed[o * d + i];
      logits[r * V + o] = s;
    }
  }
  hook('logits', [B, T, V], logits);
  return { cache, logits: cache.get('logits')! };
}

// ---- interventions, from DESIGN.md §4

function normalize(pos: number, T: number): number {
  if (pos < -T || pos >= T) throw new RangeError(`reference: pos ${pos} outside ${T} tokens`);
  return pos < 0 ? pos + T : pos;
}

/** Flat indices of the entries a record selects, grouped into one vector per (batch, position). */
function vectors(hook: string, dims: number[], p: { pos?: number; head?: number; index?: number }): number[][] {
  const layout = layoutOf(hook);
  const [B] = dims;
  const T = layout === 'attn' ? dims[2] : dims[1];
  const positions = p.pos === undefined ? [...Array(T).keys()] : [normalize(p.pos, T)];
  const out: number[][] = [];
  for (let b = 0; b < B; b++) {
    for (const t of positions) {
      const vec: number[] = [];
      if (layout === 'pos') {
        const F = dims.slice(2).reduce((a, c) => a * c, 1);
        const last = dims[dims.length - 1];
        for (let f = 0; f < F; f++) if (p.index === undefined || f % last === p.index) vec.push((b * T + t) * F + f);
      } else if (layout === 'heads') {
        const [, , H, E] = dims;
        for (let h = 0; h < H; h++) {
          if (p.head !== undefined && h !== p.head) continue;
          for (let e = 0; e < E; e++) if (p.index === undefined || e === p.index) vec.push(((b * T + t) * H + h) * E + e);
        }
      } else {
        const [, H, , K] = dims;
        for (let h = 0; h < H; h++) {
          if (p.head !== undefined && h !== p.head) continue;
          for (let j = 0; j < K; j++) if (p.index === undefined || j === p.index) vec.push(((b * H + h) * T + t) * K + j);
        }
      }
      out.push(vec);
    }
  }
  return out;
}

function patch(hook: string, dims: number[], data: Float32Array, p: Intervention, wte: Float32Array, d: number): void {
  switch (p.op) {
    case 'scale':
      for (const vec of vectors(hook, dims, p)) for (const i of vec) data[i] *= p.value;
      return;
    case 'set':
      for (const vec of vectors(hook, dims, p)) for (const i of vec) data[i] = p.value;
      return;
    case 'mix_embed': {
      const [B, T] = dims;
      const positions = p.pos === undefined ? [...Array(T).keys()] : [normalize(p.pos, T)];
      for (let b = 0; b < B; b++) {
        for (const t of positions) {
          for (let i = 0; i < d; i++) {
            let s = 0;
            p.tokens.forEach((tok, j) => (s += p.weights[j] * wte[tok * d + i]));
            data[(b * T + t) * d + i] = s;
          }
        }
      }
      return;
    }
    case 'impute_topk_mean':
      for (const vec of vectors(hook, dims, p)) {
        const k = Math.floor(p.fraction * vec.length);
        const mean = vec.reduce((s, i) => s + data[i], 0) / vec.length;
        const order = [...vec].sort((a, b) => (data[b] !== data[a] ? data[b] - data[a] : a - b));
        for (const i of order.slice(0, k)) data[i] = mean;
      }
      return;
    case 'logit_boost':
      for (const vec of vectors(hook, dims, p)) {
        let max = -Infinity;
        for (const i of vec) max = Math.max(max, data[i]);
        data[vec[p.token]] = max + p.margin;
      }
      return;
  }
}
