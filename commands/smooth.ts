// /smooth — the analysis of the post "Smooth numbers".
import { defineAnalysisCommand } from '../src/commands/define.ts';

export default defineAnalysisCommand({
  analysis: 'smooth',
  description: 'Smooth numbers: the largest prime factor of every integer to 10,000 and the B-smooth counts',
});
