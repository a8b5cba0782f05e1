// /zipf — the analysis of the post "Zipf's law in famous fiction: characters and GPT4 tokens".
import { defineAnalysisCommand } from '../src/commands/define.ts';

export default defineAnalysisCommand({
  analysis: 'zipf',
  description: "Zipf's law: character and GPT-4 token rank–frequency in classic novels",
});
