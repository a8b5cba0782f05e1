// A digest for one post, as a platform-neutral Digest the deliverers render: the catalog's
// summary, the headline figure, the links, a "try it" command written the way this platform types
// it, and the discussion question.
import { ANALYSES } from '../analyses/index.ts';
import { parseOptions } from '../analyses/options.ts';
import type { Analysis } from '../analyses/types.ts';
import { notebookUrl, SECTION_TITLES, type Post } from '../catalog/posts.ts';
import type { Digest } from '../chat/types.ts';
import { invocation, typedValue, type Platform } from '../commands/usage.ts';
import { digestContent } from './content.ts';
import type { Headline } from './headline.ts';

export interface ComposeInput {
  /** Unique per channel and period (the delivery id). */
  id: string;
  post: Post;
  /** The period as readers see it. */
  period: string;
  platform: Platform;
  rotation: Digest['rotation'];
  headline: Headline;
  analyses?: readonly Analysis[];
}

/** `offset:0 text:"a b"` — options as they are typed after a command. */
export function typedOptions(options: Record<string, unknown>): string {
  return Object.entries(options).map(([k, v]) => `${k}:${typedValue(v)}`).join(' ');
}

/**
 * The post's try-it command, or undefined when the post has no command. Options that no longer
 * validate (an analysis changed its schema) fall back to the bare command rather than send a
 * reader into an error.
 */
export function tryItFor(post: Post, platform: Platform, analyses: readonly Analysis[] = ANALYSES): Digest['tryIt'] {
  const analysis = analyses.find((a) => a.id === post.id);
  if (!analysis) return undefined;
  const tryIt = digestContent(post.id).tryIt;
  if (tryIt) {
    try {
      parseOptions(analysis.options, tryIt.options);
      return { command: invocation(platform, post.id, typedOptions(tryIt.options)), why: tryIt.why };
    } catch {
      // fall through to the bare command
    }
  }
  return { command: invocation(platform, post.id), why: "the post's own example, with every option at the notebook's default." };
}

export function composeDigest(input: ComposeInput): Digest {
  const { post } = input;
  const tryIt = tryItFor(post, input.platform, input.analyses);
  return {
    id: input.id,
    period: input.period,
    post: { id: post.id, title: post.title, url: post.url, notebookUrl: notebookUrl(post), sectionTitle: SECTION_TITLES[post.section] },
    summary: post.summary,
    ...(input.headline.figure ? { figure: input.headline.figure } : {}),
    figureNote: input.headline.note,
    ...(tryIt ? { tryIt } : {}),
    question: digestContent(post.id).question,
    rotation: input.rotation,
  };
}
