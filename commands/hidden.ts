// /hidden — the analysis of the post "LLM breakdown 4/6: Transformer outputs (hidden states)".
import { defineAnalysisCommand } from '../src/commands/define.ts';

export default defineAnalysisCommand({
  analysis: 'hidden',
  description: 'Hidden states across layers and tokens (LLM breakdown 4/6)',
});
