// /fourier — the analysis of the post "The Fourier transform, explained with for-loops".
import { defineAnalysisCommand } from '../src/commands/define.ts';

export default defineAnalysisCommand({
  analysis: 'fourier',
  description: 'The Fourier transform as a loop of dot products, compared with an FFT',
});
