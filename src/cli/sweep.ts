/**
 * `rampart sweep --config sweep.yaml`: trains a grid of hardening configurations and writes clean vs robust
 * accuracy points and their Pareto front as JSON ({points: [{config, cleanAccuracy, robustAccuracy}], pareto}).
 */
import type { Command } from 'commander';
import { runSweep } from '../harden/sweep.js';
import { RampartError } from '../errors.js';
import { commandLine, globalFlags, printJson, startBackend, writeResultFile } from './common.js';
import { createProgress } from './progress.js';
import { readConfigFile } from './harden.js';

export function registerSweep(program: Command): void {
  program
    .command('sweep')
    .description('train a grid of hardening configurations; clean vs robust accuracy points and the Pareto front')
    .option('--config <file>', 'sweep YAML: base (a harden config), grid (dotted path → values), out (folder)')
    .option('--json', 'print the result JSON to stdout')
    .option('-o, --out <file>', 'also write the result JSON to this file (default: <config out>/sweep.json)')
    .action(async (flags: { config?: string; json?: boolean; out?: string }, command: Command) => {
      if (!flags.config) throw new RampartError('BAD_OPTION', 'rampart sweep needs --config sweep.yaml (see docs/harden.md for its fields).');
      const config = readConfigFile(flags.config);
      await startBackend(command);
      const { quiet } = globalFlags(command);
      const progress = createProgress('sweep', { quiet });
      const started = performance.now();
      const result = await runSweep(config, {
        onPoint: (i, total, point) => progress.log(`point ${i + 1}/${total}: ${JSON.stringify(point)}`),
        callbacks: { onEpochEnd: (r) => progress.log(`  epoch ${r.epoch}  clean ${(r.cleanAccuracy * 100).toFixed(1)}%${r.robustAccuracy !== undefined ? `  robust ${(r.robustAccuracy * 100).toFixed(1)}%` : ''}`) },
      });
      const output = { schemaVersion: 1, command: commandLine(), seconds: (performance.now() - started) / 1000, ...result };
      const file = flags.out ?? `${String(config.out)}/sweep.json`;
      writeResultFile(file, output);
      if (flags.json) printJson(output);
      else progress.log(`${result.points.length} points, ${result.pareto.length} on the Pareto front; wrote ${file}`);
    });
}
