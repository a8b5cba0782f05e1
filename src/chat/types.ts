// What platform adapters implement so workers can reply without knowing the platform.
import type { AnalysisResult, Figure } from '../analyses/types.ts';
import type { ReplyTarget } from '../queue/jobs.ts';

/** A short text answer (help, posts, job status, errors) rendered by each platform its own way. */
export interface TextReply {
  title?: string;
  text: string;
  /** Links shown as buttons/links where the platform supports it. */
  links?: { label: string; url: string }[];
}

/** A channel's "post of the week" (DESIGN.md §6), rendered by each platform its own way. */
export interface Digest {
  /** Unique per channel and period: platforms that can deduplicate posts (Discord nonces) key on it. */
  id: string;
  /** The period it is for, as readers see it: "2026-W49", or "extra, 2026-11-28" for `/digest now`. */
  period: string;
  post: { id: string; title: string; url: string; notebookUrl: string; sectionTitle: string };
  /** The post in the project's words. */
  summary: string;
  /** The headline figure; absent when the post has no analysis yet or the run failed. */
  figure?: Figure;
  /** A line under the figure, or why there is none. */
  figureNote?: string;
  /** A command worth running, written as this platform types it, and what to look for. */
  tryIt?: { command: string; why: string };
  /** A discussion question for the group. */
  question: string;
  /** Where the post stands in the rotation: 3 of 17. */
  rotation: { index: number; total: number };
}

export interface Deliverer<T extends ReplyTarget = ReplyTarget> {
  platform: T['platform'];
  /** Update the pending message ("queued, position 3" → "running: layer 7/12"). Rate-limited by the caller. */
  progress(target: T, text: string): Promise<void>;
  /** Post the finished result: figures, explanation, links, footer. Called at most once per request. */
  deliverResult(target: T, result: AnalysisResult): Promise<void>;
  /** Tell the user their job failed, in plain words. */
  deliverError(target: T, message: string): Promise<void>;
  /** Post a digest to the target's channel as a new message (no interaction to answer). */
  postDigest?(target: T, digest: Digest): Promise<void>;
}
