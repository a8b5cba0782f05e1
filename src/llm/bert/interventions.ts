// BERT's intervention records: GPT-2's (../interventions.ts: scale, set, mix_embed,
// impute_topk_mean, logit_boost, validated by the same schemas) and `set_vector`, which writes a
// whole vector at a position from given values. `logit_boost` applies at `mlm_logits`.
import { z } from 'zod';
import { InterventionSchema, normalizePos, type PatchTarget } from '../interventions.ts';
import type { BertIntervention, SetVector } from './types.ts';

const finite = z.number().refine(Number.isFinite, 'must be a finite number');

export const SetVectorSchema = z.strictObject({
  hook: z.string().min(1, 'must name a hook, e.g. "blocks.5.hook_normalized_resid_post"'),
  op: z.literal('set_vector'),
  pos: z.number().int('must be a whole token position (negative counts from the end)').optional(),
  head: z.number().int().min(0, 'heads are numbered from 0').optional(),
  values: z.array(finite).min(1, 'needs the vector\'s values'),
});

export const BertInterventionListSchema = z.array(z.discriminatedUnion('op', [...InterventionSchema.options, SetVectorSchema]));

/**
 * Parse interventions from JSON text or a parsed value: a list of records, or one record. Errors
 * name the field ("patches[1].values[3]: must be a finite number").
 */
export function parseBertPatches(json: string | unknown, source = 'patches'): BertIntervention[] {
  let raw: unknown = json;
  if (typeof json === 'string') {
    try {
      raw = JSON.parse(json);
    } catch (err) {
      throw new Error(`${source}: not valid JSON (${(err as Error).message})`);
    }
  }
  const parsed = BertInterventionListSchema.safeParse(Array.isArray(raw) ? raw : [raw]);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${source}${i.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('')}: ${i.message}`);
    throw new Error(`bad intervention: ${issues.join('; ')}`);
  }
  return parsed.data as BertIntervention[];
}

/**
 * `set_vector` on one activation, in place: at `pos` (every position when absent), in every batch
 * row, the vector (see SetVector) becomes `values`, whose length must be the vector's.
 */
export function applySetVector(t: PatchTarget, patch: SetVector): void {
  const { dims, data } = t.tensor;
  const where = `intervention at ${t.hook}`;
  if (patch.head !== undefined && t.layout === 'pos') throw new Error(`${where}: "head" given, but this hook has no head dimension`);
  // Every layout is [B, P, ...] with the position on axis 1, except attention's [B, H, Tq, Tk].
  const B = dims[0];
  const T = t.layout === 'attn' ? dims[2] : dims[1];
  const H = t.layout === 'heads' ? dims[2] : t.layout === 'attn' ? dims[1] : 1;
  if (patch.head !== undefined && patch.head >= H) {
    throw new RangeError(`${where}: head ${patch.head} is out of range (the model has ${H} heads: 0 to ${H - 1})`);
  }
  const width = t.layout === 'pos' ? dims.slice(2).reduce((a, b) => a * b, 1) : dims[3]; // one head's part, or the whole vector
  const heads = t.layout === 'pos' ? [0] : patch.head === undefined ? [...Array(H).keys()] : [patch.head];
  const size = heads.length * width;
  if (patch.values.length !== size) {
    const what = t.layout === 'pos' ? `[${dims.slice(2).join(', ')}]` : patch.head === undefined ? `${H} heads × ${width}` : `one head's ${width}`;
    throw new RangeError(`${where}: values has ${patch.values.length} numbers, but the vector at one position is ${size} (${what})`);
  }
  const positions = patch.pos === undefined ? [...Array(T).keys()] : [normalizePos(patch.pos, T, t.hook)];
  for (let b = 0; b < B; b++) {
    for (const q of positions) {
      heads.forEach((h, j) => {
        const offset = t.layout === 'pos' ? (b * T + q) * width : t.layout === 'heads' ? ((b * T + q) * H + h) * width : ((b * H + h) * T + q) * width;
        for (let i = 0; i < width; i++) data[offset + i] = patch.values[j * width + i];
      });
    }
  }
}
