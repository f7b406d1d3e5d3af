/**
 * Pieces every command shares: global flags, number parsing, backend start-up, JSON output.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Option, type Command } from 'commander';
import { RampartError } from '../errors.js';
import { setupBackend, type BackendName } from '../engine/backend.js';

export interface GlobalFlags {
  backend?: BackendName;
  debug?: boolean;
  quiet?: boolean;
}

export function globalFlags(command: Command): GlobalFlags {
  return command.optsWithGlobals() as GlobalFlags;
}

export async function startBackend(command: Command): Promise<BackendName> {
  return setupBackend({ backend: globalFlags(command).backend });
}

export function parseInteger(flag: string, min = 0) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min) {
      throw new RampartError('BAD_OPTION', `${flag} must be an integer ≥ ${min}; got "${value}".`, { flag, value });
    }
    return n;
  };
}

export function parsePositiveNumber(flag: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isFinite(n) || n <= 0) {
      throw new RampartError('BAD_OPTION', `${flag} must be a positive number; got "${value}".`, { flag, value });
    }
    return n;
  };
}

export const layoutOption = () =>
  new Option('--layout <layout>', 'input layout of an ONNX model (default: detected)').choices(['auto', 'nchw', 'nhwc']).default('auto');

export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value, null, 2) + '\n');
}

export function commandLine(): string {
  return ['rampart', ...process.argv.slice(2)].join(' ');
}

/** Writes a result JSON file (creating its folder), as every command's `--out` does. */
export function writeResultFile(file: string, result: unknown): void {
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  fs.writeFileSync(file, JSON.stringify(result, null, 2) + '\n');
}
