// /rsa-words — the analysis of the post "Explore LLM word representations using similarity analysis (part 1)".
import { defineAnalysisCommand } from '../src/commands/define.ts';

export default defineAnalysisCommand({
  analysis: 'rsa-words',
  description: 'Word embeddings in BERT and GPT-2: similarity matrices and their representational similarity',
});
