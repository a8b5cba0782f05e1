// /correlation — the analysis of the post "Correlation vs. cosine similarity".
import { defineAnalysisCommand } from '../src/commands/define.ts';

export default defineAnalysisCommand({
  analysis: 'correlation',
  description: 'Correlation vs. cosine similarity: simulated scatter plots and the sweep over r',
});
