/**
 * `rampart harden`: robust training (adversarial, certified, noise, augmented, regularised) of a fresh reference
 * architecture or fine-tuning of a TF.js / ONNX model; writes TF.js + ONNX + rampart.json + training.jsonl +
 * checkpoint.json to --out. Flags or `--config harden.yaml` (flags override the file; fields as in docs/harden.md).
 */
import fs from 'node:fs';
import type { Command } from 'commander';
import { Option } from 'commander';
import YAML from 'yaml';
import { RampartError } from '../errors.js';
import { parseHardenConfig, runHarden } from '../harden/run.js';
import { parseAugmentList } from '../harden/augment/builtin.js';
import { commandLine, globalFlags, parseInteger, parsePositiveNumber, printJson, startBackend } from './common.js';
import { createProgress } from './progress.js';

export interface HardenFlags {
  config?: string;
  model?: string;
  data?: string;
  limit?: number;
  valData?: string;
  valSplit?: number;
  testData?: string;
  testLimit?: number;
  adv?: string;
  norm?: string;
  eps?: number;
  steps?: number;
  stepFactor?: number;
  beta?: number;
  attacks?: string;
  epsRamp?: number;
  mix?: number;
  certified?: string;
  kappa?: number;
  noise?: number;
  epochs?: number;
  batchSize?: number;
  lr?: number;
  optimizer?: string;
  momentum?: number;
  schedule?: string;
  weightDecay?: number;
  l1?: number;
  clipNorm?: number;
  clipValue?: number;
  augment?: string;
  labelSmoothing?: number;
  batchNorm?: boolean;
  dropout?: number;
  hidden?: number[];
  evalSamples?: number;
  evalSteps?: number;
  evalRestarts?: number;
  select?: string;
  patience?: number;
  engine?: string;
  seed?: number;
  out?: string;
  name?: string;
  resume?: boolean;
  json?: boolean;
}

const parseNumber = (flag: string) => (value: string) => {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new RampartError('BAD_OPTION', `${flag} must be a number ≥ 0 (got "${value}").`);
  return n;
};

const parseWidths = (value: string) => {
  const widths = value.split(',').map((w) => Number(w.trim()));
  if (!widths.length || widths.some((w) => !Number.isInteger(w) || w < 1)) {
    throw new RampartError('BAD_OPTION', `--hidden takes comma-separated positive integer widths, e.g. 1024,1024 (got "${value}").`);
  }
  return widths;
};

/** Reads a YAML/JSON config file into a plain object. */
export function readConfigFile(file: string, flag = '--config'): Record<string, unknown> {
  if (!fs.existsSync(file)) throw new RampartError('FILE_NOT_FOUND', `${flag} ${file} does not exist.`);
  let value: unknown;
  try {
    value = YAML.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new RampartError('BAD_OPTION', `${flag} ${file} is not valid YAML: ${(e as Error).message}.`);
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw new RampartError('BAD_OPTION', `${flag} ${file} must hold a mapping of fields (see docs/harden.md).`);
  return value as Record<string, unknown>;
}

/** Merges flags over a config object (flags win), in the config's field names. */
export function flagsToConfig(flags: HardenFlags, base: Record<string, unknown> = {}): Record<string, unknown> {
  const c: Record<string, unknown> = { ...base };
  const set = (key: string, value: unknown) => {
    if (value !== undefined) c[key] = value;
  };
  set('model', flags.model);
  set('data', flags.data);
  set('limit', flags.limit);
  set('valData', flags.valData);
  set('valSplit', flags.valSplit);
  set('testData', flags.testData);
  set('testLimit', flags.testLimit);
  set('epochs', flags.epochs);
  set('batchSize', flags.batchSize);
  set('learningRate', flags.lr);
  set('seed', flags.seed);
  set('engine', flags.engine);
  set('labelSmoothing', flags.labelSmoothing);
  set('batchNorm', flags.batchNorm);
  set('dropout', flags.dropout);
  set('hidden', flags.hidden);
  set('select', flags.select);
  set('patience', flags.patience);
  set('out', flags.out);
  set('name', flags.name);
  set('resume', flags.resume);
  const sub = (key: string) => ({ ...((c[key] as Record<string, unknown> | undefined) ?? {}) });
  const adversarial = sub('adversarial');
  if (flags.adv !== undefined) adversarial.method = flags.adv;
  if (flags.norm !== undefined) adversarial.norm = flags.norm;
  if (flags.eps !== undefined && flags.certified === undefined) adversarial.epsilon = flags.eps;
  if (flags.steps !== undefined) adversarial.steps = flags.steps;
  if (flags.stepFactor !== undefined) adversarial.stepFactor = flags.stepFactor;
  if (flags.beta !== undefined) adversarial.beta = flags.beta;
  if (flags.attacks !== undefined) adversarial.attacks = flags.attacks.split(',').map((s) => s.trim()).filter(Boolean);
  if (flags.epsRamp !== undefined) adversarial.ramp = { from: 0, start: 0, end: flags.epsRamp };
  if (flags.mix !== undefined) adversarial.mix = flags.mix;
  if (Object.keys(adversarial).length) c.adversarial = adversarial;
  if (flags.certified !== undefined) {
    const certified = sub('certified');
    certified.method = flags.certified;
    if (flags.eps !== undefined) certified.epsilon = flags.eps;
    if (flags.kappa !== undefined) certified.kappaEnd = flags.kappa;
    if (flags.epsRamp !== undefined) certified.ramp = { from: 0, start: 0.05, end: flags.epsRamp };
    c.certified = certified;
  }
  const optimizer = sub('optimizer');
  if (flags.optimizer !== undefined) optimizer.kind = flags.optimizer;
  if (flags.momentum !== undefined) optimizer.momentum = flags.momentum;
  if (flags.weightDecay !== undefined) optimizer.weightDecay = flags.weightDecay;
  if (flags.l1 !== undefined) optimizer.l1 = flags.l1;
  if (flags.clipNorm !== undefined) optimizer.clipNorm = flags.clipNorm;
  if (flags.clipValue !== undefined) optimizer.clipValue = flags.clipValue;
  if (Object.keys(optimizer).length) c.optimizer = optimizer;
  if (flags.schedule !== undefined) c.schedule = { kind: flags.schedule };
  const augment = [...((c.augment as unknown[] | undefined) ?? [])];
  if (flags.augment !== undefined) augment.splice(0, augment.length, ...parseAugmentList(flags.augment));
  if (flags.noise !== undefined) augment.push({ id: 'gaussian-noise', options: { sigma: flags.noise } });
  if (augment.length) c.augment = augment;
  const evaluation = sub('evaluation');
  if (flags.evalSamples !== undefined) evaluation.robustSamples = flags.evalSamples;
  if (flags.evalSteps !== undefined) evaluation.steps = flags.evalSteps;
  if (flags.evalRestarts !== undefined) evaluation.restarts = flags.evalRestarts;
  if (Object.keys(evaluation).length) c.evaluation = evaluation;
  return c;
}

export function registerHarden(program: Command): void {
  program
    .command('harden')
    .description('robust training: adversarial (pgd, fgsm-rs, trades, ensemble), certified (ibp, crown-ibp), noise, augmentation, regularisation')
    .option('--config <file>', 'YAML config (fields of docs/harden.md); flags override it')
    .option('-m, --model <spec>', 'cnn | mlp (fresh, seeded) | builtin:NAME | model.json | model.onnx (fine-tune)')
    .option('-d, --data <spec>', 'training data (default mnist:train)')
    .option('--limit <n>', 'train on at most n samples', parseInteger('--limit', 1))
    .option('--val-data <spec>', 'held-out data for per-epoch clean/robust accuracy and selection')
    .option('--val-split <n>', 'hold out n training samples for validation when --val-data is absent (default 500)', parseInteger('--val-split', 0))
    .option('--test-data <spec>', 'final test data (default: the :test split)')
    .option('--test-limit <n>', 'final test on at most n samples', parseInteger('--test-limit', 1))
    .addOption(new Option('--adv <method>', 'adversarial training').choices(['none', 'pgd', 'fgsm-rs', 'fgsm', 'trades', 'ensemble']))
    .addOption(new Option('--norm <norm>', 'threat norm for training and evaluation').choices(['linf', 'l2']))
    .option('--eps <eps>', 'ε (adversarial or certified training)', parseNumber('--eps'))
    .option('--steps <n>', 'PGD / TRADES inner steps', parseInteger('--steps', 1))
    .option('--step-factor <f>', 'attack step size as a multiple of ε (PGD default 2.5/steps, FGSM-RS 1.25)', parsePositiveNumber('--step-factor'))
    .option('--beta <b>', "TRADES' β", parseNumber('--beta'))
    .option('--attacks <list>', 'ensemble adversarial training: attacks picked per batch (pgd:3,fgsm-rs,fgsm)')
    .option('--eps-ramp <fraction>', 'curriculum: ε ramps linearly from 0 over this fraction of training', parseNumber('--eps-ramp'))
    .option('--mix <w>', 'weight of the adversarial loss (1 = adversarial only, 0.5 = half clean)', parseNumber('--mix'))
    .addOption(new Option('--certified <method>', 'certified training').choices(['ibp', 'crown-ibp']))
    .option('--kappa <k>', 'certified training: final κ (weight of the clean loss)', parseNumber('--kappa'))
    .option('--noise <sigma>', 'Gaussian-noise training (for randomized smoothing) with this σ', parseNumber('--noise'))
    .option('--epochs <n>', 'epochs', parseInteger('--epochs', 1))
    .option('--batch-size <n>', 'samples per step', parseInteger('--batch-size', 1))
    .option('--lr <rate>', 'peak learning rate', parsePositiveNumber('--lr'))
    .addOption(new Option('--optimizer <name>', 'optimizer').choices(['sgd', 'adam']))
    .option('--momentum <m>', 'SGD momentum', parseNumber('--momentum'))
    .addOption(new Option('--schedule <name>', 'learning-rate schedule').choices(['constant', 'step', 'cosine', 'one-cycle']))
    .option('--weight-decay <l2>', 'L2 weight decay', parseNumber('--weight-decay'))
    .option('--l1 <l1>', 'L1 penalty', parseNumber('--l1'))
    .option('--clip-norm <n>', 'clip the global gradient norm', parseNumber('--clip-norm'))
    .option('--clip-value <v>', 'clip each gradient entry to [−v, v]', parseNumber('--clip-value'))
    .option('--augment <list>', `augmentations, e.g. mixup,rotate:degrees=10 (see docs/harden.md)`)
    .option('--label-smoothing <s>', 'label smoothing', parseNumber('--label-smoothing'))
    .option('--batch-norm', 'fresh cnn/mlp: batch normalisation after each hidden layer')
    .option('--dropout <rate>', 'fresh cnn/mlp: dropout before hidden dense layers', parseNumber('--dropout'))
    .option('--hidden <widths>', 'fresh cnn/mlp: hidden dense widths, e.g. 1024,1024 (mlp default 256,256; cnn 128)', parseWidths)
    .option('--eval-samples <n>', 'held-out samples attacked each epoch', parseInteger('--eval-samples', 0))
    .option('--eval-steps <n>', 'PGD steps of the per-epoch robust accuracy', parseInteger('--eval-steps', 1))
    .option('--eval-restarts <n>', 'PGD restarts of the per-epoch robust accuracy', parseInteger('--eval-restarts', 1))
    .option('--select <rule>', 'checkpoint selection: robust | clean | last | verified (certified training: IBP-verified accuracy) | weighted:W')
    .option('--patience <n>', 'robust early stopping after n epochs without improvement (0 = off)', parseInteger('--patience', 0))
    .addOption(new Option('--engine <name>', 'gradient engine').choices(['auto', 'ort', 'tfjs']))
    .option('--seed <n>', 'seed', parseInteger('--seed', 0))
    .option('-o, --out <dir>', 'output folder')
    .option('--name <name>', 'model name recorded in rampart.json')
    .option('--resume', 'continue from --out/checkpoint.json')
    .option('--json', 'print the summary JSON to stdout')
    .action(async (flags: HardenFlags, command: Command) => {
      const base = flags.config ? readConfigFile(flags.config) : {};
      const config = parseHardenConfig(flagsToConfig(flags, base), flags.config ? `harden config ${flags.config}` : 'harden options');
      const backend = await startBackend(command);
      const { quiet } = globalFlags(command);
      const progress = createProgress('harden', { quiet });
      const summary = await runHarden(
        config,
        {
          onBatchEnd: (i) => progress.update(i.batch, i.batches, `epoch ${i.epoch}/${config.epochs} ε ${i.epsilon.toFixed(3)}`),
          onEpochEnd: (r) =>
            progress.log(
              `epoch ${r.epoch}/${config.epochs}  loss ${r.loss.toFixed(4)}  train ${(r.trainAccuracy * 100).toFixed(1)}%  clean ${(r.cleanAccuracy * 100).toFixed(2)}%` +
                (r.robustAccuracy !== undefined ? `  robust ${(r.robustAccuracy * 100).toFixed(2)}%` : '') +
                (r.fgsmAccuracy !== undefined ? `  fgsm ${(r.fgsmAccuracy * 100).toFixed(2)}%` : '') +
                (r.verifiedAccuracy !== undefined ? `  IBP-verified ${(r.verifiedAccuracy * 100).toFixed(2)}%` : '') +
                `  ε ${r.epsilon.toFixed(3)}  lr ${r.learningRate.toExponential(2)}  ${r.imagesPerSecond.toFixed(0)} img/s${r.best ? '  *best' : ''}`,
            ),
          onStop: (reason, detail) => {
            if (reason !== 'completed') progress.log(`stopped: ${reason}${detail ? ` (${detail})` : ''}`);
          },
        },
        { command: commandLine(), backend },
      );
      if (flags.json) printJson(summary);
      else
        progress.log(
          `saved ${summary.out} (TF.js + model.onnx, ${summary.engine} engine); best epoch ${summary.best?.epoch ?? '-'}` +
            (summary.test ? `; test clean ${(summary.test.cleanAccuracy * 100).toFixed(2)}%` : '') +
            (summary.test?.robustAccuracy !== undefined ? `, robust ${(summary.test.robustAccuracy * 100).toFixed(2)}% (${summary.test.attack}, ${summary.test.robustSamples} samples)` : '') +
            `; ${summary.seconds.toFixed(0)} s`,
        );
    });
}
