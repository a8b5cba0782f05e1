// The playground server's defences (issues 16 and 20): only localhost Host names are answered
// (DNS rebinding); malformed or oversized bodies get JSON that says what is wrong (the limit in
// words) with no stack trace or server path; every open event stream shares one blocking Redis
// connection. The page itself: an oversized command shows the limit, in Chromium.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { appendWebCommand } from '../../src/chat/web/deliver.ts';
import { compareStreamIds, createEventHub } from '../../src/chat/web/event-hub.ts';
import { COMMAND_MAX, hostName, startPlayground, type RunningPlayground } from '../../src/chat/web/server.ts';
import { openRuntime, type QueueRuntime } from '../../src/queue/runtime.ts';
import { quietLog } from '../chat/helpers.ts';
import { dropRuntime, REDIS_URL, sleep, waitFor } from '../queue/support.ts';

const prefix = `test-webh-${randomUUID().slice(0, 8)}`;
/** Every Redis connection of this test's runtime carries this name (duplicates inherit it). */
const CONN_NAME = `${prefix}-conn`;
let rt: QueueRuntime;
let playground: RunningPlayground;

before(async () => {
  rt = openRuntime({ prefix, redisUrl: REDIS_URL });
  rt.redis.options.connectionName = CONN_NAME;
  await rt.redis.client('SETNAME', CONN_NAME);
  playground = await startPlayground({ runtime: rt, port: 0, log: quietLog() });
});
after(async () => {
  await playground?.close();
  await dropRuntime(rt);
});

/** A raw HTTP request with any Host header (or none). */
function request(opts: { method?: string; path: string; host?: string | null; body?: string | Buffer; contentType?: string }): Promise<{ status: number; type: string; body: string }> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = {};
    if (opts.body !== undefined) headers['content-type'] = opts.contentType ?? 'application/json';
    const req = http.request({ host: '127.0.0.1', port: playground.port, method: opts.method ?? 'GET', path: opts.path, headers, setHost: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode!, type: String(res.headers['content-type'] ?? ''), body }));
    });
    if (opts.host !== null) req.setHeader('host', opts.host ?? `localhost:${playground.port}`);
    req.on('error', reject);
    req.end(opts.body);
  });
}

/** No stack frames, no file paths of this machine. */
function assertClean(body: string): void {
  assert.doesNotMatch(body, /\bat [\w.<>]+ \(|node_modules|\/work\/|\.ts:\d+|\.js:\d+|Error:/, body);
}

describe('playground HTTP hardening', () => {
  test('Host names: localhost, 127.0.0.1 and [::1] are answered; any other name gets 403 JSON', async () => {
    for (const host of [`localhost:${playground.port}`, 'localhost', `127.0.0.1:${playground.port}`, `[::1]:${playground.port}`, 'LOCALHOST']) {
      assert.equal((await request({ path: '/api/catalog', host })).status, 200, host);
    }
    for (const host of ['evil.example', `evil.example:${playground.port}`, 'localhost.evil.example', '127.0.0.1.nip.io', '']) {
      const r = await request({ path: '/api/catalog', host });
      assert.equal(r.status, 403, host);
      assert.match(r.type, /application\/json/);
      assert.match(JSON.parse(r.body).error, /answers only at localhost, 127\.0\.0\.1, \[::1\]/);
    }
    // The page itself and commands are refused too, not only the API.
    assert.equal((await request({ path: '/', host: 'evil.example' })).status, 403);
    assert.equal((await request({ method: 'POST', path: '/api/command', host: 'evil.example', body: JSON.stringify({ session: 'abcdefgh', text: '/help' }) })).status, 403);
    // HTTP/1.0 without any Host header.
    const raw = await new Promise<string>((resolve, reject) => {
      const sock = net.connect(playground.port, '127.0.0.1', () => sock.end('GET /api/catalog HTTP/1.0\r\n\r\n'));
      let got = '';
      sock.on('data', (c) => (got += c));
      sock.on('end', () => resolve(got));
      sock.on('error', reject);
    });
    assert.match(raw, /^HTTP\/1\.[01] 403/);
    assert.equal(hostName('[::1]:3000'), '[::1]');
    assert.equal(hostName('Example.COM.'), 'example.com');
    assert.equal(hostName('a b'), undefined);
  });

  test('a malformed JSON body: 400 JSON that says so, no stack trace', async () => {
    const r = await request({ method: 'POST', path: '/api/command', body: '{"session": "abcdefgh", "text": ' });
    assert.equal(r.status, 400);
    assert.match(r.type, /application\/json/);
    assert.match(JSON.parse(r.body).error, /not valid JSON/);
    assertClean(r.body);
  });

  test('an oversized body: 413 JSON naming the limit in words; a long command under it: 400 with the limit', async () => {
    const big = await request({ method: 'POST', path: '/api/command', body: JSON.stringify({ session: 'abcdefgh', text: `/tokens text:${'x'.repeat(40_000)}` }) });
    assert.equal(big.status, 413);
    assert.match(big.type, /application\/json/);
    // The limit is the longest option text (/heatmap's 4,000 characters) plus 1,000 for the rest.
    assert.equal(COMMAND_MAX, 5_000);
    assert.equal(JSON.parse(big.body).error, "The command is too long: the playground takes at most 5,000 characters (this request was over the playground's 24 KB limit).");
    assertClean(big.body);
    const long = await request({ method: 'POST', path: '/api/command', body: JSON.stringify({ session: 'abcdefgh', text: `/tokens text:${'x'.repeat(5_487)}` }) });
    assert.equal(long.status, 400);
    assert.equal(JSON.parse(long.body).error, 'The command is too long: the playground takes at most 5,000 characters (this one has 5,500).');
    // A text at its option's own limit fits: /heatmap text: takes 4,000 characters, as /help says.
    const atLimit = await request({ method: 'POST', path: '/api/command', body: JSON.stringify({ session: 'abcdefgh', text: `/heatmap text:"${'我'.repeat(4_000)}"` }) });
    assert.notEqual(atLimit.status, 413);
    assert.doesNotMatch(atLimit.body, /too long/);
  });

  test('other bad requests: JSON, no server paths', async () => {
    const unknown = await request({ path: '/api/nope' });
    assert.equal(unknown.status, 404);
    assert.equal(JSON.parse(unknown.body).error, 'No such playground API.');
    const badUri = await request({ path: '/%E0%A4%A' });
    assert.ok(badUri.status >= 400 && badUri.status < 500, String(badUri.status));
    assertClean(badUri.body);
    const charset = await request({ method: 'POST', path: '/api/command', body: '{}', contentType: 'application/json; charset=koi8-r' });
    assert.equal(charset.status, 415);
    assertClean(charset.body);
  });
});

/** An open SSE stream: its data events as they arrive. */
function openStream(session: string) {
  const controller = new AbortController();
  const events: { id: string; type: string; text?: string }[] = [];
  let raw = '';
  const done = (async () => {
    const res = await fetch(`${playground.url}/api/events?session=${session}`, { signal: controller.signal });
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    for (;;) {
      const { done: end, value } = await reader.read();
      if (end) break;
      raw += decoder.decode(value, { stream: true });
      let cut: number;
      while ((cut = raw.indexOf('\n\n')) >= 0) {
        const block = raw.slice(0, cut);
        raw = raw.slice(cut + 2);
        const data = block.split('\n').find((l) => l.startsWith('data: '));
        if (data) events.push(JSON.parse(data.slice(6)));
      }
    }
  })().catch(() => {});
  return { events, close: () => controller.abort(), done };
}

async function namedConnections(): Promise<number> {
  const list = String(await rt.redis.client('LIST'));
  return list.split('\n').filter((l) => l.includes(` name=${CONN_NAME} `)).length;
}

describe('playground event streams share one blocking connection', () => {
  test('N open streams (several tabs per session too) use 1 extra Redis connection, and each gets its own events', async () => {
    const baseline = await namedConnections();
    const sessions = ['sess-aaaaaaaa', 'sess-bbbbbbbb', 'sess-cccccccc'];
    const target = (s: string) => ({ platform: 'web' as const, sessionId: s, requestId: `r-${s}` });
    await appendWebCommand({ redis: rt.redis, prefix }, target(sessions[0]!), '/help before');
    const streams = [...sessions, sessions[0]!, sessions[1]!, sessions[2]!].map((s) => ({ s, ...openStream(s) }));
    // The history is replayed to both tabs of the first session.
    await waitFor(() => streams.filter((x) => x.s === sessions[0]).every((x) => x.events.length === 1), 5_000, 'the history');
    await sleep(300); // every stream is waiting now
    assert.equal(await namedConnections(), baseline + 1, 'six open streams, one blocking reader');

    // Live events reach every tab of their own session, and only those.
    for (const s of sessions) await appendWebCommand({ redis: rt.redis, prefix }, target(s), `/posts ${s}`);
    await waitFor(() => streams.every((x) => x.events.some((e) => e.text === `/posts ${x.s}`)), 5_000, 'live events');
    for (const x of streams) assert.ok(x.events.every((e) => e.type === 'command' && (e.text === '/help before' || e.text === `/posts ${x.s}`)), JSON.stringify(x.events));

    // A tab opened later (the blocked read does not cover its session yet) is served at once.
    const late = openStream('sess-dddddddd');
    await sleep(200);
    const t0 = performance.now();
    await appendWebCommand({ redis: rt.redis, prefix }, target('sess-dddddddd'), '/job late');
    await waitFor(() => late.events.some((e) => e.text === '/job late'), 3_000, 'the late tab');
    assert.ok(performance.now() - t0 < 1_500, `late tab served after ${(performance.now() - t0).toFixed(0)} ms`);
    assert.equal(await namedConnections(), baseline + 1);

    for (const x of [...streams, late]) x.close();
    await Promise.all([...streams, late].map((x) => x.done));
  });

  test('the hub wakes only waiters behind the newest entry, and times out, aborts and closes cleanly', async () => {
    assert.ok(compareStreamIds('0', '1-0') < 0 && compareStreamIds('10-0', '9-5') > 0 && compareStreamIds('5-2', '5-10') < 0);
    const hub = createEventHub(rt.redis, { blockMs: 1_000 });
    const key = `${prefix}:hub-test`;
    const first = await rt.redis.xadd(key, '*', 'a', '1');
    assert.equal(await hub.waitForNew(key, '0', 2_000), true, 'an existing entry after the cursor wakes at once');
    assert.equal(await hub.waitForNew(key, first!, 300), false, 'nothing newer: times out');
    const controller = new AbortController();
    const aborted = hub.waitForNew(key, first!, 5_000, controller.signal);
    controller.abort();
    assert.equal(await aborted, false);
    const waiting = hub.waitForNew(key, first!, 5_000);
    await sleep(50);
    await rt.redis.xadd(key, '*', 'b', '2');
    assert.equal(await waiting, true);
    const pending = hub.waitForNew(key, '9999999999999-0', 5_000);
    hub.close();
    assert.equal(await pending, false);
  });
});

const CHROMIUM = '/usr/bin/chromium';
const skip = fs.existsSync(CHROMIUM) ? false : `Chromium is not installed at ${CHROMIUM}`;

describe('the page shows the limit of an oversized command', { skip }, () => {
  let browser: Browser;
  let page: Page;
  before(async () => {
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-background-networking'] });
    page = await (await browser.newContext()).newPage();
  });
  after(async () => {
    await browser?.close();
  });

  test('over the command limit: checked in the page; over the body limit: the server\'s words, not "HTTP 413"', async () => {
    await page.goto(playground.url);
    await page.locator('#examples .chip').first().waitFor();
    const input = page.locator('#input');
    await input.fill(`/tokens text:${'y'.repeat(5_100)}`);
    await input.press('Enter');
    await page.locator('.card.error', { hasText: 'at most 5,000 characters (this one has 5,113)' }).waitFor({ timeout: 5_000 });

    // A page that believes in a larger limit (an older page, a changed server) gets the server's answer.
    await page.route('**/api/catalog', async (route) => {
      const res = await route.fetch();
      const body = await res.json();
      await route.fulfill({ response: res, json: { ...body, limits: { commandChars: 1_000_000 } } });
    });
    await page.reload();
    await page.locator('#examples .chip').first().waitFor();
    await input.fill(`/tokens text:${'z'.repeat(40_000)}`);
    await input.press('Enter');
    const card = page.locator('.card.error', { hasText: "over the playground's 24 KB limit" });
    await card.waitFor({ timeout: 5_000 });
    assert.doesNotMatch(await card.innerText(), /HTTP 413/);
  });

  test('an error that echoes a masked link shows it as text, not as a link', async () => {
    await page.unroute('**/api/catalog');
    await page.reload();
    await page.locator('#examples .chip').first().waitFor();
    await page.locator('#input').fill('/correlation n:[Free](https://evil.example/x)');
    await page.locator('#input').press('Enter');
    const card = page.locator('.card.error', { hasText: 'expected a number' });
    await card.waitFor({ timeout: 10_000 });
    assert.match(await card.innerText(), /\[Free\]\(https:\/\/evil\.example\/x\)/);
    assert.equal(await page.locator('a[href*="evil.example"]').count(), 0);
  });
});
