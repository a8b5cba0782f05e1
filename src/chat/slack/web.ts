// One place that builds the Slack Web API client, so the bot and the workers agree on base URL
// and retries.
import { webApi } from '@slack/bolt';
import { DeliveryRefusedError } from '../../queue/delivery-ledger.ts';

export interface SlackWebConfig {
  SLACK_BOT_TOKEN?: string;
  /** Web API base ending with `/`, e.g. https://slack.com/api/ (tests point it at a fake). */
  SLACK_API_URL: string;
}

/**
 * Retries 429 (after Retry-After) and 5xx a few times over about five minutes — long enough to
 * ride out a Slack hiccup, short enough that a job does not hang for half an hour (the default).
 *
 * `retries: false` is for calls that are not idempotent (files.completeUploadExternal,
 * chat.postMessage): a retry the client makes on its own after an answer was lost can post the
 * same message twice, unseen by the delivery ledger. Such calls are retried by the deliverer,
 * which first checks what was already posted (src/chat/slack/deliver.ts); a 429 is then thrown
 * at once (WebAPIRateLimitedError, with its retryAfter) rather than waited out inside the client.
 */
export function slackClientOptions(cfg: SlackWebConfig, opts: { retries?: boolean } = {}): webApi.WebClientOptions {
  const retries = opts.retries ?? true;
  return {
    slackApiUrl: cfg.SLACK_API_URL,
    retryConfig: retries ? webApi.retryPolicies.fiveRetriesInFiveMinutes : { retries: 0 },
    ...(retries ? {} : { rejectRateLimitedCalls: true }),
    timeout: 30_000,
    logLevel: webApi.LogLevel.WARN,
  };
}

export function createSlackWebClient(cfg: SlackWebConfig, opts: { retries?: boolean } = {}): webApi.WebClient {
  // Refused, not failed: no retry brings the token (the delivery queue stops at once).
  if (!cfg.SLACK_BOT_TOKEN) throw new DeliveryRefusedError('SLACK_BOT_TOKEN is not set: cannot talk to Slack. Set it to the app\'s Bot User OAuth Token (xoxb-…).');
  return new webApi.WebClient(cfg.SLACK_BOT_TOKEN, slackClientOptions(cfg, opts));
}
