/** `rampart compare A.json B.json`: deltas of every metric two results share (A/B of model versions). */
import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { compareResults, formatComparisonTable, renderComparisonHtml } from '../report/compare.js';
import { readResultsFile } from '../report/gate.js';
import { printJson } from './common.js';

interface CompareFlags {
  html?: string;
  json?: boolean;
  labelA?: string;
  labelB?: string;
}

export function registerCompare(program: Command): void {
  program
    .command('compare')
    .description('side-by-side deltas (B − A) of every metric two results JSON files share, as text, JSON or HTML')
    .argument('<a>', 'results JSON of A (rampart audit results.json, or a command\'s --out file)')
    .argument('<b>', 'results JSON of B')
    .option('--html <file>', 'also write the comparison as a self-contained HTML page')
    .option('--json', 'print the comparison as JSON')
    .option('--label-a <name>', 'name of A in the output (default: its model spec)')
    .option('--label-b <name>', 'name of B in the output (default: its model spec)')
    .action((a: string, b: string, flags: CompareFlags) => {
      const comparison = compareResults(readResultsFile(a), readResultsFile(b), { a: flags.labelA, b: flags.labelB });
      if (flags.html) {
        fs.mkdirSync(path.dirname(path.resolve(flags.html)), { recursive: true });
        fs.writeFileSync(flags.html, renderComparisonHtml(comparison));
      }
      if (flags.json) printJson(comparison);
      else process.stdout.write(formatComparisonTable(comparison));
    });
}
