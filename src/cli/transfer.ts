/**
 * `rampart transfer`: transfer attacks — craft adversarial examples on a surrogate model with any attack of the
 * registry (through the trusted harness), replay them on the target model with an independent forward pass, and
 * report the transfer success rate and the target's robust accuracy per ε.
 */
import path from 'node:path';
import { Option, type Command } from 'commander';
import { loadModel, modelSha256, resolveModelSpec } from '../engine/load.js';
import type { Model } from '../engine/model.js';
import { openDataset } from '../data/index.js';
import { RampartError } from '../errors.js';
import { norms, type Goal, type Norm } from '../threat/threat-model.js';
import { attackRegistry } from '../attacks/builtin.js';
import { attackOptionKeys, createVerifier, type Verifier } from '../attacks/harness.js';
import { runTransferAttack, type TransferReport } from '../attacks/transfer.js';
import { toolVersion, type ResultEnvelope } from '../report/result.js';
import { commandLine, globalFlags, layoutOption, parseInteger, printJson, startBackend, writeResultFile } from './common.js';
import { createProgress } from './progress.js';

interface TransferFlags {
  surrogate: string;
  model: string;
  data: string;
  attack: string;
  norm: Norm;
  eps: number[];
  steps?: number;
  restarts?: number;
  queries?: number;
  attackOptions?: string;
  targeted?: 'random' | 'least-likely';
  seed: number;
  limit?: number;
  offset?: number;
  batchSize: number;
  labelColumn?: string;
  layout: 'auto' | 'nchw' | 'nhwc';
  json?: boolean;
  out?: string;
}

interface ModelInfo {
  spec: string;
  format: string;
  sha256: string;
  inputShape: number[];
  numClasses: number;
}

/** The `transfer` result file: the shared envelope (`model` is the target) plus the surrogate and the rates. */
export type TransferResult = ResultEnvelope<{
  targetCleanAccuracy: number;
  results: { epsilon: number; transferSuccessRate: number | null; transferSuccessRateAll: number | null; targetRobustAccuracy: number }[];
}> & {
  surrogate: ModelInfo;
} & Pick<TransferReport, 'attack' | 'threat' | 'clean' | 'verifiers' | 'results'>;

function parseEpsilons(value: string): number[] {
  const parts = value.split(',').map((p) => p.trim());
  const numbers = parts.map(Number);
  const bad = parts.findIndex((p, i) => p === '' || !Number.isFinite(numbers[i]) || numbers[i] < 0);
  if (bad >= 0) throw new RampartError('BAD_OPTION', `--eps must be a comma-separated list of numbers ≥ 0 (e.g. 0.05,0.1,0.2); "${parts[bad]}" is not one.`, { value });
  return numbers;
}

function attackOptions(flags: TransferFlags): Record<string, unknown> {
  if (!attackRegistry.has(flags.attack)) {
    throw new RampartError('BAD_OPTION', `Unknown attack "${flags.attack}". Available attacks: ${attackRegistry.ids().join(', ')}.`, { attack: flags.attack });
  }
  const keys = attackOptionKeys(attackRegistry.get(flags.attack));
  let options: Record<string, unknown> = {};
  if (flags.attackOptions !== undefined) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(flags.attackOptions);
    } catch {
      parsed = undefined;
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new RampartError('BAD_OPTION', `--attack-options must be a JSON object of the attack's options, e.g. '{"earlyStop":false}'; got ${flags.attackOptions}.`, { value: flags.attackOptions });
    }
    options = { ...(parsed as Record<string, unknown>) };
  }
  for (const [flag, key, value] of [
    ['--steps', 'steps', flags.steps],
    ['--restarts', 'restarts', flags.restarts],
    ['--queries', 'queries', flags.queries],
  ] as const) {
    if (value === undefined) continue;
    if (!keys.includes(key)) throw new RampartError('BAD_OPTION', `${flag} does not apply to ${flags.attack} (it has no ${key} option).`, { flag });
    options[key] = value;
  }
  return options;
}

async function verifierFor(model: Model, spec: string): Promise<Verifier> {
  const resolved = resolveModelSpec(spec);
  return createVerifier(model, { onnxFile: resolved.kind === 'tfjs' ? path.join(path.dirname(resolved.file), 'model.onnx') : undefined });
}

function info(spec: string, model: Model): ModelInfo {
  return { spec, format: model.format, sha256: modelSha256(resolveModelSpec(spec)), inputShape: [...model.inputShape], numClasses: model.numClasses };
}

const percent = (v: number | null) => (v === null ? '-' : `${(v * 100).toFixed(2)}%`);

function humanReport(result: TransferResult): string {
  const lines = [
    `surrogate  ${result.surrogate.spec} (${result.surrogate.format}), verified by ${result.verifiers.surrogate}`,
    `target     ${result.model.spec} (${result.model.format}), judged by ${result.verifiers.target}`,
    `data       ${result.data.spec} (${result.data.count} samples)`,
    `attack     ${result.attack.id} (${result.threat.norm}, ${result.threat.goal.kind === 'untargeted' ? 'untargeted' : `targeted (${result.threat.goal.targets} targets)`})`,
    `clean      surrogate ${percent(result.clean.surrogate.accuracy)}, target ${percent(result.clean.target.accuracy)}`,
    '',
  ];
  const header = ['ε', 'surrogate ASR', 'transferred', 'transfer rate', 'rate (all correct)', 'target robust'];
  const rows = [header];
  for (const r of result.results) {
    rows.push([String(r.epsilon), percent(r.surrogate.attackSuccessRate), `${r.transferred}/${r.eligible}`, percent(r.transferSuccessRate), percent(r.transferSuccessRateAll), percent(r.targetRobustAccuracy)]);
  }
  const widths = header.map((_, c) => Math.max(...rows.map((row) => row[c].length)));
  for (const row of rows) lines.push(row.map((cell, c) => cell.padEnd(widths[c])).join('  ').trimEnd());
  lines.push('', `time       ${result.timing.seconds.toFixed(2)} s`);
  return lines.join('\n') + '\n';
}

export function registerTransfer(program: Command): void {
  program
    .command('transfer')
    .description('transfer attack: craft on a surrogate model, replay on the target; transfer success rate per epsilon')
    .requiredOption('--surrogate <spec>', 'the model the attack is crafted on (builtin:NAME, an .onnx file, or a TF.js model)')
    .requiredOption('-m, --model <spec>', 'the target model the examples are replayed on')
    .option('-d, --data <spec>', 'data spec (mnist[:test|:train], fashion-mnist[:test|:train], npz:F, npy:X,Y, idx:I,L, csv:F, images:DIR)', 'mnist:test')
    .option('--attack <id>', `the attack run on the surrogate (${attackRegistry.ids().join(', ')})`, 'pgd')
    .addOption(new Option('--norm <norm>', 'norm of the perturbation ball').choices([...norms]).default('linf'))
    .requiredOption('--eps <list>', 'comma-separated radii of the perturbation ball, e.g. 0.1,0.3', parseEpsilons)
    .option('--steps <n>', 'iterations of the attack', parseInteger('--steps', 1))
    .option('--restarts <n>', 'random restarts of the attack', parseInteger('--restarts', 1))
    .option('--queries <n>', 'query budget per sample of a score- or decision-based attack', parseInteger('--queries', 1))
    .option('--attack-options <json>', 'further options of the attack as a JSON object, e.g. \'{"earlyStop":false}\' (checked by its schema)')
    .addOption(new Option('--targeted <how>', 'targeted goal: random target class, or the least-likely class (on the surrogate)').choices(['random', 'least-likely']))
    .option('--seed <s>', 'seed of every random choice', parseInteger('--seed', 0), 0)
    .option('--limit <n>', 'attack at most n samples', parseInteger('--limit', 1))
    .option('--offset <k>', 'skip the first k samples', parseInteger('--offset', 0))
    .option('--batch-size <n>', 'samples per attack batch', parseInteger('--batch-size', 1), 100)
    .option('--label-column <name>', 'label column of csv: data', 'label')
    .addOption(layoutOption())
    .option('--json', 'print the result JSON to stdout')
    .option('-o, --out <file>', 'also write the result JSON to this file')
    .action(async (flags: TransferFlags, command: Command) => {
      const options = attackOptions(flags);
      await startBackend(command);
      const { quiet } = globalFlags(command);
      const data = await openDataset(flags.data, { limit: flags.limit, offset: flags.offset, labelColumn: flags.labelColumn });
      const surrogate = await loadModel(flags.surrogate, { layout: flags.layout });
      const opened: { dispose(): void }[] = [surrogate];
      try {
        const target = await loadModel(flags.model, { layout: flags.layout });
        opened.push(target);
        const surrogateVerifier = await verifierFor(surrogate, flags.surrogate);
        opened.push(surrogateVerifier);
        const targetVerifier = await verifierFor(target, flags.model);
        opened.push(targetVerifier);
        const progress = createProgress('transfer', { quiet });
        const goal: Goal = flags.targeted ? { kind: 'targeted', targets: flags.targeted } : { kind: 'untargeted' };
        const report = await runTransferAttack({
          surrogate,
          target,
          data,
          attack: flags.attack,
          options,
          norm: flags.norm,
          epsilons: flags.eps,
          goal,
          seed: flags.seed,
          batchSize: flags.batchSize,
          surrogateVerifier,
          targetVerifier,
          onProgress: (done, total, note) => progress.update(done, total, note),
        });
        progress.done();
        const result: TransferResult = {
          schemaVersion: 1,
          tool: { name: 'rampart', version: toolVersion() },
          command: commandLine(),
          model: info(flags.model, target),
          surrogate: info(flags.surrogate, surrogate),
          data: { spec: data.spec, count: report.clean.count },
          seed: flags.seed,
          attack: report.attack,
          threat: report.threat,
          verifiers: report.verifiers,
          clean: report.clean,
          results: report.results,
          metrics: {
            targetCleanAccuracy: report.clean.target.accuracy,
            results: report.results.map((r) => ({ epsilon: r.epsilon, transferSuccessRate: r.transferSuccessRate, transferSuccessRateAll: r.transferSuccessRateAll, targetRobustAccuracy: r.targetRobustAccuracy })),
          },
          timing: { seconds: report.seconds, samplesPerSecond: report.clean.count / Math.max(report.seconds, 1e-9) },
        };
        if (flags.out) writeResultFile(flags.out, result);
        if (flags.json) printJson(result);
        else process.stdout.write(humanReport(result));
      } finally {
        for (const item of opened.reverse()) item.dispose();
      }
    });
}
