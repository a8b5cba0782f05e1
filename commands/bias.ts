// /bias — the analysis of the post "Gender bias in large language models, part 1".
import { defineAnalysisCommand } from '../src/commands/define.ts';

export default defineAnalysisCommand({
  analysis: 'bias',
  description: 'Gender bias in BERT: he/she/they probabilities at the [MASK] of an occupation sentence',
});
