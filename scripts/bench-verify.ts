/**
 * Complete-verification benchmark: runs `rampart verify`'s engine on a VNN-COMP benchmark from ../shared/benchmarks
 * and prints solved / wrong / unknown counts and total and median times next to the VNN-COMP tools' figures on the
 * same instances (per-tool times from truth.csv; wrong answers from tool_summary.csv when every instance ran).
 *
 *   npm run bench:verify -- acasxu [--timeout S] [--limit N] [--every K] [--engine auto|bab|milp|smt] [--results out.csv]
 *   npm run bench:verify -- acasxu --from out.csv     (the comparison table for an earlier run's results)
 *
 * `--timeout` overrides each instance's own (116 s ACAS Xu, 120/300 s mnist_fc); `--every K` runs every K-th
 * instance (a quick sample). Tool times in truth.csv have each tool's start-up overhead subtracted; ours are
 * measured from the parsed network and property to the verdict (loading takes a few ms).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runInstances, summarizeRuns, formatResultsCsv, type InstanceRun } from '../src/verify/vnncomp.js';

function sharedDir(): string {
  const here = path.dirname(new URL(import.meta.url).pathname);
  const candidates = [process.env.RAMPART_SHARED_DIR, path.resolve(here, '..', '..', 'shared'), '/work/shared'].filter((c): c is string => !!c);
  const found = candidates.find((c) => fs.existsSync(path.join(c, 'benchmarks')));
  if (!found) throw new Error(`shared/benchmarks not found (looked in ${candidates.join(', ')}); set RAMPART_SHARED_DIR.`);
  return found;
}

function flag(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

function median(values: number[]): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

async function main(): Promise<void> {
  const name = process.argv[2];
  if (name !== 'acasxu' && name !== 'mnist_fc') {
    console.error('usage: npm run bench:verify -- acasxu|mnist_fc [--timeout S] [--limit N] [--every K] [--engine auto|bab|milp|smt] [--results out.csv]');
    process.exit(2);
  }
  const folder = path.join(sharedDir(), 'benchmarks', name);
  const timeout = flag('--timeout') ? Number(flag('--timeout')) : undefined;
  const limit = flag('--limit') ? Number(flag('--limit')) : undefined;
  const every = Number(flag('--every') ?? 1);
  const engine = (flag('--engine') ?? 'auto') as 'auto' | 'bab' | 'milp' | 'smt';
  const csv = path.join(folder, 'instances.csv');
  // --every: write a filtered instances file beside a temp copy of truth.csv so paths still resolve.
  let instancesCsv = csv;
  if (every > 1) {
    const lines = fs.readFileSync(csv, 'utf8').trim().split('\n').filter((_, i) => i % every === 0);
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-verify-'));
    instancesCsv = path.join(tmp, 'instances.csv');
    fs.writeFileSync(instancesCsv, lines.map((l) => l.replace(/^([^,]+),([^,]+)/, (_, a, b) => `${path.join(folder, a)},${path.join(folder, b)}`)).join('\n') + '\n');
    fs.writeFileSync(
      path.join(tmp, 'truth.csv'),
      fs
        .readFileSync(path.join(folder, 'truth.csv'), 'utf8')
        .trim()
        .split('\n')
        .map((l, i) => (i === 0 ? l : l.replace(/^([^,]+),([^,]+)/, (_, a, b) => `${path.join(folder, a)},${path.join(folder, b)}`)))
        .join('\n') + '\n',
    );
  }
  console.log(`bench:verify ${name}: engine ${engine}, timeout ${timeout ?? 'per instance'} s${limit ? `, first ${limit}` : ''}${every > 1 ? `, every ${every}th` : ''}; ${os.cpus().length} cores, load ${os.loadavg()[0].toFixed(1)}`);
  // --from results.csv: print the comparison for an earlier run instead of running again.
  const from = flag('--from');
  const runs: InstanceRun[] = from
    ? fs
        .readFileSync(from, 'utf8')
        .trim()
        .split(/\r?\n/)
        .slice(1)
        .map((line) => {
          const [onnx, vnnlib, status, seconds, domains, truth, wrong] = line.split(',');
          return {
            onnx,
            vnnlib,
            status: status as InstanceRun['status'],
            seconds: Number(seconds),
            domains: Number(domains),
            truth: truth === 'sat' || truth === 'unsat' ? truth : undefined,
            wrong: wrong === '1',
            verdict: { status: 'unknown', reason: 'read from a results file' },
          };
        })
    : await runInstances(instancesCsv, {
    timeoutSeconds: timeout,
    limit,
    engine,
    onResult: (run: InstanceRun, index, count) => {
      const truth = run.truth ? ` truth=${run.truth}${run.wrong ? ' WRONG' : ''}` : '';
      console.log(`  [${index + 1}/${count}] ${path.basename(run.onnx)} ${path.basename(run.vnnlib)} ${run.status} ${run.seconds.toFixed(2)}s domains=${run.domains}${truth}`);
    },
      });
  const resultsFile = flag('--results');
  if (resultsFile && !from) fs.writeFileSync(resultsFile, formatResultsCsv(runs));
  const summary = summarizeRuns(runs);

  // The VNN-COMP tools on the same instances (truth.csv per-tool time columns).
  const truthLines = fs.readFileSync(path.join(folder, 'truth.csv'), 'utf8').trim().split(/\r?\n/);
  const header = truthLines[0].split(',');
  const keyOf = (f: string[]) => `${path.basename(f[header.indexOf('onnx')])},${path.basename(f[header.indexOf('vnnlib')])}`;
  const ran = new Set(runs.map((r) => `${path.basename(r.onnx)},${path.basename(r.vnnlib)}`));
  const rows = truthLines.slice(1).map((l) => l.split(',')).filter((f) => ran.has(keyOf(f)));
  const toolColumns = header.map((h, i) => [h, i] as const).filter(([h]) => /^t20\d\d_/.test(h));
  const toolSummary = fs.existsSync(path.join(folder, 'tool_summary.csv')) ? fs.readFileSync(path.join(folder, 'tool_summary.csv'), 'utf8').trim().split(/\r?\n/) : [];
  const tsHeader = toolSummary[0]?.split(',') ?? [];
  const wrongOf = (year: string, tool: string): string => {
    if (runs.length !== truthLines.length - 1) return '-';
    const col = tsHeader.indexOf('wrong_answers') >= 0 ? tsHeader.indexOf('wrong_answers') : tsHeader.indexOf('penalties');
    const row = toolSummary.slice(1).map((l) => l.split(',')).find((f) => f[0] === year && f[1].toLowerCase().replace(/[^a-z]/g, '') === tool.toLowerCase().replace(/[^a-z]/g, ''));
    return row && col >= 0 ? row[col] : '-';
  };
  const table: string[][] = [['tool', 'solved', 'wrong', 'unsolved', 'total s (solved)', 'median s (solved)']];
  const ours = runs.filter((r) => r.status === 'sat' || r.status === 'unsat').map((r) => r.seconds);
  table.push(['rampart (this run)', String(summary.solved), String(summary.wrong), String(summary.unknown + summary.timeout), summary.solvedSeconds.toFixed(1), median(ours).toFixed(3)]);
  for (const [column, index] of toolColumns) {
    const times = rows.map((f) => Number(f[index])).filter((v, i) => rows[i][index] !== '' && Number.isFinite(v));
    const [, yearFull, tool] = /^t(\d{4})_(.*)$/.exec(column)!;
    table.push([`${tool} ${yearFull}`, String(times.length), wrongOf(yearFull, tool), String(rows.length - times.length), times.reduce((a, b) => a + b, 0).toFixed(1), median(times).toFixed(3)]);
  }
  const widths = table[0].map((_, c) => Math.max(...table.map((r) => r[c].length)));
  console.log('');
  for (const r of table) console.log(r.map((v, c) => (c === 0 ? v.padEnd(widths[c]) : v.padStart(widths[c]))).join('  '));
  console.log(`\nrampart: ${summary.unsat} unsat, ${summary.sat} sat, ${summary.unknown} unknown, ${summary.timeout} timeout; total ${summary.totalSeconds.toFixed(1)} s, median ${summary.medianSeconds.toFixed(2)} s over all ${summary.instances}; wrong ${summary.wrong} of ${summary.withTruth} with ground truth`);
  if (summary.wrong > 0) process.exitCode = 1;
}

void main();
