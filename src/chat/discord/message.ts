// Discord message bodies for results, progress, errors and text replies. Pure: no network.
import type { APIEmbed, RawFile, RESTPatchAPIWebhookWithTokenMessageJSONBody } from 'discord.js';
import { escapeMarkdown, renderLiterals, splitLiterals } from '../../analyses/lib/literal.ts';
import { footerText } from '../../analyses/report.ts';
import type { AnalysisResult } from '../../analyses/types.ts';
import type { TextReply } from '../types.ts';

/** Used when the interaction carries no `attachment_size_limit` (the historical free-tier limit). */
export const DEFAULT_ATTACHMENT_LIMIT = 8 * 1024 * 1024;
/** Discord's limits (docs: Message / Embed limits). */
const MAX_ATTACHMENTS = 10;
const EMBED_TITLE_MAX = 256;
const EMBED_DESCRIPTION_MAX = 4096;
const EMBED_FOOTER_MAX = 2048;
const ATTACHMENT_DESCRIPTION_MAX = 1024;
const CONTENT_MAX = 2000;
const ACCENT = 0x4f7cac;

/** Echoed text must never ping: no @everyone, roles or users, whatever the text contains. */
export const NO_MENTIONS = { parse: [] as [] };

export interface DiscordMessage {
  body: RESTPatchAPIWebhookWithTokenMessageJSONBody;
  files: RawFile[];
}

export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

/**
 * The finished analysis: one embed (title → post, explanation, notebook link, footer with
 * model/seed/time) showing the first figure, the other figures as attachments. Figures over
 * the upload limit are named in the text instead of failing the whole reply.
 */
export function resultMessage(result: AnalysisResult, attachmentLimit = DEFAULT_ATTACHMENT_LIMIT): DiscordMessage {
  const fits = result.figures.filter((f) => f.png.length <= attachmentLimit);
  const attached = fits.slice(0, MAX_ATTACHMENTS);
  const notes: string[] = [];
  for (const f of result.figures) {
    if (f.png.length > attachmentLimit) notes.push(`⚠️ “${f.title}” (${mib(f.png.length)}) is over this server's ${mib(attachmentLimit)} upload limit, so it is not attached.`);
  }
  if (fits.length > attached.length) notes.push(`⚠️ ${fits.length - attached.length} more figure(s) left out: Discord allows ${MAX_ATTACHMENTS} attachments per message.`);

  const tail = [`📓 [Notebook](${result.notebookUrl})`, ...notes].join('\n');
  const room = EMBED_DESCRIPTION_MAX - tail.length - 2;
  const embed: APIEmbed = {
    title: truncate(result.title, EMBED_TITLE_MAX),
    url: result.postUrl,
    // The user's own text (prompts, words, file names) shows literally, never as Markdown.
    description: `${renderLiterals(truncate(result.explanation, room), escapeMarkdown)}\n\n${tail}`,
    footer: { text: truncate(footerText(result), EMBED_FOOTER_MAX) },
    color: ACCENT,
  };
  const fileName = (i: number) => `${attached[i]!.name}.png`;
  if (attached.length > 0) embed.image = { url: `attachment://${fileName(0)}` };

  return {
    body: {
      content: '',
      embeds: [embed],
      attachments: attached.map((f, i) => ({ id: i, filename: fileName(i), description: truncate(f.alt, ATTACHMENT_DESCRIPTION_MAX) })),
      allowed_mentions: NO_MENTIONS,
    },
    files: attached.map((f, i) => ({ name: fileName(i), data: f.png, contentType: 'image/png' })),
  };
}

/**
 * Error and progress text as Discord Markdown that cannot turn into anything: the project's
 * `code spans` stay code (inert by themselves), and everything else — where error messages echo
 * what the user typed: an option value, a file name, a command — is backslash-escaped, so no
 * masked link `[x](https://…)`, mention `<@…>`, emoji or formatting comes out of it. A backtick
 * run with no partner of the same length (CommonMark's rule, and Discord's) is escaped too, so
 * a user's stray backtick cannot open a code span that swallows the escaping. The user's
 * literal() spans are escaped as in explanations.
 */
export function inertMarkdown(text: string): string {
  return splitLiterals(text).map((seg) => (seg.literal ? escapeMarkdown(seg.text, seg.inCode) : escapeOutsideCode(seg.text))).join('');
}

/**
 * What makes Discord Markdown do something, escaped: links need `[`, mentions, channels, custom
 * emoji and timestamps need `<`, formatting needs * _ ~ | and a backslash; headings, quotes,
 * lists and subtext only start a line. Colons and parentheses stay as they are, so a message
 * reads normally ("n: must be at most 10000 (got 99999)").
 */
function escapeInline(s: string): string {
  return s
    .replace(/[\\*_~|<[\]]/g, (c) => `\\${c}`)
    .replace(/^(\s*)([#>-])/gm, '$1\\$2')
    .replace(/^(\s*)(\d+)\./gm, '$1$2\\.');
}

function escapeOutsideCode(text: string): string {
  let out = '';
  let i = 0;
  const runs = /`+/g;
  while (i < text.length) {
    runs.lastIndex = i;
    const open = runs.exec(text);
    if (!open) break;
    out += escapeInline(text.slice(i, open.index));
    // The closing run: the next run of exactly the same length.
    let close: RegExpExecArray | null;
    const after = open.index + open[0].length;
    runs.lastIndex = after;
    while ((close = runs.exec(text)) && close[0].length !== open[0].length);
    if (close) {
      out += text.slice(open.index, close.index + close[0].length); // a code span: shown as typed
      i = close.index + close[0].length;
    } else {
      out += open[0].replace(/`/g, '\\`');
      i = after;
    }
  }
  return out + escapeInline(text.slice(i));
}

/** Progress shows in the deferred reply's content ("⏳ running: layer 7/12"). */
export function progressMessage(text: string): DiscordMessage {
  return { body: { content: truncate(`⏳ ${inertMarkdown(text)}`, CONTENT_MAX), allowed_mentions: NO_MENTIONS }, files: [] };
}

/** An error, as plain text with the project's code spans (see inertMarkdown). */
export function errorMessage(message: string): DiscordMessage {
  return { body: { content: truncate(`⚠️ ${inertMarkdown(message)}`, CONTENT_MAX), embeds: [], allowed_mentions: NO_MENTIONS }, files: [] };
}

/** /help, /posts, /job: an embed with the text and its links; the user's literal() spans are escaped. */
export function textReplyMessage(reply: TextReply): DiscordMessage {
  const links = (reply.links ?? []).map((l) => `[${l.label}](${l.url})`).join(' · ');
  const text = renderLiterals(reply.text, escapeMarkdown);
  const description = links ? `${truncate(text, EMBED_DESCRIPTION_MAX - links.length - 2)}\n\n${links}` : truncate(text, EMBED_DESCRIPTION_MAX);
  const embed: APIEmbed = { description, color: ACCENT };
  if (reply.title) embed.title = truncate(reply.title, EMBED_TITLE_MAX);
  return { body: { content: '', embeds: [embed], allowed_mentions: NO_MENTIONS }, files: [] };
}
