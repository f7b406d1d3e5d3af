import type { Command } from 'commander';
import { RampartError } from '../errors.js';

export function registerCompare(program: Command): void {
  program
    .command('compare')
    .description('PLACEHOLDER')
    .allowUnknownOption()
    .action(() => {
      throw new RampartError('BAD_OPTION', 'PLACEHOLDER: rampart compare is being built.');
    });
}
