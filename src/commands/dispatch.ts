// The one entry point every chat front calls after acknowledging a slash command. It validates,
// answers text commands at once, and turns an analysis command into a queued job — nothing slow
// happens here; workers do the rest.
//
//   command → validate options → cache? → estimated cost → rate limit / channel cap / work
//   budgets → fair priority → enqueue → 'queued'
//
// Ordering contract with the fronts: after a 'queued' outcome the pending message belongs to the
// worker (progress edits, then the result), which may start at once — for a cache hit within
// milliseconds. A front that wants to show "queued" passes `showQueued`: it is awaited after the
// request is admitted and *before* the job becomes visible to workers, so that note can never
// land on top of a result. Editing the pending message after the outcome comes back races the
// worker.
import { COMMANDS, findCommand } from '../../commands/index.ts';
import { OptionError } from '../analyses/types.ts';
import { parseOptions } from '../analyses/options.ts';
import type { Deliverer, TextReply } from '../chat/types.ts';
import { AdmissionControl, type CostBudgets } from '../queue/admission.ts';
import { cacheable, ResultCache } from '../queue/cache.ts';
import { estimateCost } from '../queue/cost.ts';
import { AnalysisJobSchema, type AnalysisJob, type ReplyTarget, type Requester } from '../queue/jobs.ts';
import { recordUserJob } from '../queue/job-status.ts';
import { checkTextRate } from '../queue/text-rate.ts';
import { presentModels } from '../queue/model-presence.ts';
import { cacheIdentity } from '../queue/processor.ts';
import { jobIdFor, sharedRuntime, type QueueKind, type QueueRuntime } from '../queue/runtime.ts';
import { MODEL_OPTION, modelChoices, type AnalysisCommand, type CommandDefinition, type TextCommand } from './define.ts';
import { invocation } from './usage.ts';

export interface CommandRequest {
  /** The platform's id for this invocation (interaction id, trigger id): the idempotency key. */
  requestId: string;
  command: string;
  /** Option values as the platform gave them: typed (Discord) or text (Slack, playground). */
  rawOptions: Record<string, unknown>;
  /** GPT-2 checkpoint; may also arrive as rawOptions.model. */
  model?: string;
  requester: Requester;
  target: ReplyTarget;
  /** Show "queued (position N)" on the pending message; awaited before the job is enqueued. */
  showQueued?: (position: number) => Promise<void>;
}

export type CommandOutcome =
  /** position: 1 = next to start, 0 = a cached result is being delivered now. */
  | { kind: 'queued'; jobId: string; position: number }
  | { kind: 'reply'; reply: TextReply; ephemeral: boolean }
  /** Bad options, rate limit, unknown command: show it only to the user. No job was made. */
  | { kind: 'error'; message: string };

export interface DispatcherDeps {
  runtime: QueueRuntime;
  commands?: readonly CommandDefinition[];
  deliverers: (target: ReplyTarget) => Deliverer;
  now?: () => number;
  /** Work budgets per user and channel (default: RATE_COST_* from the environment). */
  budgets?: Partial<CostBudgets>;
}

export interface Dispatcher {
  handle(req: CommandRequest): Promise<CommandOutcome>;
}

/** BullMQ's highest allowed priority number (the lowest priority). */
const MAX_PRIORITY = 2_097_152;

/**
 * Fair scheduling: the BullMQ priority of a job that is its user's `rank`-th unfinished one in its
 * queue. A user's first job gets none: it goes to the wait list, which workers empty before they
 * take any prioritized job. The second gets 1, the third 2, and so on (lower runs sooner, first in
 * first out within one priority). So every user's first job starts before anyone's second, every
 * second before anyone's third, however many a user queued first.
 */
export function fairPriority(rank: number): number {
  return rank <= 1 ? 0 : Math.min(rank - 1, MAX_PRIORITY);
}

/** Where a job with this priority will wait: after the whole wait list and every prioritized job not behind it. */
async function positionFor(queue: QueueRuntime['queues'][QueueKind], priority: number): Promise<number> {
  if (priority > 64) return (await queue.getJobCountByTypes('wait', 'prioritized')) + 1;
  // Priority 0 counts the wait list; 1…p the prioritized jobs that will start before this one.
  const counts = await queue.getCountsPerPriority(Array.from({ length: priority + 1 }, (_, i) => i));
  return Object.values(counts).reduce((a, b) => a + b, 0) + 1;
}

export function createDispatcher(deps: DispatcherDeps): Dispatcher {
  const rt = deps.runtime;
  const commands = deps.commands ?? COMMANDS;
  const now = deps.now ?? Date.now;
  const admission = new AdmissionControl(rt, now, deps.budgets);
  const cache = new ResultCache(rt);

  const find = (name: string) => {
    const n = name.trim().replace(/^\//, '').toLowerCase();
    return deps.commands ? commands.find((c) => c.name === n) : findCommand(n);
  };

  async function runText(cmd: TextCommand, req: CommandRequest): Promise<CommandOutcome> {
    // Text commands cost little but are not free: their own, looser per-user limit.
    const rate = await checkTextRate(rt, req.requester, req.requestId, { now: now() });
    if (!rate.ok) return { kind: 'error', message: rate.message };
    const options = parseOptions(cmd.options, req.rawOptions);
    const reply = await cmd.execute(options, { requester: req.requester, target: req.target, runtime: rt, commands, deliverers: deps.deliverers });
    return { kind: 'reply', reply, ephemeral: cmd.ephemeral };
  }

  async function enqueueAnalysis(cmd: AnalysisCommand, req: CommandRequest): Promise<CommandOutcome> {
    const analysis = cmd.analysis()!;
    const { [MODEL_OPTION]: modelOption, ...raw } = req.rawOptions;
    const askedModel = req.model ?? (modelOption === undefined ? undefined : String(modelOption));
    const options = parseOptions(analysis.options, raw) as Record<string, unknown>;
    let model: string | undefined;
    if (analysis.usesModel) {
      // Chat users pick among known checkpoints; a directory path is for the local CLI only.
      if (askedModel !== undefined && !modelChoices(analysis.arch).includes(askedModel)) {
        throw new OptionError(MODEL_OPTION, `must be one of ${modelChoices(analysis.arch).join(', ')}`);
      }
      // Only a model the user named travels with the job: it must then be present. Without one the
      // worker picks the notebook's model or the default, and says which (src/llm/provider.ts).
      model = askedModel;
    } else if (askedModel !== undefined) {
      throw new OptionError(MODEL_OPTION, `/${cmd.name} runs no language model, so it takes no model option`);
    }

    // Everything a worker needs to reply travels with the job (validated options, JSON only).
    const data: AnalysisJob = AnalysisJobSchema.parse({
      requestId: req.requestId,
      analysis: analysis.id,
      options: JSON.parse(JSON.stringify(options)) as Record<string, unknown>,
      ...(model ? { model } : {}),
      requester: req.requester,
      target: req.target,
      enqueuedAt: now(),
    });
    // A cache hit costs next to nothing and goes to its own queue; anything else is charged its
    // estimated work (cost.ts) against the user's and the channel's budgets.
    const hit = cacheable(analysis, data.options) && (await cache.has(cacheIdentity(data, analysis, rt.settings.defaultModel)));
    const kind: QueueKind = hit ? 'cached' : analysis.usesModel ? 'model' : 'light';
    const costS = hit ? 0 : estimateCost(analysis, data.options, await costModel(analysis, model)).seconds;
    const admitted = await admission.admit(req.requestId, req.requester, req.target, { costS, queue: kind, what: `/${cmd.name}` });
    if (!admitted.ok) return { kind: 'error', message: admitted.message };

    const jobId = jobIdFor(req.requestId);
    try {
      const queue = rt.queues[kind];
      const priority = fairPriority(admitted.rank);
      const position = hit ? 0 : await positionFor(queue, priority);
      await req.showQueued?.(position);
      await queue.add(analysis.id, data, { jobId, ...(priority ? { priority } : {}) });
      await recordUserJob(rt, req.requester, { kind, jobId, requestId: req.requestId, analysis: analysis.id, at: data.enqueuedAt });
      return { kind: 'queued', jobId, position };
    } catch (err) {
      // Never enqueued: nothing ran, so the slot, the count and the cost all go back.
      await admission.refund(req.requestId, req.requester, req.target).catch(() => {});
      throw err;
    }
  }

  /**
   * The model a job will run on, for its cost: the one named, else the notebook's when some worker
   * has it (model-presence.ts), else the default — the rule of resolveEngineModel (provider.ts).
   */
  async function costModel(analysis: { preferredModel?: string }, named: string | undefined): Promise<string> {
    if (named) return named;
    const preferred = analysis.preferredModel;
    if (preferred && preferred !== rt.settings.defaultModel && (await presentModels(rt, now())).has(preferred)) return preferred;
    return rt.settings.defaultModel;
  }

  return {
    async handle(req) {
      const cmd = find(req.command);
      if (!cmd) {
        const platform = req.requester.platform;
        return { kind: 'error', message: `There is no command "${req.command}". \`${invocation(platform, 'help')}\` lists the commands.` };
      }
      try {
        return cmd.kind === 'text' ? await runText(cmd, req) : await enqueueAnalysis(cmd, req);
      } catch (err) {
        if (err instanceof OptionError) {
          return { kind: 'error', message: `${err.message} — \`${invocation(req.requester.platform, 'help', `command:${cmd.name}`)}\` lists the options.` };
        }
        throw err;
      }
    },
  };
}

let shared: Dispatcher | undefined;

/** The bot's dispatcher: the shared runtime (REDIS_URL, QUEUE_PREFIX) and the registered deliverers. */
export async function handleCommand(req: CommandRequest): Promise<CommandOutcome> {
  if (!shared) {
    const { delivererFor } = await import('../chat/deliverers.ts');
    shared = createDispatcher({ runtime: sharedRuntime(), deliverers: (t) => delivererFor(t) });
  }
  return shared.handle(req);
}
