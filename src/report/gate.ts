/**
 * Gates: pass/fail requirements on a results JSON, for CI. A gate is `METRIC[ARGS] OP NUMBER`, e.g.
 * `robustAccuracy[linf,0.1] >= 0.80`, `mCE <= 1.1`, `oodAuroc[noise] > 0.9`, with OP one of
 * `<, <=, >, >=, ==, !=` and NUMBER a decimal (a trailing `%` divides by 100: `>= 80%` is `>= 0.8`). Metric
 * paths are listed in src/report/gate-metrics.ts and docs/report.md. Values within 1e-12 of the threshold
 * count as equal (float rounding of stored fractions).
 *
 * `evaluateGates` checks every expression before judging any: malformed expressions and metrics the results
 * do not have are all reported in one RampartError('BAD_OPTION') (exit 2). The audit runner calls it for the
 * `gates` of its config.
 *
 * @example
 * const report = evaluateGates(results, ['cleanAccuracy >= 0.95', 'robustAccuracy[linf,0.1] >= 0.5']);
 * report.passed;                 // false
 * formatGateTable(report);       // a readable table
 */
import fs from 'node:fs';
import { RampartError } from '../errors.js';
import { toReportView, type ReportView } from './html/view.js';
import { lookupMetric, metricDefinition } from './gate-metrics.js';

export type Comparator = '<' | '<=' | '>' | '>=' | '==' | '!=';
const comparators: readonly Comparator[] = ['<=', '>=', '==', '!=', '<', '>'];

export interface GateExpression {
  source: string;
  metric: string;
  args: string[];
  comparator: Comparator;
  threshold: number;
}

export interface GateResult {
  expression: string;
  /** Canonical metric path the gate read. */
  path: string;
  comparator: Comparator;
  threshold: number;
  actual: number;
  passed: boolean;
  higherIsBetter: boolean;
}

export interface GateReport {
  passed: boolean;
  failed: number;
  gates: GateResult[];
}

const TOLERANCE = 1e-12;

function fail(source: string, at: number, what: string): never {
  throw new RampartError('BAD_OPTION', `gate "${source}": ${what} at column ${at + 1} (write METRIC[ARGS] OP NUMBER, e.g. "robustAccuracy[linf,0.1] >= 0.8").`, { expression: source, column: at + 1 });
}

/** Parses one gate expression; throws RampartError('BAD_OPTION') naming the column of the problem. */
export function parseGate(source: string): GateExpression {
  let i = 0;
  const s = source;
  const skip = () => {
    while (i < s.length && /\s/.test(s[i])) i++;
  };
  skip();
  const nameStart = i;
  while (i < s.length && /[A-Za-z0-9_]/.test(s[i])) i++;
  const metric = s.slice(nameStart, i);
  if (!metric || !/^[A-Za-z]/.test(metric)) fail(source, nameStart, 'expected a metric name');
  skip();
  let args: string[] = [];
  if (s[i] === '[') {
    const close = s.indexOf(']', i);
    if (close < 0) fail(source, i, 'unclosed "["');
    args = s.slice(i + 1, close).split(',').map((a) => a.trim());
    const empty = args.findIndex((a) => a === '' || /[[\]<>=!]/.test(a));
    if (empty >= 0) fail(source, i + 1, `argument ${empty + 1} of ${metric} is empty or malformed`);
    i = close + 1;
    skip();
  }
  const comparator = comparators.find((c) => s.startsWith(c, i));
  if (!comparator) fail(source, i, `expected a comparator (${comparators.join(' ')})`);
  i += comparator.length;
  skip();
  const numberMatch = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?/.exec(s.slice(i));
  if (!numberMatch) fail(source, i, 'expected a number');
  i += numberMatch[0].length;
  let threshold = Number(numberMatch[0]);
  skip();
  if (s[i] === '%') {
    threshold /= 100;
    i++;
    skip();
  }
  if (i < s.length) fail(source, i, `unexpected "${s.slice(i)}"`);
  return { source: source.trim(), metric, args, comparator, threshold };
}

export function compare(actual: number, comparator: Comparator, threshold: number): boolean {
  const near = Math.abs(actual - threshold) <= TOLERANCE;
  switch (comparator) {
    case '<':
      return actual < threshold && !near;
    case '<=':
      return actual <= threshold || near;
    case '>':
      return actual > threshold && !near;
    case '>=':
      return actual >= threshold || near;
    case '==':
      return near;
    case '!=':
      return !near;
  }
}

/** Evaluates gates on a report view; every problem with the expressions is reported at once (exit 2). */
export function evaluateGatesOnView(view: ReportView, expressions: readonly string[]): GateReport {
  if (expressions.length === 0) throw new RampartError('BAD_OPTION', 'Give at least one gate, e.g. --require "cleanAccuracy >= 0.95".');
  const problems: string[] = [];
  const parsed: { gate: GateExpression; path: string; actual: number }[] = [];
  for (const expression of expressions) {
    try {
      const gate = parseGate(expression);
      const found = lookupMetric(view, gate.metric, gate.args);
      if ('error' in found) problems.push(`gate "${gate.source}": ${found.error}`);
      else parsed.push({ gate, path: found.value.path, actual: found.value.value });
    } catch (e) {
      if (e instanceof RampartError) problems.push(e.message);
      else throw e;
    }
  }
  if (problems.length) {
    throw new RampartError('BAD_OPTION', problems.length === 1 ? problems[0] : `${problems.length} gates are not usable:\n  ${problems.join('\n  ')}`, { problems });
  }
  const gates = parsed.map(({ gate, path, actual }) => ({
    expression: gate.source,
    path,
    comparator: gate.comparator,
    threshold: gate.threshold,
    actual,
    passed: compare(actual, gate.comparator, gate.threshold),
    higherIsBetter: metricDefinition(gate.metric)!.higherIsBetter,
  }));
  const failed = gates.filter((g) => !g.passed).length;
  return { passed: failed === 0, failed, gates };
}

/** Evaluates gate expressions on a results JSON (an audit results.json or a single command's result). */
export function evaluateGates(results: unknown, expressions: readonly string[]): GateReport {
  return evaluateGatesOnView(toReportView(results), expressions);
}

const shown = (v: number) => (Number.isInteger(v) ? String(v) : v.toFixed(4));

/** A readable text table of a gate report. */
export function formatGateTable(report: GateReport): string {
  const rows = [['gate', 'value', 'result'], ...report.gates.map((g) => [g.expression, shown(g.actual), g.passed ? 'PASS' : 'FAIL'])];
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  const lines = rows.map((r) => r.map((cell, c) => cell.padEnd(widths[c])).join('  ').trimEnd());
  lines.splice(1, 0, widths.map((w) => '-'.repeat(w)).join('  '));
  lines.push('', report.passed ? `all ${report.gates.length} gates passed` : `${report.failed} of ${report.gates.length} gates failed`);
  return lines.join('\n') + '\n';
}

/** Reads a results JSON file; a missing or unreadable file is a usage error (exit 2). */
export function readResultsFile(file: string): unknown {
  if (!fs.existsSync(file)) throw new RampartError('FILE_NOT_FOUND', `Results file ${file} does not exist; give the results.json written by rampart audit (or a command's --out file).`, { file });
  const text = fs.readFileSync(file, 'utf8');
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new RampartError('DATA_CORRUPT', `Results file ${file} is not valid JSON (${(e as Error).message}); give the results.json written by rampart audit.`, { file });
  }
}
