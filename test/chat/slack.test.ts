// @slack/bolt and @slack/web-api, unmodified, against the fake Slack on loopback: signed HTTP
// slash commands (and forged or stale ones), Socket Mode, and the Deliverer's external upload
// flow. The dispatcher is a stub here; test/e2e runs the real one with Redis and a worker.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { CommandOutcome, CommandRequest } from '../../src/commands/dispatch.ts';
import { startSlackBot, type RunningSlackBot } from '../../src/chat/slack/app.ts';
import { createSlackDeliverer, type SlackTarget } from '../../src/chat/slack/deliver.ts';
import { escapeSlackText, markdownToMrkdwn } from '../../src/chat/slack/mrkdwn.ts';
import type { ParsedCommandText } from '../../src/commands/slack-text.ts';
import { FakeSlack, signedSlashCommand, slackSignature } from '../fakes/fake-slack.ts';
import { isPng } from '../fakes/recording-server.ts';
import { quietLog, sampleResult } from './helpers.ts';

/** Stands in for the real `/lab` parser: `<command> key:value …`. */
function parse(text: string): ParsedCommandText {
  const [command = 'help', ...pairs] = text.trim().split(/\s+/).filter(Boolean);
  const rawOptions: Record<string, string> = {};
  for (const p of pairs) {
    const [k, v] = p.split(':');
    if (!k || v === undefined) throw new Error(`"${p}" is not key:value`);
    rawOptions[k] = v;
  }
  return { command, rawOptions };
}

function harness() {
  const seen: CommandRequest[] = [];
  const h = {
    seen,
    // Like the real dispatcher: show "queued" before the job would become visible.
    next: (async (req) => {
      await req.showQueued?.(2);
      return { kind: 'queued', jobId: 'j', position: 2 };
    }) as (req: CommandRequest) => Promise<CommandOutcome>,
    handle: (req: CommandRequest) => {
      seen.push(req);
      return h.next(req);
    },
  };
  return h;
}

describe('Slack front, HTTP mode (Bolt HTTPReceiver)', () => {
  let slack: FakeSlack;
  let bot: RunningSlackBot;
  let url: string;
  const h = harness();

  before(async () => {
    slack = await FakeSlack.start();
    bot = await startSlackBot({
      SLACK_BOT_TOKEN: slack.botToken,
      SLACK_SIGNING_SECRET: slack.signingSecret,
      SLACK_API_URL: slack.apiUrl,
      PORT: 0,
      parse,
      handle: h.handle,
      log: quietLog(),
      ackBudgetMs: 300,
    });
    url = `http://127.0.0.1:${bot.port}/slack/events`;
  });
  after(async () => {
    await bot?.stop();
    await slack?.close();
  });

  test('a signed command is acked at once with an ephemeral queued note and dispatched with its target', async () => {
    const fields = slack.slashCommand({ text: 'correlation n:50', thread_ts: '1700000000.000100' });
    const res = await signedSlashCommand(url, slack.signingSecret, fields);
    assert.equal(res.status, 200);
    assert.equal(res.body.response_type, 'ephemeral');
    assert.match(res.body.text, /^⏳ `\/lab correlation n:50` queued — position 2 in line\. The result will be posted in this thread\.$/);
    const req = h.seen.at(-1)!;
    assert.equal(req.command, 'correlation');
    assert.deepEqual(req.rawOptions, { n: '50' });
    assert.equal(req.requestId, `slack-${fields.trigger_id}`);
    assert.deepEqual(req.requester, { platform: 'slack', userId: fields.user_id, userName: fields.user_name });
    assert.deepEqual(req.target, { platform: 'slack', channelId: fields.channel_id, userId: fields.user_id, teamId: fields.team_id, responseUrl: fields.response_url, threadTs: '1700000000.000100' });
    assert.ok(res.ms < 1_000, `ack took ${res.ms} ms`);
    assert.equal(bot.mode, 'http');
    assert.equal(slack.find(/\/api\/auth\.test$/).length, 1, 'Bolt authorised the request with auth.test on the fake Web API');
  });

  test('a forged signature gets 401 and nothing is dispatched', async () => {
    const n = h.seen.length;
    const res = await signedSlashCommand(url, slack.signingSecret, slack.slashCommand({ text: 'correlation' }), { secret: 'not-the-secret' });
    assert.equal(res.status, 401);
    assert.equal(h.seen.length, n);
  });

  test('a stale timestamp (replay) gets 401 and nothing is dispatched', async () => {
    const n = h.seen.length;
    const res = await signedSlashCommand(url, slack.signingSecret, slack.slashCommand({ text: 'correlation' }), { timestamp: Math.floor(Date.now() / 1000) - 6 * 60 });
    assert.equal(res.status, 401);
    assert.equal(h.seen.length, n);
  });

  test('text the parser rejects, and errors from dispatch, come back ephemeral and escaped', async () => {
    let res = await signedSlashCommand(url, slack.signingSecret, slack.slashCommand({ text: 'correlation <!channel>' }));
    assert.equal(res.body.response_type, 'ephemeral');
    assert.equal(res.body.text, '⚠️ "&lt;!channel&gt;" is not key:value');
    h.next = async () => ({ kind: 'error', message: 'n: must be at most 10000 (got 99999)' });
    res = await signedSlashCommand(url, slack.signingSecret, slack.slashCommand({ text: 'correlation n:99999' }));
    assert.deepEqual(res.body, { response_type: 'ephemeral', text: '⚠️ n: must be at most 10000 (got 99999)' });
  });

  test('a public text reply goes in_channel', async () => {
    h.next = async () => ({ kind: 'reply', ephemeral: false, reply: { title: 'Posts', text: 'Read **this**.', links: [{ label: 'Substack', url: 'https://mikexcohen.substack.com' }] } });
    const res = await signedSlashCommand(url, slack.signingSecret, slack.slashCommand({ text: 'posts' }));
    assert.equal(res.body.response_type, 'in_channel');
    assert.equal(res.body.text, '*Posts*\nRead *this*.\n<https://mikexcohen.substack.com|Substack>');
  });

  test('a dispatch slower than the ack budget: holding ack, then the answer through response_url', async () => {
    h.next = async (req) => {
      await new Promise((r) => setTimeout(r, 600));
      await req.showQueued?.(1);
      return { kind: 'queued', jobId: 'j', position: 1 };
    };
    const fields = slack.slashCommand({ text: 'correlation' });
    const res = await signedSlashCommand(url, slack.signingSecret, fields);
    assert.equal(res.body.text, '⏳ Working on it…');
    const [answer] = await slack.waitFor(() => slack.responsesTo(fields.response_url!).length > 0 && slack.responsesTo(fields.response_url!), 3_000, 'the response_url answer');
    assert.equal(answer.replace_original, true);
    assert.match(answer.text, /queued — starting shortly/);
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(slack.responsesTo(fields.response_url!).length, 1, 'answered once');
  });

  test('an app_mention event (signed JSON) is answered in the thread of the mention', async () => {
    const body = JSON.stringify({
      token: 'x', team_id: slack.teamId, api_app_id: slack.appId, type: 'event_callback', event_id: 'Ev01', event_time: Math.floor(Date.now() / 1000),
      event: { type: 'app_mention', user: 'U0READER01', text: '<@U0BOT00001> hello', ts: '1700000000.000500', channel: 'C0READING1', event_ts: '1700000000.000500' },
      authorizations: [{ team_id: slack.teamId, user_id: 'U0BOT00001', is_bot: true }],
    });
    const ts = Math.floor(Date.now() / 1000);
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-slack-request-timestamp': String(ts), 'x-slack-signature': slackSignature(slack.signingSecret, ts, body) }, body });
    assert.equal(res.status, 200);
    const m = await slack.waitFor(() => slack.messages.find((x) => x.thread_ts === '1700000000.000500'), 3_000, 'the reply');
    assert.equal(m.channel, 'C0READING1');
    assert.match(m.text, /`\/lab help` lists them/);
  });

  test('a queued note shown in the ack is not overwritten when dispatch then outlasts the budget', async () => {
    h.next = async (req) => {
      await req.showQueued?.(4);
      await new Promise((r) => setTimeout(r, 500)); // e.g. BullMQ's add is slow
      return { kind: 'queued', jobId: 'j', position: 4 };
    };
    const fields = slack.slashCommand({ text: 'correlation' });
    const res = await signedSlashCommand(url, slack.signingSecret, fields);
    assert.match(res.body.text, /queued — position 4 in line/);
    await new Promise((r) => setTimeout(r, 600));
    assert.deepEqual(slack.responsesTo(fields.response_url!), [], 'nothing replaced the note');
  });

  test('a cache hit says so in the ack', async () => {
    h.next = async (req) => {
      await req.showQueued?.(0);
      return { kind: 'queued', jobId: 'j', position: 0 };
    };
    const res = await signedSlashCommand(url, slack.signingSecret, slack.slashCommand({ text: 'correlation' }));
    assert.match(res.body.text, /already computed — posting the cached result/);
  });
});

describe('Slack front, Socket Mode (Bolt SocketModeReceiver over ws:// on loopback)', () => {
  let slack: FakeSlack;
  let bot: RunningSlackBot;
  const h = harness();

  before(async () => {
    slack = await FakeSlack.start();
    bot = await startSlackBot({ SLACK_BOT_TOKEN: slack.botToken, SLACK_APP_TOKEN: slack.appToken, SLACK_API_URL: slack.apiUrl, PORT: 0, parse, handle: h.handle, log: quietLog() });
  });
  after(async () => {
    await bot?.stop();
    await slack?.close();
  });

  test('opens the connection with the app token and acks a slash command envelope with the queued note', async () => {
    assert.equal(bot.mode, 'socket');
    const open = slack.find(/\/api\/apps\.connections\.open$/);
    assert.equal(open.length, 1);
    assert.equal(open[0]!.headers.authorization, `Bearer ${slack.appToken}`);
    const fields = slack.slashCommand({ text: 'correlation n:20' });
    const ack = await slack.sendSlashCommand(fields);
    assert.equal(ack.payload.response_type, 'ephemeral');
    assert.match(ack.payload.text, /queued — position 2 in line\. The result will be posted in this channel\./);
    assert.equal(h.seen.at(-1)!.requestId, `slack-${fields.trigger_id}`);
  });
});

describe('Slack deliverer (@slack/web-api against the fake Web API)', () => {
  let slack: FakeSlack;
  before(async () => {
    slack = await FakeSlack.start();
  });
  after(async () => slack?.close());

  const target = (over: Partial<SlackTarget> = {}): SlackTarget => ({
    platform: 'slack',
    channelId: 'C0READING1',
    userId: 'U0READER01',
    responseUrl: slack.slashCommand().response_url!,
    ...over,
  });
  const deliverer = () => createSlackDeliverer({ SLACK_BOT_TOKEN: slack.botToken, SLACK_API_URL: slack.apiUrl });

  test('the result is uploaded with getUploadURLExternal → upload → completeUploadExternal, once, in the thread', async () => {
    const t = target({ threadTs: '1700000000.000200' });
    const before = slack.messages.length;
    await deliverer().deliverResult(t, sampleResult());

    assert.equal(slack.find(/files\.getUploadURLExternal$/).length, 2);
    assert.equal(slack.find(/^\/upload\//, 'POST').length, 2);
    const complete = slack.find(/files\.completeUploadExternal$/);
    assert.equal(complete.length, 1);
    const posted = slack.messages.slice(before);
    assert.equal(posted.length, 1);
    const m = posted[0]!;
    assert.equal(m.channel, 'C0READING1');
    assert.equal(m.thread_ts, '1700000000.000200');
    assert.deepEqual(m.files.map((f) => [f.filename, f.title, f.alt_text]), [
      ['scatter.png', 'Figure scatter', 'A test figure called scatter'],
      ['sweep.png', 'Figure sweep', 'A test figure called sweep'],
    ]);
    assert.ok(m.files.every((f) => isPng(f.data)));
    assert.match(m.text, /^\*<https:\/\/mikexcohen\.substack\.com\/p\/correlation-vs-cosine-similarity\|Correlation vs\. cosine similarity>\*\n/);
    assert.match(m.text, /\*cosine similarity\*/);
    assert.ok(m.text.includes('&lt;!channel&gt; &lt;@U123&gt; &amp; friends'), 'user text cannot mention anyone');
    assert.ok(!/<!channel>|<@U123>/.test(m.text));
    assert.match(m.text, /_seed 42 · 0\.03 s_$/);
    const notes = slack.responsesTo(t.responseUrl!);
    assert.equal(notes.length, 1);
    assert.match(notes[0].text, /Posted \*Correlation vs\. cosine similarity\* in the thread/);
  });

  test('progress updates the ephemeral note within the response_url budget, keeping one use for the end', async () => {
    const t = target();
    const d = deliverer();
    for (let i = 1; i <= 6; i++) await d.progress(t, `layer ${i}/12`);
    // 5 uses: at most one for the bot's late answer, one kept for the end, three for progress.
    assert.deepEqual(slack.responsesTo(t.responseUrl!).map((r) => r.text), ['⏳ layer 1/12', '⏳ layer 2/12', '⏳ layer 3/12']);
    await d.deliverError(t, 'The job failed: <b>boom</b>');
    assert.equal(slack.responsesTo(t.responseUrl!).at(-1).text, '⚠️ The job failed: &lt;b&gt;boom&lt;/b&gt;');
  });

  test('an error with no usable response_url goes to the user as an ephemeral message', async () => {
    const t = target({ responseUrl: undefined, threadTs: '1700000000.000300' });
    await deliverer().deliverError(t, 'Out of memory');
    assert.deepEqual(slack.ephemerals.at(-1), { channel: 'C0READING1', user: 'U0READER01', text: '⚠️ Out of memory', thread_ts: '1700000000.000300' });
  });

  test('a rate-limited Web API call is retried after Retry-After', async () => {
    slack.fail({ path: /files\.completeUploadExternal$/, status: 429, retryAfter: 1, body: { ok: false, error: 'ratelimited' } });
    const before = slack.messages.length;
    await deliverer().deliverResult(target(), sampleResult());
    assert.deepEqual(slack.find(/files\.completeUploadExternal$/).slice(-2).map((r) => r.status), [429, 200]);
    assert.equal(slack.messages.length, before + 1);
  });

  test('a result without figures is a plain message', async () => {
    const before = slack.messages.length;
    await deliverer().deliverResult(target(), sampleResult({ figures: [] }));
    assert.equal(slack.messages.length, before + 1);
    assert.equal(slack.messages.at(-1)!.files.length, 0);
  });
});

describe('Slack text', () => {
  test('escapeSlackText makes mentions, links and entities inert', () => {
    assert.equal(escapeSlackText('<!here> <@U1> <#C1> a & b > c'), '&lt;!here&gt; &lt;@U1&gt; &lt;#C1&gt; a &amp; b &gt; c');
  });
  test('markdown links become Slack links only for http(s) URLs', () => {
    assert.equal(markdownToMrkdwn('[post](https://x.test/a?b=1&c=2)'), '<https://x.test/a?b=1&amp;c=2|post>');
    assert.equal(markdownToMrkdwn('[x](!channel) [y](@U1)'), '[x](!channel) [y](@U1)');
    assert.equal(markdownToMrkdwn('## Title\n**bold**'), '*Title*\n*bold*');
  });
});
