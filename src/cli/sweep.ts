import type { Command } from 'commander';
import { RampartError } from '../errors.js';

export function registerSweep(program: Command): void {
  program
    .command('sweep')
    .description('PLACEHOLDER')
    .allowUnknownOption()
    .action(() => {
      throw new RampartError('BAD_OPTION', 'PLACEHOLDER: rampart sweep is being built.');
    });
}
