// The Discord Deliverer: workers use it to edit the deferred reply (progress, result, error).
// Interaction tokens last 15 minutes; a result that arrives later goes to the channel instead.
import { DiscordAPIError, RESTJSONErrorCodes, Routes, type REST } from 'discord.js';
import type { AnalysisResult } from '../../analyses/types.ts';
import { config } from '../../config.ts';
import type { ReplyTarget } from '../../queue/jobs.ts';
import type { Deliverer } from '../types.ts';
import { errorMessage, progressMessage, resultMessage, type DiscordMessage } from './message.ts';
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
  };
}

/** Discord's answers when an interaction token is no longer valid. */
export function isExpiredToken(err: unknown): boolean {
  if (!(err instanceof DiscordAPIError)) return false;
  return err.code === RESTJSONErrorCodes.InvalidWebhookToken || err.code === RESTJSONErrorCodes.UnknownWebhook || err.status === 401;
}
