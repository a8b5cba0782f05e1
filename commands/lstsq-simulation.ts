// /lstsq-simulation — the analysis of the post "Least squares part 2: explorations in simulations".
import { defineAnalysisCommand } from '../src/commands/define.ts';

export default defineAnalysisCommand({
  analysis: 'lstsq-simulation',
  description: 'Least squares part 2: simulate data, fit it back, R² and adjusted R² by sample size',
});
