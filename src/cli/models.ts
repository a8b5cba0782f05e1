// `lab models list | pull NAME | tiny --out DIR`: what models exist, fetching one from the Hub,
// and writing the random tiny checkpoint (in any variant) for tests and offline use.
import path from 'node:path';
import cliProgress from 'cli-progress';
import { InvalidArgumentError, type Command } from 'commander';
import { findDownloaded, KNOWN_MODELS, TINY_RANDOM } from '../../models/registry.ts';
import { config } from '../config.ts';
import { defaultCacheDir } from '../llm/hf-cache.ts';
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
  for (const m of KNOWN_MODELS) {
    let status: string;
    if (m.repo) {
      const dir = await findDownloaded(m);
      status = dir ? `downloaded: ${dir}` : `not downloaded (npx lab models pull ${m.name})`;
    } else {
      const dir = path.join(config.MODELS_DIR, TINY_DIR_NAME);
      status = (await isCurrentTinyDir(dir)) ? `generated: ${dir}` : 'generated on first use';
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
  const models = program.command('models').description('list, download and generate GPT-2 checkpoints');

  models
    .command('list')
    .description('known models, whether each is downloaded, and their sizes')
    .action(async () => {
      console.log(await listModelsText());
    });

  models
    .command('pull')
    .description(`download a model from the Hugging Face Hub (${KNOWN_MODELS.filter((m) => m.repo).map((m) => m.name).join(', ')})`)
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
    .description(`write the deterministic random tiny GPT-2 (the "${TINY_RANDOM}" model) as a Hugging Face checkpoint`)
    .requiredOption('--out <dir>', 'directory to write config.json and model.safetensors into')
    .option('--layers <n>', 'number of blocks', intOption('--layers', 'n_layer'), 2)
    .option('--heads <n>', 'attention heads per block', intOption('--heads', 'n_head'), 4)
    .option('--width <n>', 'embedding width (a multiple of --heads)', intOption('--width', 'n_embd'), 64)
    .option('--positions <n>', 'context length', intOption('--positions', 'n_positions'), 1024)
    .option('--seed <n>', 'random seed', intOption('--seed', 'seed'), 0)
    .option('--dtype <dtype>', 'F32, F16 or BF16', (v: string) => {
      const d = v.toUpperCase();
      if (d !== 'F32' && d !== 'F16' && d !== 'BF16') throw new InvalidArgumentError(`--dtype must be F32, F16 or BF16 (got "${v}")`);
      return d;
    }, 'F32')
    .option('--prefix', 'name tensors with the transformer. prefix', false)
    .option('--mask-buffers', 'include the attn.bias / attn.masked_bias buffers', false)
    .option('--untied-head', 'store a separate random lm_head.weight', false)
    .action(async (o: { out: string; layers: number; heads: number; width: number; positions: number; seed: number; dtype: 'F32' | 'F16' | 'BF16'; prefix: boolean; maskBuffers: boolean; untiedHead: boolean }) => {
      if (o.width % o.heads !== 0) throw new Error(`--width (${o.width}) must be a multiple of --heads (${o.heads})`);
      const opts: TinyOptions = { n_layer: o.layers, n_head: o.heads, n_embd: o.width, n_positions: o.positions, seed: o.seed };
      const t0 = Date.now();
      const dir = await writeTinyCheckpoint(o.out, opts, { dtype: o.dtype, prefix: o.prefix, withMaskBuffers: o.maskBuffers, untiedHead: o.untiedHead });
      console.log(`wrote a random ${o.layers}-layer, ${o.width}-wide GPT-2 (${o.dtype}, seed ${o.seed}) to ${path.resolve(dir)} in ${Date.now() - t0} ms`);
    });
}
