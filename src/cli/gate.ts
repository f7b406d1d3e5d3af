import type { Command } from 'commander';
import { RampartError } from '../errors.js';

export function registerGate(program: Command): void {
  program
    .command('gate')
    .description('PLACEHOLDER')
    .allowUnknownOption()
    .action(() => {
      throw new RampartError('BAD_OPTION', 'PLACEHOLDER: rampart gate is being built.');
    });
}
