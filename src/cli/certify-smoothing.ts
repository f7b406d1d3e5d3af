/**
 * `rampart certify --method smoothing`: randomized smoothing CERTIFY (Cohen, Rosenfeld & Kolter 2019) over a data
 * set: certified L2 radius per sample, certified accuracy at `--radii`, abstention rate, the certified-accuracy-vs-
 * radius curve. Noise batches run through ONNX Runtime when the model is an ONNX file or a TF.js model with its
 * exported `model.onnx` beside it (checked against the model first), otherwise through the model's own path.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { RampartError } from '../errors.js';
import { loadModel, modelSha256, resolveModelSpec } from '../engine/load.js';
import { openDataset } from '../data/index.js';
import { loadAll } from '../data/load-all.js';
import { checkDataFitsModel } from '../metrics/accuracy.js';
import { certifySmoothing, parseSmoothingOptions, type SmoothingReport } from '../certify/smoothing.js';
import { smoothingClassifierFor } from '../certify/smoothing-classifier.js';
import { toolVersion, type ResultEnvelope } from '../report/result.js';
import { commandLine, globalFlags, printJson, startBackend, writeResultFile } from './common.js';
import { createProgress } from './progress.js';
import type { CertifyFlags } from './certify.js';

export interface SmoothingCertifyMetrics extends SmoothingReport {
  /** Why ONNX Runtime was not used, when it was not. */
  engineNote?: string;
}

function parseNumber(flag: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n)) throw new RampartError('BAD_OPTION', `${flag} must be a number; got "${value}".`, { flag, value });
  return n;
}

function parseRadii(value: string | undefined): number[] {
  const parts = (value ?? '0,0.25,0.5,0.75,1').split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  const radii = parts.map(Number);
  if (radii.length === 0 || radii.some((r) => !Number.isFinite(r) || r < 0)) {
    throw new RampartError('BAD_OPTION', `--radii must be a comma-separated list of numbers ≥ 0, e.g. 0,0.25,0.5,1; got "${value}".`, { flag: '--radii', value });
  }
  return radii;
}

export async function runSmoothingCertify(flags: CertifyFlags, command: Command): Promise<void> {
  const options = parseSmoothingOptions({
    sigma: parseNumber('--sigma', flags.sigma, 0.25),
    n: flags.n ?? 100_000,
    n0: flags.n0 ?? 100,
    alpha: parseNumber('--alpha', flags.alpha, 0.001),
    batchSize: flags.batchSize ?? 1000,
    seed: flags.seed,
    radii: parseRadii(flags.radii),
  });
  await startBackend(command);
  const resolved = resolveModelSpec(flags.model);
  const dataset = await openDataset(flags.data, { limit: flags.limit });
  const model = await loadModel(flags.model, { layout: flags.layout });
  const onnx =
    resolved.kind === 'onnx' ? resolved.file : fs.existsSync(path.join(path.dirname(resolved.file), 'model.onnx')) ? path.join(path.dirname(resolved.file), 'model.onnx') : undefined;
  const choice = await smoothingClassifierFor(model, { onnx, layout: flags.layout, maxChunk: options.batchSize });
  const classifier = choice.classifier;
  const quiet = globalFlags(command).quiet;
  try {
    checkDataFitsModel(model, dataset);
    const data = await loadAll(dataset);
    const progress = createProgress('certify', { quiet });
    let certified = 0;
    const report = await certifySmoothing(classifier, data.x, data.y, data.count, options, (sample, done) => {
      if (sample.correct) certified++;
      progress.update(done, data.count, `correct+certified ${certified}`);
    });
    progress.done();
    const metrics: SmoothingCertifyMetrics = { ...report, ...(choice.fallbackReason && onnx ? { engineNote: choice.fallbackReason } : {}) };
    const result: ResultEnvelope<SmoothingCertifyMetrics> = {
      schemaVersion: 1,
      tool: { name: 'rampart', version: toolVersion() },
      command: commandLine(),
      model: { spec: flags.model, format: model.format, sha256: modelSha256(resolved), inputShape: [...model.inputShape], numClasses: model.numClasses },
      data: { spec: dataset.spec, count: data.count },
      seed: options.seed,
      metrics,
      timing: { seconds: report.seconds, samplesPerSecond: data.count / Math.max(report.seconds, 1e-9) },
    };
    if (flags.out) writeResultFile(flags.out, result);
    if (flags.json) {
      printJson(result);
      return;
    }
    const lines = [
      `model        ${flags.model} (${model.format}; noise batches through ${report.engine}${metrics.engineNote ? `: ${metrics.engineNote}` : ''})`,
      `data         ${dataset.spec} (${data.count} samples)`,
      `smoothing    σ = ${options.sigma}, n0 = ${options.n0}, n = ${options.n}, α = ${options.alpha} (L2; Cohen et al. 2019 CERTIFY)`,
      `abstained    ${(report.abstentionRate * 100).toFixed(1)}%`,
      `max radius   ${report.maxCertifiableRadius.toFixed(3)} (all n draws agreeing)`,
      '',
      'radius   certified accuracy',
      ...report.certifiedAccuracy.map((r) => `${r.radius.toFixed(3).padStart(6)}   ${(r.accuracy * 100).toFixed(1).padStart(5)}%`),
      '',
      `mean certified radius of correct samples ${report.meanCertifiedRadius.toFixed(3)}`,
      `time         ${report.seconds.toFixed(1)} s (${(report.forwardPasses / Math.max(report.seconds, 1e-9)).toFixed(0)} noisy forward passes/s)`,
    ];
    process.stdout.write(lines.join('\n') + '\n');
  } finally {
    classifier.dispose();
    model.dispose();
  }
}
