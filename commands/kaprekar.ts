// /kaprekar — the analysis of the post "A kink in the universe at 6174".
import { defineAnalysisCommand } from '../src/commands/define.ts';

export default defineAnalysisCommand({
  analysis: 'kaprekar',
  description: 'Kaprekar\'s routine: iterations to 6174, the depth transition matrix, its eigenvalues',
});
