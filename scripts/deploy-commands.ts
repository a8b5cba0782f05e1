// `npm run deploy-commands`: registers the slash commands with Discord, from the same
// definitions the bot dispatches. With DISCORD_GUILD_ID they go to that one server and appear at
// once (development); without it they are global (production; Discord may take a while to show
// new ones everywhere). The registration is an overwrite, so removed commands disappear too.
//   --dry-run   print the command JSON instead of registering it
import { Routes, type RESTPutAPIApplicationCommandsResult } from 'discord.js';
import { createDiscordRest } from '../src/chat/discord/rest.ts';
import { toDiscordCommands } from '../src/commands/discord.ts';
import { config } from '../src/config.ts';

const commands = toDiscordCommands();

if (process.argv.includes('--dry-run')) {
  console.log(JSON.stringify(commands, null, 2));
  process.exit(0);
}
if (!config.DISCORD_TOKEN) {
  console.error('DISCORD_TOKEN is not set. Set it (and DISCORD_APP_ID) to the values from the Discord developer portal, or use --dry-run to see the commands.');
  process.exit(1);
}

const rest = createDiscordRest(config);
try {
  // The application id can be asked for with the bot token when DISCORD_APP_ID is not set.
  const appId = config.DISCORD_APP_ID ?? ((await rest.get(Routes.currentApplication())) as { id: string }).id;
  const guild = config.DISCORD_GUILD_ID;
  const route = guild ? Routes.applicationGuildCommands(appId, guild) : Routes.applicationCommands(appId);
  const registered = (await rest.put(route, { body: commands })) as RESTPutAPIApplicationCommandsResult;
  const names = registered.map((c) => `/${c.name}`).join(' ');
  console.log(guild ? `Registered ${registered.length} commands in server ${guild}: ${names}` : `Registered ${registered.length} global commands: ${names}`);
} catch (err) {
  console.error(`Could not register the commands: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
}
