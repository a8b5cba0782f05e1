// `lab models list | pull NAME | tiny [--arch bert] --out DIR`: what models exist (GPT-2 and
// BERT), fetching one from the Hub, and writing a random tiny checkpoint (in any variant) for
// tests and offline use.
import fs from 'node:fs/promises';
import path from 'node:path';
import cliProgress from 'cli-progress';
import { InvalidArgumentError, type Command } from 'commander';
import { findDownloaded, KNOWN_BERT_MODELS, KNOWN_MODELS, TINY_RANDOM, TINY_RANDOM_BERT } from '../../models/registry.ts';
import { config } from '../config.ts';
import { defaultCacheDir } from '../llm/hf-cache.ts';
import { isCurrentTinyBertDir, TINY_BERT_DIR_NAME, writeTinyBertCheckpoint } from '../llm/bert/tiny.ts';
import { pullModel, type PullProgress } from '../llm/hub.ts';
import { isCurrentTinyDir, TINY_DIR_NAME, TINY_LIMITS, writeTinyCheckpoint, type TinyOptions } from '../llm/tiny.ts';

export function formatBytes(n: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let i = 0;
  while (n >= 1000 && i < units.length - 1) {
    n /= 1000;
    i++;
  }
  return `${i === 0 ? n : n.toFixed(n < 10 ? 2 : n < 100 ? 1 : 0)} ${units[i]}`;
}

function table(rows: string[][]): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows.map((r) => r.map((cell, c) => cell.padEnd(widths[c])).join('  ').trimEnd()).join('\n');
}

export async function listModelsText(): Promise<string> {
  const rows = [['name', 'source', 'params', 'layers × width', 'size', 'status']];
  for (const m of [...KNOWN_MODELS, ...KNOWN_BERT_MODELS]) {
    let status: string;
    if (m.repo) {
      const dir = await findDownloaded(m);
      status = dir ? `downloaded: ${dir}` : `not downloaded (npx lab models pull ${m.name})`;
    } else {
      const bert = m.name === TINY_RANDOM_BERT;
      const dir = path.join(config.MODELS_DIR, bert ? TINY_BERT_DIR_NAME : TINY_DIR_NAME);
      status = (await (bert ? isCurrentTinyBertDir(dir) : isCurrentTinyDir(dir))) ? `generated: ${dir}` : 'generated on first use';
    }
    rows.push([m.name, m.repo ?? '(generated)', m.params, `${m.n_layer} × ${m.n_embd}`, formatBytes(m.bytes), status]);
  }
  return table(rows) + `\n\nDownloads go to ${defaultCacheDir()} (${config.HF_HOME ? 'HF_HOME' : 'MODELS_DIR; set HF_HOME to share huggingface_hub\'s cache'}).`;
}

/** A progress reporter: a bar per file on a terminal, a line per 10 % otherwise (logs, CI). */
function progressReporter(): { onProgress: (p: PullProgress) => void; stop: () => void } {
  const tty = process.stderr.isTTY;
  let bar: cliProgress.SingleBar | undefined;
  let current = '';
  let lastTenth = -1;
  let started = { at: 0, bytes: 0 };
  const onProgress = (p: PullProgress) => {
    if (p.file !== current) {
      bar?.stop();
      bar = undefined;
      current = p.file;
      lastTenth = -1;
    }
    if (p.phase === 'cached') {
      console.error(`${p.file}: already in the cache (${formatBytes(p.downloaded)})`);
      return;
    }
    if (p.phase === 'retry') {
      bar?.stop();
      bar = undefined; // the next attempt draws a fresh bar from where it resumes
      console.error(p.message);
      return;
    }
    if (p.phase === 'verify') {
      bar?.stop();
      bar = undefined;
      console.error(`${p.file}: verifying checksum…`);
      return;
    }
    if (p.phase !== 'download') return;
    const total = p.total ?? 0;
    if (tty) {
      if (!bar) {
        started = { at: Date.now(), bytes: p.downloaded }; // a resumed file starts above 0
        bar = new cliProgress.SingleBar(
          {
            format: `${p.file.padEnd(18)} {bar} {percentage}% | {done} / {size} | {speed} | eta {eta_formatted}`,
            hideCursor: true,
            etaBuffer: 50,
          },
          cliProgress.Presets.shades_classic,
        );
        bar.start(total, p.downloaded, { done: formatBytes(p.downloaded), size: formatBytes(total), speed: '' });
      }
      const elapsed = (Date.now() - started.at) / 1000;
      const speed = elapsed > 0.5 ? `${formatBytes((p.downloaded - started.bytes) / elapsed)}/s` : '';
      bar.update(p.downloaded, { done: formatBytes(p.downloaded), speed });
    } else if (total >= 1e6) {
      const tenth = Math.floor((10 * p.downloaded) / total);
      if (tenth !== lastTenth) {
        lastTenth = tenth;
        console.error(`${p.file}: ${formatBytes(p.downloaded)} / ${formatBytes(total)} (${tenth * 10}%)`);
      }
    }
  };
  return { onProgress, stop: () => bar?.stop() };
}

function intOption(flag: string, key: keyof typeof TINY_LIMITS) {
  const [min, max] = TINY_LIMITS[key];
  return (value: string): number => {
    const n = Number(value);
    if (!/^\d+$/.test(value) || n < min || n > max) {
      throw new InvalidArgumentError(`${flag} must be an integer from ${min} to ${max} (got "${value}")`);
    }
    return n;
  };
}

export function registerModelsCommands(program: Command): void {
  const models = program.command('models').description('list, download and generate GPT-2 and BERT checkpoints');

  models
    .command('list')
    .description('known models, whether each is downloaded, and their sizes')
    .action(async () => {
      console.log(await listModelsText());
    });

  models
    .command('pull')
    .description(`download a model from the Hugging Face Hub (${[...KNOWN_MODELS, ...KNOWN_BERT_MODELS].filter((m) => m.repo).map((m) => m.name).join(', ')})`)
    .argument('<name>', 'model name or Hub repository id')
    .option('--revision <rev>', 'branch, tag or commit', 'main')
    .action(async (name: string, opts: { revision: string }) => {
      const progress = progressReporter();
      const t0 = Date.now();
      try {
        const result = await pullModel(name, { revision: opts.revision, onProgress: progress.onProgress });
        progress.stop();
        const bytes = result.files.filter((f) => f.downloaded).reduce((s, f) => s + f.size, 0);
        console.log(`${name} (${result.repo} @ ${result.commit.slice(0, 10)}) is ready in ${result.dir}`);
        if (bytes) console.log(`downloaded ${formatBytes(bytes)} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      } finally {
        progress.stop();
      }
    });

  models
    .command('tiny')
    .description(`write a deterministic random tiny checkpoint as a Hugging Face one: GPT-2 (the "${TINY_RANDOM}" model), or with --arch bert a BERT with its masked-LM head ("${TINY_RANDOM_BERT}")`)
    .requiredOption('--out <dir>', 'directory to write config.json and model.safetensors (and for BERT vocab.txt) into')
    .option('--arch <arch>', 'gpt2 or bert', (v: string) => {
      if (v !== 'gpt2' && v !== 'bert') throw new InvalidArgumentError(`--arch must be gpt2 or bert (got "${v}")`);
      return v;
    }, 'gpt2')
    .option('--layers <n>', 'number of blocks', intOption('--layers', 'n_layer'), 2)
    .option('--heads <n>', 'attention heads per block', intOption('--heads', 'n_head'), 4)
    .option('--width <n>', 'embedding width (a multiple of --heads)', intOption('--width', 'n_embd'), 64)
    .option('--positions <n>', 'context length (default 1024 for GPT-2, 512 for BERT)', intOption('--positions', 'n_positions'))
    .option('--seed <n>', 'random seed', intOption('--seed', 'seed'), 0)
    .option('--dtype <dtype>', 'F32, F16 or BF16', (v: string) => {
      const d = v.toUpperCase();
      if (d !== 'F32' && d !== 'F16' && d !== 'BF16') throw new InvalidArgumentError(`--dtype must be F32, F16 or BF16 (got "${v}")`);
      return d;
    }, 'F32')
    .option('--prefix', 'GPT-2: name tensors with the transformer. prefix', false)
    .option('--mask-buffers', 'GPT-2: include the attn.bias / attn.masked_bias buffers', false)
    .option('--untied-head', 'store a separate random lm_head.weight (GPT-2) or masked-LM decoder weight (BERT)', false)
    .option('--unprefixed', 'BERT: name tensors without the bert. prefix, as a bare BertModel saves them', false)
    .option('--legacy-names', 'BERT: LayerNorm gamma/beta instead of weight/bias, as bert-base-uncased stores them', false)
    .option('--bare', 'BERT: no masked-LM head (a BertModel checkpoint)', false)
    .option('--vocab <file>', "BERT: a vocab.txt to use (e.g. bert-base-uncased's full one) instead of the small built-in vocabulary")
    .action(async (o: TinyCliOptions) => {
      if (o.width % o.heads !== 0) throw new Error(`--width (${o.width}) must be a multiple of --heads (${o.heads})`);
      const t0 = Date.now();
      if (o.arch === 'bert') return writeTinyBert(o, t0);
      for (const flag of ['unprefixed', 'legacyNames', 'bare', 'vocab'] as const) {
        if (o[flag]) throw new Error(`--${flag.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} is for --arch bert`);
      }
      const opts: TinyOptions = { n_layer: o.layers, n_head: o.heads, n_embd: o.width, n_positions: o.positions ?? 1024, seed: o.seed };
      const dir = await writeTinyCheckpoint(o.out, opts, { dtype: o.dtype, prefix: o.prefix, withMaskBuffers: o.maskBuffers, untiedHead: o.untiedHead });
      console.log(`wrote a random ${o.layers}-layer, ${o.width}-wide GPT-2 (${o.dtype}, seed ${o.seed}) to ${path.resolve(dir)} in ${Date.now() - t0} ms`);
    });
}

interface TinyCliOptions {
  out: string;
  arch: 'gpt2' | 'bert';
  layers: number;
  heads: number;
  width: number;
  positions?: number;
  seed: number;
  dtype: 'F32' | 'F16' | 'BF16';
  prefix: boolean;
  maskBuffers: boolean;
  untiedHead: boolean;
  unprefixed: boolean;
  legacyNames: boolean;
  bare: boolean;
  vocab?: string;
}

async function writeTinyBert(o: TinyCliOptions, t0: number): Promise<void> {
  if (o.prefix || o.maskBuffers) throw new Error(`${o.prefix ? '--prefix' : '--mask-buffers'} is for GPT-2; BERT tensors are bert.-prefixed unless --unprefixed`);
  if (o.bare && o.untiedHead) throw new Error('--bare (no masked-LM head) and --untied-head exclude each other');
  let vocab: string[] | undefined;
  if (o.vocab) {
    const text = await fs.readFile(o.vocab, 'utf8').catch((err: Error) => {
      throw new Error(`--vocab: cannot read ${o.vocab} (${err.message})`);
    });
    vocab = text.split('\n').map((l) => l.replace(/\r$/, ''));
    if (vocab.at(-1) === '') vocab.pop();
    for (const t of ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]']) if (!vocab.includes(t)) throw new Error(`--vocab: ${o.vocab} has no ${t} line; is it a BERT vocab.txt?`);
  }
  const opts = { num_hidden_layers: o.layers, num_attention_heads: o.heads, hidden_size: o.width, max_position_embeddings: o.positions ?? 512, seed: o.seed, vocab };
  const head = o.bare ? 'none' : o.untiedHead ? 'untied' : 'tied';
  const dir = await writeTinyBertCheckpoint(o.out, opts, { dtype: o.dtype, prefix: !o.unprefixed, legacyNames: o.legacyNames, head });
  const words = vocab ? `${vocab.length}-token vocabulary from ${o.vocab}` : 'small built-in vocabulary';
  console.log(`wrote a random ${o.layers}-layer, ${o.width}-wide BERT (${o.dtype}, seed ${o.seed}, ${words}) to ${path.resolve(dir)} in ${Date.now() - t0} ms`);
}
