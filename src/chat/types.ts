// What platform adapters implement so workers can reply without knowing the platform.
import type { AnalysisResult } from '../analyses/types.ts';
import type { ReplyTarget } from '../queue/jobs.ts';

/** A short text answer (help, posts, job status, errors) rendered by each platform its own way. */
export interface TextReply {
  title?: string;
  text: string;
  /** Links shown as buttons/links where the platform supports it. */
  links?: { label: string; url: string }[];
}

export interface Deliverer<T extends ReplyTarget = ReplyTarget> {
  platform: T['platform'];
  /** Update the pending message ("queued, position 3" → "running: layer 7/12"). Rate-limited by the caller. */
  progress(target: T, text: string): Promise<void>;
  /** Post the finished result: figures, explanation, links, footer. Called at most once per request. */
  deliverResult(target: T, result: AnalysisResult): Promise<void>;
  /** Tell the user their job failed, in plain words. */
  deliverError(target: T, message: string): Promise<void>;
}
