// One definition per command → Discord JSON, the playground catalog and help, consistently.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ALL_COMMANDS, COMMANDS, findCommand } from '../../commands/index.ts';
import { ANALYSES } from '../../src/analyses/index.ts';
import { describeOptions, parseOptions } from '../../src/analyses/options.ts';
import { POSTS } from '../../src/catalog/posts.ts';
import { commandCatalog } from '../../src/commands/catalog.ts';
import { modelChoices } from '../../src/commands/define.ts';
import { toDiscordCommands } from '../../src/commands/discord.ts';
import { parseSlackText } from '../../src/commands/slack-text.ts';
import { optionSummary } from '../../src/commands/usage.ts';

const DISCORD_TYPES: Record<string, number> = { string: 3, integer: 4, boolean: 5, number: 10, 'string[]': 3, 'number[]': 3 };

test('a command file for each of the ten posts with an analysis, plus /posts, /help and /job', () => {
  const names = ALL_COMMANDS.map((c) => c.name);
  for (const p of POSTS.filter((x) => x.hasAnalysis)) assert.ok(names.includes(p.id), `commands/${p.id}.ts`);
  for (const t of ['posts', 'help', 'job']) assert.ok(names.includes(t));
  assert.equal(new Set(names).size, names.length, 'no two files define the same command');
  // Every registered analysis is runnable; unregistered ones wait for their module.
  for (const a of ANALYSES) assert.ok(COMMANDS.some((c) => c.name === a.id), a.id);
  assert.equal(findCommand('/Fourier')?.name, ANALYSES.some((a) => a.id === 'fourier') ? 'fourier' : undefined);
});

test('Discord JSON carries every option with its type, limits, choices and required flag', () => {
  const json = toDiscordCommands(COMMANDS, 'gpt2');
  assert.equal(json.length, COMMANDS.length);
  for (const cmd of json) {
    assert.match(cmd.name, /^[a-z0-9_-]{1,32}$/);
    assert.ok(cmd.description.length >= 1 && cmd.description.length <= 100, cmd.name);
    const top = cmd.options ?? [];
    assert.ok(top.length <= 25);
    // A command with verbs (Discord subcommands, type 1) carries its options one level down.
    const SUBCOMMAND = 1;
    const verbs = top.filter((o) => o.type === SUBCOMMAND);
    const lists = verbs.length ? verbs.map((v) => ('options' in v ? v.options ?? [] : [])) : [top];
    for (const list of lists) {
      const firstOptional = list.findIndex((o) => !o.required);
      if (firstOptional >= 0) assert.ok(list.slice(firstOptional).every((o) => !o.required), `${cmd.name}: required options first`);
    }
    const opts = lists.flat();
    const def = COMMANDS.find((c) => c.name === cmd.name)!;
    const analysis = def.kind === 'analysis' ? def.analysis()! : undefined;
    const infos = def.kind === 'text' ? describeOptions(def.options) : describeOptions(analysis!.options);
    for (const info of infos) {
      if (verbs.length && !opts.some((o) => o.name === info.name)) continue; // the verb itself

      const o = opts.find((x) => x.name === info.name) as Record<string, unknown> | undefined;
      assert.ok(o, `${cmd.name}.${info.name} is in the JSON`);
      assert.equal(o.type, DISCORD_TYPES[info.type], `${cmd.name}.${info.name} type`);
      assert.ok(String(o.description).length <= 100);
      if (info.min !== undefined) assert.equal(o.min_value, info.min, `${cmd.name}.${info.name} min`);
      if (info.max !== undefined) assert.equal(o.max_value, info.max, `${cmd.name}.${info.name} max`);
      if (info.type === 'string' && info.maxLength !== undefined) assert.equal(o.max_length, Math.min(info.maxLength, 6000));
      if (info.choices) assert.deepEqual((o.choices as { value: string }[]).map((c) => c.value), info.choices);
    }
    const model = opts.find((o) => o.name === 'model') as { choices?: { value: string }[] } | undefined;
    assert.equal(model !== undefined, analysis?.usesModel === true, `${cmd.name}: a model option exactly when the analysis uses a model`);
    if (model) assert.deepEqual(model.choices!.map((c) => c.value), modelChoices(analysis?.arch), `${cmd.name}: the model choices of its family (BERT analyses list only BERT models)`);
  }
});

test('the playground catalog lists the same commands and options, with summaries and a runnable example', () => {
  const catalog = commandCatalog(COMMANDS, 'gpt2');
  assert.deepEqual(catalog.map((c) => c.name), COMMANDS.map((c) => c.name));
  const json = JSON.parse(JSON.stringify(catalog)) as typeof catalog;
  assert.deepEqual(json, catalog, 'JSON-serialisable as is');
  for (const c of catalog) {
    assert.ok(c.example.startsWith(`/${c.name}`));
    // A chip a new user clicks: one short line that parses as the command's own options.
    assert.ok(c.example.length <= 80 && !c.example.includes('\n'), `${c.name}: ${JSON.stringify(c.example)}`);
    const analysis = ANALYSES.find((a) => a.id === c.name);
    if (analysis) {
      const { rawOptions } = parseSlackText(c.example.slice(1));
      assert.doesNotThrow(() => parseOptions(analysis.options, rawOptions), c.example);
    }
    for (const o of c.options) assert.equal(o.summary, optionSummary(o));
    if (c.kind === 'analysis') assert.match(c.post!.notebookUrl, /^https:\/\/github\.com\/mikexcohen\/Substack\/blob\/main\//);
  }
});

test('option summaries read like help text', () => {
  assert.equal(optionSummary({ name: 'layer', type: 'integer', description: '', min: 0, max: 11, default: 5, required: false }), 'integer 0–11, default 5');
  assert.equal(optionSummary({ name: 'text', type: 'string', description: '', maxLength: 500, default: 'It was', required: false }), 'text, up to 500 characters, default "It was"');
  assert.equal(optionSummary({ name: 'm', type: 'string', description: '', choices: ['a', 'b'], required: true }), 'one of a, b, required');
  assert.equal(optionSummary({ name: 'p', type: 'number', description: '', default: Math.PI / 4, required: false }), 'number, default 0.785398');
});
