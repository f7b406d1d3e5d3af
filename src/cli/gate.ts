/** `rampart gate`: pass/fail requirements on a results JSON for CI (exit 0 pass, 1 fail, 2 bad gate), JUnit XML. */
import type { Command } from 'commander';
import { RampartError } from '../errors.js';
import { evaluateGates, formatGateTable, readResultsFile } from '../report/gate.js';
import { gateJunitXml } from '../report/junit.js';
import { printJson } from './common.js';
import fs from 'node:fs';
import path from 'node:path';

interface GateFlags {
  results: string;
  require: string[];
  junit?: string;
  json?: boolean;
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

export function registerGate(program: Command): void {
  program
    .command('gate')
    .description('check requirements on a results JSON, e.g. --require "robustAccuracy[linf,0.1] >= 0.8" (exit 0 pass, 1 fail, 2 bad gate); metric paths in docs/report.md')
    .requiredOption('-r, --results <file>', 'results.json of rampart audit (or a command\'s --out file)')
    .requiredOption('--require <gate>', 'METRIC[ARGS] OP NUMBER, e.g. "mCE <= 1.1"; repeat for more gates', collect)
    .option('--junit <file>', 'also write the gates as JUnit XML (one test case per gate)')
    .option('--json', 'print the gate report as JSON')
    .action((flags: GateFlags) => {
      const results = readResultsFile(flags.results);
      const report = evaluateGates(results, flags.require);
      if (flags.junit) {
        fs.mkdirSync(path.dirname(path.resolve(flags.junit)), { recursive: true });
        fs.writeFileSync(flags.junit, gateJunitXml(report, { source: flags.results }));
      }
      if (flags.json) printJson(report);
      else process.stdout.write(formatGateTable(report));
      if (!report.passed) {
        const failed = report.gates.filter((g) => !g.passed).map((g) => `${g.expression} (${g.path} = ${g.actual})`);
        throw new RampartError('GATE_FAILED', `${report.failed} of ${report.gates.length} gates failed: ${failed.join('; ')}.`, { failed });
      }
    });
}
