/**
 * `rampart ensemble`: makes an ensemble folder that every command's `--model` accepts.
 * - combine: `rampart ensemble --members a,b,c [--weights 2,1,1] --voting soft|hard --out DIR [--data D]`
 * - train: `rampart ensemble --method bagging|boosting|stacking --members-count K --model cnn|mlp|builtin:NAME
 *   --data mnist:train [every rampart harden training flag] --out DIR` (K members by the hardening loop).
 * Prints per-member and ensemble clean accuracy and the mean disagreement; writes DIR (ensemble.json, member-i/,
 * model.onnx for soft voting, rampart.json); `--json` prints the ResultEnvelope.
 */
import { Command, Option } from 'commander';
import { RampartError } from '../errors.js';
import { parseHardenConfig } from '../harden/run.js';
import { combineEnsemble, ensembleSha256, runEnsembleTraining, type EnsembleSummary } from '../harden/ensemble/run.js';
import { toolVersion, type ResultEnvelope } from '../report/result.js';
import { commandLine, globalFlags, parseInteger, printJson, startBackend, writeResultFile } from './common.js';
import { flagsToConfig, readConfigFile, registerHarden, type HardenFlags } from './harden.js';
import { createProgress } from './progress.js';

interface EnsembleFlags extends HardenFlags {
  members?: string;
  weights?: string;
  voting?: 'soft' | 'hard';
  method?: 'bagging' | 'boosting' | 'stacking';
  membersCount: number;
  folds: number;
  resultFile?: string;
}

/** Flags this command defines itself (the rest of `rampart harden`'s training flags are reused as they are). */
const own = new Set(['--model', '--out', '--name', '--resume', '--json']);

/** `rampart harden`'s training flags, taken from its command so the two never drift apart. */
function hardenTrainingOptions(): Option[] {
  const scratch = new Command();
  registerHarden(scratch);
  const harden = scratch.commands.find((c) => c.name() === 'harden');
  return (harden?.options ?? []).filter((o) => !own.has(o.long ?? ''));
}

function parseWeights(value: string): number[] {
  const weights = value.split(',').map((s) => Number(s.trim()));
  if (weights.some((w) => !Number.isFinite(w) || w < 0)) throw new RampartError('BAD_OPTION', `--weights must be comma-separated numbers ≥ 0, one per member (got "${value}").`);
  return weights;
}

const pct = (v: number) => `${(v * 100).toFixed(2)}%`;

function printSummary(summary: EnsembleSummary, log: (line: string) => void): void {
  const f = summary.figures;
  if (f) {
    f.memberAccuracy.forEach((a, i) => log(`member ${i}  ${summary.members[i]}  weight ${summary.weights[i].toFixed(3)}  clean ${pct(a)}`));
    log(`ensemble (${summary.method === summary.voting ? summary.method : `${summary.method}, ${summary.voting} voting`})  clean ${pct(f.accuracy)} on ${f.testData} (${f.testCount})`);
    log(
      `disagreement  mean ${f.meanDisagreement.toFixed(4)}; accuracy on the low/high-disagreement halves ${pct(f.lowDisagreementAccuracy)} / ${pct(f.highDisagreementAccuracy)}; ` +
        `members disagree on ${pct(f.disagreedFraction)} of samples` +
        (f.disagreedAccuracy !== null ? ` (accuracy there ${pct(f.disagreedAccuracy)})` : ''),
    );
  }
  log(summary.onnx.file ? `single-graph ONNX ${summary.onnx.file} (max |Δlogit| vs the ensemble ${summary.onnx.maxAbsLogitDifference?.toExponential(2)})` : `no single-graph ONNX: ${summary.onnx.skipped}`);
  log(`saved ${summary.out} (ensemble.json, ${summary.members.length} member folders, rampart.json); ${summary.seconds.toFixed(0)} s`);
}

export function registerEnsemble(program: Command): void {
  const command = program
    .command('ensemble')
    .description('ensembles: combine existing models (soft/hard voting) or train bagging, boosting (SAMME) or stacking members with the hardening loop')
    .option('--members <list>', 'combine these models (comma-separated specs: builtin:NAME, folders, model.json, .onnx)')
    .option('--weights <list>', 'member weights for --members (normalised; default equal)', parseWeights)
    .addOption(new Option('--voting <kind>', 'soft (mean probability; differentiable) or hard (majority vote)').choices(['soft', 'hard']))
    .addOption(new Option('--method <method>', 'train an ensemble').choices(['bagging', 'boosting', 'stacking']))
    .option('--members-count <k>', 'members to train (boosting: at most this many rounds)', parseInteger('--members-count', 1), 3)
    .option('--folds <k>', 'stacking: folds of the out-of-fold meta-features', parseInteger('--folds', 2), 3)
    .option('-m, --model <spec>', 'members to train: cnn | mlp (fresh, seeded) | builtin:NAME | model.json (TF.js, fine-tuned)')
    .requiredOption('-o, --out <dir>', 'output folder (ensemble.json, member-i/, model.onnx, rampart.json)')
    .option('--json', 'print the result JSON to stdout')
    .option('--result-file <file>', 'also write the result JSON to this file');
  for (const option of hardenTrainingOptions()) command.addOption(option);
  command.action(async (flags: EnsembleFlags, cmd: Command) => {
    if (flags.members && flags.method) throw new RampartError('BAD_OPTION', 'Give either --members (combine existing models) or --method (train members), not both.');
    if (!flags.members && !flags.method) throw new RampartError('BAD_OPTION', 'Give --members a,b,c to combine existing models, or --method bagging|boosting|stacking to train an ensemble.');
    const backend = await startBackend(cmd);
    const { quiet } = globalFlags(cmd);
    const progress = createProgress('ensemble', { quiet });
    let summary: EnsembleSummary;
    if (flags.members) {
      summary = await combineEnsemble(
        {
          members: flags.members.split(',').map((s) => s.trim()).filter(Boolean),
          weights: flags.weights as unknown as number[] | undefined,
          voting: flags.voting ?? 'soft',
          out: flags.out!,
          data: flags.data,
          limit: flags.limit,
        },
        { command: commandLine() },
      );
    } else {
      if (flags.weights) throw new RampartError('BAD_OPTION', '--weights applies to --members; trained ensembles weigh their members themselves (equal, or SAMME α).');
      const base = flags.config ? readConfigFile(flags.config) : {};
      const config = parseHardenConfig(flagsToConfig({ ...flags, model: flags.model ?? (base.model as string | undefined) ?? 'cnn', resume: undefined, name: undefined }, base), flags.config ? `ensemble config ${flags.config}` : 'ensemble options');
      summary = await runEnsembleTraining(
        { method: flags.method!, members: flags.membersCount, voting: flags.voting, folds: flags.folds },
        config,
        {
          onMemberStart: (i, total, seed) => progress.log(`training member ${i + 1}/${total} (seed ${seed})`),
          onMemberEnd: (i, seconds) => progress.log(`member ${i + 1} trained in ${seconds.toFixed(1)} s`),
        },
        { command: commandLine(), backend },
      );
    }
    const f = summary.figures;
    const result: ResultEnvelope<Omit<EnsembleSummary, 'seconds' | 'seed' | 'format' | 'inputShape' | 'numClasses'>> = {
      schemaVersion: 1,
      tool: { name: 'rampart', version: toolVersion() },
      command: commandLine(),
      model: { spec: summary.out, format: summary.format, sha256: ensembleSha256(summary.out), inputShape: summary.inputShape, numClasses: summary.numClasses },
      data: { spec: f?.testData ?? flags.data ?? '', count: f?.testCount ?? 0 },
      seed: summary.seed,
      metrics: {
        out: summary.out,
        method: summary.method,
        voting: summary.voting,
        members: summary.members,
        weights: summary.weights,
        trainCount: summary.trainCount,
        validation: summary.validation,
        figures: summary.figures,
        boosting: summary.boosting,
        onnx: summary.onnx,
      },
      timing: { seconds: summary.seconds, samplesPerSecond: (summary.trainCount ?? f?.testCount ?? 0) / Math.max(summary.seconds, 1e-9) },
    };
    if (flags.resultFile) writeResultFile(flags.resultFile, result);
    if (flags.json) printJson(result);
    else printSummary(summary, (line) => process.stdout.write(line + '\n'));
  });
}
