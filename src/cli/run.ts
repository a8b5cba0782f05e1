// `lab run <analysis> [--option value …] [--model M] --out DIR` and `lab run --list`.
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { ANALYSES, getAnalysis } from '../analyses/index.ts';
import { describeOptions } from '../analyses/options.ts';
import { resultJson, resultMarkdown } from '../analyses/report.ts';
import { runAnalysis } from '../analyses/run.ts';
import type { AnalysisResult } from '../analyses/types.ts';

export function listAnalysesText(): string {
  const out: string[] = [];
  for (const a of ANALYSES) {
    out.push(`${a.id}${a.usesModel ? ' (GPT-2)' : ''} — ${a.post.title}`);
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

/** Parse `--key value`, `--key=value` and bare `--flag` (true) into raw option values. */
export function parseFlagArgs(args: string[]): Record<string, string> {
  const raw: Record<string, string> = {};
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (!arg.startsWith('--')) throw new Error(`Unexpected argument "${arg}": options are written --name value`);
    const eq = arg.indexOf('=');
    if (eq > 0) {
      raw[arg.slice(2, eq)] = arg.slice(eq + 1);
    } else if (i + 1 < args.length && !args[i + 1]!.startsWith('--')) {
      raw[arg.slice(2)] = args[++i]!;
    } else {
      raw[arg.slice(2)] = 'true';
    }
  }
  return raw;
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
    .option('--model <model>', 'model name or checkpoint directory (default: $MODEL)')
    .option('--out <dir>', 'output directory')
    .allowUnknownOption(true)
    .allowExcessArguments(true)
    .action(async (name: string | undefined, opts: { list?: boolean; model?: string; out?: string }, cmd: Command) => {
      if (opts.list || !name) {
        console.log(listAnalysesText());
        return;
      }
      if (!opts.out) throw new Error('--out DIR is required');
      const analysis = getAnalysis(name);
      const rest = cmd.args.slice(1);
      const raw = parseFlagArgs(rest);
      const result = await runAnalysis(analysis, raw, {
        model: opts.model,
        localFiles: true,
        progress: (stage) => process.stderr.write(`… ${stage}\n`),
      });
      const files = await writeResult(opts.out, result);
      console.log(resultMarkdown(result));
      console.log(`\nwrote ${files.length} files to ${opts.out}`);
    });
}
