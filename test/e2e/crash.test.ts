// Workers killed with SIGKILL in the middle of a Discord job and a Slack job: another worker
// takes both over after the stalled check, and each ends with exactly one delivery.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { signedSlashCommand } from '../fakes/fake-slack.ts';
import { sleep, startRig, type Rig } from './harness.ts';

let rig: Rig;
before(async () => {
  // Two workers, one job each; a short lock and stalled check, so the dead workers' jobs come
  // back within seconds.
  rig = await startRig({ workers: 2, workerEnv: { JOB_LOCK_MS: '2000', STALLED_INTERVAL_MS: '1000' } });
});
after(async () => rig?.close());

test('SIGKILL mid-job: the jobs are re-run by another worker and each is delivered once', async () => {
  // /fourier at its largest takes seconds: long enough to be caught running.
  const { token } = rig.discord.dispatchInteraction({ command: 'fourier', options: { duration: 10, srate: 2000, phases: 64 } });
  const fields = rig.slack.slashCommand({ text: 'fourier duration:10 srate:2000 phases:63' });
  const ack = await signedSlashCommand(rig.slackEventsUrl, rig.slack.signingSecret, fields);
  assert.equal(ack.status, 200);

  // Both are running once the worker's progress shows on each platform.
  const running = (c: string | undefined) => /^⏳ running \/fourier/.test(c ?? '');
  await rig.discord.waitFor(() => running(rig.discord.interaction(token).original?.content), 30_000, 'Discord progress');
  await rig.slack.waitFor(() => rig.slack.responsesTo(fields.response_url!).some((r) => running(r.text)), 30_000, 'Slack progress');
  const victims = [...rig.workers];
  for (const w of victims) w.child.kill('SIGKILL');
  await Promise.all(victims.map((w) => w.exited));
  assert.equal(rig.discord.interaction(token).original!.attachments.length, 0, 'the killed workers delivered nothing to Discord');
  assert.equal(rig.slack.messages.filter((m) => m.files.length > 0).length, 0, 'nor to Slack');

  const rescuer = await rig.addWorker();
  await rig.discord.waitFor(() => rig.discord.interaction(token).original?.attachments.length, 60_000, 'the Discord result');
  await rig.slack.waitFor(() => rig.slack.messages.find((m) => m.channel === fields.channel_id && m.files.length > 0), 60_000, 'the Slack result');
  await sleep(1_500); // a duplicate would arrive by now

  const discordResults = rig.discord.find(/\/messages\/@original$/, 'PATCH').filter((r) => r.path.includes(token) && r.files.length > 0 && r.status === 200);
  assert.equal(discordResults.length, 1, 'one Discord delivery');
  assert.equal(rig.slack.messages.filter((m) => m.files.length > 0).length, 1, 'one Slack delivery');
  assert.equal(rig.slack.find(/files\.completeUploadExternal$/).length, 1);
  assert.ok(rescuer.logs.filter((l) => l.msg === 'job finished').length >= 2, 'the new worker finished both');
});
