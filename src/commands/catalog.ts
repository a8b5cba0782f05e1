// The commands as data, for the web playground's autocomplete (and anything else that lists them).
import { COMMANDS } from '../../commands/index.ts';
import { notebookUrl } from '../catalog/posts.ts';
import type { OptionInfo } from '../analyses/options.ts';
import { config } from '../config.ts';
import { commandOptions, type CommandDefinition } from './define.ts';
import { invocation, optionSummary, typedValue } from './usage.ts';

export interface CatalogOption extends OptionInfo {
  /** "integer 0–11, default 5" */
  summary: string;
}

export interface CatalogCommand {
  name: string;
  description: string;
  kind: 'analysis' | 'text';
  /** GPT-2 analyses take a `model` option and run on the model queue. */
  usesModel: boolean;
  post?: { title: string; url: string; notebookUrl: string };
  options: CatalogOption[];
  /** Verbs typed right after the name (`/digest subscribe`), with the options each takes. */
  subcommands?: { name: string; description: string; options: string[] }[];
  /** A ready-to-run example, as typed in the playground. */
  example: string;
}

export function commandCatalog(commands: readonly CommandDefinition[] = COMMANDS, defaultModel = config.MODEL): CatalogCommand[] {
  return commands.map((c) => {
    const options = commandOptions(c, defaultModel).map((o) => ({ ...o, summary: optionSummary(o) }));
    const analysis = c.kind === 'analysis' ? c.analysis() : undefined;
    // An example chip shows one option at its default: a short one, never a paragraph of text.
    const ex = options.find((o) => o.default !== undefined && o.type !== 'boolean' && !/\n/.test(String(o.default)) && String(o.default).length <= 60);
    return {
      name: c.name,
      description: c.description,
      kind: c.kind,
      usesModel: analysis?.usesModel ?? false,
      ...(analysis ? { post: { title: analysis.post.title, url: analysis.post.url, notebookUrl: notebookUrl(analysis.post) } } : {}),
      options,
      ...(c.kind === 'text' && c.subcommands ? { subcommands: c.subcommands.map((v) => ({ name: v.name, description: v.description, options: [...v.options] })) } : {}),
      example: c.kind === 'text' && c.subcommands
        ? invocation('web', c.name, c.subcommands[0]!.name)
        : invocation('web', c.name, ex ? `${ex.name}:${typedValue(ex.default)}` : ''),
    };
  });
}
