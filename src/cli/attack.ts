/**
 * `rampart attack`: white-box attacks with the trusted harness — robust accuracy per (attack, norm, ε), the
 * per-sample worst case, attack success rate, perturbation sizes, queries and time; optionally the adversarial
 * examples as an NPZ.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Option, type Command } from 'commander';
import { loadModel, modelSha256, resolveModelSpec } from '../engine/load.js';
import { scoresOnly } from '../engine/query-model.js';
import { openDataset, writeNpzFile } from '../data/index.js';
import { RampartError } from '../errors.js';
import { norms, type Goal, type Norm } from '../threat/threat-model.js';
import { attackRegistry } from '../attacks/builtin.js';
import { attackOptionKeys, createVerifier, runAttacks, type AttackReport, type AttackRequest } from '../attacks/harness.js';
import { attackPresetNames, resolvePreset, type ResolvedPreset } from '../attacks/cascade.js';
import { toolVersion, type ResultEnvelope } from '../report/result.js';
import { commandLine, globalFlags, layoutOption, parseInteger, printJson, startBackend, writeResultFile } from './common.js';
import { createProgress } from './progress.js';
import { describeFlags, diagnoseAttackRun, type DiagnosticsSection } from '../validate/index.js';

interface AttackFlags {
  model: string;
  data: string;
  attack?: string;
  preset?: string;
  norm: Norm;
  eps: number[];
  steps?: number;
  restarts?: number;
  queries?: number;
  gradients: 'auto' | 'none';
  targeted?: 'random' | 'least-likely';
  cascade?: boolean;
  seed: number;
  limit?: number;
  offset?: number;
  batchSize: number;
  labelColumn?: string;
  layout: 'auto' | 'nchw' | 'nhwc';
  json?: boolean;
  out?: string;
  saveAdversarial?: string;
}

/** The `attack` result file: the shared envelope plus the attack sections. */
export type AttackResult = ResultEnvelope<{ cleanAccuracy: number; worstCase: { epsilon: number; robustAccuracy: number }[] }> &
  Pick<AttackReport, 'threat' | 'clean' | 'cascade' | 'preset' | 'verifier' | 'attacks' | 'worstCase'> & {
    /** Gradient-masking and sanity flags of the run (src/validate/diagnostics). */
    diagnostics: DiagnosticsSection;
  };

function parseEpsilons(value: string): number[] {
  const parts = value.split(',').map((p) => p.trim());
  const numbers = parts.map(Number);
  const bad = parts.findIndex((p, i) => p === '' || !Number.isFinite(numbers[i]) || numbers[i] < 0);
  if (bad >= 0) {
    throw new RampartError('BAD_OPTION', `--eps must be a comma-separated list of numbers ≥ 0 (e.g. 0.05,0.1,0.2); "${parts[bad]}" is not one.`, { value });
  }
  return numbers;
}

/** Attack requests from --attack / --preset, with --steps and --restarts given to the attacks that take them. */
function buildRequests(flags: AttackFlags): { requests: AttackRequest[]; preset: ResolvedPreset | undefined } {
  if (flags.attack && flags.preset) {
    throw new RampartError('BAD_OPTION', 'Give either --attack or --preset, not both.', {});
  }
  if (!flags.attack && !flags.preset) {
    throw new RampartError('BAD_OPTION', `Choose attacks with --attack (${attackRegistry.ids().join(', ')}) or --preset (${attackPresetNames.join(', ')}).`, {});
  }
  const preset = flags.preset ? resolvePreset(flags.preset, attackRegistry) : undefined;
  const ids = preset ? preset.ran : flags.attack!.split(',').map((id) => id.trim());
  const unknown = ids.filter((id) => !attackRegistry.has(id));
  if (unknown.length > 0) {
    throw new RampartError('BAD_OPTION', `Unknown attack ${unknown.map((id) => `"${id}"`).join(', ')}. Available attacks: ${attackRegistry.ids().join(', ')}.`, { unknown });
  }
  const requests = ids.map((id) => ({ id, options: {} as Record<string, unknown> }));
  for (const [flag, key, value] of [
    ['--steps', 'steps', flags.steps],
    ['--restarts', 'restarts', flags.restarts],
    ['--queries', 'queries', flags.queries],
  ] as const) {
    if (value === undefined) continue;
    const takers = requests.filter((r) => attackOptionKeys(attackRegistry.get(r.id)).includes(key));
    if (takers.length === 0) throw new RampartError('BAD_OPTION', `${flag} does not apply to ${ids.join(', ')} (none of them has ${key}).`, { flag });
    for (const r of takers) r.options[key] = value;
  }
  return { requests, preset };
}

const percent = (v: number | null) => (v === null ? '-' : `${(v * 100).toFixed(2)}%`);
const fixed = (v: number | null, digits = 4) => (v === null ? '-' : v.toFixed(digits));

function describeGoal(goal: Goal): string {
  return goal.kind === 'untargeted' ? 'untargeted' : `targeted (${goal.targets} targets)`;
}

function humanReport(result: AttackResult, report: AttackReport, flags: AttackFlags): string {
  const lines = [
    `model      ${result.model.spec} (${result.model.format})`,
    `data       ${result.data.spec} (${result.data.count} samples)`,
    `threat     ${report.threat.norm}, ${describeGoal(report.threat.goal)}, ε ∈ {${report.threat.epsilons.join(', ')}}${report.cascade ? ', cascade' : ''}`,
    `verifier   ${report.verifier.source}${report.verifier.maxCleanLogitDifference !== null ? ` (max |Δlogit| vs the attacked model on clean data ${report.verifier.maxCleanLogitDifference.toExponential(1)})` : ''}`,
  ];
  if (report.preset) {
    lines.push(`preset     ${report.preset.name}: ran ${report.preset.ran.join(' → ')}${report.preset.missing.length ? `; not available yet: ${report.preset.missing.join(', ')}` : ''}`);
  }
  lines.push(`clean      ${percent(report.clean.accuracy)} (${report.clean.correct}/${report.clean.count})`, '');
  const header = ['attack', 'ε', 'robust', 'ASR', 'invalid', `median ${report.threat.norm}`, 'grad/sample', 'fwd/sample', 'q→success (med/p90)', 'seconds'];
  const rows: string[][] = [header];
  for (const attack of report.attacks) {
    for (const r of attack.results) {
      rows.push([
        attack.id,
        String(r.epsilon),
        percent(r.robustAccuracy),
        percent(r.attackSuccessRate),
        String(r.invalid),
        fixed(r.perturbation.median),
        r.queries.perSample.gradient.toFixed(1),
        r.queries.perSample.forward.toFixed(1),
        r.queries.toSuccess ? `${fixed(r.queries.toSuccess.median, 0)}/${fixed(r.queries.toSuccess.p90, 0)}` : '-',
        r.seconds.toFixed(2),
      ]);
    }
  }
  for (const w of report.worstCase) rows.push(['worst case', String(w.epsilon), percent(w.robustAccuracy), percent(w.attackSuccessRate), '', '', '', '', '', '']);
  const widths = header.map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  for (const row of rows) lines.push(row.map((cell, c) => cell.padEnd(widths[c])).join('  ').trimEnd());
  lines.push('', `time       ${result.timing.seconds.toFixed(2)} s`);
  if (flags.saveAdversarial) lines.push(`saved      ${flags.saveAdversarial} (worst case at ε = ${Math.max(...report.threat.epsilons)})`);
  return lines.join('\n') + '\n';
}

export function registerAttack(program: Command): void {
  program
    .command('attack')
    .description('white-box attacks (FGSM, BIM, PGD, ...) with re-verified results: robust accuracy per epsilon and the worst case')
    .requiredOption('-m, --model <spec>', 'builtin:NAME, an .onnx file, or a TF.js model.json / folder')
    .option('-d, --data <spec>', 'data spec (mnist[:test|:train], fashion-mnist[:test|:train], npz:F, npy:X,Y, idx:I,L, csv:F, images:DIR)', 'mnist:test')
    .option('--attack <ids>', `comma-separated attacks, run in order (${attackRegistry.ids().join(', ')})`)
    .addOption(new Option('--preset <name>', 'a named attack cascade (autoattack = apgd-ce → apgd-t → square; runs the components available)').choices(attackPresetNames))
    .addOption(new Option('--norm <norm>', 'norm of the perturbation ball').choices([...norms]).default('linf'))
    .requiredOption('--eps <list>', 'comma-separated radii of the perturbation ball, e.g. 0.05,0.1,0.2', parseEpsilons)
    .option('--steps <n>', 'iterations of the iterative attacks', parseInteger('--steps', 1))
    .option('--restarts <n>', 'random restarts of the attacks that have them', parseInteger('--restarts', 1))
    .option('--queries <n>', 'query budget per sample of the score- and decision-based attacks (square, ...)', parseInteger('--queries', 1))
    .addOption(new Option('--gradients <mode>', "'none' hides the model's gradients (black box: only score/decision attacks run)").choices(['auto', 'none']).default('auto'))
    .addOption(new Option('--targeted <how>', 'targeted goal: random target class, or the least-likely class').choices(['random', 'least-likely']))
    .option('--cascade', 'run each attack only on the points still robust after the previous ones (implied by --preset)')
    .option('--seed <s>', 'seed of every random choice', parseInteger('--seed', 0), 0)
    .option('--limit <n>', 'attack at most n samples', parseInteger('--limit', 1))
    .option('--offset <k>', 'skip the first k samples', parseInteger('--offset', 0))
    .option('--batch-size <n>', 'samples per attack batch', parseInteger('--batch-size', 1), 100)
    .option('--label-column <name>', 'label column of csv: data', 'label')
    .addOption(layoutOption())
    .option('--json', 'print the result JSON to stdout')
    .option('-o, --out <file>', 'also write the result JSON to this file')
    .option('--save-adversarial <file>', 'write the worst-case adversarial examples at the largest ε to an NPZ (x_adv, y, success, epsilon)')
    .action(async (flags: AttackFlags, command: Command) => {
      const { requests, preset } = buildRequests(flags);
      await startBackend(command);
      const { quiet } = globalFlags(command);
      const resolved = resolveModelSpec(flags.model);
      const data = await openDataset(flags.data, { limit: flags.limit, offset: flags.offset, labelColumn: flags.labelColumn });
      const model = await loadModel(flags.model, { layout: flags.layout });
      let verifier: Awaited<ReturnType<typeof createVerifier>> | undefined;
      try {
        verifier = await createVerifier(model, { onnxFile: resolved.kind === 'tfjs' ? path.join(path.dirname(resolved.file), 'model.onnx') : undefined });
        const progress = createProgress('attack', { quiet });
        const goal: Goal = flags.targeted ? { kind: 'targeted', targets: flags.targeted } : { kind: 'untargeted' };
        const attacked = flags.gradients === 'none' ? scoresOnly(model) : model;
        const report = await runAttacks({
          model: attacked,
          data,
          verifier,
          attacks: requests,
          norm: flags.norm,
          epsilons: flags.eps,
          goal,
          seed: flags.seed,
          batchSize: flags.batchSize,
          cascade: Boolean(flags.cascade || preset),
          keepAdversarial: Boolean(flags.saveAdversarial),
          preset,
          onProgress: (done, total, note) => progress.update(done, total, note),
        });
        progress.done();
        if (report.verifier.maxCleanLogitDifference !== null && report.verifier.maxCleanLogitDifference > 1e-3) {
          progress.log(`rampart: warning: the verifier (${report.verifier.source}) and the attacked model differ by up to ${report.verifier.maxCleanLogitDifference.toExponential(2)} in clean logits; is the ONNX file stale?`);
        }
        const diagnostics = await diagnoseAttackRun({ model: attacked, data, report, seed: flags.seed });
        const result: AttackResult = {
          schemaVersion: 1,
          tool: { name: 'rampart', version: toolVersion() },
          command: commandLine(),
          model: { spec: flags.model, format: model.format, sha256: modelSha256(resolved), inputShape: [...model.inputShape], numClasses: model.numClasses },
          data: { spec: data.spec, count: report.clean.count },
          seed: flags.seed,
          threat: report.threat,
          preset: report.preset,
          cascade: report.cascade,
          verifier: report.verifier,
          clean: report.clean,
          attacks: report.attacks,
          worstCase: report.worstCase,
          diagnostics,
          metrics: { cleanAccuracy: report.clean.accuracy, worstCase: report.worstCase.map((w) => ({ epsilon: w.epsilon, robustAccuracy: w.robustAccuracy })) },
          timing: { seconds: report.seconds, samplesPerSecond: report.clean.count / Math.max(report.seconds, 1e-9) },
        };
        if (flags.saveAdversarial && report.adversarial) {
          const adv = report.adversarial;
          fs.mkdirSync(path.dirname(path.resolve(flags.saveAdversarial)), { recursive: true });
          await writeNpzFile(flags.saveAdversarial, {
            x_adv: { data: adv.x, shape: adv.shape },
            y: { data: adv.y, shape: [adv.y.length] },
            success: { data: adv.success, shape: [adv.success.length], dtype: 'bool' },
            epsilon: { data: Float32Array.of(adv.epsilon), shape: [] },
            ...(adv.targets ? { target: { data: adv.targets, shape: [adv.targets.length] } } : {}),
          });
        }
        if (flags.out) writeResultFile(flags.out, result);
        if (flags.json) printJson(result);
        else process.stdout.write(humanReport(result, report, flags) + describeFlags(diagnostics).join('\n') + '\n');
      } finally {
        verifier?.dispose();
        model.dispose();
      }
    });
}
