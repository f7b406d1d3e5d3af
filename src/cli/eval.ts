/**
 * `rampart eval`: clean accuracy, per-class accuracy, confusion matrix and throughput of a model on data; for an
 * ensemble folder also the members' accuracy and the disagreement (uncertainty) and how it relates to errors.
 */
import type { Command } from 'commander';
import { loadModel, modelSha256, resolveModelSpec } from '../engine/load.js';
import { openDataset, loadAll } from '../data/index.js';
import { isEnsemble } from '../engine/ensemble.js';
import { ensembleFigures, type EnsembleFigures } from '../harden/ensemble/run.js';
import { evaluateAccuracy, type AccuracyMetrics } from '../metrics/accuracy.js';
import { toolVersion, type ResultEnvelope } from '../report/result.js';
import { commandLine, globalFlags, layoutOption, parseInteger, printJson, startBackend, writeResultFile } from './common.js';
import { createProgress } from './progress.js';

interface EvalFlags {
  model: string;
  data: string;
  limit?: number;
  offset?: number;
  batchSize: number;
  labelColumn?: string;
  layout: 'auto' | 'nchw' | 'nhwc';
  json?: boolean;
  out?: string;
}

export function registerEval(program: Command): void {
  program
    .command('eval')
    .description('clean accuracy, per-class accuracy, confusion matrix and throughput')
    .requiredOption('-m, --model <spec>', 'builtin:NAME, an .onnx file, or a TF.js model.json / folder')
    .option('-d, --data <spec>', 'data spec (mnist[:test|:train], fashion-mnist[:test|:train], npz:F, npy:X,Y, idx:I,L, csv:F, images:DIR)', 'mnist:test')
    .option('--limit <n>', 'evaluate at most n samples', parseInteger('--limit', 1))
    .option('--offset <k>', 'skip the first k samples', parseInteger('--offset', 0))
    .option('--batch-size <n>', 'samples per forward pass', parseInteger('--batch-size', 1), 256)
    .option('--label-column <name>', 'label column of csv: data', 'label')
    .addOption(layoutOption())
    .option('--json', 'print the result JSON to stdout')
    .option('-o, --out <file>', 'also write the result JSON to this file')
    .action(async (flags: EvalFlags, command: Command) => {
      await startBackend(command);
      const { quiet } = globalFlags(command);
      const resolved = resolveModelSpec(flags.model);
      const data = await openDataset(flags.data, { limit: flags.limit, offset: flags.offset, labelColumn: flags.labelColumn });
      const model = await loadModel(flags.model, { layout: flags.layout });
      try {
        const progress = createProgress('eval', { quiet });
        const started = performance.now();
        const metrics = await evaluateAccuracy(model, data, {
          batchSize: flags.batchSize,
          onProgress: (done, total) => progress.update(done, total),
        });
        const seconds = (performance.now() - started) / 1000;
        progress.done();
        // ensembles: disagreement as an uncertainty score, and whether it points at the errors
        let ensemble: Omit<EnsembleFigures, 'testData' | 'testCount' | 'accuracy'> & { members: number } | undefined;
        if (isEnsemble(model)) {
          const { testData: _d, testCount: _c, accuracy: _a, ...figures } = await ensembleFigures(model, await loadAll(data), data.spec);
          ensemble = { members: model.members.length, ...figures };
        }
        const result: ResultEnvelope<Omit<AccuracyMetrics, 'count'> & { ensemble?: typeof ensemble }> = {
          schemaVersion: 1,
          tool: { name: 'rampart', version: toolVersion() },
          command: commandLine(),
          model: {
            spec: flags.model,
            format: model.format,
            sha256: modelSha256(resolved),
            inputShape: [...model.inputShape],
            numClasses: model.numClasses,
          },
          data: { spec: data.spec, count: metrics.count },
          seed: 0,
          metrics: { accuracy: metrics.accuracy, perClassAccuracy: metrics.perClassAccuracy, confusionMatrix: metrics.confusionMatrix, ...(ensemble ? { ensemble } : {}) },
          timing: { seconds, samplesPerSecond: metrics.count / Math.max(seconds, 1e-9) },
        };
        if (flags.out) writeResultFile(flags.out, result);
        if (flags.json) {
          printJson(result);
          return;
        }
        const perClass = metrics.perClassAccuracy.map((a, c) => `${c}:${a === null ? '-' : (a * 100).toFixed(1)}`).join(' ');
        process.stdout.write(
          [
            `model      ${flags.model} (${model.format})`,
            `data       ${data.spec} (${metrics.count} samples)`,
            `accuracy   ${(metrics.accuracy * 100).toFixed(2)}%`,
            `per class  ${perClass}`,
            `time       ${seconds.toFixed(2)} s (${result.timing.samplesPerSecond.toFixed(0)} samples/s)`,
            ...(ensemble
              ? [
                  `members    ${ensemble.memberAccuracy.map((a, i) => `${i}:${(a * 100).toFixed(1)}%`).join(' ')}`,
                  `disagreement mean ${ensemble.meanDisagreement.toFixed(4)}; accuracy on the low/high-disagreement halves ${(ensemble.lowDisagreementAccuracy * 100).toFixed(2)}% / ${(ensemble.highDisagreementAccuracy * 100).toFixed(2)}%; members disagree on ${(ensemble.disagreedFraction * 100).toFixed(1)}% of samples${ensemble.disagreedAccuracy === null ? '' : ` (accuracy there ${(ensemble.disagreedAccuracy * 100).toFixed(2)}%)`}`,
                ]
              : []),
          ].join('\n') + '\n',
        );
      } finally {
        model.dispose();
      }
    });
}
