// Text for Slack: escape what users wrote, then turn our Markdown into Slack's mrkdwn.
// Slack reads `<...>` as mentions and links (<!channel>, <@U123>, <https://x|y>); escaping
// &, < and > is what Slack documents to make text inert.
import { codeSafe, renderLiterals } from '../../analyses/lib/literal.ts';
import { footerText } from '../../analyses/report.ts';
import type { AnalysisResult } from '../../analyses/types.ts';
import type { TextReply } from '../types.ts';

export function escapeSlackText(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** A link Slack renders; label escaped, and `|` (Slack's separator) removed from it. */
export function slackLink(url: string, label: string): string {
  return `<${escapeSlackText(url)}|${escapeSlackText(label).replace(/\|/g, '¦')}>`;
}

/**
 * Markdown (as the analyses write it) → mrkdwn, on text that is escaped first, so nothing a user
 * typed can become a mention. Only http(s) links are rebuilt: `[x](!channel)` stays plain text.
 */
export function markdownToMrkdwn(markdown: string): string {
  return renderLiterals(markdown, slackLiteral, (part) => escapeSlackText(part)
    .replace(/^#{1,6}\s+(.+)$/gm, '*$1*')
    .replace(/\*\*(.+?)\*\*/g, '*$1*')
    .replace(/\[([^\]\n]+)\]\((https?:\/\/[^\s)]+)\)/g, (_m, label: string, url: string) => `<${url}|${label.replace(/\|/g, '¦')}>`));
}

/**
 * A user's text in mrkdwn: Slack has no escape for *, _ and ~, so a zero-width space after each
 * keeps them from pairing up into formatting; a backtick becomes a look-alike so no code span
 * opens or closes; & < > are escaped as everywhere.
 */
function slackLiteral(s: string, inCode: boolean): string {
  const safe = escapeSlackText(codeSafe(s));
  return inCode ? safe : safe.replace(/[*_~]/g, (c) => `${c}\u200B`);
}

/**
 * An error as mrkdwn: all of it escaped (error messages echo what the user typed, and & < > are
 * what Slack needs for a link or a mention), the user's literal() spans as in explanations.
 */
export function errorMrkdwn(message: string): string {
  return renderLiterals(message, slackLiteral, escapeSlackText);
}

/** Slack advises ≤ 4,000 characters for a message's text and cuts it off at 40,000. */
const COMMENT_MAX = 4000;
const TEXT_MAX = 39_000;

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** The comment posted with the figures: linked title, explanation, notebook link, footer. */
export function resultComment(r: AnalysisResult): string {
  const head = `*${slackLink(r.postUrl, r.title)}*`;
  const tail = `📓 ${slackLink(r.notebookUrl, 'Notebook')}\n_${escapeSlackText(footerText(r))}_`;
  // Clip the source, not the mrkdwn, so an escape or a link is never cut in half.
  const room = COMMENT_MAX - head.length - tail.length - 4;
  return `${head}\n${markdownToMrkdwn(clip(r.explanation, room))}\n\n${tail}`;
}

export function textReplyMrkdwn(reply: TextReply): string {
  const parts: string[] = [];
  if (reply.title) parts.push(`*${escapeSlackText(reply.title)}*`);
  parts.push(markdownToMrkdwn(clip(reply.text, TEXT_MAX)));
  if (reply.links?.length) parts.push(reply.links.map((l) => slackLink(l.url, l.label)).join(' · '));
  return parts.join('\n');
}
