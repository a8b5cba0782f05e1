// The text of a result as chat shows it, and the JSON written next to the figures.
import { escapeMarkdown, plainText, renderLiterals } from './lib/literal.ts';
import type { AnalysisResult } from './types.ts';

export function resultMarkdown(r: AnalysisResult): string {
  const lines = [`## ${r.title}`, '', renderLiterals(r.explanation, escapeMarkdown), '', `📖 [Read the post](${r.postUrl}) · 📓 [Notebook](${r.notebookUrl})`, '', footerText(r)];
  return lines.join('\n');
}

/** Model, seed and timing, as in a Discord embed footer. */
export function footerText(r: AnalysisResult): string {
  const parts: string[] = [];
  if (r.model) parts.push(`model ${r.model.name}${r.model.tinyRandom ? ' (tiny random)' : ''}`);
  if (r.seed !== null) parts.push(`seed ${r.seed}`);
  parts.push(`${(r.timings.totalMs / 1000).toFixed(2)} s`);
  if (r.cachedAt !== undefined) parts.push(`from the cache (computed ${new Date(r.cachedAt).toISOString().slice(0, 16).replace('T', ' ')} UTC)`);
  return parts.join(' · ');
}

/** result.json: everything but the PNG bytes, which are written as files. */
export function resultJson(r: AnalysisResult): string {
  const { figures, ...rest } = r;
  return JSON.stringify({ ...rest, explanation: plainText(rest.explanation), figures: figures.map((f) => ({ name: f.name, file: `${f.name}.png`, title: f.title, alt: f.alt })) }, null, 2);
}
