import type { Command } from 'commander';
import { RampartError } from '../errors.js';

export function registerAudit(program: Command): void {
  program
    .command('audit')
    .description('PLACEHOLDER')
    .allowUnknownOption()
    .action(() => {
      throw new RampartError('BAD_OPTION', 'PLACEHOLDER: rampart audit is being built.');
    });
}
