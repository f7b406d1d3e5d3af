/**
 * Corruption benchmark: accuracy and error of a model under every corruption × severity of a suite, per family
 * and on average, with the corruption error (CE), mean CE (mCE) and relative mCE normalised by a baseline model,
 * and a robustness score per corruption.
 *
 * Definitions (Hendrycks & Dietterich 2019, "Benchmarking Neural Network Robustness to Common Corruptions and
 * Perturbations", https://arxiv.org/abs/1903.12261), E the top-1 error, f the model, b the baseline:
 * - CE_c = Σ_s E^f_{s,c} / Σ_s E^b_{s,c}; mCE = mean_c CE_c.
 * - relative CE_c = Σ_s (E^f_{s,c} − E^f_clean) / Σ_s (E^b_{s,c} − E^b_clean); relative mCE = mean_c.
 * - robustness score_c = mean_s accuracy_{s,c} / clean accuracy (1 = unaffected; MNIST-C style, Mu & Gilmer 2019,
 *   https://arxiv.org/abs/1906.02337, reports the error per corruption at its one benchmark severity).
 * A ratio whose denominator is 0 is reported as null. The identity corruption is evaluated but left out of the
 * means. Each image is corrupted once (seeded per corruption and severity) and both models see the same images.
 *
 * Knowledge: black-box (predictions only).
 *
 * @example
 * const result = await corruptionBenchmark(model, data, corruptionRegistry.listBySuite('mnist-c'), { baseline, suite: 'mnist-c' });
 * console.log(result.meanError, result.mCE);
 */
import type { Model } from '../engine/model.js';
import { createRandom, type Random } from '../engine/random.js';
import { RampartError } from '../errors.js';
import { argmaxRows } from './accuracy.js';
import { collectLogits } from './calibration.js';

/** The part of a corruption definition the benchmark uses (see `src/corruptions/define.ts`). */
export interface BenchmarkCorruption {
  readonly id: string;
  readonly family: string;
  readonly graded: boolean;
  readonly mnistcSeverity?: number;
  apply(image: Float32Array, shape: readonly [number, number, number], severity: number, random: Random): Float32Array;
}

export interface BenchmarkData {
  x: Float32Array;
  y: Int32Array;
  count: number;
  sampleShape: readonly number[];
}

export interface CorruptionBenchmarkOptions {
  suite?: 'mnist-c' | 'common';
  /** Severities to run; default: each corruption's MNIST-C severity for 'mnist-c', 1..5 for 'common'. */
  severities?: readonly number[];
  /** Baseline model for CE/mCE; none → those fields are null. */
  baseline?: Model;
  seed?: number;
  batchSize?: number;
  onProgress?: (done: number, total: number, id: string) => void;
}

export interface SeverityResult {
  severity: number;
  accuracy: number;
  error: number;
  baselineError: number | null;
}

export interface CorruptionResult {
  id: string;
  family: string;
  severities: SeverityResult[];
  meanAccuracy: number;
  meanError: number;
  /** Mean corrupted accuracy / clean accuracy. */
  robustnessScore: number | null;
  ce: number | null;
  relativeCe: number | null;
}

export interface CorruptionBenchmarkResult {
  suite: string | null;
  count: number;
  seed: number;
  clean: { accuracy: number; error: number; baselineError: number | null };
  corruptions: CorruptionResult[];
  families: { family: string; meanError: number; corruptions: string[] }[];
  /** Means over corruptions other than identity. */
  meanAccuracy: number;
  meanError: number;
  /** Means over the corruptions whose CE (relative CE) is defined; the others are listed below. */
  mCE: number | null;
  relativeMCE: number | null;
  /** Corruptions left out of mCE / relative mCE because the baseline's denominator is 0. */
  undefinedCe: string[];
  undefinedRelativeCe: string[];
  baseline: string | null;
  definitions: string;
}

function errorOf(predicted: Int32Array, labels: Int32Array): number {
  let wrong = 0;
  for (let i = 0; i < labels.length; i++) if (predicted[i] !== labels[i]) wrong++;
  return labels.length ? wrong / labels.length : 0;
}

async function errorRate(model: Model, x: Float32Array, data: BenchmarkData, batchSize: number): Promise<number> {
  const logits = await collectLogits(model, x, data.count, data.sampleShape, batchSize);
  return errorOf(argmaxRows(logits.values, logits.rows, logits.cols), data.y);
}

function seedFor(seed: number, id: string, severity: number): number {
  let h = (seed ^ 0x9e3779b9) >>> 0;
  for (const ch of `${id}#${severity}`) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193) >>> 0;
  return h;
}

/** Corrupts every image of `data` with one corruption at one severity (seeded by seed, id and severity). */
export function corruptAll(corruption: BenchmarkCorruption, data: BenchmarkData, severity: number, seed: number): Float32Array {
  const shape = data.sampleShape;
  if (shape.length !== 3) {
    throw new RampartError('DATA_SHAPE_MISMATCH', `Corruptions need image data [H, W, C]; ${data.count} samples have shape [${shape.join(', ')}]. Use an image data set.`);
  }
  const size = shape[0] * shape[1] * shape[2];
  const out = new Float32Array(data.count * size);
  const random = createRandom(seedFor(seed, corruption.id, severity));
  for (let i = 0; i < data.count; i++) {
    out.set(corruption.apply(data.x.subarray(i * size, (i + 1) * size), shape as [number, number, number], severity, random), i * size);
  }
  return out;
}

const mean = (values: number[]) => (values.length ? values.reduce((a, b) => a + b, 0) / values.length : 0);

/** Runs the benchmark; see the file header for the definitions. */
export async function corruptionBenchmark(
  model: Model,
  data: BenchmarkData,
  corruptions: readonly BenchmarkCorruption[],
  options: CorruptionBenchmarkOptions = {},
): Promise<CorruptionBenchmarkResult> {
  if (corruptions.length === 0) throw new RampartError('BAD_OPTION', 'The corruption benchmark needs at least one corruption; check --suite.');
  if (data.count === 0) throw new RampartError('BAD_OPTION', 'The corruption benchmark needs at least one sample; check --data and --limit.');
  for (const s of options.severities ?? []) {
    if (!Number.isInteger(s) || s < 1 || s > 5) throw new RampartError('BAD_OPTION', `Severity must be an integer 1..5; got ${s}.`);
  }
  const seed = options.seed ?? 0;
  const batchSize = options.batchSize ?? 256;
  const baseline = options.baseline;
  const cleanError = await errorRate(model, data.x, data, batchSize);
  const baselineClean = baseline ? await errorRate(baseline, data.x, data, batchSize) : null;
  const plan = corruptions.map((c) => {
    let severities: readonly number[];
    if (options.severities) severities = options.severities;
    else if (options.suite === 'mnist-c') severities = [c.mnistcSeverity ?? 1];
    else severities = [1, 2, 3, 4, 5];
    // Ungraded corruptions (fixed overlays) give the same image at every severity: run one.
    if (!c.graded) severities = severities.slice(0, 1);
    return { c, severities };
  });
  const total = plan.reduce((a, p) => a + p.severities.length, 0);
  let done = 0;
  const results: CorruptionResult[] = [];
  for (const { c, severities } of plan) {
    const rows: SeverityResult[] = [];
    for (const severity of severities) {
      const corrupted = corruptAll(c, data, severity, seed);
      const error = await errorRate(model, corrupted, data, batchSize);
      const baselineError = baseline ? await errorRate(baseline, corrupted, data, batchSize) : null;
      rows.push({ severity, accuracy: 1 - error, error, baselineError });
      options.onProgress?.(++done, total, c.id);
    }
    const sumError = rows.reduce((a, r) => a + r.error, 0);
    let ce: number | null = null;
    let relativeCe: number | null = null;
    if (baseline) {
      const sumBase = rows.reduce((a, r) => a + (r.baselineError ?? 0), 0);
      ce = sumBase > 0 ? sumError / sumBase : null;
      const relBase = rows.reduce((a, r) => a + (r.baselineError ?? 0) - (baselineClean ?? 0), 0);
      const relModel = rows.reduce((a, r) => a + r.error - cleanError, 0);
      relativeCe = relBase !== 0 ? relModel / relBase : null;
    }
    const meanAccuracy = mean(rows.map((r) => r.accuracy));
    results.push({
      id: c.id,
      family: c.family,
      severities: rows,
      meanAccuracy,
      meanError: 1 - meanAccuracy,
      robustnessScore: cleanError < 1 ? meanAccuracy / (1 - cleanError) : null,
      ce,
      relativeCe,
    });
  }
  const scored = results.filter((r) => r.id !== 'identity');
  const familyNames = [...new Set(scored.map((r) => r.family))];
  const ces = scored.map((r) => r.ce);
  const relCes = scored.map((r) => r.relativeCe);
  return {
    suite: options.suite ?? null,
    count: data.count,
    seed,
    clean: { accuracy: 1 - cleanError, error: cleanError, baselineError: baselineClean },
    corruptions: results,
    families: familyNames.map((family) => {
      const members = scored.filter((r) => r.family === family);
      return { family, meanError: mean(members.map((r) => r.meanError)), corruptions: members.map((r) => r.id) };
    }),
    meanAccuracy: mean(scored.map((r) => r.meanAccuracy)),
    meanError: mean(scored.map((r) => r.meanError)),
    mCE: baseline && ces.some((v) => v !== null) ? mean(ces.filter((v): v is number => v !== null)) : null,
    relativeMCE: baseline && relCes.some((v) => v !== null) ? mean(relCes.filter((v): v is number => v !== null)) : null,
    undefinedCe: baseline ? scored.filter((r) => r.ce === null).map((r) => r.id) : [],
    undefinedRelativeCe: baseline ? scored.filter((r) => r.relativeCe === null).map((r) => r.id) : [],
    baseline: baseline?.id ?? null,
    definitions:
      'CE_c = Σ_s E_model / Σ_s E_baseline; relative CE_c = Σ_s (E_model − E_model,clean) / Σ_s (E_baseline − E_baseline,clean); mCE and relative mCE are means over corruptions (identity excluded) whose denominator is not 0 (the others are listed in undefinedCe / undefinedRelativeCe); robustness score = mean corrupted accuracy / clean accuracy',
  };
}
