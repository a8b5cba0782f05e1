// Interventions are data (DESIGN.md §4): JSON records that travel in job payloads and are applied
// where their hook is, as a TransformerLens forward hook that edits the activation. This module
// validates them and applies one record to one activation tensor; the engine decides where.
import { z } from 'zod';
import type { HookLayout } from './hooks.ts';
import type { Intervention, Tensor } from './types.ts';

const hook = z.string().min(1, 'must name a hook, e.g. "blocks.5.hook_resid_post"');
const pos = z.number().int('must be a whole token position (negative counts from the end)').optional();
const head = z.number().int().min(0, 'heads are numbered from 0').optional();
const index = z.number().int().min(0, 'features are numbered from 0').optional();
const finite = z.number().refine(Number.isFinite, 'must be a finite number');
const tokenId = z.number().int().min(0, 'token ids are ≥ 0');

export const InterventionSchema = z.discriminatedUnion('op', [
  z.strictObject({ hook, op: z.literal('scale'), value: finite, pos, head, index }),
  z.strictObject({ hook, op: z.literal('set'), value: finite, pos, head, index }),
  z
    .strictObject({
      hook,
      op: z.literal('mix_embed'),
      pos,
      tokens: z.array(tokenId).min(1, 'needs at least one token'),
      weights: z.array(finite).min(1, 'needs at least one weight'),
    })
    .refine((m) => m.tokens.length === m.weights.length, {
      message: 'tokens and weights must have the same length',
      path: ['weights'],
    }),
  z.strictObject({
    hook,
    op: z.literal('impute_topk_mean'),
    pos,
    head,
    fraction: z.number().gt(0, 'must be > 0').max(1, 'must be ≤ 1'),
  }),
  z.strictObject({ hook, op: z.literal('logit_boost'), pos, token: tokenId, margin: finite }),
]);

export const InterventionListSchema = z.array(InterventionSchema);

function formatIssues(error: z.ZodError, root: string): string {
  return error.issues
    .map((i) => {
      const where = i.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('');
      return `${root}${where}: ${i.message}`;
    })
    .join('; ');
}

/**
 * Parse interventions from JSON text or an already-parsed value: a list of records, or one record.
 * Errors name the field ("patches[1].value: Invalid input: expected number, received string").
 */
export function parsePatches(json: string | unknown, source = 'patches'): Intervention[] {
  let raw: unknown = json;
  if (typeof json === 'string') {
    try {
      raw = JSON.parse(json);
    } catch (err) {
      throw new Error(`${source}: not valid JSON (${(err as Error).message})`);
    }
  }
  const list = Array.isArray(raw) ? raw : [raw];
  const parsed = InterventionListSchema.safeParse(list);
  if (!parsed.success) throw new Error(`bad intervention: ${formatIssues(parsed.error, source)}`);
  return parsed.data as Intervention[];
}

/** The activation a record is applied to, with the layout that says where `pos` and `head` point. */
export interface PatchTarget {
  tensor: Tensor;
  layout: HookLayout;
  hook: string;
}

/** A position in [-T, T) → [0, T); anything else is an error naming the limit. */
export function normalizePos(p: number, T: number, hookName: string): number {
  if (p < -T || p >= T) {
    throw new RangeError(`intervention at ${hookName}: pos ${p} is outside the ${T}-token input (valid: ${-T} to ${T - 1})`);
  }
  return p < 0 ? T + p : p;
}

/**
 * The vectors a record selects, for each batch row: a vector is the set of rows (offset, length
 * along the last axis) at one position (and head, if given). For [batch, pos, head, d_head]
 * without `head`, a position's vector spans all heads; for attention [batch, head, q, k], `pos`
 * is the query position.
 */
function selectVectors(t: PatchTarget, p: { pos?: number; head?: number }): { offset: number; length: number }[][] {
  const { dims } = t.tensor;
  const heads = t.layout === 'heads' || t.layout === 'attn';
  if (p.head !== undefined && !heads) {
    throw new Error(`intervention at ${t.hook}: "head" given, but this hook has no head dimension`);
  }
  const B = dims[0];
  const posAxis = t.layout === 'attn' ? 2 : 1;
  const T = dims[posAxis];
  const width = dims[dims.length - 1];
  const positions = p.pos === undefined ? range(T) : [normalizePos(p.pos, T, t.hook)];
  const H = heads ? dims[t.layout === 'attn' ? 1 : 2] : 1;
  if (p.head !== undefined && p.head >= H) {
    throw new RangeError(`intervention at ${t.hook}: head ${p.head} is out of range (the model has ${H} heads: 0 to ${H - 1})`);
  }
  const headList = p.head === undefined ? range(H) : [p.head];
  const vectors: { offset: number; length: number }[][] = [];
  for (let b = 0; b < B; b++) {
    for (const q of positions) {
      if (t.layout === 'pos') {
        const size = dims.slice(2).reduce((a, c) => a * c, 1);
        const start = (b * T + q) * size;
        const rows = [];
        for (let o = start; o < start + size; o += width) rows.push({ offset: o, length: width });
        vectors.push(rows);
      } else if (t.layout === 'heads') {
        vectors.push(headList.map((h) => ({ offset: ((b * T + q) * H + h) * width, length: width })));
      } else {
        vectors.push(headList.map((h) => ({ offset: ((b * H + h) * T + q) * width, length: width })));
      }
    }
  }
  return vectors;
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

/**
 * Apply `scale`, `set`, `impute_topk_mean` or `logit_boost` to `t.tensor` in place.
 * (`mix_embed` needs the embedding matrix; see `mixEmbed`.)
 */
export function applyIntervention(t: PatchTarget, patch: Intervention): void {
  const data = t.tensor.data;
  switch (patch.op) {
    case 'scale':
    case 'set': {
      const width = t.tensor.dims[t.tensor.dims.length - 1];
      if (patch.index !== undefined && patch.index >= width) {
        throw new RangeError(`intervention at ${t.hook}: index ${patch.index} is out of range (the last dimension has ${width} entries: 0 to ${width - 1})`);
      }
      for (const vector of selectVectors(t, patch)) {
        for (const row of vector) {
          const from = patch.index === undefined ? row.offset : row.offset + patch.index;
          const to = patch.index === undefined ? row.offset + row.length : from + 1;
          for (let i = from; i < to; i++) data[i] = patch.op === 'scale' ? data[i] * patch.value : patch.value;
        }
      }
      return;
    }
    case 'impute_topk_mean': {
      for (const vector of selectVectors(t, patch)) {
        const idx = vector.flatMap((row) => range(row.length).map((i) => row.offset + i));
        const k = Math.floor(patch.fraction * idx.length);
        if (k === 0) continue;
        let sum = 0;
        for (const i of idx) sum += data[i];
        const mean = sum / idx.length;
        // Largest first; ties keep the earlier feature, so the result is deterministic.
        const top = [...idx].sort((a, b) => data[b] - data[a] || a - b).slice(0, k);
        for (const i of top) data[i] = mean;
      }
      return;
    }
    case 'logit_boost': {
      const V = t.tensor.dims[t.tensor.dims.length - 1];
      if (patch.token >= V) throw new RangeError(`intervention at ${t.hook}: token ${patch.token} is outside the vocabulary (0 to ${V - 1})`);
      for (const vector of selectVectors(t, patch)) {
        for (const row of vector) {
          let max = -Infinity;
          for (let i = row.offset; i < row.offset + row.length; i++) if (data[i] > max) max = data[i];
          data[row.offset + patch.token] = max + patch.margin;
        }
      }
      return;
    }
    case 'mix_embed':
      throw new Error(`intervention at ${t.hook}: mix_embed applies only at hook_embed`);
  }
}

/**
 * `mix_embed` at hook_embed [batch, pos, d]: the token embedding at `pos` (all positions when
 * absent) becomes Σ weights[i] · wte[tokens[i]], before the position embedding is added.
 * `wteRows` gives rows of the embedding matrix (the engine reads them from the checkpoint).
 */
export function mixEmbed(
  embed: Tensor,
  wteRows: (ids: number[]) => Float32Array,
  patch: Extract<Intervention, { op: 'mix_embed' }>,
  vocabSize: number,
): void {
  const [B, T, d] = embed.dims;
  for (const tok of patch.tokens) {
    if (tok >= vocabSize) throw new RangeError(`intervention at hook_embed: token ${tok} is outside the vocabulary (0 to ${vocabSize - 1})`);
  }
  const rows = wteRows(patch.tokens);
  const mixed = new Float32Array(d);
  patch.tokens.forEach((_, j) => {
    const w = patch.weights[j];
    for (let i = 0; i < d; i++) mixed[i] += w * rows[j * d + i];
  });
  const positions = patch.pos === undefined ? range(T) : [normalizePos(patch.pos, T, 'hook_embed')];
  for (let b = 0; b < B; b++) for (const q of positions) embed.data.set(mixed, (b * T + q) * d);
}

/** Which ops make sense where: checked before a run so a bad record fails fast with a clear message. */
export function checkPatchFitsHook(patch: Intervention, layout: HookLayout): void {
  if (patch.op === 'mix_embed' && patch.hook !== 'hook_embed') {
    throw new Error(`intervention at ${patch.hook}: mix_embed applies only at hook_embed`);
  }
  if (patch.op === 'logit_boost' && patch.hook !== 'logits') {
    throw new Error(`intervention at ${patch.hook}: logit_boost applies only at logits`);
  }
  if ('head' in patch && patch.head !== undefined && layout === 'pos') {
    throw new Error(`intervention at ${patch.hook}: "head" given, but this hook has no head dimension`);
  }
}
