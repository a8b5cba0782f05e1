// Runs one analysis end to end: validate options → compute → render → explain.
// The CLI, the workers and the playground all call this; nothing here knows about chat.
import { randomInt } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { notebookUrl } from '../catalog/posts.ts';
import { modelArch } from '../../models/registry.ts';
import { getBertEngine } from '../llm/bert/provider.ts';
import type { BertEngine } from '../llm/bert/types.ts';
import { getEngine, resolveBertEngineModel, resolveEngineModel } from '../llm/provider.ts';
import type { Engine } from '../llm/types.ts';
import { stampFigure } from '../render/stamp.ts';
import { plainText } from './lib/literal.ts';
import { parseOptions } from './options.ts';
import { OptionError, type Analysis, type AnalysisArch, type AnalysisContext, type AnalysisResult } from './types.ts';

export interface RunRequest {
  /** Model the user named (it must be downloaded); undefined → the notebook's model, MODEL or tiny (provider.ts). */
  model?: string;
  progress?: (stage: string, fraction?: number) => void;
  signal?: AbortSignal;
  /** Supply an engine directly (tests, worker threads that hold one already). */
  engine?: () => Promise<Engine>;
  /** Supply a BERT engine directly, for analyses with `arch: 'bert'`. */
  bertEngine?: () => Promise<BertEngine>;
  /** onnxruntime threads for an engine loaded here (default config.ORT_THREADS). */
  threads?: number;
  /** Allow options that name local files (CLI only). */
  localFiles?: boolean;
}

export const TINY_NOTE =
  'Ran on the tiny random test checkpoint (GPT-2 architecture, random weights), not on trained GPT-2: ' +
  'the figures show the method, not what GPT-2 has learned. Download real weights with `npx lab models pull gpt2`.';

export const TINY_BERT_NOTE =
  'Ran on the tiny random test checkpoint (BERT architecture, random weights, a small vocabulary), not on trained BERT: ' +
  'the figures show the method, not what BERT has learned. Download real weights with `npx lab models pull bert-base-uncased`.';

const ARCH_NAMES: Record<AnalysisArch, string> = { gpt2: 'GPT-2', bert: 'BERT' };

/** A model the user named must be of the analysis' family (a known name or a checkpoint directory). */
async function checkModelArch(analysis: Analysis, arch: AnalysisArch, model: string | undefined): Promise<void> {
  if (model === undefined || !analysis.usesModel) return;
  const got = await modelArch(model);
  if (got !== arch) {
    throw new OptionError('model', `/${analysis.id} runs on a ${ARCH_NAMES[arch]} model, and ${model} is a ${ARCH_NAMES[got]} model`);
  }
}

export async function runAnalysis(
  analysis: Analysis,
  rawOptions: Record<string, unknown>,
  req: RunRequest = {},
): Promise<AnalysisResult> {
  const t0 = performance.now();
  const opts = parseOptions(analysis.options, rawOptions) as Record<string, unknown>;
  // Randomness is reproducible: a missing seed is drawn here and reported with the result.
  if ('seed' in analysis.options.shape && opts.seed === undefined) opts.seed = randomInt(0, 2 ** 31 - 1);

  const arch: AnalysisArch = analysis.arch ?? 'gpt2';
  // A caller that supplies its own engine has chosen the model already.
  if (!(arch === 'bert' ? req.bertEngine : req.engine)) await checkModelArch(analysis, arch, req.model);

  let engine: Engine | undefined;
  let bertEngine: BertEngine | undefined;
  let modelNote: string | undefined;
  const ctx: AnalysisContext = {
    progress: req.progress ?? (() => {}),
    signal: req.signal,
    localFiles: req.localFiles ?? false,
    engine: async () => {
      if (!engine) {
        if (req.engine) engine = await req.engine();
        else {
          // In a BERT analysis, `model` and preferredModel name the BERT model, not this one.
          const resolved = arch === 'bert' ? await resolveEngineModel(undefined, analysis.preferredGpt2Model) : await resolveEngineModel(req.model, analysis.preferredModel);
          modelNote = [modelNote, resolved.note].filter(Boolean).join('\n\n') || undefined;
          engine = await getEngine({ model: resolved.name, ...(req.threads ? { threads: req.threads } : {}) });
        }
      }
      return engine;
    },
    bertEngine: async () => {
      if (!bertEngine) {
        if (req.bertEngine) bertEngine = await req.bertEngine();
        else {
          const resolved = await resolveBertEngineModel(req.model, analysis.preferredModel);
          modelNote = [modelNote, resolved.note].filter(Boolean).join('\n\n') || undefined;
          bertEngine = await getBertEngine({ model: resolved.name, ...(req.threads ? { threads: req.threads } : {}) });
        }
      }
      return bertEngine;
    },
  };
  if (analysis.usesModel) await (arch === 'bert' ? ctx.bertEngine!() : ctx.engine());

  const data = await analysis.compute(opts as never, ctx);
  const t1 = performance.now();
  ctx.progress('rendering figures');
  // Alt text and titles are plain text everywhere (no Markdown): drop the literal marks.
  let figures = (await analysis.render(data, opts as never)).map((f) => ({ ...f, title: plainText(f.title), alt: plainText(f.alt) }));
  const used = arch === 'bert' ? bertEngine : engine;
  const tiny = used?.isTinyRandom ?? false;
  const stamp = `tiny random model — not trained ${ARCH_NAMES[arch]}`;
  if (tiny) figures = await Promise.all(figures.map(async (f) => (f.fromModel === false ? f : { ...f, png: await stampFigure(f.png, stamp) })));
  const t2 = performance.now();

  const explained = analysis.explain(data, opts as never);
  const explanation = modelNote ? `${explained}\n\n${modelNote}` : explained;
  return {
    analysis: analysis.id,
    title: analysis.post.title,
    explanation: tiny ? `${explanation}\n\n⚠️ ${arch === 'bert' ? TINY_BERT_NOTE : TINY_NOTE}` : explanation,
    postUrl: analysis.post.url,
    notebookUrl: notebookUrl(analysis.post),
    model: used ? { name: used.name, tinyRandom: used.isTinyRandom } : null,
    seed: typeof opts.seed === 'number' ? opts.seed : null,
    options: opts,
    timings: { computeMs: round(t1 - t0), renderMs: round(t2 - t1), totalMs: round(performance.now() - t0) },
    figures,
    data: analysis.figureData(data, opts as never),
  };
}

const round = (ms: number) => Math.round(ms * 10) / 10;
