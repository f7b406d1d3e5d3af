/**
 * The built CLI run as a child process without blocking the test worker (spawnSync would stall vitest's worker
 * RPC during a long audit). Same contract as test/helpers/cli.ts `runCli`.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { repoRoot, type CliRun } from '../helpers/cli.js';

export function runCliAsync(args: string[], options: { env?: Record<string, string>; timeoutMs?: number } = {}): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(repoRoot, 'dist', 'cli', 'main.js'), ...args], { cwd: repoRoot, env: { ...process.env, ...options.env } });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 180_000);
    child.on('error', reject);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}
