// /ci — the analysis of the post "Confidence intervals (parts 1–3)".
import { defineAnalysisCommand } from '../src/commands/define.ts';

export default defineAnalysisCommand({
  analysis: 'ci',
  description: 'Confidence intervals: t intervals vs SD, coverage, bootstrap, and the Arrhythmia data',
});
