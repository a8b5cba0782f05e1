// /tokens — the analysis of the post "LLM breakdown 1/6: Tokenization (words to integers)".
import { defineAnalysisCommand } from '../src/commands/define.ts';

export default defineAnalysisCommand({
  analysis: 'tokens',
  description: 'How GPT-2, GPT-4 and GPT-4o tokenizers split a text (LLM breakdown 1/6)',
});
