import type { Command } from 'commander';
import { RampartError } from '../errors.js';

export function registerExplain(program: Command): void {
  program
    .command('explain')
    .description('PLACEHOLDER')
    .allowUnknownOption()
    .action(() => {
      throw new RampartError('BAD_OPTION', 'PLACEHOLDER: rampart explain is being built.');
    });
}
