// /slope — the analysis of the post "Correlation vs. best-fit line (regression)".
import { defineAnalysisCommand } from '../src/commands/define.ts';

export default defineAnalysisCommand({
  analysis: 'slope',
  description: 'Correlation vs. regression slope: scale x or y and only the slope moves; slope = r·sy/sx',
});
