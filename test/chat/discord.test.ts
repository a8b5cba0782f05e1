// discord.js and @discordjs/rest, unmodified, against the fake Discord on loopback: the gateway
// handshake, defer-first handling of slash commands, and the Deliverer's edits, fallbacks and
// retries. The dispatcher is a stub here; test/e2e runs the real one with Redis and a worker.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { CommandOutcome, CommandRequest } from '../../src/commands/dispatch.ts';
import { createDiscordDeliverer, type DiscordTarget } from '../../src/chat/discord/deliver.ts';
import { startDiscordBot, type RunningDiscordBot } from '../../src/chat/discord/gateway-bot.ts';
import { DEFAULT_ATTACHMENT_LIMIT, resultMessage } from '../../src/chat/discord/message.ts';
import { FakeDiscord } from '../fakes/fake-discord.ts';
import { isPng } from '../fakes/recording-server.ts';
import { figure, png, quietLog, sampleResult } from './helpers.ts';

const EPHEMERAL = 64;

describe('Discord front (discord.js against the fake gateway and REST)', () => {
  let discord: FakeDiscord;
  let bot: RunningDiscordBot;
  const seen: CommandRequest[] = [];
  let next: (req: CommandRequest) => Promise<CommandOutcome> = async () => ({ kind: 'queued', jobId: 'j1', position: 1 });
  const log = quietLog();

  before(async () => {
    discord = await FakeDiscord.start({ heartbeatIntervalMs: 200 });
    bot = await startDiscordBot({
      DISCORD_TOKEN: discord.token,
      DISCORD_API_URL: discord.apiUrl,
      log,
      handle: (req) => {
        seen.push(req);
        return next(req);
      },
    });
  });
  after(async () => {
    await bot?.stop();
    await discord?.close();
  });

  test('connects through GET /gateway/bot, identifies with the token and heartbeats', async () => {
    assert.equal(discord.find(/\/gateway\/bot$/).length >= 1, true);
    assert.equal(discord.identifies.length, 1);
    assert.equal(discord.identifies[0].token, discord.token);
    assert.equal(bot.client.user?.id, discord.botUser.id);
    await discord.waitFor(() => discord.heartbeats >= 2, 3_000, 'two heartbeats');
  });

  test('a command is deferred at once, dispatched with its options and target, then shows its queue position', async () => {
    next = async (req) => {
      await req.showQueued?.(3); // as the real dispatcher does, before the job is visible
      return { kind: 'queued', jobId: 'j1', position: 3 };
    };
    const { id, token } = discord.dispatchInteraction({ command: 'correlation', options: { n: 50, offset: 2.5, mean_center: true, label: 'hi' }, attachmentSizeLimit: 25 * 1024 * 1024 });
    const state = discord.interaction(token);
    await discord.waitFor(() => state.acknowledged, 3_000, 'the deferral');
    assert.equal(state.callbackType, 5, 'DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE');
    const req = await discord.waitFor(() => seen.find((r) => r.target.platform === 'discord' && r.target.interactionToken === token), 3_000, 'dispatch');
    assert.equal(req.command, 'correlation');
    assert.deepEqual(req.rawOptions, { n: 50, offset: 2.5, mean_center: true, label: 'hi' });
    assert.equal(req.requestId, `discord-${id}`);
    assert.equal(req.requester.platform, 'discord');
    const target = req.target as DiscordTarget;
    assert.equal(target.applicationId, discord.applicationId);
    assert.equal(target.attachmentSizeLimit, 25 * 1024 * 1024);
    assert.ok(Math.abs(target.tokenExpiresAt - (Date.now() + 15 * 60_000)) < 10_000);
    await discord.waitFor(() => state.original?.content === '⏳ Queued — position 3 in line.', 3_000, 'the queued note');
    assert.deepEqual(state.original!.allowed_mentions, { parse: [] });
  });

  test('bad options: the public placeholder is deleted and the error goes to the user alone', async () => {
    next = async () => ({ kind: 'error', message: 'n: must be at most 10000 (got 99999)' });
    const { token } = discord.dispatchInteraction({ command: 'correlation', options: { n: 99999 } });
    const state = discord.interaction(token);
    await discord.waitFor(() => state.followUps.length === 1, 3_000, 'the ephemeral follow-up');
    assert.equal(state.deleted, true);
    assert.equal(state.followUps[0]!.flags & EPHEMERAL, EPHEMERAL);
    assert.match(state.followUps[0]!.content, /n: must be at most 10000/);
  });

  test('a public text reply (e.g. /posts) edits the deferred reply with an embed and links', async () => {
    next = async () => ({ kind: 'reply', ephemeral: false, reply: { title: 'Posts', text: 'Two posts.', links: [{ label: 'Substack', url: 'https://mikexcohen.substack.com' }] } });
    const { token } = discord.dispatchInteraction({ command: 'posts' });
    const state = discord.interaction(token);
    await discord.waitFor(() => state.original?.embeds.length, 3_000, 'the embed');
    assert.equal(state.original!.embeds[0].title, 'Posts');
    assert.match(state.original!.embeds[0].description, /\[Substack\]\(https:\/\/mikexcohen\.substack\.com\)/);
    assert.equal(state.deleted, false);
  });

  test('a dispatcher crash still answers the user, privately', async () => {
    next = async () => {
      throw new Error('redis down');
    };
    const { token } = discord.dispatchInteraction({ command: 'correlation' });
    const state = discord.interaction(token);
    await discord.waitFor(() => state.followUps.length === 1, 3_000, 'the follow-up');
    assert.match(state.followUps[0]!.content, /went wrong on our side/);
    assert.ok(log.lines.some((l: any) => l.msg === 'discord: dispatch failed'));
  });
});

describe('Discord deliverer (@discordjs/rest against the fake REST API)', () => {
  let discord: FakeDiscord;
  before(async () => {
    discord = await FakeDiscord.start();
  });
  after(async () => discord?.close());

  /** An interaction acknowledged the way the bot does it (deferred), ready for worker edits. */
  async function deferred(attachmentSizeLimit?: number | null): Promise<DiscordTarget> {
    const { id, token } = discord.dispatchInteraction({ command: 'correlation', attachmentSizeLimit });
    const res = await fetch(`${discord.apiUrl}/v10/interactions/${id}/${token}/callback`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ type: 5 }) });
    assert.equal(res.status, 204);
    const t: DiscordTarget = { platform: 'discord', applicationId: discord.applicationId, interactionId: id, interactionToken: token, tokenExpiresAt: Date.now() + 15 * 60_000, channelId: '100000000000000001' };
    if (attachmentSizeLimit) t.attachmentSizeLimit = attachmentSizeLimit;
    return t;
  }
  const deliverer = () => createDiscordDeliverer({ DISCORD_TOKEN: discord.token, DISCORD_API_URL: discord.apiUrl });

  test('the result edits the deferred reply: embed linking the post, footer, PNG attachments, no mentions', async () => {
    const t = await deferred();
    const d = deliverer();
    await d.progress(t, 'layer 7/12');
    assert.equal(discord.interaction(t.interactionToken).original!.content, '⏳ layer 7/12');
    await d.deliverResult(t, sampleResult());

    const edits = discord.find(new RegExp(`/messages/@original$`), 'PATCH').filter((r) => r.path.includes(t.interactionToken));
    const last = edits.at(-1)!;
    assert.match(String(last.headers['content-type']), /^multipart\/form-data/);
    assert.deepEqual(last.files.map((f) => f.field), ['files[0]', 'files[1]']);
    assert.deepEqual(last.files.map((f) => f.filename), ['scatter.png', 'sweep.png']);
    assert.ok(last.files.every((f) => isPng(f.data)));
    assert.equal(last.headers.authorization, undefined, 'interaction webhooks are authorised by the token in the path');

    const msg = discord.interaction(t.interactionToken).original!;
    assert.equal(msg.content, '', 'the progress text is cleared');
    const embed = msg.embeds[0];
    assert.equal(embed.title, 'Correlation vs. cosine similarity');
    assert.equal(embed.url, 'https://mikexcohen.substack.com/p/correlation-vs-cosine-similarity');
    assert.match(embed.description, /cosine similarity/);
    assert.match(embed.description, /\[Notebook\]\(https:\/\/github\.com\/mikexcohen/);
    assert.equal(embed.footer.text, 'seed 42 · 0.03 s');
    assert.equal(embed.image.url, 'attachment://scatter.png');
    assert.deepEqual(msg.allowed_mentions, { parse: [] });
    assert.deepEqual(msg.attachments.map((a) => [a.filename, a.description]), [['scatter.png', 'A test figure called scatter'], ['sweep.png', 'A test figure called sweep']]);
  });

  test('a figure over the interaction attachment_size_limit is named in the text, not attached', async () => {
    const big = png(600, 400);
    const limit = big.length - 1;
    const t = await deferred(limit);
    await deliverer().deliverResult(t, sampleResult({ figures: [figure('small'), { ...figure('huge'), png: big }] }));
    const msg = discord.interaction(t.interactionToken).original!;
    assert.deepEqual(msg.attachments.map((a) => a.filename), ['small.png']);
    assert.match(msg.embeds[0].description, /“Figure huge” \(.* MiB\) is over this server's .* MiB upload limit/);
  });

  test('without attachment_size_limit the 8 MiB default applies', () => {
    const m = resultMessage(sampleResult({ figures: [{ ...figure('x'), png: Buffer.alloc(DEFAULT_ATTACHMENT_LIMIT + 1) }] }));
    assert.equal(m.files.length, 0);
    assert.match(m.body.embeds![0]!.description!, /8\.0 MiB upload limit/);
  });

  test('429 with retry_after is waited out and 5xx retried; the edit lands exactly once', async () => {
    const t = await deferred();
    const path = new RegExp(`/webhooks/\\d+/${t.interactionToken}/messages/@original$`);
    discord.fail({ method: 'PATCH', path, status: 429, retryAfter: 0.3, body: { message: 'You are being rate limited.', retry_after: 0.3, global: false } });
    discord.fail({ method: 'PATCH', path, status: 502 });
    const t0 = Date.now();
    await deliverer().deliverResult(t, sampleResult());
    const answered = discord.find(path, 'PATCH').map((r) => r.status);
    assert.deepEqual(answered, [429, 502, 200]);
    assert.ok(Date.now() - t0 >= 300, 'waited for retry_after');
    assert.equal(discord.interaction(t.interactionToken).original!.attachments.length, 2);
  });

  test('an expired interaction token: the result goes to the channel, once, even if delivered twice', async () => {
    const t = await deferred();
    discord.expireToken(t.interactionToken);
    const before = discord.channelMessages.length;
    const d = deliverer();
    await d.progress(t, 'layer 3/12'); // silently skipped: progress never spams the channel
    await d.deliverResult(t, sampleResult());
    await d.deliverResult(t, sampleResult()); // a retried job
    const posted = discord.channelMessages.slice(before);
    assert.equal(posted.length, 1);
    assert.equal(posted[0]!.channel_id, t.channelId);
    assert.equal(posted[0]!.nonce, t.interactionId);
    assert.deepEqual(posted[0]!.attachments.map((a) => a.filename), ['scatter.png', 'sweep.png']);
    assert.deepEqual(posted[0]!.allowed_mentions, { parse: [] });
    const channelPosts = discord.find(/\/channels\/\d+\/messages$/, 'POST');
    assert.equal(channelPosts.at(-1)!.headers.authorization, `Bot ${discord.token}`);
  });

  test('a token known to be past its 15 minutes goes straight to the channel', async () => {
    const t = await deferred();
    const d = createDiscordDeliverer({ DISCORD_TOKEN: discord.token, DISCORD_API_URL: discord.apiUrl }, { now: () => t.tokenExpiresAt + 1 });
    const edits = discord.find(/@original$/, 'PATCH').length;
    await d.deliverError(t, 'The model ran out of memory.');
    assert.equal(discord.find(/@original$/, 'PATCH').length, edits);
    assert.match(discord.channelMessages.at(-1)!.content, /ran out of memory/);
  });

  test('without DISCORD_TOKEN the deliverer says what to set', async () => {
    const d = createDiscordDeliverer({ DISCORD_API_URL: discord.apiUrl });
    await assert.rejects(d.deliverError(await deferred(), 'x'), /DISCORD_TOKEN is not set/);
  });
});
