// /logits — the analysis of the post "LLM breakdown 2/6: Logits and next-token prediction".
import { defineAnalysisCommand } from '../src/commands/define.ts';

export default defineAnalysisCommand({
  analysis: 'logits',
  description: 'Logits, softmax and sampling of the next token (LLM breakdown 2/6)',
});
