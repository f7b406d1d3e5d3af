/**
 * Parameter variability: retrain the same architecture K times on bootstrap resamples of the training data (or on
 * copies with seeded Gaussian input noise) through the public training loop, and measure how much the outcome
 * depends on the draw of the data:
 * - metrics: accuracy on the evaluation data per run, with mean, standard deviation, min and max;
 * - predictions: the mean pairwise flip rate (fraction of evaluation samples two runs classify differently) and
 *   the fraction of samples on which the runs do not all agree;
 * - weights: per layer, the mean over parameters of the standard deviation across runs, relative to the mean
 *   |weight|, and the mean pairwise relative L2 distance. Hidden units can be permuted without changing the
 *   function, so weight dispersion overstates functional change; read it together with the flip rate.
 *
 * References: Efron & Tibshirani 1993 (the bootstrap); D'Amour et al. 2020, "Underspecification Presents
 * Challenges for Credibility in Modern Machine Learning", https://arxiv.org/abs/2011.03395 (prediction churn).
 *
 * @example
 * const result = await parameterVariability({ train, evaluation: test, runs: 5, train: { arch: 'mlp', epochs: 15 } });
 * result.predictions.meanPairwiseFlipRate; // breast-cancer example: see docs/validate.md
 */
import { z } from 'zod';
import * as tfl from '@tensorflow/tfjs-layers';
import { tf } from '../../engine/tf.js';
import { createRandom } from '../../engine/random.js';
import type { Dataset } from '../../data/dataset.js';
import { loadAll } from '../../data/load-all.js';
import type { TrainOptions } from '../../harden/train.js';
import { RampartError } from '../../errors.js';
import { arrayDataset } from '../memory-dataset.js';
import { trainTabularClassifier } from '../tabular-training.js';

export const parameterVariabilityOptionsSchema = z
  .object({
    runs: z.number().int().min(2).max(100).default(5),
    /** bootstrap: resample the training rows with replacement; noise: add N(0, noise²) to every input value. */
    resample: z.enum(['bootstrap', 'noise']).default('bootstrap'),
    noise: z.number().positive().default(0.05),
    /** Training options of each run (architecture, epochs, ...); the seed is the base seed of every run. */
    training: z.record(z.unknown()).default({}),
    /** Also vary the weight-initialisation seed between runs (default: only the data varies). */
    varyInitialisation: z.boolean().default(false),
    seed: z.number().int().nonnegative().default(0),
  })
  .strict();
export type ParameterVariabilityOptions = z.input<typeof parameterVariabilityOptionsSchema>;

export interface Dispersion {
  mean: number;
  std: number;
  min: number;
  max: number;
}

export interface ParameterVariabilityResult {
  runs: number;
  resample: 'bootstrap' | 'noise';
  trainCount: number;
  evaluationCount: number;
  metrics: { accuracy: Dispersion; perRun: number[] };
  predictions: { meanPairwiseFlipRate: number; maxPairwiseFlipRate: number; unstableFraction: number };
  weights: { layer: string; parameters: number; meanStd: number; meanAbs: number; relativeStd: number; meanPairwiseRelativeDistance: number }[];
  seconds: number;
}

function dispersion(values: number[]): Dispersion {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const variance = values.reduce((a, v) => a + (v - mean) ** 2, 0) / Math.max(values.length - 1, 1);
  return { mean, std: Math.sqrt(variance), min: Math.min(...values), max: Math.max(...values) };
}

export async function parameterVariability(options: ParameterVariabilityOptions & { train: Dataset; evaluation: Dataset; onProgress?: (done: number, total: number) => void }): Promise<ParameterVariabilityResult> {
  const { train, evaluation, onProgress, ...rest } = options;
  const parsed = parameterVariabilityOptionsSchema.safeParse(rest);
  if (!parsed.success) {
    throw new RampartError('BAD_OPTION', `parameterVariability: invalid options: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'options'}: ${i.message}`).join('; ')}.`, {});
  }
  const config = parsed.data;
  const started = performance.now();
  const source = await loadAll(train);
  const target = await loadAll(evaluation);
  const shape = train.sampleShape;
  const size = shape.reduce((a, b) => a * b, 1);
  const random = createRandom(config.seed);
  const predictions: Int32Array[] = [];
  const accuracies: number[] = [];
  const weights: { name: string; values: Float32Array }[][] = [];
  for (let run = 0; run < config.runs; run++) {
    const draw = random.fork();
    let x = source.x;
    let y = source.y;
    if (config.resample === 'bootstrap') {
      const picks = Int32Array.from({ length: source.count }, () => draw.int(source.count));
      x = new Float32Array(source.count * size);
      y = new Int32Array(source.count);
      picks.forEach((p, k) => {
        x.set(source.x.subarray(p * size, (p + 1) * size), k * size);
        y[k] = source.y[p];
      });
    } else {
      x = Float32Array.from(source.x, (v) => Math.min(1, Math.max(0, v + config.noise * draw.normal())));
    }
    const training = config.training as TrainOptions;
    const seed = (training.seed ?? 0) + (config.varyInitialisation ? run : 0);
    const { model } = await trainTabularClassifier(arrayDataset(x, y, shape, train.numClasses, `${train.spec} (run ${run})`), { ...training, seed });
    try {
      const input = tf.tensor(target.x, [target.count, ...shape]);
      const logits = await model.logits(input);
      input.dispose();
      const classes = tf.argMax(logits, 1);
      logits.dispose();
      const predicted = Int32Array.from((await classes.data()) as Int32Array);
      classes.dispose();
      predictions.push(predicted);
      accuracies.push(predicted.reduce((a, p, i) => a + (p === target.y[i] ? 1 : 0), 0) / Math.max(target.count, 1));
      const layers = (model.layersModel as tfl.LayersModel).layers.filter((l) => l.countParams() > 0);
      weights.push(layers.map((l) => ({ name: l.name.replace(/_\d+$/, ''), values: Float32Array.from(l.getWeights().flatMap((t) => Array.from(t.dataSync() as Float32Array))) })));
    } finally {
      model.dispose();
    }
    onProgress?.(run + 1, config.runs);
  }
  let flipSum = 0;
  let flipMax = 0;
  let pairs = 0;
  for (let a = 0; a < config.runs; a++) {
    for (let b = a + 1; b < config.runs; b++) {
      let flips = 0;
      for (let i = 0; i < target.count; i++) if (predictions[a][i] !== predictions[b][i]) flips++;
      const rate = flips / Math.max(target.count, 1);
      flipSum += rate;
      flipMax = Math.max(flipMax, rate);
      pairs++;
    }
  }
  let unstable = 0;
  for (let i = 0; i < target.count; i++) if (predictions.some((p) => p[i] !== predictions[0][i])) unstable++;
  const layerStats = weights[0].map((layer, l) => {
    const count = layer.values.length;
    let stdSum = 0;
    let absSum = 0;
    for (let k = 0; k < count; k++) {
      let mean = 0;
      for (const run of weights) mean += run[l].values[k] / config.runs;
      let variance = 0;
      for (const run of weights) variance += (run[l].values[k] - mean) ** 2;
      stdSum += Math.sqrt(variance / Math.max(config.runs - 1, 1));
      absSum += Math.abs(mean);
    }
    let distanceSum = 0;
    let distancePairs = 0;
    for (let a = 0; a < config.runs; a++) {
      for (let b = a + 1; b < config.runs; b++) {
        let d = 0;
        let norm = 0;
        for (let k = 0; k < count; k++) {
          d += (weights[a][l].values[k] - weights[b][l].values[k]) ** 2;
          norm += weights[a][l].values[k] ** 2;
        }
        distanceSum += Math.sqrt(d) / Math.max(Math.sqrt(norm), 1e-12);
        distancePairs++;
      }
    }
    const meanStd = stdSum / count;
    const meanAbs = absSum / count;
    return { layer: `${l}:${layer.name}`, parameters: count, meanStd, meanAbs, relativeStd: meanStd / Math.max(meanAbs, 1e-12), meanPairwiseRelativeDistance: distanceSum / Math.max(distancePairs, 1) };
  });
  return {
    runs: config.runs,
    resample: config.resample,
    trainCount: source.count,
    evaluationCount: target.count,
    metrics: { accuracy: dispersion(accuracies), perRun: accuracies },
    predictions: { meanPairwiseFlipRate: flipSum / Math.max(pairs, 1), maxPairwiseFlipRate: flipMax, unstableFraction: unstable / Math.max(target.count, 1) },
    weights: layerStats,
    seconds: (performance.now() - started) / 1000,
  };
}
