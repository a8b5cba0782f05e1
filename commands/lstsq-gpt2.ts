// /lstsq-gpt2 — the analysis of the post "Least squares part 4: modeling GPT activations".
import { defineAnalysisCommand } from '../src/commands/define.ts';

export default defineAnalysisCommand({
  analysis: 'lstsq-gpt2',
  description: "Regress each block's attention-output norms on the previous tokens' (OLS, t and p)",
});
