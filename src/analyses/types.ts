// The contract every post analysis module follows: validated options in, numbers out (compute),
// figures from the numbers (render), and an explanation in the project's own words.
import type { z } from 'zod';
import type { Post } from '../catalog/posts.ts';
import type { BertEngine } from '../llm/bert/types.ts';
import type { Engine } from '../llm/types.ts';

/** The model family an analysis runs on: GPT-2 (src/llm/engine.ts) or BERT (src/llm/bert/). */
export type AnalysisArch = 'gpt2' | 'bert';

/**
 * The BERT model a BERT analysis runs on when the notebook's is not downloaded (then the tiny
 * random BERT). Here, not in src/llm/provider.ts, so that command definitions can name it
 * without loading the engines.
 */
export const DEFAULT_BERT_MODEL = 'bert-base-uncased';

/** A rendered figure: PNG bytes plus what chat needs to show it accessibly. */
export interface Figure {
  /** File stem, e.g. "scatter-r" → scatter-r.png. Unique within a result. */
  name: string;
  title: string;
  /** Alt text: what the figure shows, for screen readers and chat previews. */
  alt: string;
  png: Buffer;
  /**
   * False for figures drawn from fixed data rather than from the model (a notebook's warm-up):
   * they get no tiny-model stamp. Default true.
   */
  fromModel?: boolean;
}

export interface AnalysisContext {
  /** Report a stage ("layer 7/12") and optionally a fraction done in [0, 1]. */
  progress(stage: string, fraction?: number): void;
  /** The engine for the requested model (or the configured default), loaded once per worker. */
  engine(): Promise<Engine>;
  /**
   * The BERT engine for an analysis with `arch: 'bert'` (the requested model, else the
   * notebook's, else bert-base-uncased, else tiny-random-bert), loaded once per worker. runAnalysis
   * always sets it; optional so that contexts built by hand for GPT-2 analyses need not.
   */
  bertEngine?(): Promise<BertEngine>;
  signal?: AbortSignal;
  /** True only for the local CLI: options may name local files. Chat input never may. */
  localFiles?: boolean;
}

export interface Analysis<S extends z.ZodObject = z.ZodObject, D = unknown> {
  /** Command name (no slash); equals the catalog post id. */
  id: string;
  post: Post;
  /** LLM analyses need an engine; data-science ones never load one. */
  usesModel: boolean;
  /** Which model family it uses (default 'gpt2'): picks the engine, the model choices and the fallback. */
  arch?: AnalysisArch;
  /**
   * The model the notebook used (e.g. gpt2-large, bert-large-uncased). When the user names no model, the analysis
   * runs on it if it is downloaded, else on the configured default, and the result says which.
   */
  preferredModel?: string;
  /**
   * A BERT analysis that also asks for GPT-2 (ctx.engine()): the GPT-2 model the notebook used
   * (gpt2-medium); `model` names the BERT one, so the GPT-2 one follows the fallback rule alone.
   */
  preferredGpt2Model?: string;
  /** Option schema: defaults reproduce the notebook; every field has .describe() and limits. */
  options: S;
  /** Pure computation: options in, numbers out. Must not render. */
  compute(opts: z.infer<S>, ctx: AnalysisContext): Promise<D>;
  /** Figures drawn from the numbers, in the order chat should show them. */
  render(data: D, opts: z.infer<S>): Promise<Figure[]>;
  /** 2–6 sentences: what to look at, what it means, one thing to try next. */
  explain(data: D, opts: z.infer<S>): string;
  /** The numbers behind each figure, keyed by figure name (JSON-serialisable). */
  figureData(data: D, opts: z.infer<S>): Record<string, unknown>;
}

export interface AnalysisResult {
  analysis: string;
  title: string;
  explanation: string;
  postUrl: string;
  notebookUrl: string;
  /** Null for analyses that use no model. */
  model: { name: string; tinyRandom: boolean } | null;
  seed: number | null;
  options: Record<string, unknown>;
  timings: { computeMs: number; renderMs: number; totalMs: number };
  figures: Figure[];
  data: Record<string, unknown>;
  /** Set when this result was served from the cache: when it was first computed (epoch ms). */
  cachedAt?: number;
}

/** Bad user input: names the option and the limit. Shown to users as is. */
export class OptionError extends Error {
  constructor(readonly option: string, message: string) {
    super(`${option}: ${message}`);
    this.name = 'OptionError';
  }
}
