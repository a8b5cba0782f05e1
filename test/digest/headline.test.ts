// Headline figures: from the result cache when the bare command's result is fresh there,
// otherwise a run that then answers the channel's own `/correlation` from the cache too; a
// failed run or a post without a command gives a digest without a figure, saying why.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { getAnalysis } from '../../src/analyses/index.ts';
import { runAnalysis } from '../../src/analyses/run.ts';
import { findPost, POSTS } from '../../src/catalog/posts.ts';
import { defaultRunIdentity, HEADLINE_SEED, headlineFor } from '../../src/digest/headline.ts';
import type { ThreadJob } from '../../src/queue/analysis-thread.ts';
import { ResultCache } from '../../src/queue/cache.ts';
import type { QueueRuntime } from '../../src/queue/runtime.ts';
import { quietLog } from '../chat/helpers.ts';
import { dropRuntime, testRuntime } from '../queue/support.ts';

let rt: QueueRuntime;
before(() => {
  rt = testRuntime({ cacheTtlS: 600 });
});
after(() => dropRuntime(rt));

const correlation = findPost('correlation')!;
const runs: ThreadJob[] = [];
const run = (job: ThreadJob) => {
  runs.push(job);
  return runAnalysis(getAnalysis(job.analysis), job.options);
};

test('a cache miss runs the post\'s default analysis, shows its headline figure and caches it for the channel', async () => {
  const h = await headlineFor(correlation, { runtime: rt, run, log: quietLog() });
  assert.equal(runs.length, 1);
  assert.equal(runs[0]!.analysis, 'correlation');
  assert.equal(h.figure?.name, 'sweep');
  assert.equal(h.note, h.figure!.title);
  // A randomized post headlines with a fixed seed: the entry is the one dispatch looks up for
  // `/correlation seed:1` (a bare `/correlation` draws fresh samples and never hits the cache).
  assert.equal(runs[0]!.options.seed, HEADLINE_SEED);
  const cached = await new ResultCache(rt).get(defaultRunIdentity(getAnalysis('correlation'), rt.settings.defaultModel));
  assert.ok(cached && cached.figures.some((f) => f.name === 'sweep') && cached.seed === HEADLINE_SEED);
});

test('a fresh cached result is used without running anything', async () => {
  const before = runs.length;
  const h = await headlineFor(correlation, { runtime: rt, run, log: quietLog() });
  assert.equal(runs.length, before);
  assert.equal(h.figure?.name, 'sweep');
  assert.match(h.note, /from the cache$/);
});

test('a failed run or a post without a command: no figure, and the note says why', async () => {
  const fourier = findPost('fourier')!;
  const failed = await headlineFor(fourier, { runtime: rt, run: async () => { throw new Error('thread died'); }, log: quietLog() });
  assert.equal(failed.figure, undefined);
  assert.match(failed.note, /could not be drawn this time; `\/fourier` draws it on demand/);
  const noCommand = POSTS.find((p) => !p.hasAnalysis)!;
  const none = await headlineFor(noCommand, { runtime: rt, run, log: quietLog() });
  assert.equal(none.figure, undefined);
  assert.match(none.note, /no command yet/);
});
