// `npm start`: finding or starting Redis (or saying exactly how to get one), and the whole
// stack — worker child and playground — answering a command and stopping cleanly on Ctrl-C.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { readWebEvents } from '../../src/chat/web/deliver.ts';
import { repoRoot } from '../../src/config.ts';
import { closeDigestQueue, digestQueue } from '../../src/digest/queue.ts';
import { openRuntime } from '../../src/queue/runtime.ts';
import { ensureRedis, findExecutable, pingRedis, RedisUnavailableError } from '../../src/start.ts';
import { quietLog } from '../chat/helpers.ts';
import { dropRuntime, REDIS_URL, waitFor } from '../queue/support.ts';

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((r) => server.close(r));
  return port;
}

const tmpDir = () => fs.mkdtempSync(path.join(os.tmpdir(), 'lab-start-'));

test('no Redis and no redis-server: the error says exactly how to get one', async () => {
  const url = `redis://127.0.0.1:${await freePort()}`;
  await assert.rejects(ensureRedis({ defaultUrl: url, dataDir: tmpDir(), pathEnv: '', log: quietLog() }), (err: unknown) => {
    assert.ok(err instanceof RedisUnavailableError);
    assert.match(err.message, new RegExp(`No Redis answers at ${url}`));
    assert.match(err.message, /docker compose run -d -p 127\.0\.0\.1:6379:6379 redis/);
    assert.match(err.message, /sudo apt-get install redis-server/);
    return true;
  });
});

test('an explicit REDIS_URL that does not answer is reported, never replaced', async () => {
  const url = `redis://127.0.0.1:${await freePort()}`;
  await assert.rejects(ensureRedis({ explicitUrl: url, dataDir: tmpDir(), log: quietLog() }), /REDIS_URL is .* but no Redis answers there/);
  const ok = await ensureRedis({ explicitUrl: REDIS_URL, dataDir: tmpDir(), log: quietLog() });
  assert.equal(ok.url, REDIS_URL);
  assert.equal(ok.child, undefined);
});

test('nothing on the port but redis-server installed: it is started, with its data in the state dir, and stopped', { skip: findExecutable('redis-server') ? false : 'redis-server is not installed' }, async () => {
  const url = `redis://127.0.0.1:${await freePort()}`;
  const dataDir = path.join(tmpDir(), 'redis');
  const redis = await ensureRedis({ defaultUrl: url, dataDir, log: quietLog() });
  assert.ok(redis.child?.pid);
  assert.equal(await pingRedis(url), true);
  assert.ok(fs.existsSync(dataDir));
  await redis.stop();
  assert.equal(await pingRedis(url), false);
});

test('npm start: worker and playground answer a command, and Ctrl-C stops them all', async () => {
  const prefix = `test-start-${randomUUID().slice(0, 8)}`;
  const port = await freePort();
  const app = spawn(process.execPath, ['--import', 'tsx', 'src/start.ts'], {
    cwd: repoRoot,
    env: { ...process.env, REDIS_URL, QUEUE_PREFIX: prefix, PORT: String(port), WORKER_QUEUES: 'light,cached', LOG_LEVEL: 'warn', DISCORD_TOKEN: '', SLACK_BOT_TOKEN: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  app.stdout.on('data', (b: Buffer) => (out += b.toString()));
  app.stderr.on('data', (b: Buffer) => (out += b.toString()));
  const exited = new Promise<number | null>((r) => app.once('exit', (code) => r(code)));
  const rt = openRuntime({ prefix, redisUrl: REDIS_URL });
  try {
    await waitFor(() => out.includes(`Playground: http://localhost:${port}`), 30_000, 'the playground URL');
    const workerPid = Number(/Worker: +pid (\d+)/.exec(out)?.[1]);
    assert.ok(workerPid > 0, out);

    const catalog = (await (await fetch(`http://localhost:${port}/api/catalog`)).json()) as { commands: { name: string }[] };
    assert.ok(catalog.commands.some((c) => c.name === 'correlation'));
    assert.match(await (await fetch(`http://localhost:${port}/`)).text(), /substack-lab playground/);
    const sent = await fetch(`http://localhost:${port}/api/command`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ session: 'start-test-1', text: '/correlation n:30' }),
    });
    assert.deepEqual(((await sent.json()) as { outcome: string }).outcome, 'queued');
    const result = await waitFor(async () => (await readWebEvents(rt.redis, prefix, 'start-test-1')).find((e) => e.type === 'result'), 60_000, 'the worker\'s result');
    assert.ok(result.type === 'result' && result.result.figures.length === 3);

    app.kill('SIGINT');
    assert.equal(await exited, 0, out);
    assert.match(out, /Stopping \(Ctrl-C\): playground, worker/);
    assert.throws(() => process.kill(workerPid, 0), /ESRCH/, 'the worker is gone');
    await assert.rejects(fetch(`http://localhost:${port}/api/catalog`));
  } finally {
    if (app.exitCode === null) app.kill('SIGKILL');
    await digestQueue(rt).obliterate({ force: true }).catch(() => {});
    await closeDigestQueue(rt);
    await dropRuntime(rt);
  }
});
