/**
 * The envelope every Rampart result file shares (schemaVersion 1). Later commands add their own sections
 * under `metrics` (and new top-level keys) without changing these fields.
 */
import fs from 'node:fs';
import path from 'node:path';
import { packageRoot } from '../engine/load.js';

export interface ResultEnvelope<M> {
  schemaVersion: 1;
  tool: { name: 'rampart'; version: string };
  command: string;
  model: { spec: string; format: string; sha256: string; inputShape: number[]; numClasses: number };
  data: { spec: string; count: number };
  seed: number;
  metrics: M;
  timing: { seconds: number; samplesPerSecond: number };
}

let cachedVersion: string | undefined;
export function toolVersion(): string {
  if (cachedVersion === undefined) {
    const json = JSON.parse(fs.readFileSync(path.join(packageRoot(), 'package.json'), 'utf8')) as { version: string };
    cachedVersion = json.version;
  }
  return cachedVersion;
}
