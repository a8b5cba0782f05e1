// /lstsq-data — the analysis of the post "Least squares part 3: real data".
import { defineAnalysisCommand } from '../src/commands/define.ts';

export default defineAnalysisCommand({
  analysis: 'lstsq-data',
  description: 'Least squares on real data: pair plots, outlier cleaning and the OLS table with t and p values',
});
