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

test('admission: a sliding window per user, with the wait in the message', async () => {
  let now = 1_000_000;
  const adm = new AdmissionControl(rt, () => now);
  for (let i = 0; i < 3; i++) {
    assert.deepEqual(await adm.admit(`rate-a${i}`, alice, web(`s${i}`)), { ok: true });
    now += 1_000;
  }
  const refused = await adm.admit('rate-a3', alice, web('s9'));
  assert.equal(refused.ok, false);
  assert.ok(!refused.ok && refused.reason === 'rate' && refused.retryAfterS === 7, JSON.stringify(refused));
  assert.match(!refused.ok ? refused.message : '', /3 analyses every 10 s\. Try again in 7 s/);
  assert.deepEqual(await adm.admit('rate-b0', bob, web('s10')), { ok: true }, 'other users are not affected');
  // The same request re-sent by the platform is not counted twice.
  assert.deepEqual(await adm.admit('rate-a2', alice, web('s2')), { ok: true });
  now += 7_001;
  assert.deepEqual(await adm.admit('rate-a4', alice, web('s11')), { ok: true }, 'the oldest left the window');
});

test('admission: at most CHANNEL_MAX_JOBS unfinished jobs per channel, freed on release', async () => {
  const adm = new AdmissionControl(rt);
  const chan: ReplyTarget = { platform: 'slack', channelId: 'C1', userId: 'U1' };
  assert.equal(channelOf(chan), 'slack:C1');
  assert.deepEqual(await adm.admit('ch-1', { platform: 'slack', userId: 'U1' }, chan), { ok: true });
  assert.deepEqual(await adm.admit('ch-2', { platform: 'slack', userId: 'U2' }, chan), { ok: true });
  const full = await adm.admit('ch-3', { platform: 'slack', userId: 'U3' }, chan);
  assert.ok(!full.ok && full.reason === 'channel' && full.running === 2);
  assert.match(!full.ok ? full.message : '', /already has 2 analyses queued or running \(the limit is 2\)/);
  assert.deepEqual(await adm.admit('ch-4', { platform: 'slack', userId: 'U4' }, { ...chan, channelId: 'C2' }), { ok: true });
  await adm.release('ch-1', chan);
  assert.deepEqual(await adm.admit('ch-3', { platform: 'slack', userId: 'U3' }, chan), { ok: true });
});

test('admission: a job that failed gives its user the rate-limit slot back', async () => {
  const carol: Requester = { platform: 'web', userId: 'carol' };
  const adm = new AdmissionControl(rt);
  for (let i = 0; i < 3; i++) assert.deepEqual(await adm.admit(`refund-${i}`, carol, web(`r${i}`)), { ok: true });
  assert.equal((await adm.admit('refund-3', carol, web('r3'))).ok, false);
  await adm.refund('refund-0', carol, web('r0'));
  assert.equal(await rt.redis.zscore(rt.key('channel-jobs', 'web:r0'), 'refund-0'), null, 'the channel slot is freed too');
  assert.deepEqual(await adm.admit('refund-3', carol, web('r3')), { ok: true });
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
