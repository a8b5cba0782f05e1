// The analyses, one module per post. Adding a post's analysis = one module + one line here.
import type { Analysis } from './types.ts';
import { tokensAnalysis } from './tokens.ts';
import { heatmapAnalysis } from './heatmap.ts';
import { logitsAnalysis } from './logits.ts';
import { embeddingsAnalysis } from './embeddings.ts';
import { correlationAnalysis } from './correlation.ts';
import { zipfAnalysis } from './zipf.ts';
import { fourierAnalysis } from './fourier.ts';
import { hiddenAnalysis } from './hidden.ts';
import { attentionAnalysis } from './attention.ts';
import { mlpAnalysis } from './mlp.ts';
import { lstsqTheoryAnalysis } from './lstsq-theory.ts';
import { lstsqSimulationAnalysis } from './lstsq-simulation.ts';
import { slopeAnalysis } from './slope.ts';
import { smoothAnalysis } from './smooth.ts';
import { lstsqDataAnalysis } from './lstsq-data.ts';
import { ciAnalysis } from './ci.ts';
import { dependenceAnalysis } from './dependence.ts';
import { kaprekarAnalysis } from './kaprekar.ts';
import { curvefitAnalysis } from './curvefit.ts';
import { lstsqGpt2Analysis } from './lstsq-gpt2.ts';
import { rsaQkvAnalysis } from './rsa-qkv.ts';
import { effdimAnalysis } from './effdim.ts';
import { biasAnalysis } from './bias.ts';
import { lifeAnalysis } from './life.ts';
import { debiasAnalysis } from './debias.ts';
import { kingqueenAnalysis } from './kingqueen.ts';
import { rsaWordsAnalysis } from './rsa-words.ts';

export const ANALYSES: readonly Analysis[] = [
  tokensAnalysis,
  heatmapAnalysis,
  logitsAnalysis,
  embeddingsAnalysis,
  correlationAnalysis,
  zipfAnalysis,
  fourierAnalysis,
  hiddenAnalysis,
  attentionAnalysis,
  mlpAnalysis,
  lstsqTheoryAnalysis,
  lstsqSimulationAnalysis,
  slopeAnalysis,
  smoothAnalysis,
  lstsqDataAnalysis,
  ciAnalysis,
  dependenceAnalysis,
  kaprekarAnalysis,
  curvefitAnalysis,
  lstsqGpt2Analysis,
  rsaQkvAnalysis,
  effdimAnalysis,
  biasAnalysis,
  lifeAnalysis,
  debiasAnalysis,
  kingqueenAnalysis,
  rsaWordsAnalysis,
];

export function getAnalysis(id: string): Analysis {
  const a = ANALYSES.find((x) => x.id === id.replace(/^\//, ''));
  if (!a) throw new Error(`Unknown analysis "${id}". Available: ${ANALYSES.map((x) => x.id).join(', ')}`);
  return a;
}
