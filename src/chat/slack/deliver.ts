// The Slack Deliverer: workers use it to post results to the channel (or thread) with the
// external upload flow (files.uploadV2), and to update the requester's ephemeral "queued" note.
import type { webApi } from '@slack/bolt';
import type { AnalysisResult } from '../../analyses/types.ts';
import { config } from '../../config.ts';
import type { ReplyTarget } from '../../queue/jobs.ts';
import type { Deliverer, Digest } from '../types.ts';
import { escapeSlackText, resultComment, slackLink } from './mrkdwn.ts';
import { replaceEphemeral, ResponseUrlBudget } from './response-url.ts';
import { createSlackWebClient, type SlackWebConfig } from './web.ts';

export type SlackTarget = Extract<ReplyTarget, { platform: 'slack' }>;

export interface SlackDelivererOptions {
  /** Use this client instead of building one from the config (the bot shares its own). */
  client?: webApi.WebClient;
}

export function createSlackDeliverer(cfg: SlackWebConfig = config, opts: SlackDelivererOptions = {}): Deliverer<SlackTarget> {
  // Built on first use, so a worker without Slack credentials can still load the registry.
  let web = opts.client;
  const client = () => (web ??= createSlackWebClient(cfg));
  const budget = new ResponseUrlBudget();

  /** Best effort: the note is a courtesy, and its URL may have expired or run out of uses. */
  const updateNote = async (url: string, text: string): Promise<boolean> => {
    try {
      await replaceEphemeral(url, text);
      return true;
    } catch {
      return false;
    }
  };

  return {
    platform: 'slack',
    async progress(t, text) {
      if (t.responseUrl && budget.takeForProgress(t.responseUrl)) await updateNote(t.responseUrl, `⏳ ${escapeSlackText(text)}`);
    },

    async deliverResult(t, result: AnalysisResult) {
      const comment = resultComment(result);
      const thread = t.threadTs ? { thread_ts: t.threadTs } : {};
      if (result.figures.length > 0) {
        await client().files.uploadV2({
          channel_id: t.channelId,
          ...thread,
          initial_comment: comment,
          file_uploads: result.figures.map((f) => ({ file: f.png, filename: `${f.name}.png`, title: f.title, alt_text: f.alt })),
        });
      } else {
        await client().chat.postMessage({ channel: t.channelId, ...thread, text: comment, unfurl_links: false });
      }
      if (t.responseUrl && budget.takeFinal(t.responseUrl)) await updateNote(t.responseUrl, `✅ Posted *${escapeSlackText(result.title)}* ${t.threadTs ? 'in the thread' : 'in the channel'}.`);
    },

    async deliverError(t, message) {
      const text = `⚠️ ${escapeSlackText(message)}`;
      if (t.responseUrl && budget.takeFinal(t.responseUrl) && (await updateNote(t.responseUrl, text))) return;
      await client().chat.postEphemeral({ channel: t.channelId, user: t.userId, text, ...(t.threadTs ? { thread_ts: t.threadTs } : {}) });
    },

    async postDigest(t, digest) {
      // To the channel, never a thread: the digest is for everyone who reads there.
      const text = digestMrkdwn(digest);
      if (digest.figure) {
        const f = digest.figure;
        await client().files.uploadV2({ channel_id: t.channelId, initial_comment: text, file_uploads: [{ file: f.png, filename: `${f.name}.png`, title: f.title, alt_text: f.alt }] });
      } else {
        await client().chat.postMessage({ channel: t.channelId, text, unfurl_links: false });
      }
    },
  };
}

/** A digest as mrkdwn, everything escaped: it becomes the headline figure's comment. */
export function digestMrkdwn(d: Digest): string {
  const lines = [`*📬 Post of the week: ${slackLink(d.post.url, d.post.title)}*`, escapeSlackText(d.summary), ''];
  if (d.tryIt) lines.push(`*Try it:* \`${escapeSlackText(d.tryIt.command)}\` — ${escapeSlackText(d.tryIt.why)}`);
  lines.push(`*Discuss:* ${escapeSlackText(d.question)}`, '', `📖 ${slackLink(d.post.url, 'Read the post')} · 📓 ${slackLink(d.post.notebookUrl, 'Notebook')}`);
  const meta = [d.post.sectionTitle, `post ${d.rotation.index} of ${d.rotation.total}`, d.period, ...(d.figureNote ? [d.figureNote] : [])].join(' · ');
  lines.push(`_${escapeSlackText(meta)}_`);
  return lines.join('\n');
}
