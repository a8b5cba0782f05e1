// A fresh clone anywhere must run and pass its tests: nothing in the project may read the
// workplace's shared folder (the data the posts need is bundled in data/ with its provenance).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { config, repoRoot } from '../../src/config.ts';

const DIRS = ['src', 'test', 'scripts', 'commands', 'workers', 'models', 'bin', '.ci'];
// Built from parts so this file does not match itself.
const SHARED = new RegExp(['\\.\\./' + 'shared', "'\\.\\.'\\s*,\\s*'" + "shared'", '/work/' + 'shared'].join('|'));

function* files(dir: string): Generator<string> {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) {
      if (e.name !== 'node_modules' && e.name !== 'cache') yield* files(p);
    } else if (/\.(ts|js|mjs|json|sh)$|^run$/.test(e.name)) yield p;
  }
}

test('no source, test, script or CI file refers to the shared folder', () => {
  const hits: string[] = [];
  for (const d of DIRS) {
    const dir = path.join(repoRoot, d);
    if (!fs.existsSync(dir)) continue;
    for (const f of files(dir)) {
      fs.readFileSync(f, 'utf8').split('\n').forEach((line, i) => {
        if (SHARED.test(line)) hits.push(`${path.relative(repoRoot, f)}:${i + 1}: ${line.trim()}`);
      });
    }
  }
  assert.deepEqual(hits, []);
});

test('the books and data sets the posts need are in the repository', () => {
  assert.equal(path.relative(repoRoot, config.CORPUS_DIR), path.join('data', 'gutenberg'));
  for (const id of [84, 64317, 11, 1513, 76, 219, 2591, 2148, 36, 829]) assert.ok(fs.existsSync(path.join(repoRoot, 'data', 'gutenberg', `pg${id}.txt`)), `pg${id}.txt`);
  for (const f of ['arrhythmia-first5.csv', 'seoul-bike.csv', 'residential-building.csv', 'README.md']) assert.ok(fs.existsSync(path.join(repoRoot, 'data', 'uci', f)), f);
});
