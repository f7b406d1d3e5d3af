import type { Command } from 'commander';
import { RampartError } from '../errors.js';

export function registerValidate(program: Command): void {
  program
    .command('validate')
    .description('PLACEHOLDER')
    .allowUnknownOption()
    .action(() => {
      throw new RampartError('BAD_OPTION', 'PLACEHOLDER: rampart validate is being built.');
    });
}
