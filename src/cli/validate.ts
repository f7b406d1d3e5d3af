/**
 * `rampart validate`: is the evaluation itself trustworthy? Runs the binarization test (Zimmermann et al. 2022)
 * of the attack, unchanged, at each ε, and the gradient-masking and sanity diagnostics (active checks included)
 * on a few samples. Exit 1 with --gate when the test fails or a critical flag is raised.
 */
import { Option, type Command } from 'commander';
import { loadModel, modelSha256, resolveModelSpec } from '../engine/load.js';
import { openDataset } from '../data/index.js';
import { RampartError } from '../errors.js';
import { attackRegistry } from '../attacks/builtin.js';
import { attackOptionKeys, runAttacks, type AttackRequest } from '../attacks/harness.js';
import { toolVersion, type ResultEnvelope } from '../report/result.js';
import { binarizationTest, describeFlags, firstSamples, runDiagnostics, type BinarizationResult, type DiagnosticsSection } from '../validate/index.js';
import { commandLine, globalFlags, layoutOption, parseInteger, printJson, startBackend, writeResultFile } from './common.js';
import { createProgress } from './progress.js';

interface ValidateFlags {
  model: string;
  data: string;
  attack: string;
  attackOptions?: string;
  norm: 'linf' | 'l2';
  eps: number[];
  steps?: number;
  restarts?: number;
  eta: number;
  threshold: number;
  innerPoints: number;
  boundary: 'corners' | 'sphere';
  limit?: number;
  offset?: number;
  diagnostics: 'active' | 'cheap' | 'none';
  diagnosticSamples: number;
  seed: number;
  labelColumn?: string;
  layout: 'auto' | 'nchw' | 'nhwc';
  gate?: boolean;
  json?: boolean;
  out?: string;
}

export interface ValidateMetrics {
  /** Per ε: the binarization test's attack success rate and verdict. */
  binarization: { epsilon: number; testSuccessRate: number | null; randomBoundarySuccessRate: number | null; tested: number; setupFailures: number; passed: boolean }[];
  /** Every ε passed. */
  passed: boolean;
  flags: { critical: number; warning: number; info: number };
}

export type ValidateResult = ResultEnvelope<ValidateMetrics> & {
  attack: { id: string; options: Record<string, unknown> };
  binarization: BinarizationResult[];
  diagnostics: DiagnosticsSection | null;
};

function parseEpsilons(value: string): number[] {
  const parts = value.split(',').map((p) => p.trim());
  const numbers = parts.map(Number);
  const bad = parts.findIndex((p, i) => p === '' || !Number.isFinite(numbers[i]) || numbers[i] <= 0);
  if (bad >= 0) throw new RampartError('BAD_OPTION', `--eps must be a comma-separated list of numbers > 0 (e.g. 0.1,0.3); "${parts[bad]}" is not one.`, { value });
  return numbers;
}

function parseFraction(flag: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isFinite(n) || n <= 0 || n > 1) throw new RampartError('BAD_OPTION', `${flag} must be a number in (0, 1]; got "${value}".`, { flag, value });
    return n;
  };
}

/** The attack's options from --attack-options, --steps and --restarts (checked against its schema). */
function attackOptionsOf(flags: ValidateFlags): Record<string, unknown> {
  if (!attackRegistry.has(flags.attack)) {
    throw new RampartError('BAD_OPTION', `Unknown attack "${flags.attack}". Available attacks: ${attackRegistry.ids().join(', ')}.`, { attack: flags.attack });
  }
  const definition = attackRegistry.get(flags.attack);
  let options: Record<string, unknown> = {};
  if (flags.attackOptions !== undefined) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(flags.attackOptions);
    } catch {
      parsed = undefined;
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new RampartError('BAD_OPTION', `--attack-options must be a JSON object of the attack's options, e.g. '{"stepSize":0.01}'; got ${flags.attackOptions}.`, { value: flags.attackOptions });
    }
    options = { ...(parsed as Record<string, unknown>) };
  }
  const keys = attackOptionKeys(definition);
  for (const [flag, key, value] of [
    ['--steps', 'steps', flags.steps],
    ['--restarts', 'restarts', flags.restarts],
  ] as const) {
    if (value === undefined) continue;
    if (!keys.includes(key)) throw new RampartError('BAD_OPTION', `${flag} does not apply to ${flags.attack} (it has no ${key} option).`, { flag });
    options[key] = value;
  }
  const checked = definition.options.safeParse(options);
  if (!checked.success) {
    const issues = checked.error.issues.map((i: { path: (string | number)[]; message: string }) => `${i.path.join('.') || 'options'}: ${i.message}`).join('; ');
    throw new RampartError('BAD_OPTION', `Invalid options for attack "${flags.attack}": ${issues}.`, {});
  }
  if (!definition.norms.includes(flags.norm)) {
    throw new RampartError('BAD_OPTION', `Attack "${flags.attack}" does not support the ${flags.norm} norm (it supports ${definition.norms.join(', ')}).`, {});
  }
  return options;
}

const percent = (v: number | null) => (v === null ? '-' : `${(v * 100).toFixed(1)}%`);

function humanReport(result: ValidateResult): string {
  const lines = [
    `model       ${result.model.spec} (${result.model.format})`,
    `data        ${result.data.spec} (${result.data.count} samples)`,
    `attack      ${result.attack.id} ${JSON.stringify(result.attack.options)}`,
    `features    ${result.binarization[0]?.featureLayer ?? '-'}`,
    '',
    'binarization test (Zimmermann et al. 2022): the attack must find the adversarial region a new linear readout puts on the ε-sphere',
  ];
  const header = ['ε', 'tested', 'setup failures', 'attack success', 'random boundary', 'threshold', 'verdict'];
  const rows = [header, ...result.binarization.map((b) => [String(b.threat.epsilon), String(b.tested), String(b.setupFailures), percent(b.testSuccessRate), percent(b.randomBoundarySuccessRate), percent(b.threshold), b.passed ? 'PASS' : 'FAIL'])];
  const widths = header.map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  for (const row of rows) lines.push(row.map((cell, c) => cell.padEnd(widths[c])).join('  ').trimEnd());
  lines.push('');
  if (result.diagnostics) lines.push(...describeFlags(result.diagnostics));
  lines.push(`verdict     ${result.metrics.passed ? 'the attack passes the binarization test' : 'the attack FAILS the binarization test: its robust accuracy overestimates robustness'}`);
  lines.push(`time        ${result.timing.seconds.toFixed(2)} s`);
  return lines.join('\n') + '\n';
}

export function registerValidate(program: Command): void {
  program
    .command('validate')
    .description('validate an evaluation: the binarization test of an attack and gradient-masking diagnostics')
    .requiredOption('-m, --model <spec>', 'builtin:NAME, an .onnx file, or a TF.js model.json / folder')
    .option('-d, --data <spec>', 'data spec (mnist[:test|:train], npz:F, csv:F, ...)', 'mnist:test')
    .requiredOption('--attack <id>', `the attack under evaluation, run unchanged (${attackRegistry.ids().join(', ')})`)
    .option('--attack-options <json>', 'further options of the attack as a JSON object (checked by its schema)')
    .addOption(new Option('--norm <norm>', 'norm of the perturbation ball').choices(['linf', 'l2']).default('linf'))
    .requiredOption('--eps <list>', 'comma-separated radii, e.g. 0.1 or 0.1,0.3', parseEpsilons)
    .option('--steps <n>', 'iterations of the attack (as in the evaluation)', parseInteger('--steps', 1))
    .option('--restarts <n>', 'random restarts of the attack', parseInteger('--restarts', 1))
    .option('--eta <x>', 'inner points lie within η·ε', parseFraction('--eta'), 0.95)
    .option('--threshold <x>', 'pass when the attack succeeds on at least this fraction of the binarized samples', parseFraction('--threshold'), 0.95)
    .option('--inner-points <n>', 'random inner points per sample', parseInteger('--inner-points', 1), 99)
    .addOption(new Option('--boundary <kind>', 'L∞ boundary points: corners of the ε-cube, or points of the ε-sphere').choices(['corners', 'sphere']).default('corners'))
    .option('--limit <n>', 'test at most n correctly classified samples', parseInteger('--limit', 1))
    .option('--offset <k>', 'skip the first k samples', parseInteger('--offset', 0))
    .addOption(new Option('--diagnostics <mode>', 'diagnostics: all checks incl. the ones that run attacks (active), cheap ones only, or none').choices(['active', 'cheap', 'none']).default('active'))
    .option('--diagnostic-samples <n>', 'samples the diagnostics look at', parseInteger('--diagnostic-samples', 1), 16)
    .option('--seed <s>', 'seed of every random choice', parseInteger('--seed', 0), 0)
    .option('--label-column <name>', 'label column of csv: data', 'label')
    .addOption(layoutOption())
    .option('--gate', 'exit 1 when the binarization test fails or a critical diagnostic flag is raised')
    .option('--json', 'print the result JSON to stdout')
    .option('-o, --out <file>', 'also write the result JSON to this file')
    .action(async (flags: ValidateFlags, command: Command) => {
      const options = attackOptionsOf(flags);
      await startBackend(command);
      const { quiet } = globalFlags(command);
      const resolved = resolveModelSpec(flags.model);
      const data = await openDataset(flags.data, { offset: flags.offset, labelColumn: flags.labelColumn });
      const model = await loadModel(flags.model, { layout: flags.layout });
      const started = performance.now();
      try {
        const progress = createProgress('validate', { quiet });
        const binarization: BinarizationResult[] = [];
        for (const epsilon of flags.eps) {
          binarization.push(
            await binarizationTest({
              model,
              data,
              attack: flags.attack,
              attackOptions: options,
              norm: flags.norm,
              epsilon,
              eta: flags.eta,
              threshold: flags.threshold,
              innerPoints: flags.innerPoints,
              boundary: flags.boundary,
              limit: flags.limit ?? Math.min(data.count, 100),
              seed: flags.seed,
              onProgress: (done, total) => progress.update(done, total, `binarization ε=${epsilon}`),
            }),
          );
        }
        let diagnostics: DiagnosticsSection | null = null;
        if (flags.diagnostics !== 'none') {
          progress.update(0, 1, 'diagnostics');
          const sample = await firstSamples(data, flags.diagnosticSamples);
          const definition = attackRegistry.get(flags.attack);
          const attacks: AttackRequest[] = [{ id: flags.attack, options }];
          if (flags.attack !== 'fgsm' && attackRegistry.has('fgsm') && definition.requires === 'gradients') attacks.push({ id: 'fgsm' });
          // a black-box comparison for the masking check: Square (images only, L∞/L2)
          if (definition.requires === 'gradients' && attackRegistry.has('square') && data.sampleShape.length === 3) attacks.push({ id: 'square', options: { queries: 300 } });
          const report = await runAttacks({ model, data: sample, attacks, norm: flags.norm, epsilons: flags.eps, seed: flags.seed, batchSize: Math.max(1, sample.count) });
          diagnostics = await runDiagnostics({ model, data: sample, report, attack: { id: flags.attack, options }, norm: flags.norm, epsilons: flags.eps, seed: flags.seed, active: flags.diagnostics === 'active' });
        }
        progress.done();
        const seconds = (performance.now() - started) / 1000;
        const count = (severity: string) => diagnostics?.flags.filter((f) => f.severity === severity).length ?? 0;
        const considered = Math.max(...binarization.map((b) => b.considered));
        const result: ValidateResult = {
          schemaVersion: 1,
          tool: { name: 'rampart', version: toolVersion() },
          command: commandLine(),
          model: { spec: flags.model, format: model.format, sha256: modelSha256(resolved), inputShape: [...model.inputShape], numClasses: model.numClasses },
          data: { spec: data.spec, count: considered },
          seed: flags.seed,
          metrics: {
            binarization: binarization.map((b) => ({ epsilon: b.threat.epsilon, testSuccessRate: b.testSuccessRate, randomBoundarySuccessRate: b.randomBoundarySuccessRate, tested: b.tested, setupFailures: b.setupFailures, passed: b.passed })),
            passed: binarization.every((b) => b.passed),
            flags: { critical: count('critical'), warning: count('warning'), info: count('info') },
          },
          attack: { id: flags.attack, options },
          binarization,
          diagnostics,
          timing: { seconds, samplesPerSecond: considered / Math.max(seconds, 1e-9) },
        };
        if (flags.out) writeResultFile(flags.out, result);
        if (flags.json) printJson(result);
        else process.stdout.write(humanReport(result));
        if (flags.gate && (!result.metrics.passed || result.metrics.flags.critical > 0)) {
          throw new RampartError('GATE_FAILED', `rampart validate: ${!result.metrics.passed ? 'the attack fails the binarization test' : `${result.metrics.flags.critical} critical diagnostic flag(s)`} (--gate).`, {});
        }
      } finally {
        model.dispose();
      }
    });
}
