import type { Command } from 'commander';
import { RampartError } from '../errors.js';

export function registerSensitivity(program: Command): void {
  program
    .command('sensitivity')
    .description('PLACEHOLDER')
    .allowUnknownOption()
    .action(() => {
      throw new RampartError('BAD_OPTION', 'PLACEHOLDER: rampart sensitivity is being built.');
    });
}
