import type { Command } from 'commander';
import { RampartError } from '../errors.js';
import type { CertifyFlags } from './certify.js';

export async function runSmoothingCertify(_flags: CertifyFlags, _command: Command): Promise<void> {
  throw new RampartError('BAD_OPTION', 'PLACEHOLDER: randomized smoothing is being built.');
}
