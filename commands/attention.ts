// /attention — the analysis of the post "LLM breakdown 5/6: Attention".
import { defineAnalysisCommand } from '../src/commands/define.ts';

export default defineAnalysisCommand({
  analysis: 'attention',
  description: 'Q/K/V, attention scores and head lesions (LLM breakdown 5/6)',
});
