/** `rampart calibration`: ECE, MCE, Brier, NLL, reliability diagram, temperature scaling on a held-out split. */
import type { Command } from 'commander';
import { loadModel, modelSha256, resolveModelSpec } from '../engine/load.js';
import { openDataset } from '../data/index.js';
import { loadAll } from '../data/load-all.js';
import { checkDataFitsModel } from '../metrics/accuracy.js';
import { calibrationReport, collectLogits, type CalibrationReport } from '../metrics/calibration.js';
import { toolVersion, type ResultEnvelope } from '../report/result.js';
import { commandLine, layoutOption, parseInteger, printJson, startBackend, writeResultFile } from './common.js';

interface CalibrationFlags {
  model: string;
  data: string;
  limit?: number;
  bins: number;
  batchSize: number;
  layout: 'auto' | 'nchw' | 'nhwc';
  json?: boolean;
  out?: string;
}

export function registerCalibration(program: Command): void {
  program
    .command('calibration')
    .description('calibration: ECE (15 bins), MCE, Brier, NLL, reliability diagram, temperature scaling')
    .requiredOption('-m, --model <spec>', 'builtin:NAME, an .onnx file, or a TF.js model.json / folder')
    .option('-d, --data <spec>', 'data spec; the first half fits the temperature, the second half is evaluated', 'mnist:test')
    .option('--limit <n>', 'use at most n samples', parseInteger('--limit', 2))
    .option('--bins <n>', 'confidence bins', parseInteger('--bins', 1), 15)
    .option('--batch-size <n>', 'samples per forward pass', parseInteger('--batch-size', 1), 256)
    .addOption(layoutOption())
    .option('--json', 'print the result JSON to stdout')
    .option('-o, --out <file>', 'also write the result JSON to this file')
    .action(async (flags: CalibrationFlags, command: Command) => {
      await startBackend(command);
      const resolved = resolveModelSpec(flags.model);
      const dataset = await openDataset(flags.data, { limit: flags.limit });
      const model = await loadModel(flags.model, { layout: flags.layout });
      try {
        checkDataFitsModel(model, dataset);
        const data = await loadAll(dataset);
        const started = performance.now();
        const logits = await collectLogits(model, data.x, data.count, data.sampleShape, flags.batchSize);
        const metrics = calibrationReport(logits, data.y, { bins: flags.bins });
        const seconds = (performance.now() - started) / 1000;
        const result: ResultEnvelope<CalibrationReport> = {
          schemaVersion: 1,
          tool: { name: 'rampart', version: toolVersion() },
          command: commandLine(),
          model: { spec: flags.model, format: model.format, sha256: modelSha256(resolved), inputShape: [...model.inputShape], numClasses: model.numClasses },
          data: { spec: dataset.spec, count: data.count },
          seed: 0,
          metrics,
          timing: { seconds, samplesPerSecond: data.count / Math.max(seconds, 1e-9) },
        };
        if (flags.out) writeResultFile(flags.out, result);
        if (flags.json) {
          printJson(result);
          return;
        }
        const row = (name: string, m: CalibrationReport['calibrated']) =>
          `${name.padEnd(12)} accuracy ${(m.accuracy * 100).toFixed(2)}%  ECE ${(m.ece * 100).toFixed(2)}%  MCE ${(m.mce * 100).toFixed(2)}%  Brier ${m.brier.toFixed(4)}  NLL ${m.nll.toFixed(4)}`;
        process.stdout.write(
          [
            `model        ${flags.model} (${model.format})`,
            `data         ${dataset.spec} (${data.count} samples: ${metrics.split.fit} fit T, ${metrics.split.evaluate} evaluated)`,
            row('raw', metrics.uncalibrated),
            `temperature  T = ${metrics.temperature.toFixed(4)} (minimises held-out NLL)`,
            row('calibrated', metrics.calibrated),
          ].join('\n') + '\n',
        );
      } finally {
        model.dispose();
      }
    });
}
