// A user's text inside an explanation shows literally on every platform: no bold, no live link,
// no broken runnable hint (src/analyses/lib/literal.ts and each platform's renderer).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { escapeMarkdown, literal, plainText, quoted, renderLiterals, splitLiterals } from '../../src/analyses/lib/literal.ts';
import { resultMarkdown } from '../../src/analyses/report.ts';
import type { AnalysisResult } from '../../src/analyses/types.ts';
import { resultMessage } from '../../src/chat/discord/message.ts';
import { markdownToMrkdwn } from '../../src/chat/slack/mrkdwn.ts';

const hostile = '**loud** [click](https://evil.test) `tick` <@U1> _x_';
const explanation = `GPT-2 read ${quoted(hostile)}. Try \`/heatmap text:${literal('a`b **c**')}\` next, or read **the post**.`;

const result = (text: string): AnalysisResult => ({
  analysis: 'heatmap', title: 'T', explanation: text, postUrl: 'https://mikexcohen.substack.com/p/x', notebookUrl: 'https://github.com/n',
  model: null, seed: null, options: {}, timings: { computeMs: 1, renderMs: 1, totalMs: 2 }, figures: [], data: {},
});

describe('literal spans', () => {
  test('split into the project\'s Markdown and the user\'s text, knowing which spans sit in code', () => {
    const parts = splitLiterals(explanation);
    assert.deepEqual(parts.filter((p) => p.literal).map((p) => [p.text, p.inCode]), [[JSON.stringify(hostile), false], ['a`b **c**', true]]);
    assert.equal(plainText(explanation), `GPT-2 read ${JSON.stringify(hostile)}. Try \`/heatmap text:a\`b **c**\` next, or read **the post**.`);
  });

  test('an unclosed span (cut by a length limit) is still the user\'s to the end', () => {
    assert.deepEqual(splitLiterals(`x ${literal('**y**')}`.slice(0, -1)).map((p) => p.literal), [false, true]);
  });

  test('marks typed by a user cannot open or close a span', () => {
    assert.equal(literal('a\uE001b\uE000c'), '\uE000abc\uE001');
  });
});

describe('each platform escapes in its own syntax', () => {
  test('Discord: the user\'s Markdown is backslash-escaped, the project\'s kept, and a backtick cannot end the hint', () => {
    const d = resultMessage(result(explanation)).body.embeds![0]!.description!;
    assert.match(d, /\\\*\\\*loud\\\*\\\* \\\[click\\\]\\\(https\\:\/\/evil.test\\\) \\`tick\\` \\<@U1\\> \\_x\\_/);
    assert.doesNotMatch(d, /\[click\]\(https/);
    assert.match(d, /Try `\/heatmap text:aˋb \*\*c\*\*` next, or read \*\*the post\*\*\./);
  });

  test('Slack: no mention, no link, no formatting from the user; the project\'s bold still converts', () => {
    const m = markdownToMrkdwn(explanation);
    assert.doesNotMatch(m, /<https:\/\/evil\.test/);
    assert.doesNotMatch(m, /<@U1>/);
    assert.match(m, /&lt;@U1&gt;/);
    assert.match(m, /\*\u200B\*\u200Bloud\*\u200B\*\u200B/);
    assert.match(m, /Try `\/heatmap text:aˋb \*\*c\*\*` next, or read \*the post\*\./);
  });

  test('CLI result.md: the user\'s text escaped as Markdown', () => {
    const md = resultMarkdown(result(explanation));
    assert.ok(md.includes(renderLiterals(explanation, escapeMarkdown)));
    assert.doesNotMatch(md, /\[click\]\(https/);
  });
});
