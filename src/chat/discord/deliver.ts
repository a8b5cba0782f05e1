// The Discord Deliverer: workers use it to edit the deferred reply (progress, result, error).
// Interaction tokens last 15 minutes; a result that arrives later goes to the channel instead.
import { createHash } from 'node:crypto';
import { DiscordAPIError, RESTJSONErrorCodes, Routes, type APIEmbed, type REST } from 'discord.js';
import type { AnalysisResult } from '../../analyses/types.ts';
import { config } from '../../config.ts';
import type { ReplyTarget } from '../../queue/jobs.ts';
import type { Deliverer, Digest } from '../types.ts';
import { DEFAULT_ATTACHMENT_LIMIT, errorMessage, NO_MENTIONS, progressMessage, resultMessage, truncate, type DiscordMessage } from './message.ts';
import { createDiscordRest, type DiscordRestConfig } from './rest.ts';

export type DiscordTarget = Extract<ReplyTarget, { platform: 'discord' }>;

/** Stop using the token a little early: a request that starts at 14:59 may land after 15:00. */
const TOKEN_MARGIN_MS = 30_000;

export interface DiscordDelivererOptions {
  /** Use this client instead of building one from the config (the bot shares its own). */
  rest?: REST;
  now?: () => number;
}

export function createDiscordDeliverer(cfg: DiscordRestConfig = config, opts: DiscordDelivererOptions = {}): Deliverer<DiscordTarget> {
  // Built on first use, so a worker without Discord credentials can still load the registry.
  let rest = opts.rest;
  const client = () => (rest ??= createDiscordRest(cfg));
  const now = opts.now ?? Date.now;

  const tokenUsable = (t: DiscordTarget) => now() < t.tokenExpiresAt - TOKEN_MARGIN_MS;

  const editOriginal = (t: DiscordTarget, msg: DiscordMessage) =>
    // Interaction webhooks authenticate with the token in the path, not the bot token.
    client().patch(Routes.webhookMessage(t.applicationId, t.interactionToken, '@original'), { body: msg.body, files: msg.files, auth: false });

  const postToChannel = (t: DiscordTarget, msg: DiscordMessage) => {
    const { content, ...rest } = msg.body;
    // nonce + enforce_nonce: Discord drops a second message with the same nonce, so a job
    // retried after a crash cannot post the same result twice.
    const body = { ...rest, ...(content ? { content } : {}), nonce: t.interactionId.slice(0, 25), enforce_nonce: true };
    return client().post(Routes.channelMessages(t.channelId), { body, files: msg.files });
  };

  /** Edit the reply while the token lasts; otherwise (or when Discord says it expired) post to the channel. */
  const deliver = async (t: DiscordTarget, msg: DiscordMessage) => {
    if (tokenUsable(t)) {
      try {
        await editOriginal(t, msg);
        return;
      } catch (err) {
        if (!isExpiredToken(err)) throw err;
      }
    }
    await postToChannel(t, msg);
  };

  return {
    platform: 'discord',
    async progress(t, text) {
      // Progress is only worth showing in the reply itself; never spam the channel with it.
      if (!tokenUsable(t)) return;
      try {
        await editOriginal(t, progressMessage(text));
      } catch (err) {
        if (!isExpiredToken(err)) throw err;
      }
    },
    deliverResult: (t, result: AnalysisResult) => deliver(t, resultMessage(result, t.attachmentSizeLimit)),
    deliverError: (t, message) => deliver(t, errorMessage(message)),
    async postDigest(t, digest) {
      // No interaction to answer: a bot message in the channel. The nonce is the (channel,
      // period), so even a retried post after a lost response shows up once.
      const msg = digestMessage(digest);
      const nonce = createHash('sha256').update(digest.id).digest('hex').slice(0, 25);
      await client().post(Routes.channelMessages(t.channelId), { body: { ...msg.body, nonce, enforce_nonce: true }, files: msg.files });
    },
  };
}

/** A digest as one embed: linked title, summary, try-it, question and links, the headline figure as its image. */
export function digestMessage(d: Digest): DiscordMessage {
  const figure = d.figure && d.figure.png.length <= DEFAULT_ATTACHMENT_LIMIT ? d.figure : undefined;
  const lines = [d.summary, ''];
  if (d.tryIt) lines.push(`**Try it:** \`${d.tryIt.command}\` — ${d.tryIt.why}`, '');
  lines.push(`**Discuss:** ${d.question}`, '', `📖 [Read the post](${d.post.url}) · 📓 [Notebook](${d.post.notebookUrl})`);
  if (!figure && d.figureNote) lines.push('', `_${d.figureNote}_`);
  const footer = [d.post.sectionTitle, `post ${d.rotation.index} of ${d.rotation.total}`, d.period, ...(figure && d.figureNote ? [d.figureNote] : [])].join(' · ');
  const fileName = figure ? `${figure.name}.png` : undefined;
  const embed: APIEmbed = {
    author: { name: '📬 Post of the week' },
    title: truncate(d.post.title, 256),
    url: d.post.url,
    description: truncate(lines.join('\n'), 4096),
    footer: { text: truncate(footer, 2048) },
    color: 0x4f7cac,
    ...(fileName ? { image: { url: `attachment://${fileName}` } } : {}),
  };
  return {
    body: {
      embeds: [embed],
      attachments: figure ? [{ id: 0, filename: fileName!, description: truncate(figure.alt, 1024) }] : [],
      allowed_mentions: NO_MENTIONS,
    },
    files: figure ? [{ name: fileName!, data: figure.png, contentType: 'image/png' }] : [],
  };
}

/** Discord's answers when an interaction token is no longer valid. */
export function isExpiredToken(err: unknown): boolean {
  if (!(err instanceof DiscordAPIError)) return false;
  return err.code === RESTJSONErrorCodes.InvalidWebhookToken || err.code === RESTJSONErrorCodes.UnknownWebhook || err.status === 401;
}
