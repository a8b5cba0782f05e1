// /debias — the analysis of the post "Gender bias in large language models, part 2".
import { defineAnalysisCommand } from '../src/commands/define.ts';

export default defineAnalysisCommand({
  analysis: 'debias',
  description: 'Gender bias in BERT, part 2: swap one layer\'s state at the [MASK] for a he/she mix, layer by layer',
});
