// An AnalysisResult as bytes for Redis (the result cache, the web deliverer's stream): the JSON
// without the PNGs, plus the PNGs as separate binary values so they are never base64-inflated.
import type { AnalysisResult, Figure } from '../analyses/types.ts';

export interface EncodedResult {
  /** The result with each figure's `png` left out. */
  json: string;
  /** Figure PNGs, in figure order. */
  pngs: Buffer[];
}

type FigureMeta = Omit<Figure, 'png'>;

export function encodeResult(result: AnalysisResult): EncodedResult {
  const figures: FigureMeta[] = result.figures.map(({ png: _png, ...meta }) => meta);
  return { json: JSON.stringify({ ...result, figures }), pngs: result.figures.map((f) => f.png) };
}

export function decodeResult(encoded: EncodedResult): AnalysisResult {
  const parsed = JSON.parse(encoded.json) as Omit<AnalysisResult, 'figures'> & { figures: FigureMeta[] };
  if (parsed.figures.length !== encoded.pngs.length) {
    throw new Error(`Stored result has ${parsed.figures.length} figures but ${encoded.pngs.length} PNGs`);
  }
  return { ...parsed, figures: parsed.figures.map((meta, i) => ({ ...meta, png: encoded.pngs[i]! })) };
}
