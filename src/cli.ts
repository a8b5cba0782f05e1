// `lab`: the command line. Each concern registers its own subcommands.
import { Command } from 'commander';
import { OptionError } from './analyses/types.ts';
import { registerModelsCommands } from './cli/models.ts';
import { registerRunCommand } from './cli/run.ts';
import { registerTraceCommand } from './cli/trace.ts';

const program = new Command('lab').description('substack-lab: the Substack notebooks as commands');
registerRunCommand(program);
registerModelsCommands(program);
registerTraceCommand(program);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  const e = err as Error;
  console.error(e instanceof OptionError ? `Bad option ${e.message}` : `Error: ${e.message}`);
  if (process.env.DEBUG) console.error(e.stack);
  process.exitCode = 1;
}
