// /embeddings — the analysis of the post "LLM breakdown 3/6: Embeddings".
import { defineAnalysisCommand } from '../src/commands/define.ts';

export default defineAnalysisCommand({
  analysis: 'embeddings',
  description: 'Token embeddings, t-SNE and the Germany/France mixture (LLM breakdown 3/6)',
});
