// `npm run deploy-commands` as a process, against the fake Discord: guild registration when
// DISCORD_GUILD_ID is set, global otherwise, the application id looked up when not configured.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { FakeDiscord } from '../fakes/fake-discord.ts';

const run = promisify(execFile);
let discord: FakeDiscord;
before(async () => {
  discord = await FakeDiscord.start();
});
after(async () => discord?.close());

const deploy = (env: Record<string, string>) =>
  run(process.execPath, ['--import', 'tsx', 'scripts/deploy-commands.ts'], {
    env: { PATH: process.env.PATH!, DISCORD_TOKEN: discord.token, DISCORD_API_URL: discord.apiUrl, ...env },
    timeout: 60_000,
  });

test('registers every command in the guild, and globally without DISCORD_GUILD_ID', async () => {
  const guild = await deploy({ DISCORD_APP_ID: discord.applicationId, DISCORD_GUILD_ID: '200000000000000009' });
  const inGuild = discord.commands.get('200000000000000009')!;
  assert.ok(inGuild.length >= 3, 'the text commands at least');
  for (const name of ['help', 'posts', 'job']) assert.ok(inGuild.some((c) => c.name === name), `/${name} registered`);
  assert.ok(inGuild.every((c) => c.type === 1 && c.description.length <= 100));
  assert.match(guild.stdout, new RegExp(`Registered ${inGuild.length} commands in server 200000000000000009`));

  // No DISCORD_APP_ID: the id comes from GET /applications/@me.
  const global = await deploy({});
  assert.equal(discord.find(/\/applications\/@me$/, 'GET').length, 1);
  assert.deepEqual(discord.commands.get('global')!.map((c) => c.name), inGuild.map((c) => c.name));
  assert.match(global.stdout, /global commands/);
});

test('a wrong token is a clear failure', async () => {
  await assert.rejects(deploy({ DISCORD_TOKEN: 'wrong', DISCORD_APP_ID: discord.applicationId }), (err: { code: number; stderr: string }) => {
    assert.equal(err.code, 1);
    assert.match(err.stderr, /Could not register the commands: 401: Unauthorized/);
    return true;
  });
});
