/** `rampart corruptions`: accuracy and error of a model under a corruption suite, CE/mCE against a baseline. */
import type { Command } from 'commander';
import { loadModel, modelSha256, resolveModelSpec } from '../engine/load.js';
import type { Model } from '../engine/model.js';
import { openDataset } from '../data/index.js';
import { loadAll } from '../data/load-all.js';
import { corruptionRegistry } from '../corruptions/index.js';
import { checkDataFitsModel } from '../metrics/accuracy.js';
import { corruptionBenchmark, type CorruptionBenchmarkResult } from '../metrics/corruption-benchmark.js';
import { perturbationStability, type StabilityResult } from '../metrics/stability.js';
import { toolVersion, type ResultEnvelope } from '../report/result.js';
import { RampartError } from '../errors.js';
import { commandLine, globalFlags, layoutOption, parseInteger, printJson, startBackend, writeResultFile } from './common.js';
import { createProgress } from './progress.js';

interface CorruptionsFlags {
  model: string;
  data: string;
  suite: 'mnist-c' | 'common';
  severity?: number;
  baseline?: string;
  limit?: number;
  seed: number;
  batchSize: number;
  layout: 'auto' | 'nchw' | 'nhwc';
  stability?: boolean;
  json?: boolean;
  out?: string;
}

/** The default baseline: the shipped MNIST MLP for 28×28×1 data, none otherwise. */
export function defaultBaseline(sampleShape: readonly number[]): string | undefined {
  return sampleShape.length === 3 && sampleShape[0] === 28 && sampleShape[1] === 28 && sampleShape[2] === 1 ? 'builtin:mnist-mlp' : undefined;
}

const pct = (v: number) => `${(v * 100).toFixed(1)}%`;

export function registerCorruptions(program: Command): void {
  program
    .command('corruptions')
    .description('corruption benchmark: error per corruption × severity, per family, mean; CE and mCE vs a baseline')
    .requiredOption('-m, --model <spec>', 'builtin:NAME, an .onnx file, or a TF.js model.json / folder')
    .option('-d, --data <spec>', 'image data spec', 'mnist:test')
    .option('--suite <name>', 'mnist-c or common', 'mnist-c')
    .option('--severity <s>', 'run only this severity 1..5 (default: MNIST-C severities for mnist-c, 1..5 for common)', parseInteger('--severity', 1))
    .option('--baseline <spec>', 'baseline model for CE/mCE ("none" to skip; default builtin:mnist-mlp for 28×28×1 data)')
    .option('--limit <n>', 'use at most n samples', parseInteger('--limit', 1))
    .option('--seed <n>', 'seed of the random corruptions', parseInteger('--seed', 0), 0)
    .option('--batch-size <n>', 'samples per forward pass', parseInteger('--batch-size', 1), 256)
    .addOption(layoutOption())
    .option('--stability', 'also measure ImageNet-P-style perturbation stability (flip probability on 30-frame sequences)')
    .option('--json', 'print the result JSON to stdout')
    .option('-o, --out <file>', 'also write the result JSON to this file')
    .action(async (flags: CorruptionsFlags, command: Command) => {
      if (flags.suite !== 'mnist-c' && flags.suite !== 'common') {
        throw new RampartError('BAD_OPTION', `--suite must be mnist-c or common; got "${String(flags.suite)}".`);
      }
      if (flags.severity !== undefined && flags.severity > 5) throw new RampartError('BAD_OPTION', `--severity must be 1..5; got ${flags.severity}.`);
      await startBackend(command);
      const { quiet } = globalFlags(command);
      const resolved = resolveModelSpec(flags.model);
      const dataset = await openDataset(flags.data, { limit: flags.limit });
      const baselineSpec = flags.baseline === 'none' ? undefined : (flags.baseline ?? defaultBaseline(dataset.sampleShape));
      const model = await loadModel(flags.model, { layout: flags.layout });
      let baseline: Model | undefined;
      try {
        checkDataFitsModel(model, dataset);
        if (baselineSpec) {
          baseline = await loadModel(baselineSpec, { layout: flags.layout });
          checkDataFitsModel(baseline, dataset);
        }
        const data = await loadAll(dataset);
        const progress = createProgress('corruptions', { quiet });
        const started = performance.now();
        const metrics = await corruptionBenchmark(model, data, corruptionRegistry.listBySuite(flags.suite), {
          suite: flags.suite,
          severities: flags.severity !== undefined ? [flags.severity] : undefined,
          baseline,
          seed: flags.seed,
          batchSize: flags.batchSize,
          onProgress: (done, total) => progress.update(done, total),
        });
        const stability: StabilityResult | null = flags.stability ? await perturbationStability(model, data, { baseline, seed: flags.seed, batchSize: flags.batchSize }) : null;
        const seconds = (performance.now() - started) / 1000;
        progress.done();
        const evaluated = metrics.corruptions.reduce((a, c) => a + c.severities.length, 0) * data.count;
        const result: ResultEnvelope<CorruptionBenchmarkResult & { baselineSpec: string | null; stability?: StabilityResult }> = {
          schemaVersion: 1,
          tool: { name: 'rampart', version: toolVersion() },
          command: commandLine(),
          model: { spec: flags.model, format: model.format, sha256: modelSha256(resolved), inputShape: [...model.inputShape], numClasses: model.numClasses },
          data: { spec: dataset.spec, count: data.count },
          seed: flags.seed,
          metrics: { ...metrics, baselineSpec: baselineSpec ?? null, ...(stability ? { stability } : {}) },
          timing: { seconds, samplesPerSecond: evaluated / Math.max(seconds, 1e-9) },
        };
        if (flags.out) writeResultFile(flags.out, result);
        if (flags.json) {
          printJson(result);
          return;
        }
        const lines = [
          `model      ${flags.model} (${model.format}), baseline ${baselineSpec ?? 'none'}`,
          `data       ${dataset.spec} (${data.count} samples), suite ${flags.suite}`,
          `clean      error ${pct(metrics.clean.error)}`,
          ...metrics.corruptions.map(
            (c) => `  ${c.id.padEnd(20)} ${c.severities.map((s) => `s${s.severity} ${pct(s.error)}`).join('  ')}${c.ce !== null ? `  CE ${c.ce.toFixed(2)}` : ''}`,
          ),
          ...metrics.families.map((f) => `family     ${f.family.padEnd(12)} mean error ${pct(f.meanError)}`),
          `mean       error ${pct(metrics.meanError)}${metrics.mCE !== null ? `, mCE ${(metrics.mCE * 100).toFixed(1)}` : ''}${metrics.relativeMCE !== null ? `, relative mCE ${(metrics.relativeMCE * 100).toFixed(1)}` : ''}`,
          ...(stability
            ? stability.sequences.map(
                (q) => `stability  ${q.id.padEnd(16)} flip probability ${(q.flipProbability * 100).toFixed(2)}%${q.flipRate !== null ? `  FR ${q.flipRate.toFixed(2)}` : ''}${q.top5Distance !== null ? `  top-5 distance ${q.top5Distance.toFixed(3)}` : ''}`,
              )
            : []),
          `time       ${seconds.toFixed(2)} s`,
        ];
        process.stdout.write(lines.join('\n') + '\n');
      } finally {
        model.dispose();
        baseline?.dispose();
      }
    });
}
