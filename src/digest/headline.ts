// A post's headline figure: from the result cache when a fresh result of the post's default run
// is there (someone ran the bare command lately), otherwise by running the analysis — in an
// analysis thread on the worker, like any other job — and caching it for the next person.
import { ANALYSES } from '../analyses/index.ts';
import { parseOptions } from '../analyses/options.ts';
import type { Analysis, AnalysisResult, Figure } from '../analyses/types.ts';
import type { Post } from '../catalog/posts.ts';
import type { ThreadJob } from '../queue/analysis-thread.ts';
import { ResultCache, type CacheIdentity } from '../queue/cache.ts';
import type { Logger } from '../queue/processor.ts';
import type { QueueRuntime } from '../queue/runtime.ts';
import { digestContent } from './content.ts';

export interface Headline {
  figure?: Figure;
  /** What the figure is (and on which model), or why there is none. */
  note: string;
}

export interface HeadlineDeps {
  runtime: QueueRuntime;
  /** Runs an analysis off the event loop (an analysis thread in the worker). */
  run: (job: ThreadJob) => Promise<AnalysisResult>;
  log: Logger;
  analyses?: readonly Analysis[];
}

/** Randomized posts headline with this seed, so the figure is reproducible (and cacheable). */
export const HEADLINE_SEED = 1;

/**
 * The cache identity of the post's default run (`/fourier`, or `/correlation seed:1` where the
 * analysis draws samples): the same key dispatch computes, so the digest and the channel's own
 * runs share one entry.
 */
export function defaultRunIdentity(analysis: Analysis, defaultModel: string): CacheIdentity {
  const raw = 'seed' in analysis.options.shape ? { seed: HEADLINE_SEED } : {};
  const options = JSON.parse(JSON.stringify(parseOptions(analysis.options, raw))) as Record<string, unknown>;
  return { analysis: analysis.id, options, model: analysis.usesModel ? (analysis.preferredModel ?? defaultModel) : null };
}

function describe(figure: Figure, result: AnalysisResult, cached: boolean): string {
  const model = result.model ? ` · ${result.model.name}${result.model.tinyRandom ? ' (tiny random weights: the method, not what GPT-2 learned)' : ''}` : '';
  return `${figure.title}${model}${cached ? ' · from the cache' : ''}`;
}

export async function headlineFor(post: Post, deps: HeadlineDeps): Promise<Headline> {
  const analysis = (deps.analyses ?? ANALYSES).find((a) => a.id === post.id);
  if (!analysis) return { note: 'This post has no command yet, so there is no figure: open the notebook to run it yourself.' };

  const rt = deps.runtime;
  const identity = defaultRunIdentity(analysis, rt.settings.defaultModel);
  const cache = new ResultCache(rt);
  let result = await cache.get(identity);
  const cached = result !== null;
  if (!result) {
    try {
      // No model named: the worker runs the notebook's model or the default, whichever is here.
      result = await deps.run({ analysis: analysis.id, options: identity.options });
    } catch (err) {
      deps.log.warn({ err, analysis: analysis.id }, 'digest: the headline run failed; posting without a figure');
      return { note: `The figure could not be drawn this time; \`/${analysis.id}\` draws it on demand.` };
    }
    // As the analysis worker does: a run on stand-in weights must not answer for the real model.
    if (!analysis.usesModel || result.model?.name === identity.model) {
      await cache.put(identity, result).catch((err: unknown) => deps.log.warn({ err, analysis: analysis.id }, 'digest: caching the headline result failed'));
    }
  }
  const wanted = digestContent(post.id).headline?.figure;
  const figure = result.figures.find((f) => f.name === wanted) ?? result.figures[0];
  if (!figure) return { note: `\`/${analysis.id}\` drew no figure this time.` };
  return { figure, note: describe(figure, result, cached) };
}
