// /curvefit — the analysis of the post "Nonlinear curve-fitting to data and distributions".
import { defineAnalysisCommand } from '../src/commands/define.ts';

export default defineAnalysisCommand({
  analysis: 'curvefit',
  description: 'Nonlinear curve fitting: a line, a sigmoid, an ellipse and a histogram, with standard errors',
});
