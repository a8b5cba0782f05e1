// Delivery under faults, end to end: the real bot and worker processes, Redis, and the fake
// Discord and Slack misbehaving the way the real ones can — an answer lost after Slack did the
// work, a Discord 5xx outage of 10 s, a Slack that takes 8 s to answer, a worker killed while its
// upload is in flight (Slack acted, or never heard of it) — plus results with more figures than
// one message can carry. Each ends with every result posted exactly once, and the user told.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { signedSlashCommand } from '../fakes/fake-slack.ts';
import type { RecordedRequest } from '../fakes/recording-server.ts';
import { sleep, startRig, type Rig } from './harness.ts';

const COMPLETE = /files\.completeUploadExternal$/;
const ORIGINAL = /\/messages\/@original$/;
/** A /correlation run of about a second, three figures; each test its own seed (no cache hits). */
const small = (seed: number) => ({ n: 20, sweep_n: 50, sweep_steps: 5, seed });
const smallText = (seed: number) => `correlation n:20 sweep_n:50 sweep_steps:5 seed:${seed}`;

describe('delivery under faults (bot + worker + Redis + misbehaving fakes)', () => {
  let rig: Rig;
  before(async () => {
    // One analysis slot (LIGHT_CONCURRENCY=1), and a short lock and stalled check so a killed
    // worker's jobs come back within seconds.
    rig = await startRig({ workerEnv: { JOB_LOCK_MS: '2000', STALLED_INTERVAL_MS: '1000' } });
  });
  after(async () => rig?.close());

  const slackCommand = async (text: string, channel: string) => {
    const fields = rig.slack.slashCommand({ text, channel_id: channel });
    const ack = await signedSlashCommand(rig.slackEventsUrl, rig.slack.signingSecret, fields);
    assert.equal(ack.status, 200);
    return fields;
  };
  const inChannel = (channel: string) => rig.slack.messages.filter((m) => m.channel === channel);
  const completions = (channel: string) => rig.slack.find(COMPLETE).filter((r) => r.form?.channel_id === channel);
  const postedNote = (responseUrl: string, timeoutMs = 30_000) =>
    rig.slack.waitFor(() => rig.slack.responsesTo(responseUrl).find((n) => /^✅ Posted/.test(n.text)), timeoutMs, 'the final "posted" note');
  const resultEdits = (token: string): RecordedRequest[] => rig.discord.find(ORIGINAL, 'PATCH').filter((r) => r.path.includes(token) && r.files.length > 0);
  const handOffs = (requestId: string) => rig.workers.flatMap((w) => w.logs).filter((l) => l.msg === 'handed over for delivery' && l.requestId === requestId);

  test('Slack shares the files but the answer to completeUploadExternal is lost: checked, not repeated — one message', async () => {
    const channel = 'C0LOST0001';
    rig.slack.fail({ path: COMPLETE, drop: 'after', when: (r) => r.form?.channel_id === channel });
    const fields = await slackCommand(smallText(41), channel);
    await postedNote(fields.response_url!, 60_000);
    await sleep(1_000); // a duplicate would arrive by now
    assert.equal(inChannel(channel).length, 1, 'posted exactly once');
    assert.equal(inChannel(channel)[0]!.files.length, 3);
    const calls = completions(channel);
    assert.equal(calls.length, 1, 'the completion was not sent again');
    assert.equal(calls[0]!.cut, true, 'its answer was lost');
    assert.ok(rig.slack.find(/files\.info$/).length >= 1, 'Slack was asked whether the files were shared');
  });

  test('a lost answer Slack will not let us check (no files:read scope): not repeated, and the user is told so', async () => {
    const channel = 'C0NOSCOPE1';
    rig.slack.missingScopes.add('files:read');
    try {
      rig.slack.fail({ path: COMPLETE, drop: 'after', when: (r) => r.form?.channel_id === channel });
      const fields = await slackCommand(smallText(40), channel);
      const note = await rig.slack.waitFor(() => rig.slack.responsesTo(fields.response_url!).find((n) => /^⚠️/.test(n.text)), 60_000, 'the notice');
      assert.match(note.text, /^⚠️ Sorry — \/correlation finished, but I could not check whether its figures reached the channel \(Slack: missing_scope, needs files:read\), so I did not post them again\./);
      await sleep(1_000);
      assert.equal(inChannel(channel).length, 1, 'Slack had posted it; nothing was posted on top');
      assert.equal(completions(channel).length, 1);
    } finally {
      rig.slack.missingScopes.delete('files:read');
    }
  });

  test('a Discord 5xx outage of 10 s on the result: the result is kept and posted once Discord is back, without recomputing', async () => {
    const { id, token } = rig.discord.dispatchInteraction({ command: 'correlation', options: small(42) });
    let firstFailure = 0;
    rig.discord.fail({
      method: 'PATCH', path: ORIGINAL, status: 500, times: 10_000,
      when: (r) => r.path.includes(token) && r.files.length > 0 && Date.now() - (firstFailure ||= Date.now()) < 10_000,
    });
    const state = rig.discord.interaction(token);
    await rig.discord.waitFor(() => state.original?.attachments.length, 60_000, 'the result after the outage');
    await sleep(1_000);
    const edits = resultEdits(token);
    const ok = edits.filter((r) => r.status === 200);
    assert.equal(ok.length, 1, 'one successful result edit');
    assert.ok(edits.filter((r) => r.status === 500).length >= 4, `retried through the outage (${edits.length} tries)`);
    assert.ok(ok[0]!.at - firstFailure >= 10_000, 'landed after the outage');
    assert.equal(state.original!.attachments.length, 3);
    assert.doesNotMatch(state.original!.content, /failed/);
    assert.equal(handOffs(`discord-${id}`).length, 1, 'computed once');
    rig.discord.http.clearFailures();
  });

  test('a Slack that takes 8 s to answer holds no analysis slot: a Discord result is posted meanwhile', async () => {
    const channel = 'C0SLOW0001';
    const holdMs = 8_000;
    rig.slack.fail({ path: COMPLETE, hold: { ms: holdMs, act: 'first' }, when: (r) => r.form?.channel_id === channel });
    const fields = await slackCommand(smallText(43), channel);
    const held = await rig.slack.waitFor(() => completions(channel)[0], 60_000, 'the slow completion');
    const { token } = rig.discord.dispatchInteraction({ command: 'correlation', options: small(44) });
    const state = rig.discord.interaction(token);
    await rig.discord.waitFor(() => state.original?.attachments.length, holdMs + 30_000, 'the Discord result');
    const discordAt = resultEdits(token).find((r) => r.status === 200)!.at;
    assert.ok(discordAt < held.at + holdMs, `Discord's result came ${discordAt - held.at} ms after the Slack upload began, before Slack answered (${holdMs} ms)`);
    await postedNote(fields.response_url!);
    assert.equal(inChannel(channel).length, 1);
  });

  test('more figures than one message carries: Discord gets the reply and a follow-up, Slack two messages, none left out', async () => {
    // /ci draws 12 figures; small options keep it quick.
    const options = { coverage_runs: 100, sweep_step: 500, boot_n: 100, boots: 200, boot_sweep_max: 500, boot_sweep_points: 5, seed: 45 };
    const { token } = rig.discord.dispatchInteraction({ command: 'ci', options });
    const channel = 'C0MANY0001';
    const fields = await slackCommand(`ci coverage_runs:100 sweep_step:500 boot_n:100 boots:200 boot_sweep_max:500 boot_sweep_points:5 seed:46`, channel);
    const state = rig.discord.interaction(token);
    const followUp = await rig.discord.waitFor(() => rig.discord.channelMessages.find((m) => /figures 11–12 of 12/.test(m.content)), 90_000, 'the Discord follow-up');
    assert.equal(state.original!.attachments.length, 10);
    assert.match(state.original!.embeds[0].description, /➕ 2 more figures in the next message\./);
    assert.doesNotMatch(state.original!.embeds[0].description, /left out/);
    assert.equal(followUp.attachments.length, 2);
    assert.ok(followUp.attachments.every((a) => (a.description ?? '').length > 10), 'alt text on the follow-up figures');
    const names = [...state.original!.attachments, ...followUp.attachments].map((a) => a.filename);
    assert.equal(new Set(names).size, 12, 'twelve different figures');
    const reference = rig.discord.find(/\/channels\/\d+\/messages$/, 'POST').find((r) => /figures 11–12/.test(r.json?.content ?? ''))!.json.message_reference;
    assert.equal(reference.message_id, state.original!.id, 'the follow-up replies to the result');

    await postedNote(fields.response_url!, 90_000);
    const msgs = inChannel(channel);
    assert.deepEqual(msgs.map((m) => m.files.length), [10, 2]);
    assert.match(msgs[0]!.text, /figures 1–10 of 12; the other 2 follow in 1 more message/);
    assert.match(msgs[1]!.text, /figures 11–12 of 12$/);
  });

  test('workers killed while their posts are in flight: each post is resumed from the ledger — posted once, the user told', async () => {
    // Slack acted on this completion (the files are shared) but the worker dies before the answer…
    const acted = 'C0KILL0001';
    // …and this one reaches Slack only after its worker is gone, so Slack never acts on it.
    const lost = 'C0KILL0002';
    rig.slack.fail({ path: COMPLETE, hold: { ms: 60_000, act: 'first' }, when: (r) => r.form?.channel_id === acted });
    rig.slack.fail({ path: COMPLETE, hold: { ms: 60_000, act: 'last' }, when: (r) => r.form?.channel_id === lost });
    const a = await slackCommand(smallText(47), acted);
    const b = await slackCommand(smallText(48), lost);
    const { token } = rig.discord.dispatchInteraction({ command: 'correlation', options: small(49) });
    rig.discord.fail({ method: 'PATCH', path: ORIGINAL, hold: { ms: 60_000, act: 'last' }, when: (r) => r.path.includes(token) && r.files.length > 0 });

    await rig.slack.waitFor(() => completions(acted).length && completions(lost).length, 60_000, 'both completions in flight');
    await rig.discord.waitFor(() => resultEdits(token).length, 60_000, 'the Discord result edit in flight');
    const victims = [...rig.workers];
    for (const w of victims) w.child.kill('SIGKILL');
    await Promise.all(victims.map((w) => w.exited));
    assert.equal(inChannel(acted).length, 1, 'Slack had shared the first');
    assert.equal(inChannel(lost).length, 0, 'and never acted on the second');

    const rescuer = await rig.addWorker();
    await Promise.all([postedNote(a.response_url!, 60_000), postedNote(b.response_url!, 60_000)]);
    const state = rig.discord.interaction(token);
    await rig.discord.waitFor(() => state.original?.attachments.length, 60_000, 'the Discord result');
    await sleep(1_500); // a duplicate would arrive by now

    assert.equal(inChannel(acted).length, 1, 'the shared one was found shared and not posted again');
    assert.equal(completions(acted).length, 1);
    assert.equal(inChannel(lost).length, 1, 'the lost one was posted by the rescuer');
    assert.equal(completions(lost).length, 2);
    assert.equal(completions(lost)[0]!.abandoned, true);
    assert.equal(resultEdits(token).filter((r) => r.status === 200).length, 1, 'one Discord result edit landed');
    assert.equal(state.original!.attachments.length, 3);
    assert.ok(rescuer.logs.filter((l) => l.msg === 'job finished' && l.queue === 'delivery').length >= 3, 'the rescuer finished the three deliveries');
  });
});
