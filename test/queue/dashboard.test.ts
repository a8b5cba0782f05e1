import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import { after, before, test } from 'node:test';
import { createDashboardApp, startDashboard } from '../../src/queue/dashboard.ts';
import type { QueueRuntime } from '../../src/queue/runtime.ts';
import { dropRuntime, testRuntime } from './support.ts';

let rt: QueueRuntime;
let server: Server;
let base: string;
const auth = (user: string, pass: string) => ({ authorization: `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}` });

before(async () => {
  rt = testRuntime();
  await rt.queues.light.add('fourier', { requestId: 'd1', analysis: 'fourier', options: {}, requester: { platform: 'web', userId: 'u' }, target: { platform: 'web', sessionId: 's' }, enqueuedAt: 0 });
  const started = await startDashboard({ runtime: rt, user: 'admin', password: 's3cret', port: 0 });
  server = started.server;
  base = `http://127.0.0.1:${started.port}`;
});
after(async () => {
  server.close();
  await dropRuntime(rt);
});

test('the dashboard does not start without a password', () => {
  assert.throws(() => createDashboardApp({ runtime: rt, user: 'admin', password: undefined }), /DASHBOARD_PASSWORD is not set/);
  assert.throws(() => createDashboardApp({ runtime: rt, user: 'admin', password: '' }), /DASHBOARD_PASSWORD is not set/);
});

test('no credentials or wrong ones: 401 with a basic-auth challenge', async () => {
  for (const headers of [{}, auth('admin', 'wrong'), auth('root', 's3cret'), { authorization: 'Bearer s3cret' }]) {
    const res = await fetch(`${base}/api/queues`, { headers });
    assert.equal(res.status, 401);
    assert.match(res.headers.get('www-authenticate') ?? '', /^Basic realm=/);
  }
});

test('with the password: the board and its API list the analysis queues and their jobs', async () => {
  const page = await fetch(`${base}/`, { headers: auth('admin', 's3cret') });
  assert.equal(page.status, 200);
  assert.match(await page.text(), /<html/i);
  const res = await fetch(`${base}/api/queues`, { headers: auth('admin', 's3cret') });
  assert.equal(res.status, 200);
  const body = (await res.json()) as { queues: { name: string; counts: Record<string, number> }[] };
  const names = body.queues.map((q) => q.name).sort();
  assert.deepEqual(names, ['analysis-cached', 'analysis-light', 'analysis-model', 'delivery']);
  assert.equal(body.queues.find((q) => q.name === 'analysis-light')!.counts.waiting, 1);
});
