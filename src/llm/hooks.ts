// Hook points: TransformerLens's names and shapes (DESIGN.md §4), the one vocabulary shared by
// the engine, the analyses, `lab trace` and the docs. Every hook but the two embedding ones is a
// value of the same name in the ONNX node list (gpt2-graph.ts); `blocks.{l}.hook_resid_pre` for
// l ≥ 1 is the same tensor as `blocks.{l-1}.hook_resid_post`, seen one hook later.
import type { GPT2Config } from './types.ts';

/**
 * How a hook's tensor is laid out, which says where `pos` and `head` point:
 * - `pos`:   [batch, pos, ...features]       (residual stream, LayerNorm, MLP, logits)
 * - `heads`: [batch, pos, head, d_head]      (q, k, v, z)
 * - `attn`:  [batch, head, query pos, key pos] (attention scores and pattern)
 */
export type HookLayout = 'pos' | 'heads' | 'attn';

/** A dimension: a fixed size, or `batch` / `pos` (known only when a run starts). */
export type Dim = number | 'batch' | 'pos';

export interface HookInfo {
  name: string;
  layout: HookLayout;
  shape: Dim[];
  /** The ONNX value holding it; null for the embeddings, which are computed in JS. */
  value: string | null;
}

/** The residual stream entering block 0, fed to the ONNX graph from JS. */
export const GRAPH_INPUT = 'blocks.0.hook_resid_pre';

/** Every hook of a model, in forward order. */
export function hookInfos(config: GPT2Config): HookInfo[] {
  const d = config.n_embd;
  const H = config.n_head;
  const dh = d / H;
  const m = config.n_inner;
  const list: HookInfo[] = [];
  const add = (name: string, layout: HookLayout, shape: Dim[], value: string | null = name) =>
    list.push({ name, layout, shape, value });

  add('hook_embed', 'pos', ['batch', 'pos', d], null);
  add('hook_pos_embed', 'pos', ['batch', 'pos', d], null);
  for (let l = 0; l < config.n_layer; l++) {
    const b = `blocks.${l}`;
    add(`${b}.hook_resid_pre`, 'pos', ['batch', 'pos', d], l === 0 ? GRAPH_INPUT : `blocks.${l - 1}.hook_resid_post`);
    add(`${b}.ln1.hook_scale`, 'pos', ['batch', 'pos', 1]);
    add(`${b}.ln1.hook_normalized`, 'pos', ['batch', 'pos', d]);
    add(`${b}.ln1.hook_out`, 'pos', ['batch', 'pos', d]);
    add(`${b}.attn.hook_q`, 'heads', ['batch', 'pos', H, dh]);
    add(`${b}.attn.hook_k`, 'heads', ['batch', 'pos', H, dh]);
    add(`${b}.attn.hook_v`, 'heads', ['batch', 'pos', H, dh]);
    add(`${b}.attn.hook_attn_scores`, 'attn', ['batch', H, 'pos', 'pos']);
    add(`${b}.attn.hook_pattern`, 'attn', ['batch', H, 'pos', 'pos']);
    add(`${b}.attn.hook_z`, 'heads', ['batch', 'pos', H, dh]);
    add(`${b}.hook_attn_out`, 'pos', ['batch', 'pos', d]);
    add(`${b}.hook_resid_mid`, 'pos', ['batch', 'pos', d]);
    add(`${b}.ln2.hook_scale`, 'pos', ['batch', 'pos', 1]);
    add(`${b}.ln2.hook_normalized`, 'pos', ['batch', 'pos', d]);
    add(`${b}.ln2.hook_out`, 'pos', ['batch', 'pos', d]);
    add(`${b}.mlp.hook_pre`, 'pos', ['batch', 'pos', m]);
    add(`${b}.mlp.hook_post`, 'pos', ['batch', 'pos', m]);
    add(`${b}.hook_mlp_out`, 'pos', ['batch', 'pos', d]);
    add(`${b}.hook_resid_post`, 'pos', ['batch', 'pos', d]);
  }
  add('ln_final.hook_scale', 'pos', ['batch', 'pos', 1]);
  add('ln_final.hook_normalized', 'pos', ['batch', 'pos', d]);
  add('unembed.hook_in', 'pos', ['batch', 'pos', d]);
  add('logits', 'pos', ['batch', 'pos', config.vocab_size]);
  return list;
}

function globToRegExp(glob: string): RegExp {
  const escaped = glob.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*');
  return new RegExp(`^${escaped}$`);
}

/** Split a hooks option ("a,b" or ["a", "b*"]) into its patterns. */
export function hookPatterns(hooks: string | string[]): string[] {
  const list = typeof hooks === 'string' ? [hooks] : hooks;
  return list.flatMap((h) => h.split(',')).map((h) => h.trim()).filter((h) => h !== '');
}

/** A few valid names that look like `name` (same last part), else the first few. */
function suggestions(name: string, all: string[]): string {
  const last = name.split('.').pop() ?? name;
  const alike = all.filter((n) => n.endsWith(last));
  const pick = (alike.length ? alike : all).slice(0, 4);
  return `${pick.join(', ')}, … (${all.length} hooks; \`blocks.*.attn.hook_pattern\` style globs work)`;
}

/** Error for a name that is not a hook of this model. */
export function unknownHookError(name: string, all: string[], what = 'hook'): Error {
  return new Error(`unknown ${what} "${name}"; valid names include ${suggestions(name, all)}`);
}

/**
 * Expand hook names and globs (`*` matches any characters) to hook names in forward order.
 * A name that is not a hook, or a glob that matches nothing, is an error listing valid names.
 */
export function resolveHookPatterns(patterns: string[], all: string[]): string[] {
  const chosen = new Set<string>();
  for (const p of patterns) {
    if (!p.includes('*')) {
      if (!all.includes(p)) throw unknownHookError(p, all);
      chosen.add(p);
      continue;
    }
    const re = globToRegExp(p);
    const hits = all.filter((n) => re.test(n));
    if (!hits.length) throw new Error(`hook pattern "${p}" matches no hook; valid names include ${suggestions(p, all)}`);
    for (const h of hits) chosen.add(h);
  }
  return all.filter((n) => chosen.has(n));
}
