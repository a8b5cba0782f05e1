// /heatmap — the analysis of the post "Drawing text heatmaps to visualize LLM calculations".
import { defineAnalysisCommand } from '../src/commands/define.ts';

export default defineAnalysisCommand({
  analysis: 'heatmap',
  description: 'Text heatmap of how well GPT-2 predicted each token',
});
