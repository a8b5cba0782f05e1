// /life — the analysis of the post "Lessons on life and humor from GPT2".
import { defineAnalysisCommand } from '../src/commands/define.ts';

export default defineAnalysisCommand({
  analysis: 'life',
  description: "Lessons on life and humor from GPT-2: the notebook's questions, sampled with top-k and top-p",
});
