/**
 * Resumable checkpoints: the weights, the optimizer state, the history, the best-so-far weights and the
 * early-stopping counters, in one JSON file (float arrays as base64) written atomically (temp file + rename).
 * Per-epoch randomness is derived from (seed, epoch), so a run resumed after epoch e continues exactly as the
 * uninterrupted run would.
 */
import fs from 'node:fs';
import path from 'node:path';
import { RampartError } from '../errors.js';
import type { OptimizerState } from './optimizer.js';
import type { EpochRecord } from './loop.js';

export interface Checkpoint {
  version: 1;
  engine: 'ort' | 'tfjs';
  epoch: number;
  step: number;
  weights: Record<string, Float32Array>;
  optimizer: OptimizerState;
  history: EpochRecord[];
  best?: { epoch: number; score: number; weights: Record<string, Float32Array> };
  lastGood?: { epoch: number; weights: Record<string, Float32Array> };
  sinceBest: number;
  /** Training-mode call counts of the model's seeded dropout layers in layer order (their masks' next index). */
  dropoutCalls?: number[];
  /** Fingerprint of the options that must match on resume. */
  optionsKey: string;
}

const encode = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');
const decode = (s: string) => {
  const b = Buffer.from(s, 'base64');
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
};
const encodeMap = (m: Record<string, Float32Array>) => Object.fromEntries(Object.entries(m).map(([k, v]) => [k, encode(v)]));
const decodeMap = (m: Record<string, string>) => Object.fromEntries(Object.entries(m).map(([k, v]) => [k, decode(v)]));

export function writeCheckpoint(file: string, c: Checkpoint): void {
  const json = JSON.stringify({
    ...c,
    weights: encodeMap(c.weights),
    optimizer: { steps: c.optimizer.steps, first: encodeMap(c.optimizer.first), second: encodeMap(c.optimizer.second) },
    best: c.best && { ...c.best, weights: encodeMap(c.best.weights) },
    lastGood: c.lastGood && { ...c.lastGood, weights: encodeMap(c.lastGood.weights) },
  });
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp`;
  fs.writeFileSync(tmp, json);
  fs.renameSync(tmp, file);
}

export function readCheckpoint(file: string): Checkpoint {
  if (!fs.existsSync(file)) throw new RampartError('FILE_NOT_FOUND', `No checkpoint at ${file}. Run without --resume first, or point --out at the run's folder.`);
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  let raw: any;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new RampartError('DATA_CORRUPT', `Checkpoint ${file} is not valid JSON (${(e as Error).message}); delete it to start over.`);
  }
  return {
    ...raw,
    weights: decodeMap(raw.weights),
    optimizer: { steps: raw.optimizer.steps, first: decodeMap(raw.optimizer.first), second: decodeMap(raw.optimizer.second) },
    best: raw.best && { ...raw.best, weights: decodeMap(raw.best.weights) },
    lastGood: raw.lastGood && { ...raw.lastGood, weights: decodeMap(raw.lastGood.weights) },
  };
}
