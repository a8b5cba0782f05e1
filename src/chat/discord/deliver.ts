// The Discord Deliverer: workers use it to edit the deferred reply (progress, result, error).
// Interaction tokens last 15 minutes; a result that arrives later goes to the channel instead.
//
// Exactly once. Editing the reply is idempotent (doing it again leaves the same message), and a
// channel message carries a nonce with enforce_nonce, so Discord itself drops a repeat. A result
// with more figures than one message may carry (10 attachments) is posted as the reply plus
// follow-up messages in the channel (replies to it, each with its own nonce); each part's
// message id goes into the delivery ledger's notes once posted, so an attempt that resumes a
// delivery its worker died in the middle of (src/queue/delivery-ledger.ts) posts only the parts
// still missing. 5xx and network errors are retried by @discordjs/rest a few times, then by the
// delivery queue with backoff for minutes; a 4xx other than 429 is Discord refusing for good.
import { createHash } from 'node:crypto';
import { DiscordAPIError, RESTJSONErrorCodes, Routes, type APIEmbed, type APIMessage, type REST } from 'discord.js';
import type { AnalysisResult, Figure } from '../../analyses/types.ts';
import { config } from '../../config.ts';
import { DeliveryRefusedError, localAttempt, type DeliveryAttempt } from '../../queue/delivery-ledger.ts';
import type { ReplyTarget } from '../../queue/jobs.ts';
import type { Deliverer, Digest } from '../types.ts';
import { DEFAULT_ATTACHMENT_LIMIT, errorMessage, NO_MENTIONS, progressMessage, resultMessage, truncate, type DiscordMessage } from './message.ts';
import { createDiscordRest, type DiscordRestConfig } from './rest.ts';

export type DiscordTarget = Extract<ReplyTarget, { platform: 'discord' }>;

/** Stop using the token a little early: a request that starts at 14:59 may land after 15:00. */
const TOKEN_MARGIN_MS = 30_000;
/** Discord's limit of attachments per message. */
export const DISCORD_ATTACHMENTS_PER_MESSAGE = 10;
const EMBED_DESCRIPTION_MAX = 4096;

export interface DiscordDelivererOptions {
  /** Use this client instead of building one from the config (the bot shares its own). */
  rest?: REST;
  now?: () => number;
}

/** A part of a result already posted: its message id. */
type PartNote = { id: string };

export function createDiscordDeliverer(cfg: DiscordRestConfig = config, opts: DiscordDelivererOptions = {}): Deliverer<DiscordTarget> {
  // Built on first use, so a worker without Discord credentials can still load the registry.
  let rest = opts.rest;
  const client = () => (rest ??= createDiscordRest(cfg));
  const now = opts.now ?? Date.now;

  const tokenUsable = (t: DiscordTarget) => now() < t.tokenExpiresAt - TOKEN_MARGIN_MS;

  const editOriginal = (t: DiscordTarget, msg: DiscordMessage) =>
    // Interaction webhooks authenticate with the token in the path, not the bot token.
    client().patch(Routes.webhookMessage(t.applicationId, t.interactionToken, '@original'), { body: msg.body, files: msg.files, auth: false }) as Promise<APIMessage>;

  /** A channel message, deduplicated by Discord through its nonce (at most 25 characters). */
  const postToChannel = (t: DiscordTarget, msg: DiscordMessage, nonce: string, replyTo?: string) => {
    const { content, ...rest } = msg.body;
    const body = {
      ...rest, ...(content ? { content } : {}), nonce: nonce.slice(0, 25), enforce_nonce: true,
      ...(replyTo ? { message_reference: { message_id: replyTo, fail_if_not_exists: false } } : {}),
    };
    return client().post(Routes.channelMessages(t.channelId), { body, files: msg.files }) as Promise<APIMessage>;
  };

  /** Edit the reply while the token lasts; otherwise (or when Discord says it expired) post to the channel. */
  const deliver = async (t: DiscordTarget, msg: DiscordMessage): Promise<APIMessage> => {
    if (tokenUsable(t)) {
      try {
        return await editOriginal(t, msg);
      } catch (err) {
        if (!isExpiredToken(err)) throw refused(err);
      }
    }
    // nonce + enforce_nonce: Discord drops a second message with the same nonce, so a job
    // retried after a crash cannot post the same result twice.
    return postToChannel(t, msg, t.interactionId).catch((err: unknown) => { throw refused(err); });
  };

  /** A follow-up part: to the channel (deduplicated by its nonce), or as an interaction follow-up where the bot may not post. */
  const postPart = async (t: DiscordTarget, msg: DiscordMessage, key: string, replyTo: string | undefined): Promise<APIMessage> => {
    const nonce = createHash('sha256').update(`${t.interactionId}:${key}`).digest('hex');
    try {
      return await postToChannel(t, msg, nonce, replyTo);
    } catch (err) {
      if (!(isNoAccess(err) && tokenUsable(t))) throw refused(err);
    }
    const followUp = client().post(Routes.webhook(t.applicationId, t.interactionToken), { body: msg.body, files: msg.files, auth: false }) as Promise<APIMessage>;
    return followUp.catch((err: unknown) => { throw refused(err); });
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
    async deliverResult(t, result: AnalysisResult, attempt: DeliveryAttempt = localAttempt()) {
      const limit = t.attachmentSizeLimit ?? DEFAULT_ATTACHMENT_LIMIT;
      const fits = result.figures.filter((f) => f.png.length <= limit);
      const oversized = result.figures.filter((f) => f.png.length > limit);
      const first = fits.slice(0, DISCORD_ATTACHMENTS_PER_MESSAGE);
      const rest = chunk(fits.slice(DISCORD_ATTACHMENTS_PER_MESSAGE), DISCORD_ATTACHMENTS_PER_MESSAGE);
      // The first message: what resultMessage makes of the first 10 figures (and the notes on
      // figures over the upload limit), and a line saying where the others are.
      const main = resultMessage({ ...result, figures: [...first, ...oversized] }, limit);
      if (rest.length > 0) {
        const more = fits.length - first.length;
        const line = `➕ ${more} more figure${more === 1 ? '' : 's'} in the next message${rest.length === 1 ? '' : 's'}.`;
        const embed = main.body.embeds![0]!;
        embed.description = truncate(embed.description ?? '', EMBED_DESCRIPTION_MAX - line.length - 1) + `\n${line}`;
      }
      let mainId = attempt.note<PartNote>('discord:main')?.id;
      if (!mainId) {
        mainId = (await deliver(t, main)).id;
        await attempt.record('discord:main', { id: mainId } satisfies PartNote);
      }
      for (const [i, figures] of rest.entries()) {
        const key = `discord:part:${i + 1}`;
        if (attempt.note<PartNote>(key)) continue;
        const from = first.length + i * DISCORD_ATTACHMENTS_PER_MESSAGE + 1;
        const msg = figuresMessage(`**${truncate(result.title, 200)}** — figures ${from}–${from + figures.length - 1} of ${fits.length}`, figures);
        const posted = await postPart(t, msg, key, mainId);
        await attempt.record(key, { id: posted.id } satisfies PartNote);
      }
    },
    deliverError: async (t, message) => void (await deliver(t, errorMessage(message))),
    async postDigest(t, digest) {
      // No interaction to answer: a bot message in the channel. The nonce is the (channel,
      // period), so even a retried post after a lost response shows up once.
      const msg = digestMessage(digest);
      const nonce = createHash('sha256').update(digest.id).digest('hex').slice(0, 25);
      await client().post(Routes.channelMessages(t.channelId), { body: { ...msg.body, nonce, enforce_nonce: true }, files: msg.files });
    },
  };
}

export function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** A follow-up with figures only: a short heading and the PNGs, each with its alt text. */
export function figuresMessage(heading: string, figures: Figure[]): DiscordMessage {
  const fileName = (f: Figure) => `${f.name}.png`;
  return {
    body: {
      content: truncate(heading, 2000),
      attachments: figures.map((f, i) => ({ id: i, filename: fileName(f), description: truncate(f.alt, 1024) })),
      allowed_mentions: NO_MENTIONS,
    },
    files: figures.map((f) => ({ name: fileName(f), data: f.png, contentType: 'image/png' })),
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

/** The bot may not post in the channel (not in the server, or without the permission). */
function isNoAccess(err: unknown): boolean {
  return err instanceof DiscordAPIError && (err.code === RESTJSONErrorCodes.MissingAccess || err.code === RESTJSONErrorCodes.MissingPermissions || err.status === 403);
}

/**
 * Discord refusing for good (a 4xx other than 429: unknown channel, missing permission, a body it
 * rejects) becomes a DeliveryRefusedError, so the delivery queue stops retrying and tells the
 * user; 5xx and network errors stay as they are, to be retried.
 */
function refused(err: unknown): unknown {
  if (err instanceof DiscordAPIError && err.status >= 400 && err.status < 500 && err.status !== 429) {
    const why = isNoAccess(err) ? 'I may not post in this channel (Discord: missing access or permission).' : `Discord refused the post: ${err.message}.`;
    return new DeliveryRefusedError(why, { cause: err });
  }
  return err;
}

/** Discord's answers when an interaction token is no longer valid. */
export function isExpiredToken(err: unknown): boolean {
  if (!(err instanceof DiscordAPIError)) return false;
  return err.code === RESTJSONErrorCodes.InvalidWebhookToken || err.code === RESTJSONErrorCodes.UnknownWebhook || err.status === 401;
}
