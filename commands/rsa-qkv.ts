// /rsa-qkv — the analysis of the post "Explore LLM word representations using similarity analysis, part 2".
import { defineAnalysisCommand } from '../src/commands/define.ts';

export default defineAnalysisCommand({
  analysis: 'rsa-qkv',
  description: "Similarity analysis (RSA) of queries, keys and values across blocks, with Cohen's d",
});
