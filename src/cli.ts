import { Command } from 'commander';
const program = new Command('lab');
program.command('hello').action(() => console.log('hi'));
await program.parseAsync(process.argv);
