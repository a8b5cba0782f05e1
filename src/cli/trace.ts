// `lab trace --model M (--text T | --tokens 1,2,3) [--hooks GLOB] [--patch FILE.json] --out FILE.safetensors`
// Runs the model once and writes `input_ids` and the requested activations (float32, named by
// hook) to a safetensors file that numpy, PyTorch or the safetensors library read directly.
import fs from 'node:fs/promises';
import type { Command } from 'commander';
import { config } from '../config.ts';
import { loadEngine } from '../llm/engine.ts';
import { parsePatches } from '../llm/interventions.ts';
import { resolveEngineModel } from '../llm/provider.ts';
import { writeSafetensors, type TensorToWrite } from '../llm/safetensors.ts';

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

/** Returns what was written: tensor names and the file. */
export async function trace(opts: TraceOptions): Promise<{ file: string; tensors: string[]; tinyRandom: boolean }> {
  if ((opts.text === undefined) === (opts.tokens === undefined)) throw new Error('give exactly one of --text and --tokens');
  const patches = opts.patch ? parsePatches(await fs.readFile(opts.patch, 'utf8'), opts.patch) : [];
  // The same rule as every run (provider.ts): a named model must be downloaded; none named → MODEL,
  // or the tiny checkpoint when MODEL's weights are absent.
  const { name } = await resolveEngineModel(opts.model);
  const engine = await loadEngine(name, { threads: opts.threads });
  try {
    const ids = opts.text !== undefined ? engine.encode(opts.text) : parseTokenList(opts.tokens!);
    const { cache } = await engine.run(ids, { hooks: opts.hooks, patches, logits: 'none' });
    const tensors = new Map<string, TensorToWrite>([['input_ids', { dtype: 'I64', dims: [1, ids.length], data: ids }]]);
    for (const [name, t] of cache) tensors.set(name, { dtype: 'F32', dims: t.dims, data: t.data });
    await writeSafetensors(opts.out, tensors, {
      model: engine.name,
      tiny_random: String(engine.isTinyRandom),
      hooks: opts.hooks,
      patches: JSON.stringify(patches),
    });
    return { file: opts.out, tensors: [...tensors.keys()], tinyRandom: engine.isTinyRandom };
  } finally {
    await engine.dispose();
  }
}

export function registerTraceCommand(program: Command): void {
  program
    .command('trace')
    .description('run the model once and save activations (TransformerLens hook names) as safetensors')
    .option('--model <name>', `model name (gpt2, tiny-random, …) or checkpoint directory; it must be downloaded (default: ${config.MODEL}, or tiny-random when its weights are absent)`)
    .option('--text <text>', 'input text')
    .option('--tokens <ids>', 'input token ids, comma-separated (instead of --text)')
    .option('--hooks <globs>', 'hook names or globs, comma-separated, e.g. "blocks.*.attn.hook_pattern"', '*')
    .option('--patch <file>', 'JSON file with a list of interventions to apply')
    .requiredOption('--out <file>', 'output .safetensors file')
    .action(async (opts: TraceOptions) => {
      const r = await trace(opts);
      const n = r.tensors.length - 1;
      console.log(`wrote ${r.tensors.length} tensors to ${r.file} (input_ids + ${n} activation${n === 1 ? '' : 's'})`);
      if (r.tinyRandom) console.log('note: the tiny random test model was used (random weights, not trained GPT-2)');
    });
}
