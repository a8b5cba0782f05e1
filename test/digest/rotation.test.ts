// The rotation against a real Redis: one post per period, no repeats until every post has been
// featured, and a period claimed by many at once advances the rotation exactly once.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Rotation } from '../../src/digest/rotation.ts';
import type { QueueRuntime } from '../../src/queue/runtime.ts';
import { dropRuntime, testRuntime } from '../queue/support.ts';

let rt: QueueRuntime;
before(() => {
  rt = testRuntime();
});
after(() => dropRuntime(rt));

const ORDER = ['a', 'b', 'c', 'd'];

test('each period gets the next post; a new round starts only after every post was featured', async () => {
  const r = new Rotation(rt, ORDER);
  const picks: string[] = [];
  for (let week = 1; week <= 9; week++) picks.push((await r.claim('discord:1', `2026-W${week}`)).postId);
  assert.deepEqual(picks, ['a', 'b', 'c', 'd', 'a', 'b', 'c', 'd', 'a']);
  // Channels rotate independently.
  assert.equal((await r.claim('slack:C1', '2026-W1')).postId, 'a');
});

test('claiming a period again returns the same post and advances nothing', async () => {
  const r = new Rotation(rt, ORDER);
  const first = await r.claim('discord:2', '2026-W10');
  assert.deepEqual(first, { postId: 'a', fresh: true, index: 1 });
  assert.deepEqual(await r.claim('discord:2', '2026-W10'), { postId: 'a', fresh: false, index: 1 });
  assert.deepEqual(await r.peek('discord:2'), { postId: 'b', index: 2 });
  assert.equal((await r.claim('discord:2', '2026-W11')).postId, 'b');
});

test('twenty simultaneous claims of one period: one winner, one post, the rotation moves by one', async () => {
  const r = new Rotation(rt, ORDER);
  const claims = await Promise.all(Array.from({ length: 20 }, () => new Rotation(rt, ORDER).claim('discord:3', '2026-W20')));
  assert.equal(claims.filter((c) => c.fresh).length, 1);
  assert.deepEqual(new Set(claims.map((c) => c.postId)), new Set(['a']));
  assert.equal((await r.peek('discord:3')).postId, 'b');
});

test('a post added to the catalog mid-round is featured within the round', async () => {
  await new Rotation(rt, ORDER).claim('discord:4', 'p1'); // a
  const grown = new Rotation(rt, ['a', 'new', 'b', 'c', 'd']);
  const picks = [];
  for (let i = 2; i <= 6; i++) picks.push((await grown.claim('discord:4', `p${i}`)).postId);
  assert.deepEqual(picks, ['new', 'b', 'c', 'd', 'a']);
});
