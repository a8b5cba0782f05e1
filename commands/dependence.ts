// /dependence — the analysis of the posts "Two-variable dependence", parts 1–3.
import { defineAnalysisCommand } from '../src/commands/define.ts';

export default defineAnalysisCommand({
  analysis: 'dependence',
  description: 'Covariance vs. mutual information: simulations, permutation tests, Seoul bike data',
});
