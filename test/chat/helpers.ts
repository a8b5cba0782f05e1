// Shared by the chat tests: a real PNG, a finished analysis result, a quiet logger.
import { createCanvas } from '@napi-rs/canvas';
import type { AnalysisResult, Figure } from '../../src/analyses/types.ts';
import type { Log } from '../../src/chat/front.ts';

export function png(width = 32, height = 24, colour = '#4f7cac'): Buffer {
  const c = createCanvas(width, height);
  const g = c.getContext('2d');
  g.fillStyle = colour;
  g.fillRect(0, 0, width, height);
  return c.toBuffer('image/png');
}

export function figure(name: string, bytes = png()): Figure {
  return { name, title: `Figure ${name}`, alt: `A test figure called ${name}`, png: bytes };
}

export function sampleResult(over: Partial<AnalysisResult> = {}): AnalysisResult {
  return {
    analysis: 'correlation',
    title: 'Correlation vs. cosine similarity',
    explanation: 'Correlation is **cosine similarity** after mean-centring. Try `offset:5` next. Echoed: @everyone <!channel> <@U123> & friends.',
    postUrl: 'https://mikexcohen.substack.com/p/correlation-vs-cosine-similarity',
    notebookUrl: 'https://github.com/mikexcohen/Substack/blob/main/DSUnpacked/Correlation_vs_cosineSimilarity.ipynb',
    model: null,
    seed: 42,
    options: { n: 100, seed: 42 },
    timings: { computeMs: 10, renderMs: 20, totalMs: 31 },
    figures: [figure('scatter'), figure('sweep', png(40, 30, '#c05050'))],
    data: {},
    ...over,
  };
}

/** Collects log lines so a test can show them when it fails, without printing otherwise. */
export function quietLog(): Log & { lines: unknown[] } {
  const lines: unknown[] = [];
  const push = (level: string) => (obj: object, msg?: string) => void lines.push({ level, msg, ...obj });
  return { lines, info: push('info'), warn: push('warn'), error: push('error') };
}
