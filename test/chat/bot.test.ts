// `npm run bot` with nothing or half of Slack configured: it says what to set and exits non-zero.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { test } from 'node:test';
import { promisify } from 'node:util';

const run = promisify(execFile);
const bot = (env: Record<string, string>) => run(process.execPath, ['--import', 'tsx', 'src/bot.ts'], { env: { PATH: process.env.PATH!, ...env }, timeout: 60_000 });

test('no platform configured: how to configure each, and the playground', async () => {
  await assert.rejects(bot({}), (err: { code: number; stderr: string }) => {
    assert.equal(err.code, 1);
    assert.match(err.stderr, /No chat platform is configured/);
    assert.match(err.stderr, /DISCORD_TOKEN/);
    assert.match(err.stderr, /SLACK_SIGNING_SECRET .*HTTP/);
    assert.match(err.stderr, /SLACK_APP_TOKEN .*Socket Mode/);
    assert.match(err.stderr, /npm start` opens the local web playground/);
    return true;
  });
});

test('a Slack bot token without a signing secret or app token is refused with the reason', async () => {
  await assert.rejects(bot({ SLACK_BOT_TOKEN: 'xoxb-1' }), (err: { code: number; stdout: string }) => {
    assert.equal(err.code, 1);
    assert.match(err.stdout, /Slack needs SLACK_SIGNING_SECRET \(HTTP mode\) or SLACK_APP_TOKEN \(Socket Mode\)/);
    return true;
  });
});
