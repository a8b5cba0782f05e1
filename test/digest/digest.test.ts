// Digests end to end on the fake Discord and the fake Slack, with a real Redis, the real fronts
// (discord.js, Bolt), the real dispatcher and real digest workers, on a fast cron (every 3 s):
//   a non-admin's subscribe is refused; admins subscribe; consecutive periods feature different
//   posts; a worker restart between periods changes nothing; two workers never double post; a
//   period fired twice posts once; unsubscribing stops the digests.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import { FakeDiscord, PERMISSION, type FakeMessage } from '../fakes/fake-discord.ts';
import { FakeSlack, signedSlashCommand, type PostedMessage } from '../fakes/fake-slack.ts';
import { isPng } from '../fakes/recording-server.ts';

const CRON_SECONDS = 3;
const discord = await FakeDiscord.start();
const slack = await FakeSlack.start();
const prefix = `test-digest-${randomUUID().slice(0, 8)}`;
// Configuration is read once when src/config.ts is first imported: set it before importing the app.
Object.assign(process.env, {
  QUEUE_PREFIX: prefix,
  DISCORD_TOKEN: discord.token,
  DISCORD_API_URL: discord.apiUrl,
  SLACK_BOT_TOKEN: slack.botToken,
  SLACK_API_URL: slack.apiUrl,
  DIGEST_CRON: `*/${CRON_SECONDS} * * * * *`,
  SLACK_DIGEST_ADMINS: 'U0ALLOWED1',
  JOB_LOCK_MS: '5000',
  STALLED_INTERVAL_MS: '5000',
});
const { handleCommand } = await import('../../src/commands/dispatch.ts');
const { parseSlackText } = await import('../../src/commands/slack-text.ts');
const { startDiscordBot } = await import('../../src/chat/discord/gateway-bot.ts');
const { HOLDING_NOTE, startSlackBot } = await import('../../src/chat/slack/app.ts');
const { startDigestWorker } = await import('../../workers/digest.ts');
const { closeDigestQueue, digestQueue, DIGEST_JOB } = await import('../../src/digest/queue.ts');
const { closeSharedRuntime, sharedRuntime } = await import('../../src/queue/runtime.ts');
const { findPost } = await import('../../src/catalog/posts.ts');
const { dropRuntime, waitFor } = await import('../queue/support.ts');
const { quietLog } = await import('../chat/helpers.ts');

const DISCORD_CHANNEL = '100000000000000042';
const SLACK_CHANNEL = 'C0DIGEST01';
const ADMIN_PERMISSIONS = String(BigInt(PERMISSION.manageChannels));
const EPHEMERAL = 64;

const log = quietLog();
const rt = sharedRuntime();
const queue = digestQueue(rt);
let discordBot: Awaited<ReturnType<typeof startDiscordBot>>;
let slackBot: Awaited<ReturnType<typeof startSlackBot>>;
const workers: Awaited<ReturnType<typeof startDigestWorker>>[] = [];

before(async () => {
  discordBot = await startDiscordBot({ DISCORD_TOKEN: discord.token, DISCORD_API_URL: discord.apiUrl, handle: handleCommand, log });
  slackBot = await startSlackBot({
    SLACK_BOT_TOKEN: slack.botToken, SLACK_SIGNING_SECRET: slack.signingSecret, SLACK_API_URL: slack.apiUrl, PORT: 0,
    parse: parseSlackText, handle: handleCommand, log,
  });
  slack.users.set('U0WSADMIN1', { is_admin: true });
});

after(async () => {
  // DIGEST_TEST_LOG=1 prints what the fronts and workers logged (errors with their stacks).
  if (process.env.DIGEST_TEST_LOG) console.log(JSON.stringify(log.lines.slice(0, 60), (_k, v) => (v instanceof Error ? `${v.name}: ${v.message}\n${v.stack}` : v), 1));
  await Promise.all(workers.map((w) => w.shutdown()));
  await discordBot?.stop();
  await slackBot?.stop();
  await closeDigestQueue(rt);
  await dropRuntime(rt);
  await closeSharedRuntime();
  await discord.close();
  await slack.close();
});

/** /digest … on Discord; resolves with the text the user sees (the private follow-up). */
async function discordDigest(subcommand: string, permissions?: string, options: Record<string, string> = {}): Promise<string> {
  const { token } = discord.dispatchInteraction({
    command: 'digest', subcommand, options, channelId: DISCORD_CHANNEL, ...(permissions ? { permissions } : {}),
  });
  const state = discord.interaction(token);
  const msg = await discord.waitFor(() => state.followUps[0], 5_000, `the reply to /digest ${subcommand}`);
  assert.equal(msg.flags & EPHEMERAL, EPHEMERAL, 'digest answers are private');
  return `${msg.content}\n${msg.embeds.map((e: { title?: string; description?: string }) => `${e.title ?? ''}\n${e.description ?? ''}`).join('\n')}`;
}

/**
 * /lab digest … on Slack over signed HTTP; resolves with the answer's text: the ack's, or — when
 * a loaded machine took longer than the bot's ack budget — what replaced the holding ack
 * through response_url (the designed path, src/chat/slack/app.ts).
 */
async function slackDigest(text: string, userId: string): Promise<string> {
  const url = `http://127.0.0.1:${slackBot.port}/slack/events`;
  const fields = slack.slashCommand({ text: `digest ${text}`, channel_id: SLACK_CHANNEL, user_id: userId });
  const res = await signedSlashCommand(url, slack.signingSecret, fields);
  assert.equal(res.status, 200);
  const ack = String(res.body?.text ?? '');
  if (ack !== HOLDING_NOTE) return ack;
  const note = await slack.waitFor(() => slack.responsesTo(fields.response_url!)[0], 5_000, 'the answer after the holding ack');
  return String(note.text ?? '');
}

const discordDigests = (): FakeMessage[] => discord.channelMessages.filter((m) => m.channel_id === DISCORD_CHANNEL);
const slackDigests = (): PostedMessage[] => slack.messages.filter((m) => m.channel === SLACK_CHANNEL);
const title = (id: string) => findPost(id)!.title;

test('a member without Manage Channels / Manage Server, or a plain Slack member, cannot subscribe', async () => {
  const d = await discordDigest('subscribe');
  assert.match(d, /Only members with Manage Channels or Manage Server/);
  const s = await slackDigest('subscribe day:friday', 'U0READER01');
  assert.match(s, /Only workspace admins and owners/);
  assert.ok(slack.find(/\/api\/users\.info$/).length >= 1, 'Slack roles come from users.info');
  assert.deepEqual(await queue.getJobSchedulers(), [], 'no scheduler was made');
  // Reading the status is for everyone.
  assert.match(await discordDigest('status'), /No digest subscription here/);
});

test('bad options name the option and its limit', async () => {
  const s = await slackDigest('subscribe timezone:Mars/Base', 'U0WSADMIN1');
  assert.match(s, /timezone: .*not an IANA time zone/);
  const t = await slackDigest('status day:monday', 'U0WSADMIN1');
  assert.match(t, /day: only `\/lab digest subscribe` takes it/);
  assert.deepEqual(await queue.getJobSchedulers(), []);
});

test('channel admins subscribe; one digest per period, different posts, across a restart and two workers', async () => {
  assert.match(await discordDigest('subscribe', ADMIN_PERMISSIONS), /This channel gets a post of the week/);
  assert.match(await slackDigest('subscribe timezone:Europe/Berlin', 'U0WSADMIN1'), /This channel gets a post of the week/);
  const schedulers = await queue.getJobSchedulers();
  assert.equal(schedulers.length, 2);
  assert.deepEqual(new Set(schedulers.map((s) => s.tz)), new Set(['UTC', 'Europe/Berlin']));
  assert.match(await slackDigest('status', 'U0READER01'), /Subscribed: a digest on the cron pattern/);

  // Period 1, one worker.
  workers.push(await startDigestWorker({ log }));
  await waitFor(() => discordDigests().length >= 1 && slackDigests().length >= 1, 30_000, 'the first digests');
  const first = discordDigests()[0]!;
  assert.equal(first.embeds[0].title, title('correlation'));
  assert.match(first.embeds[0].description, /Try it:\*\* `\/correlation offset:0`/);
  assert.match(first.embeds[0].description, /Discuss:\*\* .+\?/);
  assert.deepEqual(first.allowed_mentions, { parse: [] });
  assert.equal(first.attachments.length, 1);
  assert.ok(isPng(first.attachments[0]!.data), 'the headline figure is a PNG');
  assert.equal(first.embeds[0].image.url, `attachment://${first.attachments[0]!.filename}`);
  const firstSlack = slackDigests()[0]!;
  assert.match(firstSlack.text, /Post of the week: <https:\/\/mikexcohen\.substack\.com\/p\/correlation-vs-cosine-similarity\|Correlation vs\. cosine similarity>/);
  assert.match(firstSlack.text, /`\/lab correlation offset:0`/);
  assert.equal(firstSlack.files.length, 1);
  assert.ok(isPng(firstSlack.files[0]!.data));

  // Restart: the worker goes away for more than a period, then two come back.
  await workers.shift()!.shutdown();
  const before = { discord: discordDigests().length, slack: slackDigests().length };
  await new Promise((r) => setTimeout(r, (CRON_SECONDS + 1) * 1000));
  assert.deepEqual({ discord: discordDigests().length, slack: slackDigests().length }, before, 'nothing is posted without a worker');
  workers.push(await startDigestWorker({ log }), await startDigestWorker({ log }));
  // Two workers may work on consecutive periods at once, so arrival order need not be period
  // order: wait for the rotation's first three posts, then read the posts in period order.
  const periodIn = (text: string) => /· (\d{4}-\d\d-\d\dT[\d:]+)/.exec(text)?.[1];
  const discordByPeriod = () => discordDigests()
    .map((m) => ({ period: periodIn(m.embeds[0].footer.text) ?? '', title: m.embeds[0].title as string }))
    .sort((a, b) => a.period.localeCompare(b.period));
  const slackByPeriod = () => slackDigests()
    .map((m) => ({ period: periodIn(m.text) ?? '', title: /\|([^>]+)>\*/.exec(m.text)?.[1] }))
    .sort((a, b) => a.period.localeCompare(b.period));
  const rotationStart = [title('correlation'), title('zipf'), title('fourier')];
  const hasFirstThree = (posts: { title?: string }[]) => rotationStart.every((t) => posts.some((p) => p.title === t));
  await waitFor(() => hasFirstThree(discordByPeriod()) && hasFirstThree(slackByPeriod()), 45_000, 'two more periods of digests');

  assert.deepEqual(discordByPeriod().slice(0, 3).map((p) => p.title), rotationStart, 'the rotation moves one post per period');
  assert.deepEqual(slackByPeriod().slice(0, 3).map((p) => p.title), rotationStart);
  // One message per period and channel, even with two workers taking jobs.
  for (const periods of [discordDigests().map((m) => periodIn(m.embeds[0].footer.text)), slackDigests().map((m) => periodIn(m.text))]) {
    assert.ok(periods.every(Boolean));
    assert.equal(new Set(periods).size, periods.length, `one digest per period: ${periods.join(', ')}`);
  }
});

test('a period fired twice (a duplicate scheduler job) posts nothing new', async () => {
  const done = (await queue.getCompleted()).filter((j) => j.name === DIGEST_JOB && (j.returnvalue as { status?: string })?.status === 'posted');
  assert.ok(done.length > 0);
  const original = done[0]!;
  const countBefore = discordDigests().length + slackDigests().length;
  const dup = await queue.add(DIGEST_JOB, original.data, { jobId: `duplicate-${randomUUID()}`, prevMillis: original.opts.prevMillis! });
  const outcome = await waitFor(async () => (await queue.getJob(dup.id!))?.returnvalue as { status: string; period: string } | undefined, 15_000, 'the duplicate job');
  assert.equal(outcome.status, 'already-posted');
  assert.equal(outcome.period, (original.returnvalue as { period: string }).period);
  // Other periods may still be posting; none of them is this one.
  const again = [...discordDigests(), ...slackDigests()].length;
  assert.ok(again >= countBefore);
});

test('unsubscribing stops the digests and removes the schedulers', async () => {
  assert.match(await discordDigest('unsubscribe', ADMIN_PERMISSIONS), /No more digests in this channel/);
  assert.match(await slackDigest('unsubscribe', 'U0ALLOWED1'), /No more digests in this channel/, 'SLACK_DIGEST_ADMINS may manage digests');
  assert.deepEqual(await queue.getJobSchedulers(), []);
  // A firing already running may still finish; after it, nothing more.
  await new Promise((r) => setTimeout(r, 1_500));
  const settled = { discord: discordDigests().length, slack: slackDigests().length };
  await new Promise((r) => setTimeout(r, (CRON_SECONDS + 1) * 1000));
  assert.deepEqual({ discord: discordDigests().length, slack: slackDigests().length }, settled);
  assert.match(await discordDigest('status'), /No digest subscription here[\s\S]*Last digest: \*\*/);
});
