/**
 * Location of the read-only `shared/` folder (benchmarks, design notes): beside the repository, as on developer
 * machines and in CI; `RAMPART_SHARED_DIR` overrides.
 */
import fs from 'node:fs';
import path from 'node:path';
import { repoRoot } from './cli.js';

export function sharedDir(): string {
  const candidates = [process.env.RAMPART_SHARED_DIR, path.resolve(repoRoot, '..', 'shared'), '/work/shared'].filter(
    (c): c is string => typeof c === 'string' && c.length > 0,
  );
  const found = candidates.find((c) => fs.existsSync(path.join(c, 'benchmarks')));
  if (!found) throw new Error(`shared/ not found (looked in ${candidates.join(', ')}); set RAMPART_SHARED_DIR.`);
  return found;
}
