/** Runs the built CLI (`dist/cli/main.js`, built by `npm test`'s pretest step) and captures its output. */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface CliRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

export function runCli(args: string[], options: { env?: Record<string, string>; timeoutMs?: number } = {}): CliRun {
  const result = spawnSync(process.execPath, [path.join(repoRoot, 'dist', 'cli', 'main.js'), ...args], {
    cwd: repoRoot,
    encoding: 'utf8',
    timeout: options.timeoutMs ?? 180_000,
    env: { ...process.env, ...options.env },
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}
