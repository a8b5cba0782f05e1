// Slack end to end: the real bot process (Bolt, HTTP mode) and a real worker, with Redis,
// against the fake Slack. A signed `/lab` command is acked with an ephemeral note and ends with
// its figures uploaded once to the thread; forged, stale or bad requests make no job.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { HOLDING_NOTE } from '../../src/chat/slack/app.ts';
import { signedSlashCommand } from '../fakes/fake-slack.ts';
import { isPng } from '../fakes/recording-server.ts';
import { sleep, startRig, type Rig } from './harness.ts';

/**
 * The queued note the user sees first: in the ack itself, or, when dispatch took longer than the
 * bot's ack budget (a cold process on a loaded machine), through response_url after the holding
 * ack, as Slack shows a replacement.
 */
async function queuedNote(rig: Rig, ackText: string, responseUrl: string): Promise<string> {
  if (ackText !== HOLDING_NOTE) return ackText;
  const note = await rig.slack.waitFor(() => rig.slack.responsesTo(responseUrl)[0], 5_000, 'the queued note after the holding ack');
  assert.equal(note.replace_original, true);
  return note.text;
}

describe('Slack end to end (bot + worker + Redis + fake Slack)', () => {
  let rig: Rig;
  before(async () => {
    rig = await startRig();
  });
  after(async () => rig?.close());

  const send = (text: string, extra: { thread_ts?: string; user_id?: string } = {}, sign: { timestamp?: number; secret?: string } = {}) => {
    const fields = rig.slack.slashCommand({ text, ...extra });
    return signedSlashCommand(rig.slackEventsUrl, rig.slack.signingSecret, fields, sign).then((res) => ({ ...res, fields }));
  };

  test('/lab correlation in a thread: ephemeral queued ack, then the PNGs and the explanation uploaded once to the thread', async () => {
    const thread = '1700000000.123456';
    const res = await send('correlation n:20 sweep_n:50 sweep_steps:5 seed:21', { thread_ts: thread });
    assert.equal(res.status, 200);
    assert.equal(res.body.response_type, 'ephemeral');
    assert.match(await queuedNote(rig, res.body.text, res.fields.response_url!), /queued — .*posted in this thread/);
    assert.ok(res.ms < 3_000, `acked in ${res.ms} ms`);

    const posted = await rig.slack.waitFor(() => rig.slack.messages.find((m) => m.thread_ts === thread), 60_000, 'the result');
    await sleep(1_000); // a duplicate would arrive by now
    assert.equal(rig.slack.messages.filter((m) => m.thread_ts === thread).length, 1, 'posted exactly once');
    assert.equal(posted.channel, res.fields.channel_id);
    assert.equal(posted.files.length, 3);
    assert.ok(posted.files.every((f) => f.filename.endsWith('.png') && isPng(f.data) && (f.alt_text ?? '').length > 10));
    assert.match(posted.text, /^\*<https:\/\/mikexcohen\.substack\.com\/p\/correlation-vs-cosine-similarity\|Correlation vs\. cosine similarity>\*/);
    assert.match(posted.text, /_seed 21 · [\d.]+ s_$/);
    // The external upload flow, one completion for the whole message.
    assert.equal(rig.slack.find(/files\.completeUploadExternal$/).filter((r) => r.form?.thread_ts === thread).length, 1);
    const notes = await rig.slack.waitFor(() => rig.slack.responsesTo(res.fields.response_url!).find((n) => /Posted/.test(n.text)), 5_000, 'the final note');
    assert.match(notes.text, /in the thread/);
  });

  test('a forged signature and a stale timestamp get 401, and make no job', async () => {
    const jobs = await rig.jobCount();
    const forged = await send('correlation seed:22', {}, { secret: 'guessed' });
    const stale = await send('correlation seed:23', {}, { timestamp: Math.floor(Date.now() / 1000) - 10 * 60 });
    assert.equal(forged.status, 401);
    assert.equal(stale.status, 401);
    await sleep(300);
    assert.equal(await rig.jobCount(), jobs);
  });

  test('bad options: an ephemeral error naming the option and its limit, and no job', async () => {
    const jobs = await rig.jobCount();
    const res = await send('correlation n:99999');
    assert.equal(res.status, 200);
    assert.equal(res.body.response_type, 'ephemeral');
    assert.match(res.body.text, /^⚠️ n: .*5000/);
    assert.equal(await rig.jobCount(), jobs);
  });

  test('echoed user text cannot mention anyone', async () => {
    const res = await send('correlation <!channel>');
    assert.equal(res.body.response_type, 'ephemeral');
    assert.ok(!res.body.text.includes('<!channel>'), res.body.text);
    assert.ok(res.body.text.includes('&lt;!channel&gt;'), res.body.text);
  });
});

describe('Slack end to end in Socket Mode (bot + worker + Redis + fake Slack over ws://)', () => {
  let rig: Rig;
  before(async () => {
    rig = await startRig({ slackMode: 'socket' });
  });
  after(async () => rig?.close());

  test('a slash command envelope is acked with the queued note and the result is uploaded once', async () => {
    assert.ok(rig.bot.logs.some((l) => l.msg === 'slack: connected in Socket Mode'));
    const fields = rig.slack.slashCommand({ text: 'correlation n:20 sweep_n:50 sweep_steps:5 seed:31' });
    const ack = await rig.slack.sendSlashCommand(fields);
    assert.equal(ack.payload.response_type, 'ephemeral');
    assert.match(await queuedNote(rig, ack.payload.text, fields.response_url!), /queued/);
    const posted = await rig.slack.waitFor(() => rig.slack.messages.find((m) => m.files.length > 0), 60_000, 'the result');
    await sleep(1_000);
    assert.equal(rig.slack.messages.filter((m) => m.files.length > 0).length, 1);
    assert.equal(posted.channel, fields.channel_id);
    assert.match(posted.text, /_seed 31 · /);
  });
});
