/**
 * `rampart sensitivity`: feature-level sensitivity (each feature nudged by ±amount, or image patches occluded:
 * accuracy drop and output variance per feature, ranked, with heatmap data) or parameter variability (K
 * retrainings on bootstrap resamples or noisy copies of the training data: dispersion of weights, predictions and
 * accuracy).
 */
import { Option, type Command } from 'commander';
import { loadModel, modelSha256, resolveModelSpec } from '../engine/load.js';
import { openDataset } from '../data/index.js';
import { RampartError } from '../errors.js';
import { architectureNames } from '../harden/architectures.js';
import { toolVersion, type ResultEnvelope } from '../report/result.js';
import { featureNamesFor, featureSensitivity, parameterVariability, type FeatureSensitivityResult, type ParameterVariabilityResult } from '../validate/index.js';
import { commandLine, globalFlags, layoutOption, parseInteger, parsePositiveNumber, printJson, startBackend, writeResultFile } from './common.js';
import { createProgress } from './progress.js';

interface SensitivityFlags {
  model?: string;
  data: string;
  mode: 'features' | 'occlusion' | 'parameters';
  amount: number;
  patch: number;
  stride?: number;
  fill: string;
  names?: string;
  top: number;
  train?: string;
  runs: number;
  resample: 'bootstrap' | 'noise';
  noise: number;
  arch: string;
  epochs: number;
  batchSize: number;
  lr: number;
  varyInit?: boolean;
  limit?: number;
  seed: number;
  labelColumn?: string;
  layout: 'auto' | 'nchw' | 'nhwc';
  json?: boolean;
  out?: string;
}

export type SensitivityResult = ResultEnvelope<Record<string, unknown>> & {
  mode: SensitivityFlags['mode'];
  features?: FeatureSensitivityResult;
  parameters?: ParameterVariabilityResult;
};

const fixed = (v: number, digits = 4) => v.toFixed(digits);

export function registerSensitivity(program: Command): void {
  program
    .command('sensitivity')
    .description('sensitivity analysis: per-feature or per-patch accuracy drop and output variance, or parameter variability over retrainings')
    .option('-m, --model <spec>', 'model (features and occlusion modes): builtin:NAME, an .onnx file, or a TF.js model.json / folder')
    .option('-d, --data <spec>', 'evaluation data spec (mnist[:test], csv:F, npz:F, ...)', 'mnist:test')
    .addOption(new Option('--mode <mode>', 'features: ±amount per feature; occlusion: image patches; parameters: retrain K times').choices(['features', 'occlusion', 'parameters']).default('features'))
    .option('--amount <x>', 'features mode: size of the ± nudge (input units)', parsePositiveNumber('--amount'), 0.1)
    .option('--patch <n>', 'occlusion mode: patch side in pixels', parseInteger('--patch', 1), 4)
    .option('--stride <n>', 'occlusion mode: patch stride (default: the patch side)', parseInteger('--stride', 1))
    .option('--fill <value>', "occlusion mode: occluding value, a number or 'mean'", '0')
    .option('--names <list>', 'comma-separated feature names (default: the CSV header)')
    .option('--top <n>', 'rows of the ranked table to print', parseInteger('--top', 1), 10)
    .option('--train <spec>', 'parameters mode: training data spec')
    .option('--runs <k>', 'parameters mode: retrainings', parseInteger('--runs', 2), 5)
    .addOption(new Option('--resample <how>', 'parameters mode: bootstrap resamples or Gaussian input noise').choices(['bootstrap', 'noise']).default('bootstrap'))
    .option('--noise <sigma>', 'parameters mode: noise standard deviation', parsePositiveNumber('--noise'), 0.05)
    .addOption(new Option('--arch <arch>', 'parameters mode: architecture').choices([...architectureNames]).default('mlp'))
    .option('--epochs <n>', 'parameters mode: epochs per retraining', parseInteger('--epochs', 1), 10)
    .option('--batch-size <n>', 'parameters mode: training batch size', parseInteger('--batch-size', 1), 64)
    .option('--lr <x>', 'parameters mode: learning rate', parsePositiveNumber('--lr'), 1e-3)
    .option('--vary-init', 'parameters mode: also vary the weight-initialisation seed between runs')
    .option('--limit <n>', 'use at most n evaluation samples', parseInteger('--limit', 1))
    .option('--seed <s>', 'seed of every random choice', parseInteger('--seed', 0), 0)
    .option('--label-column <name>', 'label column of csv: data', 'label')
    .addOption(layoutOption())
    .option('--json', 'print the result JSON to stdout')
    .option('-o, --out <file>', 'also write the result JSON to this file')
    .action(async (flags: SensitivityFlags, command: Command) => {
      if (flags.mode !== 'parameters' && !flags.model) throw new RampartError('BAD_OPTION', `--mode ${flags.mode} needs --model.`, {});
      if (flags.mode === 'parameters' && !flags.train) throw new RampartError('BAD_OPTION', '--mode parameters needs --train (the training data spec, e.g. mnist:train or csv:train.csv).', {});
      const fill = flags.fill === 'mean' ? 'mean' : Number(flags.fill);
      if (fill !== 'mean' && !Number.isFinite(fill)) throw new RampartError('BAD_OPTION', `--fill must be a number or 'mean'; got "${flags.fill}".`, {});
      await startBackend(command);
      const { quiet } = globalFlags(command);
      const progress = createProgress('sensitivity', { quiet });
      const data = await openDataset(flags.data, { limit: flags.limit, labelColumn: flags.labelColumn });
      const started = performance.now();
      const base = {
        schemaVersion: 1 as const,
        tool: { name: 'rampart' as const, version: toolVersion() },
        command: commandLine(),
        data: { spec: data.spec, count: data.count },
        seed: flags.seed,
      };
      let result: SensitivityResult;
      const lines: string[] = [];
      if (flags.mode === 'parameters') {
        const train = await openDataset(flags.train as string, { labelColumn: flags.labelColumn });
        const parameters = await parameterVariability({
          train,
          evaluation: data,
          runs: flags.runs,
          resample: flags.resample,
          noise: flags.noise,
          varyInitialisation: Boolean(flags.varyInit),
          seed: flags.seed,
          training: { arch: flags.arch, epochs: flags.epochs, batchSize: flags.batchSize, learningRate: flags.lr, seed: flags.seed },
          onProgress: (done, total) => progress.update(done, total, 'retraining'),
        });
        progress.done();
        const seconds = (performance.now() - started) / 1000;
        result = {
          ...base,
          model: { spec: `trained:${flags.arch}`, format: 'tfjs-layers', sha256: '', inputShape: [...data.sampleShape], numClasses: data.numClasses },
          mode: 'parameters',
          parameters,
          metrics: { accuracy: parameters.metrics.accuracy, meanPairwiseFlipRate: parameters.predictions.meanPairwiseFlipRate, unstableFraction: parameters.predictions.unstableFraction },
          timing: { seconds, samplesPerSecond: (parameters.trainCount * flags.runs) / Math.max(seconds, 1e-9) },
        };
        const a = parameters.metrics.accuracy;
        lines.push(
          `train       ${train.spec} (${parameters.trainCount} samples), ${flags.runs} × ${flags.arch} on ${flags.resample === 'bootstrap' ? 'bootstrap resamples' : `noisy copies (σ = ${flags.noise})`}`,
          `evaluate    ${data.spec} (${parameters.evaluationCount} samples)`,
          `accuracy    mean ${(a.mean * 100).toFixed(2)}%  std ${(a.std * 100).toFixed(2)}%  min ${(a.min * 100).toFixed(2)}%  max ${(a.max * 100).toFixed(2)}%`,
          `flips       mean pairwise ${(parameters.predictions.meanPairwiseFlipRate * 100).toFixed(2)}%, max ${(parameters.predictions.maxPairwiseFlipRate * 100).toFixed(2)}%; runs disagree on ${(parameters.predictions.unstableFraction * 100).toFixed(2)}% of samples`,
          ...parameters.weights.map((w) => `weights     ${w.layer.padEnd(14)} ${String(w.parameters).padStart(7)} params  std/|w| ${fixed(w.relativeStd, 3)}  pairwise rel. distance ${fixed(w.meanPairwiseRelativeDistance, 3)}`),
        );
      } else {
        const resolved = resolveModelSpec(flags.model as string);
        const model = await loadModel(flags.model as string, { layout: flags.layout });
        try {
          const count = data.sampleShape.reduce((x, y) => x * y, 1);
          const given = flags.names ? flags.names.split(',').map((s) => s.trim()) : undefined;
          const names = given ? (given.length === count ? given : undefined) : featureNamesFor(flags.data, count, flags.labelColumn ?? 'label');
          const features = await featureSensitivity({
            model,
            data,
            mode: flags.mode,
            amount: flags.amount,
            patch: flags.patch,
            stride: flags.stride,
            fill,
            names,
            onProgress: (done, total) => progress.update(done, total, flags.mode),
          });
          progress.done();
          const seconds = (performance.now() - started) / 1000;
          result = {
            ...base,
            model: { spec: flags.model as string, format: model.format, sha256: modelSha256(resolved), inputShape: [...model.inputShape], numClasses: model.numClasses },
            mode: flags.mode,
            features,
            metrics: { cleanAccuracy: features.cleanAccuracy, top: features.ranking.slice(0, flags.top).map((u) => ({ name: u.name, accuracyDrop: u.accuracyDrop, outputVariance: u.outputVariance })) },
            timing: { seconds, samplesPerSecond: (features.samples * features.units.length) / Math.max(seconds, 1e-9) },
          };
          lines.push(
            `model       ${flags.model} (${model.format})`,
            `data        ${data.spec} (${features.samples} samples), clean accuracy ${(features.cleanAccuracy * 100).toFixed(2)}%`,
            `mode        ${flags.mode === 'features' ? `each feature ± ${flags.amount}` : `${flags.patch}×${flags.patch} patches, stride ${features.settings.stride}, fill ${flags.fill}`} (${features.units.length} units)`,
            '',
          );
          const header = ['rank', 'unit', 'accuracy drop', 'output variance', 'mean |Δp|'];
          const rows = [header, ...features.ranking.slice(0, flags.top).map((u, k) => [String(k + 1), u.name, `${(u.accuracyDrop * 100).toFixed(2)}%`, u.outputVariance.toExponential(2), fixed(u.meanProbabilityChange)])];
          const widths = header.map((_, c) => Math.max(...rows.map((r) => r[c].length)));
          for (const row of rows) lines.push(row.map((cell, c) => cell.padEnd(widths[c])).join('  ').trimEnd());
        } finally {
          model.dispose();
        }
      }
      lines.push('', `time        ${result.timing.seconds.toFixed(2)} s`);
      if (flags.out) writeResultFile(flags.out, result);
      if (flags.json) printJson(result);
      else process.stdout.write(lines.join('\n') + '\n');
    });
}
