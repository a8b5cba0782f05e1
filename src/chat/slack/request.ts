// A Slack slash-command payload → the platform-neutral command request the dispatcher takes.
import type { SlashCommand } from '@slack/bolt';
import type { CommandRequest } from '../../commands/dispatch.ts';
import type { ParsedCommandText } from '../../commands/slack-text.ts';
import type { SlackTarget } from './deliver.ts';

export function commandRequest(payload: SlashCommand, parsed: ParsedCommandText): CommandRequest {
  const target: SlackTarget = { platform: 'slack', channelId: payload.channel_id, userId: payload.user_id };
  if (payload.team_id) target.teamId = payload.team_id;
  if (payload.response_url) target.responseUrl = payload.response_url;
  // Slack documents no thread field for slash commands; clients that run them in a thread send
  // thread_ts, and then the result belongs in that thread.
  const threadTs = (payload as SlashCommand & { thread_ts?: string }).thread_ts;
  if (threadTs) target.threadTs = threadTs;
  return {
    // trigger_id is unique per invocation and stable across Slack's redeliveries.
    requestId: `slack-${payload.trigger_id}`,
    command: parsed.command,
    rawOptions: parsed.rawOptions,
    ...(parsed.model ? { model: parsed.model } : {}),
    requester: { platform: 'slack', userId: payload.user_id, userName: payload.user_name },
    target,
  };
}
