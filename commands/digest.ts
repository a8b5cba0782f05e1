// /digest — a "post of the week" for this channel: subscribe (admins), unsubscribe (admins),
// status, preview (what the next digest will feature) and now (post the next one at once).
import { z } from 'zod';
import { OptionError } from '../src/analyses/types.ts';
import { findPost, notebookUrl } from '../src/catalog/posts.ts';
import type { TextReply } from '../src/chat/types.ts';
import { defineTextCommand, SUBCOMMAND_OPTION, type Subcommand } from '../src/commands/define.ts';
import { invocation } from '../src/commands/usage.ts';
import { config } from '../src/config.ts';
import { checkChannelAdmin } from '../src/digest/admin.ts';
import { tryItFor } from '../src/digest/compose.ts';
import { digestContent, ROTATION } from '../src/digest/content.ts';
import { describeTime } from '../src/digest/period.ts';
import { digestQueue, nowJobIdFor, type DigestJob } from '../src/digest/queue.ts';
import { Rotation } from '../src/digest/rotation.ts';
import {
  customSchedule, DEFAULT_DAY, DEFAULT_TIME, DEFAULT_TIMEZONE, parseTimeOfDay, parseTimeZone, weeklySchedule, WEEKDAYS,
} from '../src/digest/schedule.ts';
import { channelTarget, Subscriptions } from '../src/digest/subscriptions.ts';
import { channelOf } from '../src/queue/admission.ts';
import type { ReplyTarget } from '../src/queue/jobs.ts';

const SUBCOMMANDS = [
  { name: 'subscribe', description: 'Post a digest here every week (channel admins)', options: ['day', 'time', 'timezone'] },
  { name: 'unsubscribe', description: 'Stop this channel\'s digests (channel admins)', options: [] },
  { name: 'status', description: 'This channel\'s digest schedule, the last and the next post', options: [] },
  { name: 'preview', description: 'What the next digest will feature (only you see it)', options: [] },
  { name: 'now', description: 'Post the next digest here right away (channel admins)', options: [] },
] as const satisfies readonly Subcommand[];
type Verb = (typeof SUBCOMMANDS)[number]['name'];
const VERBS = SUBCOMMANDS.map((s) => s.name) as [Verb, ...Verb[]];

/**
 * `/digest now` is keyed by the invocation, so a platform re-sending the same interaction adds no
 * second digest. Slack sends no id with the target and does not re-send slash commands.
 */
function invocationId(target: ReplyTarget, channel: string): string {
  if (target.platform === 'discord') return `discord-${target.interactionId}`;
  if (target.platform === 'web' && target.requestId) return `web-${target.requestId}`;
  return `${channel}-${Date.now()}`;
}

/** Verbs that change what the channel receives: only its admins may use them. */
const ADMIN_VERBS: readonly Verb[] = ['subscribe', 'unsubscribe', 'now'];

export default defineTextCommand({
  name: 'digest',
  description: 'A post of the week for this channel: subscribe, unsubscribe, status, preview, now',
  options: z.object({
    [SUBCOMMAND_OPTION]: z.enum(VERBS).default('status').describe('What to do: subscribe, unsubscribe, status, preview or now'),
    day: z.enum(WEEKDAYS).optional().describe(`Weekday of the digest (default ${DEFAULT_DAY})`),
    time: z.string().min(1).max(8).optional().describe(`Time of day, HH:MM on a 24-hour clock (default ${DEFAULT_TIME})`),
    timezone: z.string().min(1).max(64).optional().describe(`IANA time zone, e.g. Europe/Berlin (default ${DEFAULT_TIMEZONE})`),
  }).strict(),
  subcommands: SUBCOMMANDS,
  ephemeral: true,
  async execute(options, ctx): Promise<TextReply> {
    const verb = options[SUBCOMMAND_OPTION];
    const platform = ctx.requester.platform;
    const own = SUBCOMMANDS.find((s) => s.name === verb)!.options as readonly string[];
    for (const name of ['day', 'time', 'timezone'] as const) {
      if (options[name] !== undefined && !own.includes(name)) {
        throw new OptionError(name, `only \`${invocation(platform, 'digest', 'subscribe')}\` takes it`);
      }
    }
    if (ADMIN_VERBS.includes(verb)) {
      const check = await checkChannelAdmin(ctx.requester, ctx.target);
      if (!check.admin) return { title: 'Digest: not changed', text: `${check.why}\n\nAnyone can use \`${invocation(platform, 'digest', 'status')}\` and \`${invocation(platform, 'digest', 'preview')}\`.` };
    }

    const rt = ctx.runtime;
    const channel = channelOf(ctx.target);
    const subs = new Subscriptions(rt);
    const rotation = new Rotation(rt, ROTATION);

    const nextPostLine = async () => {
      const next = await rotation.peek(channel);
      return `Next in the rotation: **${findPost(next.postId)?.title ?? next.postId}** (post ${next.index} of ${ROTATION.length}).`;
    };

    switch (verb) {
      case 'subscribe': {
        const tz = parseTimeZone(options.timezone ?? DEFAULT_TIMEZONE);
        const schedule = config.DIGEST_CRON
          ? customSchedule(config.DIGEST_CRON, tz)
          : weeklySchedule(options.day ?? DEFAULT_DAY, parseTimeOfDay(options.time ?? DEFAULT_TIME), tz);
        await subs.subscribe(channel, ctx.target, schedule, ctx.requester);
        const next = await subs.nextRun(channel);
        return {
          title: 'Digest subscribed',
          text: [
            `This channel gets a post of the week ${schedule.label}.`,
            next !== null ? `First digest: ${describeTime(next, tz)}.` : '',
            await nextPostLine(),
            `\`${invocation(platform, 'digest', 'preview')}\` shows it; \`${invocation(platform, 'digest', 'unsubscribe')}\` stops the digests.`,
          ].filter(Boolean).join('\n'),
        };
      }
      case 'unsubscribe': {
        const removed = await subs.unsubscribe(channel);
        return removed
          ? { title: 'Digest unsubscribed', text: 'No more digests in this channel. Its place in the rotation is kept, should you subscribe again.' }
          : { title: 'Digest', text: `This channel has no digest subscription. \`${invocation(platform, 'digest', 'subscribe')}\` starts one.` };
      }
      case 'status': {
        const [sub, last, next] = await Promise.all([subs.get(channel), subs.lastPosted(channel), subs.nextRun(channel)]);
        const lines = [
          sub ? `Subscribed: a digest ${sub.schedule.label}, set up by ${sub.by.userName ?? sub.by.userId}.` : `No digest subscription here. \`${invocation(platform, 'digest', 'subscribe')}\` starts one (channel admins).`,
        ];
        if (sub && next !== null) lines.push(`Next digest: ${describeTime(next, sub.schedule.tz)}.`);
        if (last) lines.push(`Last digest: **${last.title}** (${last.period}).`);
        lines.push(await nextPostLine());
        return { title: 'Digest status', text: lines.join('\n') };
      }
      case 'preview': {
        const next = await rotation.peek(channel);
        const post = findPost(next.postId)!;
        const tryIt = tryItFor(post, platform);
        const lines = [post.summary, ''];
        if (tryIt) lines.push(`Try it: \`${tryIt.command}\` — ${tryIt.why}`);
        lines.push(`Discuss: ${digestContent(post.id).question}`, '', `Post ${next.index} of ${ROTATION.length} in this channel's rotation; the digest adds its headline figure.`);
        return {
          title: `Next digest: ${post.title}`,
          text: lines.join('\n'),
          links: [{ label: 'Read the post', url: post.url }, { label: 'Notebook', url: notebookUrl(post) }],
        };
      }
      case 'now': {
        const requestId = invocationId(ctx.target, channel);
        const data: DigestJob = { kind: 'now', channel, requestId, target: channelTarget(ctx.target) };
        await digestQueue(rt).add('digest-now', data, { jobId: nowJobIdFor(requestId) });
        return { title: 'Digest', text: `Posting the next digest in this channel now. ${await nextPostLine()}` };
      }
    }
  },
});
