// The Redis-backed pieces a worker and the dispatcher share: delivery ledger, result cache,
// admission (rate limit + channel cap) and the web deliverer's stream — against a real Redis.
import assert from 'node:assert/strict';
import { getAnalysis } from '../../src/analyses/index.ts';
import { footerText } from '../../src/analyses/report.ts';
import { after, before, test } from 'node:test';
import type { AnalysisResult } from '../../src/analyses/types.ts';
import { createWebDeliverer, readWebEvents } from '../../src/chat/web/deliver.ts';
import { AdmissionControl, channelOf } from '../../src/queue/admission.ts';
import { ResultCache, cacheable, cacheKeyOf, canonicalJson } from '../../src/queue/cache.ts';
import { DeliveryLedger } from '../../src/queue/delivery-ledger.ts';
import type { ReplyTarget, Requester } from '../../src/queue/jobs.ts';
import type { QueueRuntime } from '../../src/queue/runtime.ts';
import { dropRuntime, testRuntime } from './support.ts';

let rt: QueueRuntime;
before(() => {
  rt = testRuntime({ cacheTtlS: 600, rateLimitCount: 3, rateLimitWindowS: 10, channelMaxJobs: 2 });
});
after(() => dropRuntime(rt));

const PNG = (n: number) => Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(n, n % 251)]);

function result(seed: number | null): AnalysisResult {
  return {
    analysis: 'fourier', title: 'The Fourier transform', explanation: 'Look at the peaks.',
    postUrl: 'https://example.org/p', notebookUrl: 'https://example.org/n', model: null, seed,
    options: { srate: 1000, ...(seed === null ? {} : { seed }) },
    timings: { computeMs: 1, renderMs: 2, totalMs: 3 },
    figures: [
      { name: 'signal', title: 'Signal', alt: 'a line', png: PNG(1000) },
      { name: 'spectrum', title: 'Spectrum', alt: 'peaks', png: PNG(70_000) },
    ],
    data: { spectrum: [1, 2, 3] },
  };
}

test('ledger: one delivery per request id, however many attempts try', async () => {
  const ledger = new DeliveryLedger(rt);
  let posts = 0;
  const post = async () => void posts++;
  assert.equal(await ledger.state('r1'), 'none');
  assert.equal(await ledger.deliverOnce('r1', post), 'delivered');
  assert.equal(await ledger.deliverOnce('r1', post), 'already-delivered');
  const racing = await Promise.all([1, 2, 3, 4].map(() => ledger.deliverOnce('r2', post)));
  assert.equal(racing.filter((x) => x === 'delivered').length, 1);
  assert.equal(posts, 2);
  assert.equal(await ledger.state('r1'), 'done');
});

test('ledger: a failed post releases the claim so a retry can post; a crashed claim is never re-posted', async () => {
  const ledger = new DeliveryLedger(rt);
  await assert.rejects(ledger.deliverOnce('r3', async () => { throw new Error('502 from the platform'); }), /502/);
  assert.equal(await ledger.state('r3'), 'none');
  let posts = 0;
  assert.equal(await ledger.deliverOnce('r3', async () => void posts++), 'delivered');
  assert.equal(posts, 1);

  // A worker that claimed and died mid-post leaves "posting": nobody posts again.
  await rt.redis.set(rt.key('delivery', 'r4'), 'posting:dead-worker');
  assert.equal(await ledger.state('r4'), 'posting');
  assert.equal(await ledger.deliverOnce('r4', async () => void posts++), 'unknown');
  assert.equal(posts, 1);
});

test('cache: keys ignore option order, differ by options and model', () => {
  const a = { analysis: 'attention', options: { layer: 5, text: 'hi' }, model: 'gpt2' };
  assert.equal(cacheKeyOf(a), cacheKeyOf({ ...a, options: { text: 'hi', layer: 5 } }));
  assert.notEqual(cacheKeyOf(a), cacheKeyOf({ ...a, options: { layer: 6, text: 'hi' } }));
  assert.notEqual(cacheKeyOf(a), cacheKeyOf({ ...a, model: 'gpt2-medium' }));
  assert.equal(canonicalJson({ b: [{ d: 1, c: 2 }], a: 1 }), '{"a":1,"b":[{"c":2,"d":1}]}');
});

test('cache: a result comes back byte-identical with its PNGs, under a TTL', async () => {
  const cache = new ResultCache(rt);
  const id = { analysis: 'fourier', options: { srate: 1000 }, model: null };
  assert.equal(await cache.get(id), null);
  assert.equal(await cache.has(id), false);
  const r = result(null);
  await cache.put(id, r);
  assert.equal(await cache.has(id), true);
  const stored = await cache.get(id);
  assert.ok(stored);
  const { cachedAt, ...back } = stored;
  assert.ok(cachedAt !== undefined && Math.abs(cachedAt - Date.now()) < 60_000);
  assert.deepEqual({ ...back, figures: back.figures.map((f) => ({ ...f, png: f.png.toString('base64') })) },
    { ...r, figures: r.figures.map((f) => ({ ...f, png: f.png.toString('base64') })) });
  const ttl = await rt.redis.ttl(rt.key('cache', cacheKeyOf(id)));
  assert.ok(ttl > 590 && ttl <= 600, `ttl ${ttl}`);
});

test('cache: a run without a seed is stored under the seed it drew, never under the bare command', async () => {
  const cache = new ResultCache(rt);
  const bare = { analysis: 'correlation', options: { n: 90 }, model: null };
  await cache.put(bare, result(12345), Date.UTC(2026, 11, 7, 21, 5));
  assert.equal(await cache.get(bare), null);
  const again = await cache.get({ ...bare, options: { n: 90, seed: 12345 } });
  assert.equal(again?.seed, 12345);
  // Served from the cache, it says so, with when it was computed.
  assert.equal(again?.cachedAt, Date.UTC(2026, 11, 7, 21, 5));
  assert.match(footerText(again!), /from the cache \(computed 2026-12-07 21:05 UTC\)$/);
  assert.equal(await cache.get({ ...bare, options: { n: 90, seed: 1 } }), null);
});

test('cacheable: analyses without a seed option, and explicit seeds; a bare randomized request never', () => {
  assert.equal(cacheable(getAnalysis('fourier'), { srate: 1000 }), true);
  assert.equal(cacheable(getAnalysis('correlation'), { n: 90 }), false);
  assert.equal(cacheable(getAnalysis('correlation'), { n: 90, seed: 3 }), true);
});

test('cache: CACHE_TTL_S=0 turns it off', async () => {
  const off = testRuntime({ cacheTtlS: 0 });
  try {
    const cache = new ResultCache(off);
    const id = { analysis: 'fourier', options: {}, model: null };
    await cache.put(id, result(null));
    assert.equal(await cache.get(id), null);
    assert.equal(await off.redis.exists(off.key('cache', cacheKeyOf(id))), 0);
  } finally {
    await dropRuntime(off);
  }
});

const alice: Requester = { platform: 'discord', userId: 'alice' };
const bob: Requester = { platform: 'discord', userId: 'bob' };
const web = (sessionId: string): ReplyTarget => ({ platform: 'web', sessionId });
/** Admitted, with no queue named: rank 1. */
const OK = { ok: true, rank: 1 };

test('admission: a sliding window per user, with the wait in the message', async () => {
  let now = 1_000_000;
  const adm = new AdmissionControl(rt, () => now);
  for (let i = 0; i < 3; i++) {
    assert.deepEqual(await adm.admit(`rate-a${i}`, alice, web(`s${i}`)), OK);
    now += 1_000;
  }
  const refused = await adm.admit('rate-a3', alice, web('s9'));
  assert.equal(refused.ok, false);
  assert.ok(!refused.ok && refused.reason === 'rate' && refused.retryAfterS === 7, JSON.stringify(refused));
  assert.match(!refused.ok ? refused.message : '', /3 analyses every 10 s\. Try again in 7 s/);
  assert.deepEqual(await adm.admit('rate-b0', bob, web('s10')), OK, 'other users are not affected');
  // The same request re-sent by the platform is not counted twice.
  assert.deepEqual(await adm.admit('rate-a2', alice, web('s2')), OK);
  now += 7_001;
  assert.deepEqual(await adm.admit('rate-a4', alice, web('s11')), OK, 'the oldest left the window');
});

test('admission: at most CHANNEL_MAX_JOBS unfinished jobs per channel, freed on release', async () => {
  const adm = new AdmissionControl(rt);
  const chan: ReplyTarget = { platform: 'slack', channelId: 'C1', userId: 'U1' };
  assert.equal(channelOf(chan), 'slack:C1');
  assert.deepEqual(await adm.admit('ch-1', { platform: 'slack', userId: 'U1' }, chan), OK);
  assert.deepEqual(await adm.admit('ch-2', { platform: 'slack', userId: 'U2' }, chan), OK);
  const full = await adm.admit('ch-3', { platform: 'slack', userId: 'U3' }, chan);
  assert.ok(!full.ok && full.reason === 'channel' && full.running === 2);
  assert.match(!full.ok ? full.message : '', /already has 2 analyses queued or running \(the limit is 2\)/);
  assert.deepEqual(await adm.admit('ch-4', { platform: 'slack', userId: 'U4' }, { ...chan, channelId: 'C2' }), OK);
  await adm.release('ch-1', chan);
  assert.deepEqual(await adm.admit('ch-3', { platform: 'slack', userId: 'U3' }, chan), OK);
});

test('admission: a job that failed gives its user the rate-limit slot back', async () => {
  const carol: Requester = { platform: 'web', userId: 'carol' };
  const adm = new AdmissionControl(rt);
  for (let i = 0; i < 3; i++) assert.deepEqual(await adm.admit(`refund-${i}`, carol, web(`r${i}`)), OK);
  assert.equal((await adm.admit('refund-3', carol, web('r3'))).ok, false);
  await adm.refund('refund-0', carol, web('r0'));
  assert.equal(await rt.redis.zscore(rt.key('channel-jobs', 'web:r0'), 'refund-0'), null, 'the channel slot is freed too');
  assert.deepEqual(await adm.admit('refund-3', carol, web('r3')), OK);
});

test('admission: a work budget per user in model-seconds per window; the refusal says what is used and when it frees', async () => {
  const t0 = 5_000_000;
  let now = t0;
  // The file's count limit is 3 per 10 s: these admits are 11 s apart so only the budget speaks.
  const adm = new AdmissionControl(rt, () => now, { windowS: 600, userS: 100, channelS: 0 });
  const dan: Requester = { platform: 'slack', userId: 'dan' };
  const job = (costS: number) => ({ costS, queue: 'model', what: '/logits' });
  assert.equal((await adm.admit('cost-1', dan, web('c1'), job(40))).ok, true);
  now += 11_000;
  assert.equal((await adm.admit('cost-2', dan, web('c2'), job(40))).ok, true);
  assert.equal(await adm.usedS({ requester: dan }), 80);
  now += 11_000;
  const refused = await adm.admit('cost-3', dan, web('c3'), job(30));
  assert.ok(!refused.ok && refused.reason === 'cost', JSON.stringify(refused));
  // 80 used + 30 > 100: it fits once the first 40 leave the window, 600 − 22 = 578 s from now.
  assert.deepEqual({ scope: refused.scope, usedS: refused.usedS, budgetS: refused.budgetS, costS: refused.costS, retryAfterS: refused.retryAfterS },
    { scope: 'user', usedS: 80, budgetS: 100, costS: 30, retryAfterS: 578 });
  assert.equal(refused.message, 'You have used 1 min 20 s of your 1 min 40 s of compute time per 10 min, and /logits with these options needs about 30 s. Enough frees up in 9 min 38 s. Smaller options (a shorter text, fewer tokens or samples) need less.');
  assert.equal(await adm.usedS({ requester: dan }), 80, 'a refused job is not charged');
  assert.equal((await adm.admit('cost-e1', { platform: 'slack', userId: 'eve' }, web('c3'), job(90))).ok, true, 'other users have their own budget');
  assert.equal((await adm.admit('cost-4', dan, web('c4'), job(20))).ok, true, 'a job that fits exactly');
  now = t0 + 600_001;
  assert.equal(await adm.usedS({ requester: dan }), 60, 'the first 40 left the window');
  assert.equal((await adm.admit('cost-5', dan, web('c5'), job(30))).ok, true);
  // The platform re-sending the same request is not charged twice.
  assert.equal((await adm.admit('cost-5', dan, web('c5'), job(30))).ok, true);
  assert.equal(await adm.usedS({ requester: dan }), 90);
  // A job that failed gives its cost back; one that ran into its timeout may keep it charged.
  await adm.refund('cost-5', dan, web('c5'));
  assert.equal(await adm.usedS({ requester: dan }), 60);
  assert.equal((await adm.admit('cost-6', dan, web('c6'), job(30))).ok, true);
  await adm.refund('cost-6', dan, web('c6'), { keepCost: true });
  assert.equal(await adm.usedS({ requester: dan }), 90);
  assert.equal(await rt.redis.zscore(rt.key('rate', 'slack', 'dan'), 'cost-6'), null, 'the count is given back');
});

test('admission: a work budget per channel, shared by its users', async () => {
  let now = 7_000_000;
  const adm = new AdmissionControl(rt, () => now, { windowS: 600, userS: 0, channelS: 50 });
  const room: ReplyTarget = { platform: 'discord', applicationId: 'a', interactionId: 'i', interactionToken: 't', tokenExpiresAt: 0, channelId: 'D1' };
  const job = { costS: 30, what: '/attention' };
  assert.equal((await adm.admit('chc-1', { platform: 'discord', userId: 'u1' }, room, job)).ok, true);
  now += 60_000;
  const full = await adm.admit('chc-2', { platform: 'discord', userId: 'u2' }, room, job);
  assert.ok(!full.ok && full.reason === 'cost' && full.scope === 'channel' && full.retryAfterS === 540, JSON.stringify(full));
  assert.equal(full.message, 'This channel has used 30 s of its 50 s of compute time per 10 min, and /attention with these options needs about 30 s. Enough frees up in 9 min.');
  assert.equal((await adm.admit('chc-3', { platform: 'discord', userId: 'u2' }, { ...room, channelId: 'D2' }, job)).ok, true, 'another channel has its own');
  assert.equal(await adm.usedS({ target: room }), 30);
});

test('admission: no job costs more than its timeout or the whole budget; a budget of 0 is off', async () => {
  let now = 9_000_000;
  const big = new AdmissionControl(rt, () => now, { windowS: 600, userS: 1000, channelS: 0 });
  const fay: Requester = { platform: 'web', userId: 'fay-cost' };
  assert.equal((await big.admit('clamp-1', fay, web('k1'), { costS: 5000 })).ok, true);
  assert.equal(await big.usedS({ requester: fay }), rt.settings.jobTimeoutMs / 1000, 'stopped at the job timeout anyway');

  const small = new AdmissionControl(rt, () => now, { windowS: 600, userS: 100, channelS: 0 });
  const gus: Requester = { platform: 'web', userId: 'gus-cost' };
  assert.equal((await small.admit('clamp-2', gus, web('k2'), { costS: 250 })).ok, true, 'dearer than the budget: runs when the window is empty');
  assert.equal(await small.usedS({ requester: gus }), 100);
  now += 11_000;
  const again = await small.admit('clamp-3', gus, web('k3'), { costS: 250, what: '/logits' });
  assert.ok(!again.ok && again.reason === 'cost' && again.retryAfterS === 589);
  assert.match(again.message, /and \/logits with these options needs all of it \(about 1 min 40 s or more\)\. Enough frees up in 9 min 49 s/);

  const off = new AdmissionControl(rt, () => now, { windowS: 600, userS: 0, channelS: 0 });
  for (let i = 0; i < 3; i++) {
    now += 11_000;
    assert.equal((await off.admit(`off-${i}`, { platform: 'web', userId: 'hal-cost' }, web(`o${i}`), { costS: 299 })).ok, true);
  }
});

test('admission: the rank of a job among its user\'s unfinished ones in its queue, for fair scheduling', async () => {
  let now = 11_000_000;
  const adm = new AdmissionControl(rt, () => now, { userS: 0, channelS: 0 });
  const ivy: Requester = { platform: 'web', userId: 'ivy-rank' };
  const rank = async (id: string, queue: string) => {
    now += 11_000;
    const a = await adm.admit(id, ivy, web(id), { queue });
    return a.ok ? a.rank : NaN;
  };
  assert.deepEqual([await rank('rk-1', 'model'), await rank('rk-2', 'model'), await rank('rk-3', 'light'), await rank('rk-4', 'model')], [1, 2, 1, 3]);
  assert.equal(await rank('rk-2', 'model'), 2, 'a re-sent request keeps its rank');
  await adm.release('rk-1', web('rk-1'));
  await adm.refund('rk-4', ivy, web('rk-4'));
  assert.equal(await rank('rk-5', 'model'), 2, 'finished and failed jobs no longer count');
  assert.equal(await rt.redis.exists(rt.key('admitted', 'rk-1')), 0);
  assert.equal(await rank('rk-6', 'light'), 2);
});

test('web deliverer: progress, result with PNGs and errors arrive in order on the session stream', async () => {
  const d = createWebDeliverer({ redis: rt.redis, prefix: rt.prefix });
  const target = { platform: 'web' as const, sessionId: 'tab-1' };
  await d.progress(target, 'running /fourier · starting');
  await d.deliverResult(target, result(7));
  await d.deliverError(target, 'layer: must be at most 11');
  const events = await readWebEvents(rt.redis, rt.prefix, 'tab-1');
  assert.deepEqual(events.map((e) => e.type), ['progress', 'result', 'error']);
  const r = events[1]!;
  assert.ok(r.type === 'result');
  assert.equal(r.result.seed, 7);
  assert.deepEqual(r.result.figures.map((f) => f.png.length), [1008, 70_008]);
  assert.ok(r.result.figures[1]!.png.equals(PNG(70_000)));
  assert.deepEqual(await readWebEvents(rt.redis, rt.prefix, 'tab-1', events[2]!.id), []);
  const t0 = Date.now();
  assert.deepEqual(await readWebEvents(rt.redis, rt.prefix, 'tab-1', '$', 100), [], 'blocking read times out empty');
  assert.ok(Date.now() - t0 >= 90);
});
