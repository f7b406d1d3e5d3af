import type { Command } from 'commander';
import { RampartError } from '../errors.js';

export function registerValidateSnapshot(program: Command): void {
  program
    .command('validate-snapshot')
    .description('PLACEHOLDER')
    .allowUnknownOption()
    .action(() => {
      throw new RampartError('BAD_OPTION', 'PLACEHOLDER: rampart validate-snapshot is being built.');
    });
}
