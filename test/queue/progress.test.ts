import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ProgressThrottle, progressText, stageText } from '../../src/queue/progress.ts';
import { sleep } from './support.ts';

function recorder(delayMs = 0) {
  const sent: { text: string; at: number }[] = [];
  const t0 = performance.now();
  const send = async (text: string) => {
    sent.push({ text, at: performance.now() - t0 });
    if (delayMs) await sleep(delayMs);
  };
  return { sent, send };
}

test('the first update goes out at once, a burst collapses to its latest text, one per interval', async () => {
  const r = recorder();
  const p = new ProgressThrottle(r.send, 100);
  p.update('layer 1/12');
  for (let i = 2; i <= 12; i++) p.update(`layer ${i}/12`);
  await sleep(20);
  assert.deepEqual(r.sent.map((s) => s.text), ['layer 1/12']);
  await sleep(140);
  assert.deepEqual(r.sent.map((s) => s.text), ['layer 1/12', 'layer 12/12']);
  assert.ok(r.sent[1]!.at - r.sent[0]!.at >= 95, `second edit ${r.sent[1]!.at - r.sent[0]!.at} ms after the first`);
  await p.close();
});

test('the same text is not sent twice in a row', async () => {
  const r = recorder();
  const p = new ProgressThrottle(r.send, 0);
  p.update('rendering');
  await sleep(5);
  p.update('rendering');
  await sleep(5);
  assert.equal(r.sent.length, 1);
  await p.close();
});

test('close() drops what is pending and waits for the edit in flight, so nothing lands after the result', async () => {
  const r = recorder(80);
  const p = new ProgressThrottle(r.send, 1_000);
  p.update('starting');
  p.update('layer 3/12'); // pending behind the interval
  const t0 = performance.now();
  await p.close();
  assert.ok(performance.now() - t0 >= 60, 'close waited for the send in flight');
  p.update('after close');
  await sleep(20);
  assert.deepEqual(r.sent.map((s) => s.text), ['starting']);
});

test('a failing edit is reported and later edits still go out', async () => {
  const errors: unknown[] = [];
  const sent: string[] = [];
  let fail = true;
  const p = new ProgressThrottle(async (t) => {
    if (fail) {
      fail = false;
      throw new Error('429');
    }
    sent.push(t);
  }, 0, (e) => errors.push(e));
  p.update('a');
  await sleep(5);
  p.update('b');
  await sleep(5);
  await p.close();
  assert.equal(errors.length, 1);
  assert.deepEqual(sent, ['b']);
});

test('progress text names the command, the stage and a clamped percentage', () => {
  assert.equal(progressText('attention', stageText('layer 7/12', 7 / 12)), 'running /attention · layer 7/12 (58%)');
  assert.equal(progressText('fourier', stageText('rendering figures')), 'running /fourier · rendering figures');
  assert.equal(stageText('x', 1.7), 'x (100%)');
  assert.equal(stageText('x', Number.NaN), 'x');
});
