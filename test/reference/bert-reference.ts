// An independent BERT forward pass in plain TypeScript: loops over Float32Arrays, no onnxruntime,
// no code shared with the engine beyond the types. It follows Hugging Face's BertForMaskedLM
// (embeddings + LayerNorm, post-LayerNorm layers, erf GELU, the masked-LM head with its decoder
// tied to the word embeddings) and records every hook point under TransformerLens's HookedEncoder
// names as the engine documents them (src/llm/bert/hooks.ts), applying the intervention records
// as their documentation describes. Rows of different lengths are padded at the end with the
// pad id and masked. Sums accumulate in float64; it is slow, and meant for tiny models only.
import type { BertConfig, BertIntervention } from '../../src/llm/bert/types.ts';
import type { Tensor } from '../../src/llm/types.ts';

export interface BertReferenceModel {
  config: BertConfig;
  /** Canonical Hugging Face names without `bert.`; no `cls.*` for a bare encoder. */
  tensors: Map<string, Tensor>;
}

export interface BertReferenceResult {
  cache: Map<string, Tensor>;
  /** Absent for a bare encoder. */
  logits?: Tensor;
  mask: number[][];
}

/** erf to ~1e-13: its Taylor series up to |x| = 3, the continued fraction of erfc beyond. */
export function erf(x: number): number {
  const a = Math.abs(x);
  let r: number;
  if (a <= 3) {
    let term = a;
    let sum = a;
    for (let n = 1; n < 100; n++) {
      term *= (-a * a) / n;
      sum += term / (2 * n + 1);
      if (Math.abs(term) < 1e-17) break;
    }
    r = (2 / Math.sqrt(Math.PI)) * sum;
  } else {
    // erfc(a) = e^(−a²)/√π · 1/(a + (1/2)/(a + 1/(a + (3/2)/(a + …)))), evaluated from the bottom.
    let f = a;
    for (let n = 200; n >= 1; n--) f = a + n / 2 / f;
    r = 1 - Math.exp(-a * a) / Math.sqrt(Math.PI) / f;
  }
  return x < 0 ? -r : r;
}

type Layout = 'pos' | 'heads' | 'attn';

function layoutOf(hook: string): Layout {
  if (/attn\.hook_(q|k|v|z)$/.test(hook)) return 'heads';
  if (/attn\.hook_(attn_scores|pattern)$/.test(hook)) return 'attn';
  return 'pos';
}

export function bertReferenceForward(
  model: BertReferenceModel,
  rows: number[][],
  opts: { tokenTypes?: number[][]; patches?: BertIntervention[] } = {},
): BertReferenceResult {
  const { num_hidden_layers: L, num_attention_heads: H, hidden_size: d, intermediate_size: m, layer_norm_eps: eps, vocab_size: V } = model.config;
  const dh = d / H;
  const patches = opts.patches ?? [];
  const W = (name: string): Float32Array => {
    const t = model.tensors.get(name);
    if (!t) throw new Error(`reference: missing tensor ${name}`);
    return t.data;
  };
  const B = rows.length;
  const T = Math.max(...rows.map((r) => r.length));
  const ids = rows.map((r) => [...r, ...new Array(T - r.length).fill(model.config.pad_token_id)]);
  const mask = rows.map((r) => Array.from({ length: T }, (_, t) => (t < r.length ? 1 : 0)));
  const types = ids.map((r, b) => r.map((_, t) => opts.tokenTypes?.[b]?.[t] ?? 0));
  const cache = new Map<string, Tensor>();

  // A hook point: apply the records for this hook in order, then record a copy.
  function hook(name: string, dims: number[], data: Float32Array): Float32Array {
    for (const p of patches) if (p.hook === name) patch(name, dims, data, p, W('embeddings.word_embeddings.weight'), d);
    cache.set(name, { dims, data: Float32Array.from(data) });
    return data;
  }

  function layerNorm(prefix: string, x: Float32Array, gain: Float32Array, bias: Float32Array, outName: string): Float32Array {
    const n = B * T;
    const centered = new Float32Array(n * d);
    const scale = new Float32Array(n);
    for (let r = 0; r < n; r++) {
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
    hook(`${prefix}.hook_scale`, [B, T, 1], scale);
    const normalized = new Float32Array(n * d);
    for (let r = 0; r < n; r++) for (let i = 0; i < d; i++) normalized[r * d + i] = centered[r * d + i] / scale[r];
    hook(`${prefix}.hook_normalized`, [B, T, d], normalized);
    const out = new Float32Array(n * d);
    for (let r = 0; r < n; r++) for (let i = 0; i < d; i++) out[r * d + i] = normalized[r * d + i] * gain[i] + bias[i];
    return hook(outName, [B, T, d], out);
  }

  /** nn.Linear: x [n, nIn] · w [nOut, nIn]ᵀ + bias. */
  function linear(x: Float32Array, nIn: number, nOut: number, w: Float32Array, bias: Float32Array): Float32Array {
    const n = x.length / nIn;
    const out = new Float32Array(n * nOut);
    for (let r = 0; r < n; r++) {
      for (let o = 0; o < nOut; o++) {
        let s = bias[o];
        for (let i = 0; i < nIn; i++) s += x[r * nIn + i] * w[o * nIn + i];
        out[r * nOut + o] = s;
      }
    }
    return out;
  }

  const gelu = (x: Float32Array) => x.map((v) => 0.5 * v * (1 + erf(v / Math.SQRT2)));
  const add = (a: Float32Array, b: Float32Array) => a.map((v, i) => v + b[i]);

  // ---- embeddings
  const embed = new Float32Array(B * T * d);
  const posEmbed = new Float32Array(B * T * d);
  const typeEmbed = new Float32Array(B * T * d);
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      for (let i = 0; i < d; i++) {
        embed[(b * T + t) * d + i] = W('embeddings.word_embeddings.weight')[ids[b][t] * d + i];
        posEmbed[(b * T + t) * d + i] = W('embeddings.position_embeddings.weight')[t * d + i];
        typeEmbed[(b * T + t) * d + i] = W('embeddings.token_type_embeddings.weight')[types[b][t] * d + i];
      }
    }
  }
  hook('hook_embed', [B, T, d], embed);
  hook('hook_pos_embed', [B, T, d], posEmbed);
  hook('hook_token_type_embed', [B, T, d], typeEmbed);
  const summed = add(add(embed, posEmbed), typeEmbed);
  let resid = layerNorm('embed.ln', summed, W('embeddings.LayerNorm.weight'), W('embeddings.LayerNorm.bias'), 'hook_full_embed');

  for (let l = 0; l < L; l++) {
    const b_ = `blocks.${l}`;
    const e = `encoder.layer.${l}`;
    resid = hook(`${b_}.hook_resid_pre`, [B, T, d], resid);

    // attention: [B, T, d] is [B, T, H, dh] in row-major order
    const q = hook(`${b_}.attn.hook_q`, [B, T, H, dh], linear(resid, d, d, W(`${e}.attention.self.query.weight`), W(`${e}.attention.self.query.bias`)));
    const k = hook(`${b_}.attn.hook_k`, [B, T, H, dh], linear(resid, d, d, W(`${e}.attention.self.key.weight`), W(`${e}.attention.self.key.bias`)));
    const v = hook(`${b_}.attn.hook_v`, [B, T, H, dh], linear(resid, d, d, W(`${e}.attention.self.value.weight`), W(`${e}.attention.self.value.bias`)));
    const scores = new Float32Array(B * H * T * T);
    for (let b = 0; b < B; b++) {
      for (let h = 0; h < H; h++) {
        for (let i = 0; i < T; i++) {
          for (let j = 0; j < T; j++) {
            let s = 0;
            for (let c = 0; c < dh; c++) s += q[((b * T + i) * H + h) * dh + c] * k[((b * T + j) * H + h) * dh + c];
            scores[((b * H + h) * T + i) * T + j] = mask[b][j] ? s / Math.sqrt(dh) : -Infinity;
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
          for (let c = 0; c < dh; c++) {
            let s = 0;
            for (let j = 0; j < T; j++) s += pattern[((b * H + h) * T + i) * T + j] * v[((b * T + j) * H + h) * dh + c];
            z[((b * T + i) * H + h) * dh + c] = s;
          }
        }
      }
    }
    hook(`${b_}.attn.hook_z`, [B, T, H, dh], z);
    const attnOut = hook(`${b_}.hook_attn_out`, [B, T, d], linear(z, d, d, W(`${e}.attention.output.dense.weight`), W(`${e}.attention.output.dense.bias`)));
    const mid = hook(`${b_}.hook_resid_mid`, [B, T, d], add(resid, attnOut));
    const normed = layerNorm(`${b_}.ln1`, mid, W(`${e}.attention.output.LayerNorm.weight`), W(`${e}.attention.output.LayerNorm.bias`), `${b_}.ln1.hook_out`);

    // MLP with erf GELU
    const pre = hook(`${b_}.mlp.hook_pre`, [B, T, m], linear(normed, d, m, W(`${e}.intermediate.dense.weight`), W(`${e}.intermediate.dense.bias`)));
    const post = hook(`${b_}.mlp.hook_post`, [B, T, m], gelu(pre));
    const mlpOut = hook(`${b_}.hook_mlp_out`, [B, T, d], linear(post, m, d, W(`${e}.output.dense.weight`), W(`${e}.output.dense.bias`)));
    const residPost = hook(`${b_}.hook_resid_post`, [B, T, d], add(normed, mlpOut));
    resid = layerNorm(`${b_}.ln2`, residPost, W(`${e}.output.LayerNorm.weight`), W(`${e}.output.LayerNorm.bias`), `${b_}.hook_normalized_resid_post`);
  }

  if (!model.tensors.has('cls.predictions.transform.dense.weight')) return { cache, mask };

  // masked-LM head
  const pre = hook('mlm_head.hook_pre', [B, T, d], linear(resid, d, d, W('cls.predictions.transform.dense.weight'), W('cls.predictions.transform.dense.bias')));
  const post = hook('mlm_head.hook_post', [B, T, d], gelu(pre));
  const final = layerNorm('mlm_head.ln', post, W('cls.predictions.transform.LayerNorm.weight'), W('cls.predictions.transform.LayerNorm.bias'), 'unembed.hook_in');
  const decoder = model.tensors.get('cls.predictions.decoder.weight')?.data ?? W('embeddings.word_embeddings.weight'); // [V, d]
  const logits = hook('mlm_logits', [B, T, V], linear(final, d, V, decoder, W('cls.predictions.bias')));
  return { cache, logits: { dims: [B, T, V], data: logits }, mask };
}

// ---- interventions, from their documentation (src/llm/types.ts, src/llm/bert/types.ts)

function normalize(pos: number, T: number): number {
  if (pos < -T || pos >= T) throw new RangeError(`reference: pos ${pos} outside ${T} tokens`);
  return pos < 0 ? pos + T : pos;
}

/** Flat indices of the entries a record selects, one list per (batch row, position), in order. */
function vectors(hook: string, dims: number[], p: { pos?: number; head?: number; index?: number }): number[][] {
  const layout = layoutOf(hook);
  const B = dims[0];
  const T = layout === 'attn' ? dims[2] : dims[1];
  const positions = p.pos === undefined ? [...Array(T).keys()] : [normalize(p.pos, T)];
  const out: number[][] = [];
  for (let b = 0; b < B; b++) {
    for (const t of positions) {
      const vec: number[] = [];
      if (layout === 'pos') {
        const F = dims.slice(2).reduce((a, c) => a * c, 1);
        for (let f = 0; f < F; f++) if (p.index === undefined || f === p.index) vec.push((b * T + t) * F + f);
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

function patch(hook: string, dims: number[], data: Float32Array, p: BertIntervention, words: Float32Array, d: number): void {
  switch (p.op) {
    case 'scale':
      for (const vec of vectors(hook, dims, p)) for (const i of vec) data[i] *= p.value;
      return;
    case 'set':
      for (const vec of vectors(hook, dims, p)) for (const i of vec) data[i] = p.value;
      return;
    case 'set_vector':
      for (const vec of vectors(hook, dims, p)) {
        if (vec.length !== p.values.length) throw new RangeError(`reference: ${p.values.length} values for a vector of ${vec.length}`);
        vec.forEach((i, j) => (data[i] = p.values[j]));
      }
      return;
    case 'mix_embed':
      for (const vec of vectors(hook, dims, { pos: p.pos })) {
        vec.forEach((idx, i) => {
          let s = 0;
          p.tokens.forEach((tok, j) => (s += p.weights[j] * words[tok * d + i]));
          data[idx] = s;
        });
      }
      return;
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
