// Analyses benchmark: every registered analysis with its default options, compute and render
// time (median of 3 after a first, cold run), and the time of one chart. LLM analyses run on a
// random checkpoint of GPT-2-small shape (12 layers, 12 heads, 768 wide, full vocabulary),
// generated here into a temp directory, so the numbers need no download.
//
//   node --import tsx scripts/bench-analyses.ts [--runs 3] [--only zipf,fourier]
//
// Targets on the project's 2-core machine: data-science analysis < 3 s (the bar for the
// posts added later; /dependence, 21 figures with nearest-neighbour estimators, < 8 s), LLM
// analysis < 10 s, one chart < 100 ms. The first run is reported separately: it pays for JIT warm-up, fonts,
// model loading and (for /zipf) tokenizing ten books with no count cache.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';

const { values: args } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    only: { type: 'string' },
  },
});
const runs = Math.max(1, Number(args.runs));

// A fresh count cache, so that the first /zipf run is honestly cold. Set before config loads.
const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'bench-analyses-'));
process.env.BOOK_CACHE_DIR = path.join(tmp, 'books');

const { ANALYSES } = await import('../src/analyses/index.ts');
const { runAnalysis } = await import('../src/analyses/run.ts');
const { getEngine, disposeEngines } = await import('../src/llm/provider.ts');
const { writeTinyCheckpoint } = await import('../src/llm/tiny.ts');
const { writeTinyBertCheckpoint } = await import('../src/llm/bert/tiny.ts');
const { getBertEngine, disposeBertEngines } = await import('../src/llm/bert/provider.ts');
const { renderChart } = await import('../src/render/chart.ts');
const { lineChart, scatterChart } = await import('../src/render/charts.ts');
const { createRng } = await import('../src/analyses/lib/random.ts');

const TARGET_MS = { ds: 3000, llm: 10000, chart: 100 };
/** Analyses whose target differs from their kind's. */
const TARGET_BY_ID: Record<string, number> = { dependence: 8000 };
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const ms = (v: number) => `${Math.round(v)} ms`;
const mark = (v: number, target: number) => (v < target ? '✓' : '✗');

interface Row {
  id: string;
  kind: 'ds' | 'llm';
  figures: number;
  firstMs: number;
  computeMs: number;
  renderMs: number;
  totalMs: number;
  error?: string;
}

const selected = args.only ? ANALYSES.filter((a) => args.only!.split(',').includes(a.id)) : ANALYSES;
console.log(`node ${process.version}, ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? '?'}), load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`);
console.log(`analyses: ${selected.map((a) => a.id).join(', ') || '(none registered)'}\n`);

let modelDir: string | undefined;
let bertDir: string | undefined;
if (selected.some((a) => a.arch === 'bert')) {
  // bert-base's shape (12 layers, 12 heads, 768 wide) with the tiny checkpoint's small vocabulary,
  // which holds the posts' words: the blocks cost what bert-base's do, the MLM head less.
  const t = performance.now();
  bertDir = await writeTinyBertCheckpoint(path.join(tmp, 'bert-base-shape'), { num_hidden_layers: 12, num_attention_heads: 12, hidden_size: 768 });
  console.log(`random bert-base-shape checkpoint written in ${ms(performance.now() - t)}\n`);
}
if (selected.some((a) => a.usesModel && a.arch !== 'bert')) {
  const t = performance.now();
  modelDir = await writeTinyCheckpoint(path.join(tmp, 'gpt2-small-shape'), { n_layer: 12, n_head: 12, n_embd: 768 });
  console.log(`random GPT-2-small-shape checkpoint written in ${ms(performance.now() - t)}\n`);
}

const rows: Row[] = [];
for (const analysis of selected) {
  const req = analysis.arch === 'bert' && bertDir
    ? { model: bertDir, bertEngine: () => getBertEngine({ model: bertDir }) }
    : analysis.usesModel && modelDir
      ? { model: modelDir, engine: () => getEngine({ model: modelDir }) }
      : {};
  const row: Row = { id: analysis.id, kind: analysis.usesModel ? 'llm' : 'ds', figures: 0, firstMs: NaN, computeMs: NaN, renderMs: NaN, totalMs: NaN };
  try {
    const first = await runAnalysis(analysis, {}, req);
    row.firstMs = first.timings.totalMs;
    row.figures = first.figures.length;
    const timings = [];
    for (let i = 0; i < runs; i++) timings.push((await runAnalysis(analysis, {}, req)).timings);
    row.computeMs = median(timings.map((t) => t.computeMs));
    row.renderMs = median(timings.map((t) => t.renderMs));
    row.totalMs = median(timings.map((t) => t.totalMs));
  } catch (err) {
    row.error = (err as Error).message.split('\n')[0];
  }
  rows.push(row);
  console.error(`… ${analysis.id}: ${row.error ?? ms(row.totalMs)}`);
}
await disposeEngines();
await disposeBertEngines();

// One chart on its own: a 500-point scatter and a 3000-sample line, median after a warm-up.
async function chartMs(draw: () => Promise<Buffer>): Promise<number> {
  await draw();
  const times: number[] = [];
  for (let i = 0; i < Math.max(3, runs); i++) {
    const t = performance.now();
    await draw();
    times.push(performance.now() - t);
  }
  return median(times);
}
const rng = createRng(1);
const cloud = Array.from({ length: 500 }, () => [rng.normal(), rng.normal()] as [number, number]);
const time = Array.from({ length: 3000 }, (_, i) => i / 1000);
const charts = [
  { name: 'scatter, 500 points', ms: await chartMs(() => renderChart(scatterChart({ title: 'bench', series: [{ label: 'x', points: cloud }] }))) },
  { name: 'line, 3000 samples', ms: await chartMs(() => renderChart(lineChart({ title: 'bench', series: [{ label: 'x', x: time, values: time.map((t) => Math.sin(2 * Math.PI * 5 * t)) }] }))) },
];

console.log(`## Analyses (default options; median of ${runs} after a first run)\n`);
console.log('| analysis | kind | figures | first run | compute | render | total | per figure | target | |');
console.log('|---|---|---:|---:|---:|---:|---:|---:|---:|---|');
for (const r of rows) {
  const target = TARGET_BY_ID[r.id] ?? TARGET_MS[r.kind];
  if (r.error) {
    console.log(`| ${r.id} | ${r.kind} | – | – | – | – | – | – | < ${ms(target)} | error: ${r.error} |`);
    continue;
  }
  console.log(`| ${r.id} | ${r.kind} | ${r.figures} | ${ms(r.firstMs)} | ${ms(r.computeMs)} | ${ms(r.renderMs)} | ${ms(r.totalMs)} | ${ms(r.renderMs / Math.max(1, r.figures))} | < ${ms(target)} | ${mark(r.totalMs, target)} |`);
}
console.log('\n## One chart\n');
console.log('| chart | time | target | |');
console.log('|---|---:|---:|---|');
for (const c of charts) console.log(`| ${c.name} | ${ms(c.ms)} | < ${ms(TARGET_MS.chart)} | ${mark(c.ms, TARGET_MS.chart)} |`);
console.log('\n"first run" includes warm-up: JIT, fonts, model load (LLM) and, for /zipf, tokenizing every book with an empty count cache.');

await fs.rm(tmp, { recursive: true, force: true });
process.exitCode = rows.some((r) => r.error) ? 1 : 0;
