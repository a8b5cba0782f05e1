// Text a user typed, echoed back in an error or a text reply, must stay inert on Discord and
// Slack (issue 20): no masked link with a label of the user's choosing, no mention, however the
// value is written (brackets, angle brackets, stray backticks that try to end a code span).
// Runs the real dispatcher (real option parsing and text commands) on Redis, and renders each
// outcome with the platforms' own message builders.
import assert from 'node:assert/strict';
import type { SlashCommand } from '@slack/bolt';
import { after, before, describe, test } from 'node:test';
import { literal } from '../../src/analyses/lib/literal.ts';
import { errorMessage, progressMessage, textReplyMessage } from '../../src/chat/discord/message.ts';
import { slackAnswer } from '../../src/chat/slack/app.ts';
import { errorMrkdwn, textReplyMrkdwn } from '../../src/chat/slack/mrkdwn.ts';
import type { Deliverer } from '../../src/chat/types.ts';
import { createDispatcher, type CommandOutcome, type Dispatcher } from '../../src/commands/dispatch.ts';
import { CommandTextError, parseSlackText } from '../../src/commands/slack-text.ts';
import type { QueueRuntime } from '../../src/queue/runtime.ts';
import { dropRuntime, testRuntime } from '../queue/support.ts';

const LINK = '[Free Nitro](https://evil.example/x)';
/** Payloads: a masked link, mentions, and attempts to break out of a code span around them. */
const PAYLOADS = [
  LINK,
  `\`${LINK}\``,
  `a\`${LINK}`,
  `\`\`${LINK}`,
  '<@123456789012345678> <@&42> <#99> @everyone',
  '<!channel> <@U0EVIL> <https://evil.example|Free>',
  `x\` ${LINK} \`y`,
];

/**
 * Discord's rendering, reduced to what matters here (after simple-markdown, which Discord uses):
 * backslash escapes make the next punctuation character plain; a run of n backticks opens a
 * code span closed by the next run of exactly n; inside code nothing is parsed. Returns the
 * text Discord would parse for links and mentions (code spans and escaped characters removed).
 */
function discordParsedText(md: string): string {
  let out = '';
  for (let i = 0; i < md.length; ) {
    if (md[i] === '\\' && i + 1 < md.length && /[^0-9A-Za-z\s]/.test(md[i + 1]!)) {
      out += '·'; // an escaped character: literal, never syntax
      i += 2;
      continue;
    }
    const code = /^(`+)([\s\S]*?[^`])\1(?!`)/.exec(md.slice(i));
    if (code) {
      out += '·';
      i += code[0].length;
      continue;
    }
    out += md[i];
    i++;
  }
  return out;
}

function assertDiscordInert(md: string, what: string): void {
  const parsed = discordParsedText(md);
  assert.doesNotMatch(parsed, /\[[^\]]*\]\(\s*<?https?:/, `${what}: a masked link survives in ${JSON.stringify(md)}`);
  assert.doesNotMatch(parsed, /<(@|#|!|:|t:|\/|https?:)/, `${what}: a mention or <link> survives in ${JSON.stringify(md)}`);
}

function assertSlackInert(mrkdwn: string, what: string): void {
  // Slack's control sequences all live in <…>: escaped user text has no < at all, so the only
  // ones left are the project's own links to the post and notebook.
  for (const m of mrkdwn.matchAll(/<([^>]*)>/g)) {
    assert.match(m[1]!, /^https:\/\/(mikexcohen\.substack\.com|github\.com|colab\.research\.google\.com)\//, `${what}: ${JSON.stringify(m[0])} in ${JSON.stringify(mrkdwn)}`);
  }
}

const slashCommand = (text: string) => ({ command: '/lab', text, channel_id: 'C1', user_id: 'U1' }) as unknown as SlashCommand;

let rt: QueueRuntime;
let dispatcher: Dispatcher;
const recorder: Deliverer = { platform: 'web', progress: async () => {}, deliverResult: async () => {}, deliverError: async () => {} };
let n = 0;
const handle = (command: string, rawOptions: Record<string, unknown>, platform: 'discord' | 'slack') =>
  dispatcher.handle({
    requestId: `echo-${++n}`,
    command,
    rawOptions,
    requester: { platform: 'web', userId: 'mallory' },
    target: { platform: 'web', sessionId: 'tab-echo' },
  }).then((o) => ({ o, platform }));

before(() => {
  rt = testRuntime({ rateLimitCount: 100, rateLimitWindowS: 60, channelMaxJobs: 3, defaultModel: 'gpt2' });
  dispatcher = createDispatcher({ runtime: rt, deliverers: () => recorder });
});
after(() => dropRuntime(rt));

function render(o: CommandOutcome): { discord: string; slack: string } {
  if (o.kind === 'error') return { discord: String(errorMessage(o.message).body.content), slack: slackAnswer(o, slashCommand('x')).text };
  if (o.kind === 'reply') {
    const embed = textReplyMessage(o.reply).body.embeds![0]!;
    return { discord: `${embed.title ?? ''}\n${embed.description ?? ''}`, slack: textReplyMrkdwn(o.reply) };
  }
  return { discord: '', slack: slackAnswer(o, slashCommand('x')).text };
}

describe('echoed user text is inert on Discord and Slack', () => {
  test('option values, option names and commands in errors (help command:, posts post:, numbers, unknown options)', async () => {
    for (const p of PAYLOADS) {
      const cases: [string, Record<string, unknown>][] = [
        ['help', { command: p.slice(0, 32) }],
        ['posts', { post: p.slice(0, 64) }],
        ['correlation', { n: p }],
        ['correlation', { pop_r: `0.5,${p}` }],
        ['zipf', { text_url: p }],
        ['correlation', { [p]: '1' }],
        [p, {}],
      ];
      for (const [command, raw] of cases) {
        const { o } = await handle(command, raw, 'discord');
        assert.ok(o.kind === 'error' || o.kind === 'queued', `${command} ${JSON.stringify(raw)}: ${o.kind}`);
        if (o.kind !== 'error') continue;
        const { discord, slack } = render(o);
        assertDiscordInert(discord, `discord ${command} ${JSON.stringify(raw)}`);
        assertSlackInert(slack, `slack ${command} ${JSON.stringify(raw)}`);
      }
    }
  });

  test('/job id: echoes the id literally in its reply', async () => {
    for (const p of PAYLOADS.filter((x) => x.length >= 4)) {
      const { o } = await handle('job', { id: p.slice(0, 64) }, 'discord');
      assert.equal(o.kind, 'reply', p);
      const { discord, slack } = render(o);
      assertDiscordInert(discord, `discord /job id:${p}`);
      assertSlackInert(slack, `slack /job id:${p}`);
      const c = await handle('job', { id: p.slice(0, 64), cancel: 'true' }, 'discord');
      const r = render(c.o);
      assertDiscordInert(r.discord, `discord /job cancel id:${p}`);
      assertSlackInert(r.slack, `slack /job cancel id:${p}`);
    }
  });

  test("Slack's parse errors and its echo of the command stay inert", () => {
    for (const p of PAYLOADS) {
      let message = '';
      try {
        parseSlackText(`${p} n:1`);
      } catch (e) {
        assert.ok(e instanceof CommandTextError || e instanceof Error);
        message = (e as Error).message;
      }
      if (message) assertSlackInert(`⚠️ ${errorMrkdwn(message)}`, `parse ${p}`);
      // The queued note shows the command in a code span: a backtick in it cannot end the span.
      const note = slackAnswer({ kind: 'queued', jobId: 'j', position: 1 }, slashCommand(`zipf text_url:${p}`)).text;
      assertSlackInert(note, `queued ${p}`);
      assert.equal(note.match(/`/g)?.length, 2, note);
    }
  });

  test("Discord error, progress and reply builders escape what is not the project's code", () => {
    // Plain text reads as it did: colons and parentheses are not escaped.
    assert.equal(errorMessage('n: must be at most 10000 (got 99999)').body.content, '⚠️ n: must be at most 10000 (got 99999)');
    // The project's code spans stay code.
    assert.equal(errorMessage('n: bad — `/help command:zipf` lists the options.').body.content, '⚠️ n: bad — `/help command:zipf` lists the options.');
    // A stray backtick cannot open a span that would shelter a link.
    const stray = String(errorMessage(`got "a\`${LINK}"`).body.content);
    assertDiscordInert(stray, 'stray backtick');
    assert.ok(stray.includes('\\`'), stray);
    assertDiscordInert(String(progressMessage(`downloading ${LINK}`).body.content), 'progress');
    // literal() spans in a text reply are escaped (and made code-safe inside a code span).
    const reply = textReplyMessage({ title: 'Your jobs', text: `None has the id \`${literal(`x\` ${LINK} \``)}\`.` });
    assertDiscordInert(String(reply.body.embeds![0]!.description), 'reply literal in code');
    assert.ok(!String(reply.body.embeds![0]!.description).includes('\uE000'), 'marks are not sent');
    for (const p of PAYLOADS) assertDiscordInert(String(errorMessage(`${literal(p)} and ${p}`).body.content), `error ${p}`);
  });
});
