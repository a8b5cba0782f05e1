// Docker is not available where the tests run, so the deployment files are checked as text:
// the settings the design relies on are there, and .env.example documents every variable.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { repoRoot } from '../../src/config.ts';

const read = (f: string) => fs.readFileSync(path.join(repoRoot, f), 'utf8');

/** The lines of one top-level service in docker-compose.yml (two-space indented block). */
function service(name: string): string {
  const lines = read('docker-compose.yml').split('\n');
  const start = lines.indexOf(`  ${name}:`);
  assert.ok(start >= 0, `service ${name}`);
  const body: string[] = [];
  for (const line of lines.slice(start + 1)) {
    if (/^ {0,2}\S/.test(line)) break;
    body.push(line);
  }
  return body.join('\n');
}

test('redis keeps an append-only file and never evicts keys', () => {
  const redis = service('redis');
  assert.match(redis, /"--appendonly", "yes"/);
  assert.match(redis, /"--maxmemory-policy", "noeviction"/);
  assert.match(redis, /redis-data:\/data/);
});

test('workers scale (no container name, no published port) and outlast their shutdown deadline', () => {
  const worker = service('worker');
  assert.doesNotMatch(worker, /container_name|ports:/);
  assert.match(worker, /workers\/analysis\.ts/);
  assert.match(worker, /stop_grace_period: 75s/);
  assert.match(worker, /ORT_THREADS: \$\{WORKER_CPUS:-2\}/);
  assert.match(worker, /cpus: \$\{WORKER_CPUS:-2\}/);
});

test('the bot and the password-protected dashboard are services', () => {
  assert.match(service('bot'), /src\/bot\.ts/);
  assert.match(service('dashboard'), /src\/queue\/dashboard\.ts/);
});

test('.env.example lists every variable src/config.ts reads, including DESIGN.md §5', () => {
  const example = new Set(read('.env.example').split('\n').filter((l) => /^[A-Z_]+=/.test(l)).map((l) => l.split('=')[0]));
  const configKeys = [...read('src/config.ts').matchAll(/^ {2}([A-Z][A-Z0-9_]+): z\./gm)].map((m) => m[1]!);
  assert.ok(configKeys.length > 20);
  for (const k of configKeys) assert.ok(example.has(k), `${k} in .env.example`);
  for (const k of ['REDIS_URL', 'DISCORD_TOKEN', 'DISCORD_APP_ID', 'DISCORD_GUILD_ID', 'DISCORD_API_URL', 'SLACK_BOT_TOKEN', 'SLACK_SIGNING_SECRET', 'SLACK_APP_TOKEN', 'SLACK_API_URL', 'PORT', 'MODEL', 'HF_HOME', 'HF_ENDPOINT']) {
    assert.ok(example.has(k), `${k} (DESIGN.md §5)`);
  }
});

test('the image installs from the lockfile without dev dependencies and runs as node', () => {
  const docker = read('Dockerfile');
  assert.match(docker, /^FROM node:20-slim$/m);
  assert.match(docker, /COPY package\.json package-lock\.json \.npmrc/);
  assert.match(docker, /npm ci --omit=dev/);
  assert.match(docker, /^USER node$/m);
  assert.match(read('.dockerignore'), /^node_modules$/m);
});
