// The playground in a real browser: playwright-core drives Debian's Chromium against the
// playground server, a real Redis and a real worker process. A command typed (with
// autocomplete) ends with its figures shown after queued → running → done; bad options show
// their error; history survives a reload; the page works at phone width.
// SCREENSHOTS=1 also writes docs/playground.png and docs/playground-phone.png.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { startPlayground, type RunningPlayground } from '../../src/chat/web/server.ts';
import { repoRoot } from '../../src/config.ts';
import { closeDigestQueue, digestQueue } from '../../src/digest/queue.ts';
import { ENGINE_NODE_FLAGS } from '../../src/llm/node-flags.ts';
import { openRuntime, type QueueRuntime } from '../../src/queue/runtime.ts';
import { quietLog } from '../chat/helpers.ts';
import { dropRuntime, REDIS_URL } from '../queue/support.ts';

const CHROMIUM = '/usr/bin/chromium';
const skip = fs.existsSync(CHROMIUM) ? false : `Chromium is not installed at ${CHROMIUM} (apt-get install -y chromium)`;
const SCREENSHOTS = process.env.SCREENSHOTS === '1';

describe('the playground in Chromium', { skip }, () => {
  const prefix = `test-web-${randomUUID().slice(0, 8)}`;
  let rt: QueueRuntime;
  let worker: ChildProcess;
  let playground: RunningPlayground;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const pageErrors: string[] = [];

  before(async () => {
    rt = openRuntime({ prefix, redisUrl: REDIS_URL });
    worker = spawn(process.execPath, [...ENGINE_NODE_FLAGS, '--import', 'tsx', 'workers/analysis.ts'], {
      cwd: repoRoot,
      env: { ...process.env, REDIS_URL, QUEUE_PREFIX: prefix, WORKER_QUEUES: 'light,cached', LIGHT_CONCURRENCY: '1', LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    playground = await startPlayground({ runtime: rt, port: 0, log: quietLog() });
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-background-networking'] });
    context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
    page.on('pageerror', (err) => pageErrors.push(err.message));
    await page.goto(playground.url);
    await page.locator('#examples .chip').first().waitFor();
  });

  after(async () => {
    await browser?.close();
    await playground?.close();
    if (worker && worker.exitCode === null) {
      const exited = new Promise((r) => worker.once('exit', r));
      worker.kill('SIGTERM');
      await exited;
    }
    await digestQueue(rt).obliterate({ force: true }).catch(() => {});
    await closeDigestQueue(rt);
    await dropRuntime(rt);
  });

  /** The bot message answering the latest command. */
  const lastAnswer = () => page.locator('article.msg.bot').last();

  test('a command typed with autocomplete ends with its figures, after queued → running → done', async (t) => {
    const input = page.locator('#input');
    await input.click();
    await page.keyboard.type('/corr');
    await page.locator('#suggestions li', { hasText: '/correlation' }).waitFor();
    await page.keyboard.press('Tab');
    assert.equal(await input.inputValue(), '/correlation ');
    await page.keyboard.type('sw');
    assert.deepEqual(await page.locator('#suggestions li .label').allTextContents(), ['sweep_n:', 'sweep_steps:']);
    await page.keyboard.press('Tab');
    assert.equal(await input.inputValue(), '/correlation sweep_n:');
    await page.keyboard.type('200 n:60');
    const sentAt = performance.now();
    await page.keyboard.press('Enter');

    const answer = lastAnswer();
    await answer.locator('.card.result').waitFor({ timeout: 60_000 });
    const figures = answer.locator('.figures img');
    assert.equal(await figures.count(), 3);
    await page.waitForFunction(() => Array.from(document.querySelectorAll('article.msg.bot:last-of-type .figures img')).every((i) => (i as HTMLImageElement).complete && (i as HTMLImageElement).naturalWidth > 300));
    t.diagnostic(`Enter → figures shown: ${Math.round(performance.now() - sentAt)} ms`);
    assert.equal(await answer.getAttribute('data-reached'), 'queued,running,done');
    assert.equal(await answer.locator('.card.result h2').textContent(), 'Correlation vs. cosine similarity');
    assert.match((await answer.locator('.footer').textContent()) ?? '', /seed \d+/);
    assert.equal(await page.locator('article.msg.user .typed').last().textContent(), '/correlation sweep_n:200 n:60');
    assert.deepEqual(pageErrors, []);

    if (SCREENSHOTS) {
      await input.click();
      await page.keyboard.type('/fourier ph');
      await page.locator('#suggestions li').first().waitFor();
      await page.locator('article.msg.user').last().evaluate((e) => e.scrollIntoView({ block: 'start' }));
      await page.screenshot({ path: path.join(repoRoot, 'docs', 'playground.png') });
      await input.fill('');
      await page.keyboard.press('Escape');
    }
  });

  test('a bad option shows the error, naming the option and its limit', async () => {
    await page.locator('#input').fill('/correlation n:2');
    await page.keyboard.press('Enter');
    const error = lastAnswer().locator('.card.error');
    await error.waitFor();
    assert.match((await error.textContent()) ?? '', /n: .*3/);
    await page.locator('#input').fill('/nosuchcommand');
    await page.keyboard.press('Enter');
    await page.locator('.card.error', { hasText: 'There is no command "nosuchcommand"' }).waitFor();
  });

  test('at phone width (375 px) the page fits, and a reload keeps the earlier results', async () => {
    await page.setViewportSize({ width: 375, height: 812 });
    await page.reload();
    await page.locator('article.has-result .figures img').first().waitFor();
    assert.equal(await page.locator('article.has-result').count(), 1, 'the earlier result is replayed');
    assert.equal(await page.locator('article.has-error').count(), 2, 'and so are the errors');
    const layout = await page.evaluate(() => ({
      scrollWidth: document.documentElement.scrollWidth,
      input: document.querySelector('#input')!.getBoundingClientRect().toJSON() as DOMRect,
      send: document.querySelector('#send')!.getBoundingClientRect().toJSON() as DOMRect,
      widestFigure: Math.max(...Array.from(document.querySelectorAll('.figures img')).map((i) => i.getBoundingClientRect().right)),
    }));
    assert.ok(layout.scrollWidth <= 375, `no sideways scrolling (scrollWidth ${layout.scrollWidth})`);
    assert.ok(layout.input.width >= 200 && layout.send.right <= 375 && layout.input.bottom <= 812, 'the composer is on screen');
    assert.ok(layout.widestFigure <= 375, 'figures fit the screen');

    await page.locator('#input').fill('/help');
    await page.keyboard.press('Enter');
    await lastAnswer().locator('.card.reply', { hasText: 'substack-lab commands' }).waitFor();
    if (SCREENSHOTS) {
      await page.locator('article.has-result').evaluate((e) => e.previousElementSibling?.scrollIntoView({ block: 'start' }));
      await page.screenshot({ path: path.join(repoRoot, 'docs', 'playground-phone.png') });
    }
    assert.deepEqual(pageErrors, []);
  });

  test('/digest now posts the post of the week into the page, with its headline figure', async () => {
    await page.locator('#input').fill('/digest now');
    await page.keyboard.press('Enter');
    await lastAnswer().locator('.card.reply', { hasText: 'Posting the next digest' }).waitFor();
    const digest = page.locator('article.has-digest .card.digest');
    await digest.waitFor({ timeout: 60_000 });
    assert.equal(await digest.locator('h2').textContent(), 'Correlation vs. cosine similarity');
    assert.match((await digest.textContent()) ?? '', /Try it: \/correlation offset:0[\s\S]*Discuss: /);
    await page.waitForFunction(() => (document.querySelector('article.has-digest .figures img') as HTMLImageElement | null)?.naturalWidth! > 300);
    assert.deepEqual(pageErrors, []);
  });
});
