// Wrong dashboard passwords are throttled per client address (issue 20: unlimited guesses).
import assert from 'node:assert/strict';
import http from 'node:http';
import type { Server } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { AuthThrottle, DEFAULT_THROTTLE, startDashboard } from '../../src/queue/dashboard.ts';
import type { QueueRuntime } from '../../src/queue/runtime.ts';
import { dropRuntime, sleep, testRuntime } from './support.ts';

describe('AuthThrottle (a fake clock)', () => {
  test('locks an address after maxFailures, doubling each lockout up to the cap; a success resets it', () => {
    let t = 0;
    const th = new AuthThrottle({ maxFailures: 3, lockMs: 1000, maxLockMs: 4000, windowMs: 60_000 }, () => t);
    th.failed('a');
    th.failed('a');
    assert.equal(th.retryAfterMs('a'), 0);
    th.failed('a'); // third: locked 1 s
    assert.equal(th.retryAfterMs('a'), 1000);
    assert.equal(th.retryAfterMs('b'), 0, 'other addresses are not affected');
    t = 1000;
    assert.equal(th.retryAfterMs('a'), 0);
    th.failed('a'); // fourth: 2 s
    assert.equal(th.retryAfterMs('a'), 2000);
    t = 3000;
    th.failed('a'); // fifth: 4 s
    assert.equal(th.retryAfterMs('a'), 4000);
    t = 7000;
    th.failed('a'); // sixth: 8 s, capped at 4 s
    assert.equal(th.retryAfterMs('a'), 4000);
    th.succeeded('a');
    assert.equal(th.retryAfterMs('a'), 0);
    th.failed('a');
    assert.equal(th.retryAfterMs('a'), 0, 'the count started again');
  });

  test('failures older than the window are forgotten', () => {
    let t = 0;
    const th = new AuthThrottle({ maxFailures: 2, lockMs: 1000, windowMs: 10_000 }, () => t);
    th.failed('a');
    t = 20_000;
    th.failed('a');
    assert.equal(th.retryAfterMs('a'), 0);
    th.failed('a');
    assert.equal(th.retryAfterMs('a'), 1000);
  });

  test('defaults: 5 guesses, then 1 minute, doubling to an hour', () => {
    assert.deepEqual(DEFAULT_THROTTLE, { maxFailures: 5, lockMs: 60_000, maxLockMs: 3_600_000, windowMs: 3_600_000 });
  });
});

describe('the dashboard over HTTP', () => {
  let rt: QueueRuntime;
  let server: Server;
  let port: number;
  before(async () => {
    rt = testRuntime();
    ({ server, port } = await startDashboard({ runtime: rt, user: 'admin', password: 's3cret', port: 0, throttle: { maxFailures: 3, lockMs: 400 } }));
  });
  after(async () => {
    server.close();
    await dropRuntime(rt);
  });

  /** GET /api/queues from a given loopback source address (all of 127/8 reaches the server). */
  function get(pass: string | undefined, from = '127.0.0.1'): Promise<{ status: number; retryAfter?: string; body: string }> {
    const headers = pass === undefined ? {} : { authorization: `Basic ${Buffer.from(`admin:${pass}`).toString('base64')}` };
    return new Promise((resolve, reject) => {
      const req = http.get({ host: '127.0.0.1', port, path: '/api/queues', headers, localAddress: from, agent: false }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode!, retryAfter: res.headers['retry-after'] as string | undefined, body }));
      });
      req.on('error', reject);
    });
  }

  test('after 3 wrong passwords even the right one gets 429 with Retry-After, until the lockout ends', async () => {
    for (let i = 0; i < 5; i++) assert.equal((await get(undefined)).status, 401, 'no credentials is not a guess');
    assert.equal((await get('s3cret')).status, 200);
    for (let i = 0; i < 3; i++) assert.equal((await get(`guess${i}`)).status, 401);
    const locked = await get('s3cret');
    assert.equal(locked.status, 429);
    assert.equal(locked.retryAfter, '1');
    assert.match(locked.body, /Too many wrong passwords from this address; try again in 1 s/);
    assert.equal((await get('guess4')).status, 429, 'guesses are not even checked while locked');
    // Another address is not locked out.
    assert.equal((await get('s3cret', '127.0.0.2')).status, 200);
    await sleep(450);
    assert.equal((await get('s3cret')).status, 200);
    // The success reset the count: three more guesses before the next lockout.
    for (let i = 0; i < 2; i++) assert.equal((await get(`again${i}`)).status, 401);
    assert.equal((await get('s3cret')).status, 200);
  });

  test('each wrong attempt after a lockout doubles the next one', async () => {
    for (let i = 0; i < 3; i++) await get(`x${i}`, '127.0.0.3');
    assert.equal((await get('s3cret', '127.0.0.3')).status, 429);
    await sleep(450);
    assert.equal((await get('wrong', '127.0.0.3')).status, 401); // fourth failure: locked 800 ms
    await sleep(450);
    assert.equal((await get('s3cret', '127.0.0.3')).status, 429, 'still locked after the first lockout time');
    await sleep(400);
    assert.equal((await get('s3cret', '127.0.0.3')).status, 200);
  });
});
