// /effdim — the analysis of the post "Effective dimensionality analysis of LLM transformers".
import { defineAnalysisCommand } from '../src/commands/define.ts';

export default defineAnalysisCommand({
  analysis: 'effdim',
  description: 'Effective dimensionality of hidden states: real vs shuffled text',
});
