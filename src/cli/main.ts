#!/usr/bin/env node
/**
 * The `rampart` command line: a thin layer over the library. Errors a user can fix print one clear line and
 * exit 2 (gates 1, internal errors 3); `--debug` adds the stack.
 */
import { Command, CommanderError, Option } from 'commander';
import { exitCodeFor, isRampartError } from '../errors.js';
import { toolVersion } from '../report/result.js';
import { registerInfo } from './info.js';
import { registerEval } from './eval.js';
import { registerTrain } from './train.js';
import { registerExport } from './export.js';
import { registerAttack } from './attack.js';
import { registerTransfer } from './transfer.js';
import { registerCorrupt } from './corrupt.js';
import { registerCorruptions } from './corruptions.js';
import { registerOod } from './ood.js';
import { registerCalibration } from './calibration.js';
import { registerCertify } from './certify.js';
import { registerVerify } from './verify.js';
import { registerHarden } from './harden.js';
import { registerSweep } from './sweep.js';
import { registerAudit } from './audit.js';
import { registerGate } from './gate.js';
import { registerCompare } from './compare.js';
import { registerValidateSnapshot } from './validate-snapshot.js';
import { registerValidate } from './validate.js';
import { registerSensitivity } from './sensitivity.js';
import { registerExplain } from './explain.js';
import { registerEnsemble } from './ensemble.js';

function buildProgram(): Command {
  const program = new Command('rampart')
    .description('Measure, certify and harden the robustness of machine-learning models.')
    .version(toolVersion())
    .addOption(new Option('--backend <name>', 'tensor backend (env RAMPART_BACKEND)').choices(['wasm', 'cpu']))
    .option('--debug', 'print stack traces of errors')
    .option('-q, --quiet', 'no progress output on stderr')
    .showHelpAfterError('(run rampart --help for usage)')
    .exitOverride();
  registerInfo(program);
  registerEval(program);
  registerTrain(program);
  registerExport(program);
  registerAttack(program);
  registerTransfer(program);
  registerCorrupt(program);
  registerCorruptions(program);
  registerOod(program);
  registerCalibration(program);
  registerCertify(program);
  registerVerify(program);
  registerHarden(program);
  registerSweep(program);
  registerAudit(program);
  registerGate(program);
  registerCompare(program);
  registerValidateSnapshot(program);
  registerValidate(program);
  registerSensitivity(program);
  registerExplain(program);
  registerEnsemble(program);
  for (const command of program.commands) command.exitOverride();
  return program;
}

function report(error: unknown, debug: boolean): number {
  if (error instanceof CommanderError) {
    // commander already printed its message; help and version are successes.
    if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help') return 0;
    return 2;
  }
  if (isRampartError(error)) {
    process.stderr.write(`rampart: ${error.message}\n`);
    if (debug && error.stack) process.stderr.write(error.stack + '\n');
    return exitCodeFor(error);
  }
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`rampart: internal error: ${message}\n${debug ? '' : '(run again with --debug for the stack trace, and please report it)\n'}`);
  if (debug && error instanceof Error && error.stack) process.stderr.write(error.stack + '\n');
  return 3;
}

async function main(): Promise<void> {
  const debug = process.argv.includes('--debug');
  let code = 0;
  try {
    await buildProgram().parseAsync(process.argv);
  } catch (error) {
    code = report(error, debug);
  }
  // tfjs-wasm and onnxruntime may keep worker handles alive; a CLI run ends here.
  process.exit(code);
}

void main();
