// One place that builds the Slack Web API client, so the bot and the workers agree on base URL
// and retries.
import { webApi } from '@slack/bolt';

export interface SlackWebConfig {
  SLACK_BOT_TOKEN?: string;
  /** Web API base ending with `/`, e.g. https://slack.com/api/ (tests point it at a fake). */
  SLACK_API_URL: string;
}

/**
 * Retries 429 (after Retry-After) and 5xx a few times over about five minutes — long enough to
 * ride out a Slack hiccup, short enough that a job does not hang for half an hour (the default).
 */
export function slackClientOptions(cfg: SlackWebConfig): webApi.WebClientOptions {
  return {
    slackApiUrl: cfg.SLACK_API_URL,
    retryConfig: webApi.retryPolicies.fiveRetriesInFiveMinutes,
    timeout: 30_000,
    logLevel: webApi.LogLevel.WARN,
  };
}

export function createSlackWebClient(cfg: SlackWebConfig): webApi.WebClient {
  if (!cfg.SLACK_BOT_TOKEN) throw new Error('SLACK_BOT_TOKEN is not set: cannot talk to Slack. Set it to the app\'s Bot User OAuth Token (xoxb-…).');
  return new webApi.WebClient(cfg.SLACK_BOT_TOKEN, slackClientOptions(cfg));
}
