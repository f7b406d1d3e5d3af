/**
 * VNN-COMP plumbing: the result file format and an `instances.csv` runner with a summary.
 *
 * Result format (VNN-COMP 2021-2023 rules): one line `unsat`, `sat`, `unknown` or `timeout`; after `sat`, the
 * counterexample as `((X_0 v)` … `(Y_0 v)` … `)` — one assignment per line, inputs then outputs. `instances.csv`
 * has no header and three columns: onnx path, vnnlib path (relative to the csv's folder), timeout in seconds. A
 * `truth.csv` beside it (columns onnx, vnnlib and `vnnlib_answer` or `result`) lets the runner count wrong answers.
 *
 * @example
 * const rows = await runInstances('acasxu/instances.csv', { timeoutSeconds: 30 });
 * summarizeRuns(rows); // { instances: 186, solved: ..., wrong: 0, totalSeconds: ..., medianSeconds: ... }
 */
import fs from 'node:fs';
import path from 'node:path';
import { RampartError } from '../errors.js';
import type { Verdict } from './problem.js';
import { loadReluNetwork, type ExtractedNetwork } from './network.js';
import { parseVnnlib } from './vnnlib.js';
import { verifyProperty, type VerifyOptions } from './verifier.js';

/** The VNN-COMP result text of a verdict (ends with a newline). */
export function formatVnncompResult(verdict: Verdict): string {
  if (verdict.status !== 'sat') return `${verdict.status}\n`;
  const { input, output } = verdict.counterexample;
  const lines = [...Array.from(input, (v, i) => `(X_${i} ${formatNumber(v)})`), ...Array.from(output, (v, j) => `(Y_${j} ${formatNumber(v)})`)];
  return `sat\n(${lines.join('\n')})\n`;
}

function formatNumber(v: number): string {
  // Full double precision so the point re-checks exactly.
  return Number.isInteger(v) ? v.toFixed(1) : String(v);
}

export interface Instance {
  readonly onnx: string;
  readonly vnnlib: string;
  readonly timeoutSeconds: number;
  /** The paths as written in the csv (the keys of truth.csv). */
  readonly onnxKey: string;
  readonly vnnlibKey: string;
}

export function readInstances(csvPath: string): Instance[] {
  if (!fs.existsSync(csvPath)) throw new RampartError('FILE_NOT_FOUND', `instances file not found: ${csvPath}. Pass the benchmark's instances.csv.`);
  const folder = path.dirname(csvPath);
  const instances: Instance[] = [];
  fs.readFileSync(csvPath, 'utf8')
    .split(/\r?\n/)
    .forEach((line, index) => {
      if (line.trim() === '') return;
      const fields = line.split(',').map((f) => f.trim());
      const timeoutSeconds = Number(fields[2]);
      if (fields.length < 3 || !fields[0] || !fields[1] || !(timeoutSeconds > 0)) {
        throw new RampartError('DATA_SPEC', `${csvPath}:${index + 1}: expected "onnx,vnnlib,timeout_seconds"; got "${line}".`);
      }
      instances.push({ onnx: path.resolve(folder, fields[0]), vnnlib: path.resolve(folder, fields[1]), timeoutSeconds, onnxKey: fields[0], vnnlibKey: fields[1] });
    });
  if (instances.length === 0) throw new RampartError('DATA_SPEC', `${csvPath} lists no instances.`);
  return instances;
}

/** Ground truth from a truth.csv (header with onnx, vnnlib and vnnlib_answer or result): key `onnx,vnnlib` → sat/unsat. */
export function readTruth(csvPath: string): Map<string, 'sat' | 'unsat'> {
  const truth = new Map<string, 'sat' | 'unsat'>();
  if (!fs.existsSync(csvPath)) return truth;
  const [header, ...rows] = fs.readFileSync(csvPath, 'utf8').trim().split(/\r?\n/);
  const columns = header.split(',');
  const onnx = columns.indexOf('onnx');
  const vnnlib = columns.indexOf('vnnlib');
  const answer = columns.includes('vnnlib_answer') ? columns.indexOf('vnnlib_answer') : columns.indexOf('result');
  if (onnx < 0 || vnnlib < 0 || answer < 0) return truth;
  for (const row of rows) {
    const f = row.split(',');
    const value = f[answer];
    if (value === 'sat' || value === 'unsat') truth.set(`${f[onnx]},${f[vnnlib]}`, value);
  }
  return truth;
}

export interface InstanceRun {
  readonly onnx: string;
  readonly vnnlib: string;
  readonly status: Verdict['status'];
  readonly seconds: number;
  readonly domains: number;
  readonly truth?: 'sat' | 'unsat';
  readonly wrong: boolean;
  readonly verdict: Verdict;
}

export interface RunInstancesOptions {
  /** Overrides each instance's own timeout (seconds). */
  readonly timeoutSeconds?: number;
  readonly engine?: VerifyOptions['engine'];
  readonly seed?: number;
  /** Run only the first `limit` instances. */
  readonly limit?: number;
  readonly onResult?: (run: InstanceRun, index: number, count: number) => void;
}

export async function runInstances(csvPath: string, options: RunInstancesOptions = {}): Promise<InstanceRun[]> {
  const instances = readInstances(csvPath).slice(0, options.limit ?? Infinity);
  const truth = readTruth(path.join(path.dirname(csvPath), 'truth.csv'));
  const networks = new Map<string, ExtractedNetwork>();
  const runs: InstanceRun[] = [];
  for (const [index, instance] of instances.entries()) {
    let network = networks.get(instance.onnx);
    if (!network) {
      network = loadReluNetwork(instance.onnx);
      networks.set(instance.onnx, network);
    }
    if (!fs.existsSync(instance.vnnlib)) throw new RampartError('FILE_NOT_FOUND', `VNN-LIB file not found: ${instance.vnnlib} (listed in ${csvPath}).`);
    const property = parseVnnlib(fs.readFileSync(instance.vnnlib, 'utf8'), instance.vnnlib);
    const timeoutSeconds = options.timeoutSeconds ?? instance.timeoutSeconds;
    const result = await verifyProperty(network, property, { timeoutMs: timeoutSeconds * 1000, engine: options.engine, seed: options.seed });
    const expected = truth.get(`${instance.onnxKey},${instance.vnnlibKey}`);
    const status = result.verdict.status;
    const run: InstanceRun = {
      onnx: instance.onnxKey,
      vnnlib: instance.vnnlibKey,
      status,
      seconds: result.seconds,
      domains: result.domains,
      truth: expected,
      wrong: expected !== undefined && (status === 'sat' || status === 'unsat') && status !== expected,
      verdict: result.verdict,
    };
    runs.push(run);
    options.onResult?.(run, index, instances.length);
  }
  return runs;
}

export interface RunSummary {
  readonly instances: number;
  readonly solved: number;
  readonly unsat: number;
  readonly sat: number;
  readonly unknown: number;
  readonly timeout: number;
  /** Instances with ground truth, and wrong answers among them. */
  readonly withTruth: number;
  readonly wrong: number;
  readonly totalSeconds: number;
  readonly medianSeconds: number;
  /** Total time over solved instances only. */
  readonly solvedSeconds: number;
}

export function summarizeRuns(runs: readonly InstanceRun[]): RunSummary {
  const count = (s: Verdict['status']) => runs.filter((r) => r.status === s).length;
  const times = runs.map((r) => r.seconds).sort((a, b) => a - b);
  const median = times.length === 0 ? 0 : times.length % 2 ? times[(times.length - 1) / 2] : (times[times.length / 2 - 1] + times[times.length / 2]) / 2;
  return {
    instances: runs.length,
    solved: count('sat') + count('unsat'),
    unsat: count('unsat'),
    sat: count('sat'),
    unknown: count('unknown'),
    timeout: count('timeout'),
    withTruth: runs.filter((r) => r.truth !== undefined).length,
    wrong: runs.filter((r) => r.wrong).length,
    totalSeconds: times.reduce((a, b) => a + b, 0),
    medianSeconds: median,
    solvedSeconds: runs.filter((r) => r.status === 'sat' || r.status === 'unsat').reduce((a, r) => a + r.seconds, 0),
  };
}

export function formatSummaryTable(summary: RunSummary): string {
  const rows: [string, string][] = [
    ['instances', String(summary.instances)],
    ['solved', String(summary.solved)],
    ['  unsat', String(summary.unsat)],
    ['  sat', String(summary.sat)],
    ['unknown', String(summary.unknown)],
    ['timeout', String(summary.timeout)],
    ['total time (s)', summary.totalSeconds.toFixed(1)],
    ['median time (s)', summary.medianSeconds.toFixed(2)],
  ];
  if (summary.withTruth > 0) rows.push([`wrong (of ${summary.withTruth} with truth)`, String(summary.wrong)]);
  const width = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join('\n') + '\n';
}

export function formatResultsCsv(runs: readonly InstanceRun[]): string {
  const lines = ['onnx,vnnlib,result,seconds,domains,truth,wrong'];
  for (const r of runs) lines.push(`${r.onnx},${r.vnnlib},${r.status},${r.seconds.toFixed(3)},${r.domains},${r.truth ?? ''},${r.wrong ? 1 : 0}`);
  return lines.join('\n') + '\n';
}
