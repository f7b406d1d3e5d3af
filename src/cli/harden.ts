import type { Command } from 'commander';
import { RampartError } from '../errors.js';

export function registerHarden(program: Command): void {
  program
    .command('harden')
    .description('PLACEHOLDER')
    .allowUnknownOption()
    .action(() => {
      throw new RampartError('BAD_OPTION', 'PLACEHOLDER: rampart harden is being built.');
    });
}
