// BERT's hook points: TransformerLens's HookedEncoder names and shapes, in the same vocabulary as
// GPT-2's (../hooks.ts), so globs, `lab trace` and intervention records read the same. BERT is
// post-LayerNorm: a block adds attention to its input, normalizes (ln1), adds the MLP to that and
// normalizes again (ln2); ln2's output is the block's output, the next block's resid_pre.
//
// Where this list differs from TransformerLens:
// - `hook_embed`, `hook_pos_embed`, `hook_token_type_embed` are top-level, as in GPT-2's list
//   (TransformerLens nests them as `embed.hook_embed`, …); `embed.ln.*` is the embedding LayerNorm.
// - `blocks.{l}.ln1.hook_out` (ln1's output, the MLP's input and the residual's next term),
//   `mlm_head.hook_pre` / `hook_post` (the head's dense layer before and after GELU),
//   `unembed.hook_in` (the head's LayerNorm output, the decoder's input) and `mlm_logits` are this
//   project's additions.
// - `attn.hook_attn_scores` holds −inf at padded keys (TransformerLens adds the dtype's most
//   negative number there); the pattern is the same, 0 at those keys.
// Shared values: `hook_full_embed` is `blocks.0.hook_resid_pre`, and
// `blocks.{l}.hook_normalized_resid_post` is `blocks.{l+1}.hook_resid_pre`: one tensor, seen by
// two hooks in turn (a patch on the first is what the second sees).
import type { Dim, HookInfo, HookLayout } from '../hooks.ts';
import type { BertConfig } from './types.ts';

/** The graph's input: word + position + token-type embeddings, summed in JS [batch, pos, d]. */
export const EMBED_SUM = 'embed.sum';
/** The graph's other input: 0 for a key every query may attend to, −inf for padding [batch, 1, 1, pos]. */
export const ATTENTION_MASK = 'attention_mask';
/** The embeddings hooks, computed in JS before the graph. */
export const EMBED_HOOKS = ['hook_embed', 'hook_pos_embed', 'hook_token_type_embed'] as const;

/** Every hook of a model, in forward order; `mlmHead` false for a bare encoder. */
export function bertHookInfos(config: BertConfig, mlmHead = true): HookInfo[] {
  const d = config.hidden_size;
  const H = config.num_attention_heads;
  const dh = d / H;
  const m = config.intermediate_size;
  const list: HookInfo[] = [];
  const add = (name: string, layout: HookLayout, shape: Dim[], value: string | null = name) => list.push({ name, layout, shape, value });

  for (const name of EMBED_HOOKS) add(name, 'pos', ['batch', 'pos', d], null);
  add('embed.ln.hook_scale', 'pos', ['batch', 'pos', 1]);
  add('embed.ln.hook_normalized', 'pos', ['batch', 'pos', d]);
  add('hook_full_embed', 'pos', ['batch', 'pos', d]);
  for (let l = 0; l < config.num_hidden_layers; l++) {
    const b = `blocks.${l}`;
    add(`${b}.hook_resid_pre`, 'pos', ['batch', 'pos', d], l === 0 ? 'hook_full_embed' : `blocks.${l - 1}.hook_normalized_resid_post`);
    add(`${b}.attn.hook_q`, 'heads', ['batch', 'pos', H, dh]);
    add(`${b}.attn.hook_k`, 'heads', ['batch', 'pos', H, dh]);
    add(`${b}.attn.hook_v`, 'heads', ['batch', 'pos', H, dh]);
    add(`${b}.attn.hook_attn_scores`, 'attn', ['batch', H, 'pos', 'pos']);
    add(`${b}.attn.hook_pattern`, 'attn', ['batch', H, 'pos', 'pos']);
    add(`${b}.attn.hook_z`, 'heads', ['batch', 'pos', H, dh]);
    add(`${b}.hook_attn_out`, 'pos', ['batch', 'pos', d]);
    add(`${b}.hook_resid_mid`, 'pos', ['batch', 'pos', d]);
    add(`${b}.ln1.hook_scale`, 'pos', ['batch', 'pos', 1]);
    add(`${b}.ln1.hook_normalized`, 'pos', ['batch', 'pos', d]);
    add(`${b}.ln1.hook_out`, 'pos', ['batch', 'pos', d]);
    add(`${b}.mlp.hook_pre`, 'pos', ['batch', 'pos', m]);
    add(`${b}.mlp.hook_post`, 'pos', ['batch', 'pos', m]);
    add(`${b}.hook_mlp_out`, 'pos', ['batch', 'pos', d]);
    add(`${b}.hook_resid_post`, 'pos', ['batch', 'pos', d]);
    add(`${b}.ln2.hook_scale`, 'pos', ['batch', 'pos', 1]);
    add(`${b}.ln2.hook_normalized`, 'pos', ['batch', 'pos', d]);
    add(`${b}.hook_normalized_resid_post`, 'pos', ['batch', 'pos', d]);
  }
  if (mlmHead) {
    add('mlm_head.hook_pre', 'pos', ['batch', 'pos', d]);
    add('mlm_head.hook_post', 'pos', ['batch', 'pos', d]);
    add('mlm_head.ln.hook_scale', 'pos', ['batch', 'pos', 1]);
    add('mlm_head.ln.hook_normalized', 'pos', ['batch', 'pos', d]);
    add('unembed.hook_in', 'pos', ['batch', 'pos', d]);
    add('mlm_logits', 'pos', ['batch', 'pos', config.vocab_size]);
  }
  return list;
}
