/** `rampart ood`: out-of-distribution detection scores and AUROC / AUPR / FPR95, plus misclassification detection. */
import type { Command } from 'commander';
import { loadModel, modelSha256, resolveModelSpec } from '../engine/load.js';
import { openDataset } from '../data/index.js';
import { loadAll } from '../data/load-all.js';
import { createRandom } from '../engine/random.js';
import { checkDataFitsModel, argmaxRows } from '../metrics/accuracy.js';
import {
  detectionMethodNote,
  detectionMetrics,
  fitMahalanobisOnData,
  oodScoreNames,
  oodScores,
  syntheticOod,
  type DetectionMetrics,
  type OodScoreName,
  type OodScoreOptions,
} from '../metrics/ood.js';
import { toolVersion, type ResultEnvelope } from '../report/result.js';
import { RampartError } from '../errors.js';
import { commandLine, layoutOption, parseInteger, parsePositiveNumber, printJson, startBackend, writeResultFile } from './common.js';

interface OodFlags {
  model: string;
  in: string;
  ood: string;
  limit?: number;
  score: string;
  fitData?: string;
  fitLimit: number;
  odinTemperature: number;
  odinEpsilon: number;
  seed: number;
  layout: 'auto' | 'nchw' | 'nhwc';
  json?: boolean;
  out?: string;
}

export interface OodCommandMetrics {
  method: string;
  ood: { spec: string; count: number };
  scores: Partial<Record<OodScoreName, (DetectionMetrics & { note?: string }) | { unsupported: string }>>;
  /** Same metrics with correctly classified in-distribution samples as positives, wrong ones as negatives. */
  misclassification: Partial<Record<OodScoreName, DetectionMetrics | { unsupported: string }>>;
  inAccuracy: number;
  mahalanobisFit: { spec: string; count: number } | null;
}

function parseScores(list: string): OodScoreName[] {
  const names = list.split(',').map((s) => s.trim()).filter(Boolean);
  for (const name of names) {
    if (!(oodScoreNames as readonly string[]).includes(name)) {
      throw new RampartError('BAD_OPTION', `Unknown --score "${name}"; choose from ${oodScoreNames.join(', ')}.`);
    }
  }
  if (names.length === 0) throw new RampartError('BAD_OPTION', `--score needs at least one of ${oodScoreNames.join(', ')}.`);
  return names as OodScoreName[];
}

export function registerOod(program: Command): void {
  program
    .command('ood')
    .description('out-of-distribution detection: MSP, max-logit, energy, ODIN, Mahalanobis; AUROC, AUPR-in/out, FPR at 95% TPR')
    .requiredOption('-m, --model <spec>', 'builtin:NAME, an .onnx file, or a TF.js model.json / folder')
    .option('--in <spec>', 'in-distribution data', 'mnist:test')
    .requiredOption('--ood <spec>', 'out-of-distribution data spec, or noise (clip(N(0.5, 1))) or uniform (U[0, 1])')
    .option('--limit <n>', 'at most n samples of each set', parseInteger('--limit', 1))
    .option('--score <list>', 'comma-separated scores', oodScoreNames.join(','))
    .option('--fit-data <spec>', 'labelled in-distribution data for the Mahalanobis fit (default: --in with :test → :train, else --in)')
    .option('--fit-limit <n>', 'samples of the Mahalanobis fit data', parseInteger('--fit-limit', 2), 1000)
    .option('--odin-temperature <t>', 'ODIN temperature', parsePositiveNumber('--odin-temperature'), 1000)
    .option('--odin-epsilon <e>', 'ODIN input-preprocessing step', parsePositiveNumber('--odin-epsilon'), 0.0014)
    .option('--seed <n>', 'seed of the synthetic noise', parseInteger('--seed', 0), 0)
    .addOption(layoutOption())
    .option('--json', 'print the result JSON to stdout')
    .option('-o, --out <file>', 'also write the result JSON to this file')
    .action(async (flags: OodFlags, command: Command) => {
      const names = parseScores(flags.score);
      await startBackend(command);
      const resolved = resolveModelSpec(flags.model);
      const inSet = await openDataset(flags.in, { limit: flags.limit });
      const model = await loadModel(flags.model, { layout: flags.layout });
      try {
        checkDataFitsModel(model, inSet);
        const inData = await loadAll(inSet);
        const shape = inData.sampleShape;
        let oodX: Float32Array;
        let oodCount: number;
        let oodSpec = flags.ood;
        if (flags.ood === 'noise' || flags.ood === 'uniform') {
          oodCount = inData.count;
          oodX = syntheticOod(flags.ood, oodCount, shape, createRandom(flags.seed), model.bounds);
          oodSpec = flags.ood === 'noise' ? 'noise: clip(N(0.5, 1)) per value' : 'uniform: U[0, 1] per value';
        } else {
          const oodSet = await openDataset(flags.ood, { limit: flags.limit });
          checkDataFitsModel(model, oodSet);
          const loaded = await loadAll(oodSet);
          oodX = loaded.x;
          oodCount = loaded.count;
          oodSpec = oodSet.spec;
        }
        const started = performance.now();
        const options: OodScoreOptions = { odin: { temperature: flags.odinTemperature, epsilon: flags.odinEpsilon } };
        let mahalanobisFit: OodCommandMetrics['mahalanobisFit'] = null;
        if (names.includes('mahalanobis')) {
          const fitSpec = flags.fitData ?? (flags.in.endsWith(':test') ? flags.in.replace(/:test$/, ':train') : flags.in);
          const fitSet = await openDataset(fitSpec, { limit: flags.fitLimit });
          checkDataFitsModel(model, fitSet);
          const fit = await loadAll(fitSet);
          options.mahalanobis = await fitMahalanobisOnData(model, fit.x, fit.y, shape);
          mahalanobisFit = { spec: fitSet.spec, count: fit.count };
        }
        let inScores, outScores;
        try {
          inScores = await oodScores(model, inData.x, inData.count, names, shape, options);
          outScores = await oodScores(model, oodX, oodCount, names, shape, options);
        } finally {
          if (options.mahalanobis && 'extractor' in options.mahalanobis) options.mahalanobis.extractor.dispose();
        }
        const predicted = argmaxRows(inScores.logits.values, inScores.logits.rows, inScores.logits.cols);
        const correct = Array.from(predicted, (p, i) => p === inData.y[i]);
        const metrics: OodCommandMetrics = {
          method: detectionMethodNote,
          ood: { spec: oodSpec, count: oodCount },
          scores: {},
          misclassification: {},
          inAccuracy: correct.filter(Boolean).length / Math.max(inData.count, 1),
          mahalanobisFit,
        };
        for (const name of names) {
          const a = inScores.scores[name];
          const b = outScores.scores[name];
          if (!a || !b) {
            const reason = inScores.notes[name] ?? 'unsupported';
            metrics.scores[name] = { unsupported: reason };
            metrics.misclassification[name] = { unsupported: reason };
            continue;
          }
          metrics.scores[name] = { ...detectionMetrics(a, b), ...(inScores.notes[name] ? { note: inScores.notes[name] } : {}) };
          const right = Array.from(a).filter((_, i) => correct[i]);
          const wrong = Array.from(a).filter((_, i) => !correct[i]);
          metrics.misclassification[name] = right.length && wrong.length ? detectionMetrics(right, wrong) : { unsupported: 'needs both correct and misclassified samples' };
        }
        const seconds = (performance.now() - started) / 1000;
        const result: ResultEnvelope<OodCommandMetrics> = {
          schemaVersion: 1,
          tool: { name: 'rampart', version: toolVersion() },
          command: commandLine(),
          model: { spec: flags.model, format: model.format, sha256: modelSha256(resolved), inputShape: [...model.inputShape], numClasses: model.numClasses },
          data: { spec: inSet.spec, count: inData.count },
          seed: flags.seed,
          metrics,
          timing: { seconds, samplesPerSecond: (inData.count + oodCount) / Math.max(seconds, 1e-9) },
        };
        if (flags.out) writeResultFile(flags.out, result);
        if (flags.json) {
          printJson(result);
          return;
        }
        const lines = [
          `model      ${flags.model} (${model.format})`,
          `in         ${inSet.spec} (${inData.count}), out ${oodSpec} (${oodCount})`,
          `metrics    ${detectionMethodNote}`,
        ];
        for (const name of names) {
          const m = metrics.scores[name]!;
          lines.push(
            'unsupported' in m
              ? `${name.padEnd(12)} ${m.unsupported}`
              : `${name.padEnd(12)} AUROC ${(m.auroc * 100).toFixed(2)}  AUPR-in ${(m.auprIn * 100).toFixed(2)}  AUPR-out ${(m.auprOut * 100).toFixed(2)}  FPR95 ${(m.fprAt95Tpr * 100).toFixed(2)}${m.note ? `  (${m.note})` : ''}`,
          );
        }
        process.stdout.write(lines.join('\n') + '\n');
      } finally {
        model.dispose();
      }
    });
}
