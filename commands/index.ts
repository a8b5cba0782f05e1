// The command loader: every other .ts file in this folder exports one command as its default
// export (the discord.js guide's command handler). Adding a command touches one file.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { POSTS } from '../src/catalog/posts.ts';
import type { CommandDefinition } from '../src/commands/define.ts';

const dir = path.dirname(fileURLToPath(import.meta.url));
const files = fs.readdirSync(dir).filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts') && f !== 'index.ts').sort();

const loaded: CommandDefinition[] = [];
for (const file of files) {
  const mod = (await import(pathToFileURL(path.join(dir, file)).href)) as { default?: CommandDefinition };
  const cmd = mod.default;
  if (!cmd || (cmd.kind !== 'text' && cmd.kind !== 'analysis')) throw new Error(`commands/${file} must export a command definition as its default export`);
  if (cmd.name !== path.basename(file, '.ts')) throw new Error(`commands/${file} defines /${cmd.name}: a command's file is named after it`);
  loaded.push(cmd);
}

// Listed as people meet them: the analyses in catalog order, then /posts, /help, /job.
const TEXT_ORDER = ['posts', 'help', 'job'];
const rank = (c: CommandDefinition) => {
  const post = POSTS.findIndex((p) => p.id === c.name);
  if (c.kind === 'analysis') return post < 0 ? POSTS.length : post;
  const t = TEXT_ORDER.indexOf(c.name);
  return 1_000 + (t < 0 ? TEXT_ORDER.length : t);
};
loaded.sort((a, b) => rank(a) - rank(b) || a.name.localeCompare(b.name));

/** Every command file, including analyses whose module has not been registered yet. */
export const ALL_COMMANDS: readonly CommandDefinition[] = loaded;

/** The commands users can run: text commands, and analysis commands whose analysis is registered. */
export const COMMANDS: readonly CommandDefinition[] = loaded.filter((c) => c.kind === 'text' || c.analysis() !== undefined);

export function findCommand(name: string): CommandDefinition | undefined {
  const n = name.trim().replace(/^\//, '').toLowerCase();
  return COMMANDS.find((c) => c.name === n);
}
