// The Node flags a process that runs the engine starts with (src/llm/node-flags.ts): every entry
// point that starts a worker passes them, this Node accepts them, and the engine's memory stays
// bounded under them.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { repoRoot } from '../../src/config.ts';
import { ENGINE_NODE_FLAGS, missingEngineFlags } from '../../src/llm/node-flags.ts';
import { writeTinyDir } from './fixtures.ts';

test('missingEngineFlags names the flags a command line lacks', () => {
  assert.deepEqual(missingEngineFlags(['--import', 'tsx']), [...ENGINE_NODE_FLAGS]);
  assert.deepEqual(missingEngineFlags([...ENGINE_NODE_FLAGS, '--import', 'tsx']), []);
});

test('this Node accepts the engine flags, and a process started with them sees them', async () => {
  const { stdout } = await promisify(execFile)(process.execPath, [...ENGINE_NODE_FLAGS, '--import', 'tsx', '-e',
    "import('./src/llm/node-flags.ts').then((m) => console.log(JSON.stringify(m.missingEngineFlags())))"], { cwd: repoRoot });
  assert.deepEqual(JSON.parse(stdout), []);
});

test('npm run worker, docker compose and npm start start workers with the engine flags', () => {
  const pkg = JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  const compose = fs.readFileSync(path.join(repoRoot, 'docker-compose.yml'), 'utf8');
  const workerCommand = compose.match(/^\s+command: (\[.*"workers\/analysis\.ts"\])$/m);
  assert.ok(workerCommand, 'docker-compose.yml has a worker command');
  const start = fs.readFileSync(path.join(repoRoot, 'src/start.ts'), 'utf8');
  for (const flag of ENGINE_NODE_FLAGS) {
    assert.match(pkg.scripts.worker, new RegExp(`^node (\\S+ )*${flag} .*workers/analysis\\.ts$`));
    assert.ok((JSON.parse(workerCommand[1]) as string[]).includes(flag), `docker-compose.yml's worker command passes ${flag}`);
  }
  assert.match(start, /startNodeChild\('worker', 'workers\/analysis\.ts', env, ENGINE_NODE_FLAGS\)/);
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
