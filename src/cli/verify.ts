/**
 * `rampart verify`: complete verification of an ONNX ReLU network against a VNN-LIB property (VNN-COMP result
 * format), or a whole benchmark from its instances.csv with a summary table.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Option, type Command } from 'commander';
import { RampartError } from '../errors.js';
import { loadReluNetwork } from '../verify/network.js';
import { parseVnnlib } from '../verify/vnnlib.js';
import { verifyProperty } from '../verify/verifier.js';
import { formatResultsCsv, formatSummaryTable, formatVnncompResult, runInstances, summarizeRuns } from '../verify/vnncomp.js';
import { globalFlags, parseInteger, parsePositiveNumber } from './common.js';

interface VerifyFlags {
  onnx?: string;
  vnnlib?: string;
  instances?: string;
  results?: string;
  timeout?: number;
  engine: 'auto' | 'bab' | 'milp' | 'smt';
  seed: number;
  limit?: number;
  out?: string;
}

export function registerVerify(program: Command): void {
  program
    .command('verify')
    .description('complete verification (VNN-COMP): prove a VNN-LIB property of an ONNX ReLU network or find a counterexample')
    .option('--onnx <file>', 'the network (dense ReLU chain: MatMul/Gemm, Add/Sub, Flatten, Relu)')
    .option('--vnnlib <file>', 'the property (its asserts describe the UNSAFE set)')
    .option('--instances <csv>', 'run a benchmark: rows "onnx,vnnlib,timeout" relative to the csv folder (a truth.csv beside it is used to count wrong answers)')
    .option('--results <csv>', 'with --instances: write one row per instance here')
    .option('--timeout <seconds>', 'time budget per instance (default 116, or each instance\'s own with --instances)', parsePositiveNumber('--timeout'))
    .addOption(new Option('--engine <name>', 'bab = CROWN branch and bound; milp = HiGHS; smt = z3; auto = bab').choices(['auto', 'bab', 'milp', 'smt']).default('auto'))
    .option('--seed <n>', 'seed of the falsification restarts', parseInteger('--seed', 0), 0)
    .option('--limit <n>', 'with --instances: only the first n instances', parseInteger('--limit', 1))
    .option('-o, --out <file>', 'write the VNN-COMP result (unsat / sat + counterexample / unknown / timeout) here')
    .action(async (flags: VerifyFlags, command: Command) => {
      const quiet = globalFlags(command).quiet === true;
      if (flags.instances) {
        if (flags.onnx || flags.vnnlib) throw new RampartError('BAD_OPTION', 'use either --instances or --onnx with --vnnlib, not both.');
        const runs = await runInstances(flags.instances, {
          timeoutSeconds: flags.timeout,
          engine: flags.engine,
          seed: flags.seed,
          limit: flags.limit,
          onResult: (run, index, count) => {
            if (quiet) return;
            const truth = run.truth ? ` (truth ${run.truth}${run.wrong ? ', WRONG' : ''})` : '';
            process.stderr.write(`[${index + 1}/${count}] ${run.onnx} ${run.vnnlib}: ${run.status} in ${run.seconds.toFixed(2)} s${truth}\n`);
          },
        });
        if (flags.results) {
          fs.mkdirSync(path.dirname(path.resolve(flags.results)), { recursive: true });
          fs.writeFileSync(flags.results, formatResultsCsv(runs));
        }
        process.stdout.write(formatSummaryTable(summarizeRuns(runs)));
        return;
      }
      if (!flags.onnx || !flags.vnnlib) {
        throw new RampartError('BAD_OPTION', 'rampart verify needs --onnx FILE and --vnnlib FILE (or --instances instances.csv).');
      }
      if (!fs.existsSync(flags.vnnlib)) throw new RampartError('FILE_NOT_FOUND', `VNN-LIB file not found: ${flags.vnnlib}. Check the --vnnlib path.`);
      const property = parseVnnlib(fs.readFileSync(flags.vnnlib, 'utf8'), flags.vnnlib);
      const network = loadReluNetwork(flags.onnx);
      const result = await verifyProperty(network, property, { engine: flags.engine, timeoutMs: (flags.timeout ?? 116) * 1000, seed: flags.seed });
      const text = formatVnncompResult(result.verdict);
      if (flags.out) {
        fs.mkdirSync(path.dirname(path.resolve(flags.out)), { recursive: true });
        fs.writeFileSync(flags.out, text);
      }
      process.stdout.write(text);
      if (!quiet) {
        const reason = 'reason' in result.verdict ? ` (${result.verdict.reason})` : '';
        process.stderr.write(`${result.verdict.status} in ${result.seconds.toFixed(2)} s, ${result.domains} domains${reason}\n`);
      }
    });
}
