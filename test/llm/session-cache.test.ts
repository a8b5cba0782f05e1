// The LRU session cache both engines use: least recently used out first, within a weight budget,
// room made before a new session is built.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type * as ort from 'onnxruntime-node';
import { SessionCache } from '../../src/llm/session-cache.ts';

function fakeSession(name: string, log: string[]): ort.InferenceSession {
  return { release: async () => void log.push(`release ${name}`) } as unknown as ort.InferenceSession;
}

test('least recently used sessions go first, and room is made before the new one is built', async () => {
  const log: string[] = [];
  const cache = new SessionCache(100);
  const make = (name: string) => async () => (log.push(`create ${name}`), fakeSession(name, log));
  await cache.add('a', 40, make('a'));
  await cache.add('b', 40, make('b'));
  assert.ok(cache.get('a'), 'a is used again: b is now the oldest');
  await cache.add('c', 40, make('c'));
  assert.deepEqual(log, ['create a', 'create b', 'release b', 'create c']);
  assert.equal(cache.get('b'), undefined);
  assert.equal(cache.size, 2);
  await cache.releaseAll();
  assert.deepEqual(log.slice(4).sort(), ['release a', 'release c']);
  assert.equal(cache.size, 0);
});
