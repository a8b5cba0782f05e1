// /kingqueen — the analysis of the post "King − man + woman = queen" is fake news.
import { defineAnalysisCommand } from '../src/commands/define.ts';

export default defineAnalysisCommand({
  analysis: 'kingqueen',
  description: 'King − man + woman in BERT: nearest embeddings with and without the inputs, and in hidden states',
});
