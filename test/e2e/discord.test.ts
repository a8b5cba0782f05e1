// Discord end to end: the real bot process (discord.js) and a real worker, with Redis, against
// the fake Discord. A slash command ends with its figures and explanation edited into the
// deferred reply exactly once; bad options never make a job; 429 and 5xx are ridden out.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { isPng, type RecordedRequest } from '../fakes/recording-server.ts';
import { sleep, startRig, type Rig } from './harness.ts';

const EPHEMERAL = 64;

describe('Discord end to end (bot + worker + Redis + fake Discord)', () => {
  let rig: Rig;
  before(async () => {
    rig = await startRig();
  });
  after(async () => rig?.close());

  /** The edits of one interaction's reply that carried files: the result deliveries. */
  const resultEdits = (token: string): RecordedRequest[] => rig.discord.find(/\/messages\/@original$/, 'PATCH').filter((r) => r.path.includes(token) && r.files.length > 0);

  test('/correlation: deferred in time, queued note, then one edit with the PNGs and the embed', async () => {
    const { token } = rig.discord.dispatchInteraction({ command: 'correlation', options: { n: 20, sweep_n: 50, sweep_steps: 5, seed: 11 } });
    const state = rig.discord.interaction(token);
    await rig.discord.waitFor(() => state.original?.attachments.length, 60_000, 'the result');
    await sleep(1_000); // a duplicate would arrive by now

    assert.equal(state.callbackType, 5, 'deferred');
    const callback = rig.discord.find(/\/callback$/).find((r) => r.path.includes(token))!;
    assert.ok(callback.at - state.createdAt < 3_000, `deferred after ${callback.at - state.createdAt} ms`);
    const contents = rig.discord.find(/\/messages\/@original$/, 'PATCH').filter((r) => r.path.includes(token)).map((r) => r.json?.content);
    assert.ok(contents.some((c) => /^⏳ Queued/.test(c ?? '')), `the queued note (edits: ${JSON.stringify(contents)})`);

    const edits = resultEdits(token);
    assert.equal(edits.length, 1, 'the result is posted exactly once');
    const msg = state.original!;
    assert.equal(msg.attachments.length, 3);
    assert.ok(msg.attachments.every((a) => a.filename.endsWith('.png') && isPng(a.data)));
    assert.ok(msg.attachments.every((a) => (a.description ?? '').length > 10), 'alt text on every figure');
    const embed = msg.embeds[0];
    assert.equal(embed.title, 'Correlation vs. cosine similarity');
    assert.equal(embed.url, 'https://mikexcohen.substack.com/p/correlation-vs-cosine-similarity');
    assert.match(embed.footer.text, /seed 11 · [\d.]+ s/);
    assert.equal(embed.image.url, `attachment://${msg.attachments[0]!.filename}`);
    assert.ok(embed.description.length > 100);
    assert.equal(msg.content, '');
    assert.deepEqual(msg.allowed_mentions, { parse: [] });
  });

  test('bad options: an ephemeral error naming the option and its limit, and no job', async () => {
    const jobs = await rig.jobCount();
    const { token } = rig.discord.dispatchInteraction({ command: 'correlation', options: { n: 99_999 } });
    const state = rig.discord.interaction(token);
    await rig.discord.waitFor(() => state.followUps.length, 10_000, 'the error');
    assert.equal(state.deleted, true, 'the public placeholder is gone');
    assert.equal(state.followUps[0]!.flags & EPHEMERAL, EPHEMERAL);
    assert.match(state.followUps[0]!.content, /\bn\b.*5000/);
    assert.equal(await rig.jobCount(), jobs);
  });

  test('a 429 (retry_after) and a 503 on the result edit are retried; the result lands once', async () => {
    const path = /\/messages\/@original$/;
    const withFiles = (r: RecordedRequest) => r.files.length > 0;
    rig.discord.fail({ method: 'PATCH', path, when: withFiles, status: 429, retryAfter: 0.5, headers: { 'x-ratelimit-scope': 'user' }, body: { message: 'You are being rate limited.', retry_after: 0.5, global: false } });
    rig.discord.fail({ method: 'PATCH', path, when: withFiles, status: 503 });
    const { token } = rig.discord.dispatchInteraction({ command: 'correlation', options: { n: 20, sweep_n: 50, sweep_steps: 5, seed: 12 } });
    const state = rig.discord.interaction(token);
    await rig.discord.waitFor(() => state.original?.attachments.length, 60_000, 'the result');
    await sleep(1_000);
    const statuses = resultEdits(token).map((r) => r.status);
    assert.deepEqual(statuses, [429, 503, 200]);
    const [limited, , ok] = resultEdits(token);
    assert.ok(ok!.at - limited!.at >= 500, 'waited retry_after before trying again');
  });

  test('/posts answers at once from the bot, without a job', async () => {
    const jobs = await rig.jobCount();
    const { token } = rig.discord.dispatchInteraction({ command: 'posts' });
    const state = rig.discord.interaction(token);
    await rig.discord.waitFor(() => state.original?.embeds.length || state.followUps.length, 10_000, 'the catalog');
    const text = JSON.stringify(state.original?.embeds ?? state.followUps[0]?.embeds);
    assert.match(text, /mikexcohen\.substack\.com/);
    assert.equal(await rig.jobCount(), jobs);
  });
});
