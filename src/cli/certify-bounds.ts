import type { Command } from 'commander';
import { RampartError } from '../errors.js';
import type { CertifyFlags } from './certify.js';

export async function runBoundsCertify(_flags: CertifyFlags, _command: Command): Promise<void> {
  throw new RampartError('BAD_OPTION', 'PLACEHOLDER: bound propagation is being built.');
}
