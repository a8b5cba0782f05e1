// `lab run <analysis> [--option value …] [--model M] --out DIR` and `lab run --list`.
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { ANALYSES, getAnalysis } from '../analyses/index.ts';
import { describeOptions, type OptionInfo } from '../analyses/options.ts';
import { resultJson, resultMarkdown } from '../analyses/report.ts';
import { runAnalysis } from '../analyses/run.ts';
import { OptionError, type Analysis, type AnalysisResult } from '../analyses/types.ts';
import { optionSummary } from '../commands/usage.ts';

export function listAnalysesText(analyses: readonly Analysis[] = ANALYSES): string {
  const out: string[] = [];
  for (const a of analyses) {
    out.push(`${a.id}${a.usesModel ? (a.arch === 'bert' ? ' (BERT)' : ' (GPT-2)') : ''} — ${a.post.title}`);
    for (const o of describeOptions(a.options)) {
      const limits = [
        o.min !== undefined ? `min ${o.min}` : '',
        o.max !== undefined ? `max ${o.max}` : '',
        o.maxLength !== undefined ? `max length ${o.maxLength}` : '',
        o.choices ? `one of ${o.choices.join('|')}` : '',
        o.default !== undefined ? `default ${JSON.stringify(o.default)}` : '',
      ].filter(Boolean).join(', ');
      out.push(`    --${o.name.replace(/_/g, '-')} <${o.type}>  ${o.description}${limits ? ` (${limits})` : ''}`);
    }
  }
  return out.join('\n');
}

/**
 * Parse `--key value` and `--key=value` into raw option values. A bare `--flag` means true, but
 * only for a boolean option: any other option without a value is refused, naming what it takes
 * (a number that starts with "-" is a value, not a flag).
 */
export function parseFlagArgs(args: string[], options: readonly OptionInfo[] = []): Record<string, string> {
  const raw: Record<string, string> = {};
  const byName = new Map(options.map((o) => [o.name, o]));
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (!arg.startsWith('--')) throw new OptionError(arg, 'unexpected argument: options are written --name value');
    const eq = arg.indexOf('=');
    if (eq > 0) {
      raw[arg.slice(2, eq)] = arg.slice(eq + 1);
      continue;
    }
    const name = arg.slice(2);
    const info = byName.get(name.replace(/-/g, '_'));
    const next = args[i + 1];
    const nextIsValue = next !== undefined && (!next.startsWith('--') || /^-\d|^-\./.test(next));
    if (info?.type === 'boolean' && !(nextIsValue && /^(true|false|yes|no|1|0|on|off)$/i.test(next!))) raw[name] = 'true';
    else if (nextIsValue) raw[name] = args[++i]!;
    else if (info) throw new OptionError(info.name, `--${name} needs a value (${optionSummary(info)})`);
    else raw[name] = 'true'; // unknown: parseOptions names the valid ones
  }
  return raw;
}

/** Stage text for stderr: on a terminal one line rewritten in place with its percentage. */
export function progressWriter(stream: NodeJS.WriteStream = process.stderr): { update(stage: string, fraction?: number): void; done(): void } {
  let shown = false;
  return {
    update(stage, fraction) {
      const pct = fraction !== undefined ? ` ${Math.round(Math.min(1, Math.max(0, fraction)) * 100)}%` : '';
      if (stream.isTTY) {
        stream.write(`\r\x1b[K… ${stage}${pct}`);
        shown = true;
      } else stream.write(`… ${stage}${pct}\n`);
    },
    done() {
      if (shown) stream.write('\r\x1b[K');
    },
  };
}

export async function writeResult(dir: string, r: AnalysisResult): Promise<string[]> {
  await fs.mkdir(dir, { recursive: true });
  const files: string[] = [];
  for (const f of r.figures) {
    const file = path.join(dir, `${f.name}.png`);
    await fs.writeFile(file, f.png);
    files.push(file);
  }
  await fs.writeFile(path.join(dir, 'result.json'), resultJson(r));
  await fs.writeFile(path.join(dir, 'result.md'), resultMarkdown(r) + '\n');
  return [...files, path.join(dir, 'result.json'), path.join(dir, 'result.md')];
}

export function registerRunCommand(program: Command): void {
  program
    .command('run')
    .description('run one post analysis and write its figures, result.json and result.md')
    .argument('[analysis]', 'analysis name (see --list)')
    .option('--list', 'list analyses and their options')
    .option('--model <model>', 'model name or checkpoint directory; it must be downloaded (default: the notebook\'s model when present, else $MODEL — bert-base-uncased for BERT analyses — else the tiny random checkpoint)')
    .option('--out <dir>', 'output directory')
    // Our own help: `lab run attention --help` lists that analysis's options, which commander cannot know.
    .helpOption(false)
    .option('-h, --help', 'show the analyses and their options (or one analysis\'s)')
    .allowUnknownOption(true)
    .allowExcessArguments(true)
    .action(async (name: string | undefined, opts: { list?: boolean; model?: string; out?: string; help?: boolean }, cmd: Command) => {
      if (opts.help || opts.list || !name) {
        if (opts.help) console.log(`${cmd.helpInformation()}\nAnalysis options (--name value; lists comma-separated):\n`);
        console.log(listAnalysesText(name ? [getAnalysis(name)] : ANALYSES));
        return;
      }
      const analysis = getAnalysis(name);
      if (!opts.out) throw new OptionError('out', `--out DIR is required (where the figures, result.json and result.md go); \`lab run ${name} --help\` lists the options`);
      const rest = cmd.args.slice(1);
      const raw = parseFlagArgs(rest, describeOptions(analysis.options));
      const progress = progressWriter();
      const result = await runAnalysis(analysis, raw, {
        model: opts.model,
        localFiles: true,
        progress: (stage, fraction) => progress.update(stage, fraction),
      }).finally(() => progress.done());
      const files = await writeResult(opts.out, result);
      console.log(resultMarkdown(result));
      console.log(`\nwrote ${files.length} files to ${opts.out}`);
    });
}
