// The text-command rate limit (issue 20: /job and friends had none), on a real Redis.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { checkTextRate, textRateFromConfig } from '../../src/queue/text-rate.ts';
import type { QueueRuntime } from '../../src/queue/runtime.ts';
import { dropRuntime, testRuntime } from './support.ts';

let rt: QueueRuntime;
before(() => {
  rt = testRuntime();
});
after(() => dropRuntime(rt));

const ana = { platform: 'discord' as const, userId: 'U-ana' };
let n = 0;
const id = () => `text-${++n}`;

test('defaults: 30 text commands a minute', () => {
  assert.deepEqual(textRateFromConfig(), { count: 30, windowS: 60 });
});

test('30 in a minute pass, the 31st waits for the oldest to leave the window; others are not affected', async () => {
  const t0 = 1_700_000_000_000;
  for (let i = 0; i < 30; i++) {
    const v = await checkTextRate(rt, ana, id(), { now: t0 + i * 1000 });
    assert.ok(v.ok, `command ${i + 1}`);
    assert.equal(v.remaining, 29 - i);
  }
  const refused = await checkTextRate(rt, ana, id(), { now: t0 + 30_000 });
  assert.ok(!refused.ok);
  assert.equal(refused.retryAfterS, 30); // the first one leaves the window at t0 + 60 s
  assert.equal(refused.message, 'Easy there — you can send 30 commands such as /help, /posts and /job every 60 s. Try again in 30 s.');
  // A refused command is not counted: once the oldest has left, one more passes.
  assert.ok((await checkTextRate(rt, ana, id(), { now: t0 + 60_001 })).ok);
  assert.ok(!(await checkTextRate(rt, ana, id(), { now: t0 + 60_002 })).ok);
  // Another user, and the same user id on another platform, have their own windows.
  assert.ok((await checkTextRate(rt, { platform: 'discord', userId: 'U-bob' }, id(), { now: t0 + 30_000 })).ok);
  assert.ok((await checkTextRate(rt, { platform: 'slack', userId: 'U-ana' }, id(), { now: t0 + 30_000 })).ok);
});

test('a retried request counts once; the window key expires', async () => {
  const cleo = { platform: 'web' as const, userId: 'cleo' };
  const limit = { count: 2, windowS: 1 };
  const now = Date.now();
  assert.ok((await checkTextRate(rt, cleo, 'same', { limit, now })).ok);
  assert.ok((await checkTextRate(rt, cleo, 'same', { limit, now })).ok);
  assert.ok((await checkTextRate(rt, cleo, 'same', { limit, now })).ok);
  assert.ok((await checkTextRate(rt, cleo, 'other', { limit, now })).ok);
  assert.ok(!(await checkTextRate(rt, cleo, 'third', { limit, now })).ok);
  const ttl = await rt.redis.pttl(rt.key('text-rate', 'web', 'cleo'));
  assert.ok(ttl > 0 && ttl <= 1000, `ttl ${ttl}`);
});

test('simultaneous commands cannot both take the last slot', async () => {
  const dan = { platform: 'slack' as const, userId: 'U-dan' };
  const limit = { count: 5, windowS: 60 };
  const verdicts = await Promise.all(Array.from({ length: 20 }, () => checkTextRate(rt, dan, id(), { limit })));
  assert.equal(verdicts.filter((v) => v.ok).length, 5);
});
