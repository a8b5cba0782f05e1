// Nothing is lost when Redis restarts: a result waiting out a Slack outage in the delivery queue
// (its job, its stored PNGs, the ledger's notes) survives Redis being killed with SIGKILL and
// started again from its append-only file, and is posted exactly once when Slack is back. The
// test runs a Redis of its own (on a free port, in a temporary directory), as docker-compose.yml
// runs it: appendonly yes (here with appendfsync always, so the test does not depend on timing).
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { signedSlashCommand } from '../fakes/fake-slack.ts';
import { sleep, startRig, type Rig } from './harness.ts';

const COMPLETE = /files\.completeUploadExternal$/;

async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const { port } = srv.address() as net.AddressInfo;
  await new Promise((resolve) => srv.close(resolve));
  return port;
}

interface RedisProcess {
  child: ChildProcess;
  exited: Promise<unknown>;
}

async function startRedis(port: number, dir: string): Promise<RedisProcess> {
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--appendonly', 'yes', '--appendfsync', 'always', '--save', '', '--maxmemory-policy', 'noeviction'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  let out = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`redis-server did not start: ${out.slice(-500)}`)), 15_000);
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString('utf8');
      if (/Ready to accept connections/.test(out)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => reject(new Error(`redis-server exited (${code}): ${out.slice(-500)}`)));
  });
  return { child, exited };
}

let dir: string;
let port: number;
let redis: RedisProcess | undefined;
let rig: Rig;

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lab-redis-'));
  port = await freePort();
  redis = await startRedis(port, dir);
  rig = await startRig({ redisUrl: `redis://127.0.0.1:${port}` });
});
after(async () => {
  await rig?.close();
  if (redis && redis.child.exitCode === null && redis.child.signalCode === null) {
    redis.child.kill('SIGTERM');
    await redis.exited;
  }
  fs.rmSync(dir, { recursive: true, force: true });
});

test('Redis killed and restarted while a result waits out a Slack outage: posted once afterwards', async () => {
  const channel = 'C0REDIS001';
  rig.slack.fail({ path: COMPLETE, status: 503, times: 10_000, when: (r) => r.form?.channel_id === channel });
  const fields = rig.slack.slashCommand({ text: 'correlation n:20 sweep_n:50 sweep_steps:5 seed:51', channel_id: channel });
  assert.equal((await signedSlashCommand(rig.slackEventsUrl, rig.slack.signingSecret, fields)).status, 200);
  await rig.slack.waitFor(() => rig.slack.find(COMPLETE).some((r) => r.form?.channel_id === channel), 60_000, 'a failed completion');
  await rig.slack.waitFor(() => rig.slack.find(/files\.info$/).length, 10_000, 'the check after it');

  // The result is computed and in Redis, its delivery failing: now Redis dies, uncleanly. (This
  // process's own connections reconnect by themselves; their errors meanwhile are expected.)
  rig.rt.redis.on('error', () => {});
  for (const q of Object.values(rig.rt.queues)) q.on('error', () => {});
  redis!.child.kill('SIGKILL');
  await redis!.exited;
  await sleep(1_000);
  redis = await startRedis(port, dir);
  const jobs = await rig.rt.queues.delivery.getJobCounts();
  assert.equal(Object.values(jobs).reduce((a, b) => a + b, 0), 1, `the delivery job is still there (${JSON.stringify(jobs)})`);
  assert.equal(await rig.rt.redis.exists(rig.rt.key('result', `slack-${fields.trigger_id}`)), 1, 'and so is the result');

  rig.slack.http.clearFailures(); // Slack is back
  await rig.slack.waitFor(() => rig.slack.responsesTo(fields.response_url!).find((n) => /^✅ Posted/.test(n.text)), 60_000, 'the final note');
  await sleep(1_000);
  const posted = rig.slack.messages.filter((m) => m.channel === channel);
  assert.equal(posted.length, 1, 'posted exactly once');
  assert.equal(posted[0]!.files.length, 3);
  const handOffs = rig.workers.flatMap((w) => w.logs).filter((l) => l.msg === 'handed over for delivery');
  assert.equal(handOffs.length, 1, 'computed once');
});
