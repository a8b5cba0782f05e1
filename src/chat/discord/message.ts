// Discord message bodies for results, progress, errors and text replies. Pure: no network.
import type { APIEmbed, RawFile, RESTPatchAPIWebhookWithTokenMessageJSONBody } from 'discord.js';
import { escapeMarkdown, renderLiterals } from '../../analyses/lib/literal.ts';
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

/** Progress shows in the deferred reply's content ("⏳ running: layer 7/12"). */
export function progressMessage(text: string): DiscordMessage {
  return { body: { content: truncate(`⏳ ${text}`, CONTENT_MAX), allowed_mentions: NO_MENTIONS }, files: [] };
}

export function errorMessage(message: string): DiscordMessage {
  return { body: { content: truncate(`⚠️ ${message}`, CONTENT_MAX), embeds: [], allowed_mentions: NO_MENTIONS }, files: [] };
}

/** /help, /posts, /job: an embed with the text and its links. */
export function textReplyMessage(reply: TextReply): DiscordMessage {
  const links = (reply.links ?? []).map((l) => `[${l.label}](${l.url})`).join(' · ');
  const description = links ? `${truncate(reply.text, EMBED_DESCRIPTION_MAX - links.length - 2)}\n\n${links}` : truncate(reply.text, EMBED_DESCRIPTION_MAX);
  const embed: APIEmbed = { description, color: ACCENT };
  if (reply.title) embed.title = truncate(reply.title, EMBED_TITLE_MAX);
  return { body: { content: '', embeds: [embed], allowed_mentions: NO_MENTIONS }, files: [] };
}
