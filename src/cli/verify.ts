import type { Command } from 'commander';
import { RampartError } from '../errors.js';

export function registerVerify(program: Command): void {
  program
    .command('verify')
    .description('PLACEHOLDER')
    .allowUnknownOption()
    .action(() => {
      throw new RampartError('BAD_OPTION', 'PLACEHOLDER: rampart verify is being built.');
    });
}
