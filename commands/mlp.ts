// /mlp — the analysis of the post "LLM breakdown 6/6: MLP".
import { defineAnalysisCommand } from '../src/commands/define.ts';

export default defineAnalysisCommand({
  analysis: 'mlp',
  description: 'MLP expansion, GELU and unit knockouts (LLM breakdown 6/6)',
});
