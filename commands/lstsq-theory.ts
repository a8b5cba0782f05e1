// /lstsq-theory — the analysis of the post "Least squares part 1: theory, math, code".
import { defineAnalysisCommand } from '../src/commands/define.ts';

export default defineAnalysisCommand({
  analysis: 'lstsq-theory',
  description: 'Least squares part 1: the regression picture, normal equations vs lstsq, residuals',
});
