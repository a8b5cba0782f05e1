// `lab trace --model M (--text T | --tokens 1,2,3) [--hooks GLOB] [--patch FILE.json] --out FILE.safetensors`
// Runs the model once and writes `input_ids` and the requested activations (float32, named by
// hook) to a safetensors file that numpy, PyTorch or the safetensors library read directly.
// GPT-2 and BERT models alike (a BERT text is encoded as [CLS] text [SEP]; --tokens as given).
import fs from 'node:fs/promises';
import type { Command } from 'commander';
import { modelArch } from '../../models/registry.ts';
import { config } from '../config.ts';
import { loadBertEngine } from '../llm/bert/engine.ts';
import { parseBertPatches } from '../llm/bert/interventions.ts';
import { loadEngine } from '../llm/engine.ts';
import { parsePatches } from '../llm/interventions.ts';
import { resolveEngineModel } from '../llm/provider.ts';
import { writeSafetensors, type TensorToWrite } from '../llm/safetensors.ts';
import type { Tensor } from '../llm/types.ts';

export interface TraceOptions {
  model?: string;
  text?: string;
  tokens?: string;
  hooks: string;
  patch?: string;
  out: string;
  threads?: number;
}

function parseTokenList(list: string): number[] {
  const parts = list.split(',').map((s) => s.trim());
  const ids = parts.map(Number);
  const bad = parts.find((s, i) => s === '' || !Number.isInteger(ids[i]) || ids[i] < 0);
  if (bad !== undefined) throw new Error(`--tokens must be comma-separated token ids like 40,588,262 (bad entry "${bad}")`);
  return ids;
}

interface Traced {
  model: string;
  isTinyRandom: boolean;
  ids: number[];
  cache: Map<string, Tensor>;
  patches: unknown[];
}

/** The run, on the engine the model's architecture needs. */
async function runGpt2(name: string, opts: TraceOptions, patchText?: string): Promise<Traced> {
  const patches = patchText === undefined ? [] : parsePatches(patchText, opts.patch);
  const engine = await loadEngine(name, { threads: opts.threads });
  try {
    const ids = opts.text !== undefined ? engine.encode(opts.text) : parseTokenList(opts.tokens!);
    const { cache } = await engine.run(ids, { hooks: opts.hooks, patches, logits: 'none' });
    return { model: engine.name, isTinyRandom: engine.isTinyRandom, ids, cache, patches };
  } finally {
    await engine.dispose();
  }
}

async function runBert(name: string, opts: TraceOptions, patchText?: string): Promise<Traced> {
  const patches = patchText === undefined ? [] : parseBertPatches(patchText, opts.patch);
  const engine = await loadBertEngine(name, { threads: opts.threads });
  try {
    const ids = opts.text !== undefined ? engine.encode(opts.text) : parseTokenList(opts.tokens!);
    const { cache } = await engine.run(ids, { hooks: opts.hooks, patches, logits: 'none' });
    return { model: engine.name, isTinyRandom: engine.isTinyRandom, ids, cache, patches };
  } finally {
    await engine.dispose();
  }
}

/** Returns what was written: tensor names and the file. */
export async function trace(opts: TraceOptions): Promise<{ file: string; tensors: string[]; tinyRandom: boolean }> {
  if ((opts.text === undefined) === (opts.tokens === undefined)) throw new Error('give exactly one of --text and --tokens');
  const patchText = opts.patch ? await fs.readFile(opts.patch, 'utf8') : undefined;
  // The same rule as every run (provider.ts): a named model must be downloaded; none named → MODEL,
  // or the tiny checkpoint when MODEL's weights are absent.
  const { name } = await resolveEngineModel(opts.model);
  const run = (await modelArch(name)) === 'bert' ? await runBert(name, opts, patchText) : await runGpt2(name, opts, patchText);
  const tensors = new Map<string, TensorToWrite>([['input_ids', { dtype: 'I64', dims: [1, run.ids.length], data: run.ids }]]);
  for (const [hook, t] of run.cache) tensors.set(hook, { dtype: 'F32', dims: t.dims, data: t.data });
  await writeSafetensors(opts.out, tensors, {
    model: run.model,
    tiny_random: String(run.isTinyRandom),
    hooks: opts.hooks,
    patches: JSON.stringify(run.patches),
  });
  return { file: opts.out, tensors: [...tensors.keys()], tinyRandom: run.isTinyRandom };
}

export function registerTraceCommand(program: Command): void {
  program
    .command('trace')
    .description('run the model once and save activations (TransformerLens hook names) as safetensors')
    .option('--model <name>', `model name (gpt2, bert-large-uncased, tiny-random, tiny-random-bert, …) or checkpoint directory; it must be downloaded (default: ${config.MODEL}, or tiny-random when its weights are absent)`)
    .option('--text <text>', 'input text')
    .option('--tokens <ids>', 'input token ids, comma-separated (instead of --text)')
    .option('--hooks <globs>', 'hook names or globs, comma-separated, e.g. "blocks.*.attn.hook_pattern"', '*')
    .option('--patch <file>', 'JSON file with a list of interventions to apply')
    .requiredOption('--out <file>', 'output .safetensors file')
    .action(async (opts: TraceOptions) => {
      const r = await trace(opts);
      const n = r.tensors.length - 1;
      console.log(`wrote ${r.tensors.length} tensors to ${r.file} (input_ids + ${n} activation${n === 1 ? '' : 's'})`);
      if (r.tinyRandom) console.log('note: the tiny random test model was used (random weights, not a trained model)');
    });
}
