// Who may change a channel's digest (subscribe, unsubscribe, post one now): its admins.
//   Discord: Manage Channels or Manage Server in the channel — the front reads it from the
//            interaction's member permissions (Requester.channelAdmin).
//   Slack:   workspace admins and owners (users.info), or the users in SLACK_DIGEST_ADMINS.
//   Web:     the playground runs on your own machine, so you administer its channel.
import type { webApi } from '@slack/bolt';
import { config } from '../config.ts';
import type { ReplyTarget, Requester } from '../queue/jobs.ts';

export type AdminCheck = { admin: true } | { admin: false; why: string };

export interface AdminDeps {
  /** Slack user ids allowed besides workspace admins (SLACK_DIGEST_ADMINS). */
  slackAllowList: readonly string[];
  slackClient: () => Promise<webApi.WebClient>;
}

export function parseAllowList(text: string | undefined): string[] {
  return (text ?? '').split(',').map((s) => s.trim()).filter(Boolean);
}

let slackClient: Promise<webApi.WebClient> | undefined;
const defaultDeps = (): AdminDeps => ({
  slackAllowList: parseAllowList(config.SLACK_DIGEST_ADMINS),
  // Loaded on first use: every process that loads the commands should not load Bolt with them.
  slackClient: () => (slackClient ??= import('../chat/slack/web.ts').then((m) => m.createSlackWebClient(config))),
});

const DISCORD_RULE = 'Only members with Manage Channels or Manage Server can change this channel\'s digest.';
const SLACK_RULE = 'Only workspace admins and owners (or the users in SLACK_DIGEST_ADMINS) can change this channel\'s digest.';

export async function checkChannelAdmin(requester: Requester, target: ReplyTarget, deps: AdminDeps = defaultDeps()): Promise<AdminCheck> {
  switch (target.platform) {
    case 'web':
      return { admin: true };
    case 'discord':
      return requester.channelAdmin === true ? { admin: true } : { admin: false, why: DISCORD_RULE };
    case 'slack': {
      if (requester.channelAdmin === true || deps.slackAllowList.includes(requester.userId)) return { admin: true };
      let user: { is_admin?: boolean; is_owner?: boolean; is_primary_owner?: boolean } | undefined;
      try {
        user = (await (await deps.slackClient()).users.info({ user: requester.userId })).user;
      } catch (err) {
        // Most often the app lacks the users:read scope; say so rather than a bare "no".
        const code = (err as { data?: { error?: string } }).data?.error ?? (err instanceof Error ? err.message : String(err));
        return { admin: false, why: `${SLACK_RULE} (Could not look you up with users.info: ${code}.)` };
      }
      return user?.is_admin || user?.is_owner || user?.is_primary_owner ? { admin: true } : { admin: false, why: SLACK_RULE };
    }
  }
}
