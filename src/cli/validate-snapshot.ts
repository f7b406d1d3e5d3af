/**
 * `rampart validate-snapshot`: should the candidate replace the champion? Measures both under a policy
 * (holdout accuracy, corruptions, OOD, robustness, ECE), judges absolute and change thresholds, writes a
 * blessing record; exit 0 blessed, 1 not blessed, 2 bad policy or input. See docs/report.md.
 */
import fs from 'node:fs';
import type { Command } from 'commander';
import { RampartError } from '../errors.js';
import { parsePolicy } from '../report/snapshot-policy.js';
import { formatBlessing, validateSnapshot } from '../report/snapshot.js';
import { globalFlags, layoutOption, printJson, startBackend, writeResultFile } from './common.js';

interface ValidateSnapshotFlags {
  candidate: string;
  champion?: string;
  data: string;
  policy: string;
  out?: string;
  json?: boolean;
  layout: 'auto' | 'nchw' | 'nhwc';
}

export function registerValidateSnapshot(program: Command): void {
  program
    .command('validate-snapshot')
    .description('bless or reject a candidate model against a champion under a policy (exit 0 blessed, 1 not blessed, 2 bad input)')
    .requiredOption('--candidate <spec>', 'the new model (builtin:NAME, .onnx, TF.js model.json or folder)')
    .option('--champion <spec>', 'the model in service (omit: absolute thresholds only)')
    .option('-d, --data <spec>', 'holdout data spec', 'mnist:test')
    .requiredOption('--policy <file>', 'policy YAML/JSON: checks with threshold / minAbsoluteChange / minRelativeChange (docs/report.md)')
    .option('-o, --out <file>', 'write the blessing record JSON here')
    .option('--json', 'print the blessing record JSON to stdout')
    .addOption(layoutOption())
    .action(async (flags: ValidateSnapshotFlags, command: Command) => {
      if (!fs.existsSync(flags.policy)) throw new RampartError('FILE_NOT_FOUND', `Policy file ${flags.policy} does not exist; write one as in docs/report.md (validate-snapshot).`, { file: flags.policy });
      // The policy is checked in full before any model is loaded or anything is written.
      const policy = parsePolicy(fs.readFileSync(flags.policy, 'utf8'), flags.policy);
      await startBackend(command);
      const quiet = globalFlags(command).quiet;
      const record = await validateSnapshot({
        candidate: flags.candidate,
        champion: flags.champion,
        data: flags.data,
        policy,
        policySource: flags.policy,
        layout: flags.layout,
        onProgress: quiet ? undefined : (note) => process.stderr.write(`  measuring ${note}\n`),
      });
      if (flags.out) writeResultFile(flags.out, record);
      if (flags.json) printJson(record);
      else process.stdout.write(formatBlessing(record));
      if (!record.blessed) {
        throw new RampartError('GATE_FAILED', `Not blessed: ${record.checks.filter((c) => !c.passed).map((c) => c.name).join(', ')} failed the policy.`, { failed: record.checks.filter((c) => !c.passed).map((c) => c.name) });
      }
    });
}
