// `npm run bench`: every benchmark in turn, each in its own process so one's memory and
// warm caches do not colour the next. `npm run bench -- engine analyses` runs a subset
// (`npm run bench -- generate`: generation with and without the key/value cache).
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const ALL = ['engine', 'generate', 'bert', 'analyses', 'queue', 'bot'];
const chosen = process.argv.slice(2).filter((a) => ALL.includes(a));
let failed = 0;
for (const name of chosen.length ? chosen : ALL) {
  console.log(`\n# bench: ${name}\n`);
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(here, `bench-${name}.ts`)], { stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`bench-${name} exited with ${r.status ?? r.signal}`);
    failed++;
  }
}
process.exitCode = failed ? 1 : 0;
