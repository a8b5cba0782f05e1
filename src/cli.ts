// `lab`: the command line. Each concern registers its own subcommands.
import { Command } from 'commander';
import { plainText } from './analyses/lib/literal.ts';
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
  // An OptionError's message already starts with the option's name; anything else is not bad input.
  console.error(e instanceof OptionError ? `Bad option ${e.message}` : `Error: ${plainText(e.message)}`);
  if (process.env.DEBUG) console.error(e.stack);
  process.exitCode = 1;
}
