/**
 * `rampart train`: plain training of a reference architecture; writes a TF.js model folder, an exported and
 * checked `model.onnx`, and a `rampart.json` sidecar with the command, seed, data and test accuracy.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { Option } from 'commander';
import { openDataset } from '../data/index.js';
import { trainClassifier } from '../harden/train.js';
import { folderSaveHandler } from '../engine/tfjs-io.js';
import { exportToOnnx } from '../engine/export-onnx.js';
import { verifyOnnxExport } from '../engine/export-verify.js';
import { evaluateAccuracy } from '../metrics/accuracy.js';
import { RampartError } from '../errors.js';
import { commandLine, globalFlags, parseInteger, parsePositiveNumber, printJson, startBackend } from './common.js';
import { createProgress } from './progress.js';

interface TrainFlags {
  arch: 'mlp' | 'cnn';
  data: string;
  testData?: string;
  epochs: number;
  batchSize: number;
  lr: number;
  seed: number;
  schedule: 'constant' | 'cosine';
  shift: number;
  limit?: number;
  out: string;
  name?: string;
  json?: boolean;
}

export function registerTrain(program: Command): void {
  program
    .command('train')
    .description('train a reference model (mlp or cnn) with tfjs-layers')
    .addOption(new Option('--arch <arch>', 'architecture').choices(['mlp', 'cnn']).default('cnn'))
    .option('-d, --data <spec>', 'training data spec', 'mnist:train')
    .option('--test-data <spec>', 'held-out data for per-epoch and final accuracy (default: the :test split of --data)')
    .option('--epochs <n>', 'passes over the training data', parseInteger('--epochs', 1), 10)
    .option('--batch-size <n>', 'samples per step', parseInteger('--batch-size', 1), 128)
    .option('--lr <rate>', 'Adam learning rate (peak of the schedule)', parsePositiveNumber('--lr'), 1e-3)
    .option('--seed <n>', 'seed for initialisation, shuffling and augmentation', parseInteger('--seed', 0), 0)
    .addOption(new Option('--schedule <name>', 'learning-rate schedule').choices(['constant', 'cosine']).default('cosine'))
    .option('--shift <pixels>', 'random-translation augmentation in pixels (0 = off)', parseInteger('--shift', 0), 2)
    .option('--limit <n>', 'train on at most n samples', parseInteger('--limit', 1))
    .requiredOption('-o, --out <dir>', 'output folder (model.json, weights.bin, model.onnx, rampart.json)')
    .option('--name <name>', 'model name recorded in rampart.json')
    .option('--json', 'print the training summary JSON to stdout')
    .action(async (flags: TrainFlags, command: Command) => {
      const backend = await startBackend(command);
      const { quiet } = globalFlags(command);
      const train = await openDataset(flags.data, { limit: flags.limit });
      const testSpec = flags.testData ?? defaultTestSpec(flags.data);
      const test = testSpec ? await openDataset(testSpec) : undefined;
      if (test && test.numClasses > train.numClasses) {
        throw new RampartError('LABEL_OUT_OF_RANGE', `Test data ${test.spec} has ${test.numClasses} classes but training data ${train.spec} only ${train.numClasses}.`, {});
      }
      const progress = createProgress('train', { quiet });
      const started = performance.now();
      const { model, history, options } = await trainClassifier(
        train,
        {
          arch: flags.arch,
          epochs: flags.epochs,
          batchSize: flags.batchSize,
          learningRate: flags.lr,
          seed: flags.seed,
          schedule: flags.schedule,
          shiftPixels: flags.shift,
        },
        {
          validation: test,
          onBatch: (epoch, done, total) => progress.update(done, total, `epoch ${epoch}/${flags.epochs}`),
          onEpoch: (log) =>
            progress.log(
              `epoch ${log.epoch}/${flags.epochs}  loss ${log.loss.toFixed(4)}  acc ${(log.accuracy * 100).toFixed(2)}%` +
                (log.validationAccuracy !== undefined ? `  test acc ${(log.validationAccuracy * 100).toFixed(2)}%` : '') +
                `  lr ${log.learningRate.toExponential(2)}  ${log.seconds.toFixed(1)}s`,
            ),
        },
      );
      try {
        const seconds = (performance.now() - started) / 1000;
        const layersModel = model.layersModel!;
        fs.mkdirSync(flags.out, { recursive: true });
        await layersModel.save(folderSaveHandler(flags.out));
        const onnxBytes = exportToOnnx(layersModel, { producer: 'rampart' });
        const check = await verifyOnnxExport(model, onnxBytes);
        if (check.maxAbsLogitDifference > check.tolerance) {
          throw new RampartError('INTERNAL', `ONNX export of the trained model disagrees with TF.js (max |Δlogit| ${check.maxAbsLogitDifference}).`, {});
        }
        fs.writeFileSync(path.join(flags.out, 'model.onnx'), onnxBytes);
        const testMetrics = test ? await evaluateAccuracy(model, test) : undefined;
        const sidecar = {
          name: flags.name ?? path.basename(path.resolve(flags.out)),
          arch: flags.arch,
          command: commandLine(),
          seed: flags.seed,
          data: train.spec,
          trainCount: train.count,
          testData: test?.spec,
          testCount: testMetrics?.count,
          testAccuracy: testMetrics?.accuracy,
          bounds: [0, 1],
          inputShape: [...model.inputShape],
          numClasses: model.numClasses,
          options,
          backend,
          trainingSeconds: seconds,
          onnxCheck: check,
          history,
        };
        fs.writeFileSync(path.join(flags.out, 'rampart.json'), JSON.stringify(sidecar, null, 2) + '\n');
        if (flags.json) printJson(sidecar);
        else
          progress.log(
            `saved ${flags.out} (TF.js + model.onnx)` +
              (testMetrics ? `; test accuracy ${(testMetrics.accuracy * 100).toFixed(2)}% on ${test!.spec}` : '') +
              `; ${seconds.toFixed(0)} s`,
          );
      } finally {
        model.dispose();
      }
    });
}

/** `mnist:train` → `mnist:test`, `fashion-mnist:train` → `fashion-mnist:test`; other specs have no default. */
function defaultTestSpec(trainSpec: string): string | undefined {
  const match = /^(mnist|fashion-mnist):train$/.exec(trainSpec);
  return match ? `${match[1]}:test` : undefined;
}
