// /help — the commands, or one command's options with their limits and defaults.
import { z } from 'zod';
import { notebookUrl } from '../src/catalog/posts.ts';
import { OptionError } from '../src/analyses/types.ts';
import { commandOptions, defineTextCommand } from '../src/commands/define.ts';
import { invocation, optionSummary, typedValue } from '../src/commands/usage.ts';
import { presentModels } from '../src/queue/model-presence.ts';

export default defineTextCommand({
  name: 'help',
  description: 'The commands, or one command and its options',
  options: z.object({
    command: z.string().min(1).max(32).optional().describe('A command name, e.g. attention, to list its options'),
  }).strict(),
  ephemeral: true,
  async execute({ command }, ctx) {
    const platform = ctx.requester.platform;
    const defaultModel = ctx.runtime.settings.defaultModel;
    if (!command) {
      const lines = ctx.commands.map((c) => `• \`${invocation(platform, c.name)}\` — ${c.description}`);
      lines.push('', `\`${invocation(platform, 'help', 'command:attention')}\` lists a command's options; options are written \`name:value\`, with quotes around text that has spaces.`);
      return { title: 'substack-lab commands', text: lines.join('\n') };
    }
    const name = command.trim().replace(/^\//, '').toLowerCase();
    const cmd = ctx.commands.find((c) => c.name === name);
    if (!cmd) throw new OptionError('command', `no command "${command}"; the commands are ${ctx.commands.map((c) => c.name).join(', ')}`);
    const options = commandOptions(cmd, defaultModel);
    const lines = [cmd.description, ''];
    if (options.length === 0) lines.push('No options.');
    else {
      lines.push('Options:');
      for (const o of options) lines.push(`• \`${o.name}\` (${optionSummary(o)}) — ${o.description}`);
    }
    const analysis = cmd.kind === 'analysis' ? cmd.analysis() : undefined;
    if (analysis?.usesModel) {
      // What the workers report having downloaded: a named model that is absent fails at once.
      const present = await presentModels(ctx.runtime);
      const marks = options.find((o) => o.name === 'model')?.choices?.map((m) => `${m} ${present.has(m) ? '✓' : '✗'}`) ?? [];
      lines.push('', `Models (✓ downloaded on the workers, ✗ not: \`npx lab models pull NAME\`): ${marks.join(', ')}`);
    }
    const example = options.find((o) => o.default !== undefined && o.type !== 'boolean') ?? options.find((o) => o.choices);
    const exampleValue = example?.default ?? example?.choices?.[0];
    lines.push('', `Example: \`${invocation(platform, cmd.name, example ? `${example.name}:${typedValue(exampleValue)}` : '')}\``);
    return {
      title: invocation(platform, cmd.name),
      text: lines.join('\n'),
      ...(analysis ? { links: [{ label: 'Read the post', url: analysis.post.url }, { label: 'Notebook', url: notebookUrl(analysis.post) }] } : {}),
    };
  },
});
