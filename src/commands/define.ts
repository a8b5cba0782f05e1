// What a slash command is, platform-neutrally: a name, a one-line description and typed options
// with limits. Analysis commands take their options from the analysis's zod schema (plus `model`
// for GPT-2 analyses) and become queued jobs; text commands (/posts, /help, /job) answer at once.
// One definition feeds Discord's command JSON, the Slack `/lab` parser and the playground.
import type { z } from 'zod';
import { KNOWN_BERT_MODELS, KNOWN_MODELS } from '../../models/registry.ts';
import { ANALYSES } from '../analyses/index.ts';
import { describeOptions, type OptionInfo } from '../analyses/options.ts';
import { DEFAULT_BERT_MODEL, type Analysis, type AnalysisArch } from '../analyses/types.ts';
import type { Deliverer, TextReply } from '../chat/types.ts';
import type { ReplyTarget, Requester } from '../queue/jobs.ts';
import type { QueueRuntime } from '../queue/runtime.ts';

export interface CommandContext {
  requester: Requester;
  target: ReplyTarget;
  runtime: QueueRuntime;
  /** Every loaded command, for /help. */
  commands: readonly CommandDefinition[];
  /** Deliverers, for a command that must post to another pending message (/job cancel). */
  deliverers: (target: ReplyTarget) => Deliverer;
}

/** One verb of a command that has verbs (`/digest subscribe day:monday`). */
export interface Subcommand {
  name: string;
  description: string;
  /** The command options this verb takes (a subset of the command's schema). */
  options: readonly string[];
}

/** Where the chosen verb arrives in rawOptions; a command with subcommands declares it in its schema. */
export const SUBCOMMAND_OPTION = 'subcommand';

export interface TextCommand<S extends z.ZodObject = z.ZodObject> {
  kind: 'text';
  name: string;
  description: string;
  options: S;
  /**
   * Verbs written as the first word (`/digest subscribe`, Slack `/lab digest subscribe`) and
   * registered as Discord subcommands. The verb arrives as rawOptions[SUBCOMMAND_OPTION].
   */
  subcommands?: readonly Subcommand[];
  /** Shown only to the user who asked (help, job status) or to the channel (the catalog). */
  ephemeral: boolean;
  execute(options: z.infer<S>, ctx: CommandContext): Promise<TextReply>;
}

export interface AnalysisCommand {
  kind: 'analysis';
  name: string;
  description: string;
  /** The registered analysis, or undefined while its module has not landed. */
  analysis(): Analysis | undefined;
}

export type CommandDefinition = TextCommand | AnalysisCommand;

export function defineTextCommand<S extends z.ZodObject>(def: Omit<TextCommand<S>, 'kind'>): TextCommand {
  return { kind: 'text', ...def } as unknown as TextCommand;
}

/** The command for a post's analysis; the command name is the analysis id. */
export function defineAnalysisCommand(def: { analysis: string; description: string }): AnalysisCommand {
  return {
    kind: 'analysis',
    name: def.analysis,
    description: def.description,
    analysis: () => ANALYSES.find((a) => a.id === def.analysis),
  };
}

/**
 * Model names a chat user may pick for an analysis of this family (default GPT-2): never a local
 * path, which is for the CLI only, and never the other family's models.
 */
export function modelChoices(arch: AnalysisArch = 'gpt2'): string[] {
  return (arch === 'bert' ? KNOWN_BERT_MODELS : KNOWN_MODELS).map((m) => m.name);
}

export const MODEL_OPTION = 'model';

function modelOption(analysis: Analysis, defaultModel: string): OptionInfo {
  if (analysis.arch === 'bert') {
    const preferred = analysis.preferredModel && analysis.preferredModel !== DEFAULT_BERT_MODEL ? `${analysis.preferredModel} as in the post when downloaded, else ` : '';
    return {
      name: MODEL_OPTION,
      type: 'string',
      description: `BERT checkpoint to run on (default ${preferred}${DEFAULT_BERT_MODEL} when downloaded, else tiny-random-bert); a named model must be downloaded`,
      choices: modelChoices('bert'),
      required: false,
    };
  }
  const preferred = analysis.preferredModel && analysis.preferredModel !== defaultModel ? analysis.preferredModel : undefined;
  const dflt = preferred ? `${preferred} as in the post when downloaded, else ${defaultModel}` : defaultModel;
  return {
    name: MODEL_OPTION,
    type: 'string',
    description: `GPT-2 checkpoint to run on (default ${dflt}); a named model must be downloaded`,
    choices: modelChoices(),
    required: false,
  };
}

/** The options a user can give a command, in the order platforms should list them. */
export function commandOptions(cmd: CommandDefinition, defaultModel: string): readonly OptionInfo[] {
  if (cmd.kind === 'text') return describeOptions(cmd.options);
  const analysis = cmd.analysis();
  if (!analysis) return [];
  const opts = describeOptions(analysis.options);
  return analysis.usesModel ? [...opts, modelOption(analysis, defaultModel)] : opts;
}
