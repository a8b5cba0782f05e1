// The Node flags and malloc settings a process that runs the engine starts with
// (src/llm/node-flags.ts): every entry point that starts a worker passes them, this Node accepts
// them, malloc then keeps a freed result's pages for the next, and the engine's memory stays
// bounded under them.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { repoRoot } from '../../src/config.ts';
import { ENGINE_MALLOC_TUNABLES, ENGINE_NODE_FLAGS, engineEnv, missingEngineFlags } from '../../src/llm/node-flags.ts';
import { writeTinyDir } from './fixtures.ts';

test('missingEngineFlags names the flags a command line lacks, and the malloc setting an environment lacks', () => {
  const malloc = `GLIBC_TUNABLES=${ENGINE_MALLOC_TUNABLES}`;
  assert.deepEqual(missingEngineFlags(['--import', 'tsx'], {}), [...ENGINE_NODE_FLAGS, malloc]);
  assert.deepEqual(missingEngineFlags([...ENGINE_NODE_FLAGS, '--import', 'tsx'], {}), [malloc]);
  assert.deepEqual(missingEngineFlags([...ENGINE_NODE_FLAGS, '--import', 'tsx'], engineEnv({})), []);
  // A GLIBC_TUNABLES of one's own, even an empty one (glibc's defaults), is a choice, not a lack.
  assert.deepEqual(missingEngineFlags([...ENGINE_NODE_FLAGS], { GLIBC_TUNABLES: '' }), []);
});

test('engineEnv adds the malloc setting to an environment without one and keeps one already set', () => {
  assert.deepEqual(engineEnv({ PATH: '/bin' }), { PATH: '/bin', GLIBC_TUNABLES: ENGINE_MALLOC_TUNABLES });
  assert.deepEqual(engineEnv({ GLIBC_TUNABLES: '' }), { GLIBC_TUNABLES: '' });
  assert.deepEqual(engineEnv({ GLIBC_TUNABLES: 'glibc.malloc.hugetlb=1' }), { GLIBC_TUNABLES: 'glibc.malloc.hugetlb=1' });
  const env = { PATH: '/bin' };
  engineEnv(env);
  assert.deepEqual(env, { PATH: '/bin' }, 'the environment passed in is not changed');
});

test('this Node accepts the engine flags, and a process started with them and engineEnv lacks nothing', async () => {
  const withoutTunables = { ...process.env };
  delete withoutTunables.GLIBC_TUNABLES;
  const { stdout } = await promisify(execFile)(process.execPath, [...ENGINE_NODE_FLAGS, '--import', 'tsx', '-e',
    "import('./src/llm/node-flags.ts').then((m) => console.log(JSON.stringify([m.missingEngineFlags(), process.env.GLIBC_TUNABLES])))"], { cwd: repoRoot, env: engineEnv(withoutTunables) });
  assert.deepEqual(JSON.parse(stdout), [[], ENGINE_MALLOC_TUNABLES]);
});

/**
 * Page faults while filling a 64 MiB Float32Array that replaces one just freed, in a child started
 * with `env`, on its main thread or in a worker thread (where a worker runs the engine).
 */
async function faultsRefillingFreedMemory(env: NodeJS.ProcessEnv, thread: boolean): Promise<{ faults: number; pages: number }> {
  const body = `
    const bytes = 64 * 2 ** 20;
    const fill = () => { const a = new Float32Array(bytes / 4); a.fill(1); return a; };
    fill(); globalThis.gc(); // the first array's pages come fresh either way; gc() frees its memory
    const before = process.resourceUsage().minorPageFault;
    fill();
    console.log(JSON.stringify({ faults: process.resourceUsage().minorPageFault - before, pages: bytes / 4096 }));`;
  const script = thread ? `new (require('node:worker_threads').Worker)(${JSON.stringify(body)}, { eval: true })` : body;
  const { stdout } = await promisify(execFile)(process.execPath, [...ENGINE_NODE_FLAGS, '--expose-gc', '-e', script], { env });
  return JSON.parse(stdout) as { faults: number; pages: number };
}

// The point of ENGINE_MALLOC_TUNABLES (node-flags.ts): onnxruntime-node returns every output in a
// new ArrayBuffer, and a run's results then land in the pages the previous run's left free, not in
// fresh pages the kernel must fault in one by one. glibc's own default, for comparison, maps
// anything over 32 MiB fresh every time; so does a worker thread's own arena, even with the rest
// of the setting.
const glibc = (process.report.getReport() as { header?: { glibcVersionRuntime?: string } }).header?.glibcVersionRuntime;
test('under the engine\'s malloc setting a new 64 MiB result reuses freed pages, in a worker thread too; under glibc\'s default it faults them in', { skip: glibc ? false : 'not glibc' }, async () => {
  const base = { PATH: process.env.PATH };
  for (const thread of [false, true]) {
    const where = thread ? 'worker thread' : 'main thread';
    const tuned = await faultsRefillingFreedMemory(engineEnv(base), thread);
    assert.ok(tuned.faults < tuned.pages / 4, `engine malloc, ${where}: ${tuned.faults} faults for ${tuned.pages} pages`);
    const plain = await faultsRefillingFreedMemory({ ...base, GLIBC_TUNABLES: '' }, thread);
    assert.ok(plain.faults > (3 * plain.pages) / 4, `glibc's default, ${where}: ${plain.faults} faults for ${plain.pages} pages`);
  }
  const ownArena = await faultsRefillingFreedMemory({ ...base, GLIBC_TUNABLES: ENGINE_MALLOC_TUNABLES.replace(':glibc.malloc.arena_max=1', '') }, true);
  assert.ok(ownArena.faults > (3 * ownArena.pages) / 4, `without arena_max=1, worker thread: ${ownArena.faults} faults for ${ownArena.pages} pages`);
});

test('npm run worker, docker compose and npm start start workers with the engine flags and malloc setting', () => {
  const pkg = JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  const compose = fs.readFileSync(path.join(repoRoot, 'docker-compose.yml'), 'utf8');
  const workerCommand = compose.match(/^\s+command: (\[.*"workers\/analysis\.ts"\])$/m);
  assert.ok(workerCommand, 'docker-compose.yml has a worker command');
  const start = fs.readFileSync(path.join(repoRoot, 'src/start.ts'), 'utf8');
  for (const flag of ENGINE_NODE_FLAGS) {
    assert.match(pkg.scripts.worker, new RegExp(`^GLIBC_TUNABLES=\\S+ node (\\S+ )*${flag} .*workers/analysis\\.ts$`));
    assert.ok((JSON.parse(workerCommand[1]) as string[]).includes(flag), `docker-compose.yml's worker command passes ${flag}`);
  }
  assert.match(start, /startNodeChild\('worker', 'workers\/analysis\.ts', engineEnv\(env\), ENGINE_NODE_FLAGS\)/);
  // A GLIBC_TUNABLES set by whoever starts them wins, as with engineEnv.
  const tunables = `\${GLIBC_TUNABLES-${ENGINE_MALLOC_TUNABLES}}`;
  assert.ok(pkg.scripts.worker.startsWith(`GLIBC_TUNABLES=${tunables} node `), `npm run worker sets GLIBC_TUNABLES: ${pkg.scripts.worker}`);
  assert.ok(compose.includes(`      GLIBC_TUNABLES: ${tunables}\n`), "docker-compose.yml's worker sets GLIBC_TUNABLES");
});

test("npm run worker's GLIBC_TUNABLES prefix gives the engine's malloc setting, or the one already set", async () => {
  // npm runs scripts with sh -c; the same prefix, through sh, in front of a Node that prints what it got.
  const pkg = JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  const prefix = pkg.scripts.worker.slice(0, pkg.scripts.worker.indexOf(' node '));
  const seen = async (env: NodeJS.ProcessEnv) =>
    (await promisify(execFile)('sh', ['-c', `${prefix} "$NODE" -e 'console.log(JSON.stringify(process.env.GLIBC_TUNABLES))'`], { env: { ...env, NODE: process.execPath } })).stdout.trim();
  assert.equal(await seen({}), JSON.stringify(ENGINE_MALLOC_TUNABLES));
  assert.equal(await seen({ GLIBC_TUNABLES: 'glibc.malloc.hugetlb=1' }), JSON.stringify('glibc.malloc.hugetlb=1'));
  assert.equal(await seen({ GLIBC_TUNABLES: '' }), JSON.stringify(''));
});

test('under the engine flags, a long run does not keep the previous run\'s logits alive', async () => {
  // With V8 collecting only on the engine's thread, the dead logits of the previous 512-token run
  // (103 MB on the tiny model's 50257-token vocabulary) used to be still allocated when the next
  // run allocated its own, so peak RSS rose by one logits array after the first run.
  const { dir, cleanup } = await writeTinyDir();
  try {
    const script = `
      const { loadEngine } = await import('./src/llm/engine.ts');
      const e = await loadEngine(process.env.TINY_DIR, { threads: 1 });
      const tokens = Array.from({ length: 512 }, (_, i) => (i * 7919 + 13) % 50257);
      const once = async () => { const r = await e.run(tokens); if (r.logits.data.length !== 512 * 50257) throw new Error('logits'); };
      const peak = () => process.resourceUsage().maxRSS * 1024;
      await once();
      const first = peak();
      for (let i = 0; i < 4; i++) await once();
      console.log(JSON.stringify({ first, last: peak() }));
      await e.dispose();`;
    const { stdout } = await promisify(execFile)(process.execPath, [...ENGINE_NODE_FLAGS, '--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: repoRoot, env: { ...process.env, TINY_DIR: dir },
    });
    const { first, last } = JSON.parse(stdout.trim().split('\n').pop()!) as { first: number; last: number };
    const logitsBytes = 512 * 50257 * 4;
    assert.ok(last - first < logitsBytes / 2, `peak RSS rose by ${((last - first) / 2 ** 20).toFixed(0)} MiB after the first run (one logits array is ${(logitsBytes / 2 ** 20).toFixed(0)} MiB)`);
  } finally {
    await cleanup();
  }
});
