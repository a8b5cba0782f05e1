// The analyses, one module per post. Adding a post's analysis = one module + one line here.
import type { Analysis } from './types.ts';
import { embeddingsAnalysis } from './embeddings.ts';
import { logitsAnalysis } from './logits.ts';
import { heatmapAnalysis } from './heatmap.ts';
import { tokensAnalysis } from './tokens.ts';
import { correlationAnalysis } from './correlation.ts';
import { fourierAnalysis } from './fourier.ts';
import { zipfAnalysis } from './zipf.ts';
import { hiddenAnalysis } from './hidden.ts';
import { attentionAnalysis } from './attention.ts';
import { mlpAnalysis } from './mlp.ts';

export const ANALYSES: readonly Analysis[] = [
  tokensAnalysis,
  correlationAnalysis,
  fourierAnalysis,
  heatmapAnalysis,
  zipfAnalysis,
  hiddenAnalysis,
  logitsAnalysis,
  attentionAnalysis,
  mlpAnalysis,
  embeddingsAnalysis,
];

export function getAnalysis(id: string): Analysis {
  const a = ANALYSES.find((x) => x.id === id.replace(/^\//, ''));
  if (!a) throw new Error(`Unknown analysis "${id}". Available: ${ANALYSES.map((x) => x.id).join(', ')}`);
  return a;
}
