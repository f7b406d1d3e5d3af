/**
 * The binarization test: does the attack find an adversarial example when one is known to exist?
 *
 * Per correctly classified sample x: draw inner points uniformly within η·ε of x (and keep x itself), and boundary
 * points on the ε-sphere (corners of the ε-cube for L∞), clipped to the input bounds; extract the model's
 * penultimate features; fit a new linear readout (logistic regression) that puts x and every inner point on the
 * "original" side and the boundary points on the "adversarial" side (a sample whose points it cannot separate
 * perfectly is a setup failure, skipped and counted); rescale the readout so its margins span 1 ("fixed"
 * rescaling, so gradients neither vanish nor explode); and run the UNCHANGED attack (same id, same options)
 * against the binarized two-class model, logits = [−m/2, m/2] with m = readout(features(x)). By construction an
 * adversarial example exists inside the ε-ball (the boundary points), so an attack that is strong enough for the
 * defence should find it: the test passes when the attack succeeds on at least `threshold` of the tested
 * samples. The random-boundary success rate (fresh boundary points that the readout puts on the adversarial side
 * by chance) tells how easy the binarized task is without any attack.
 *
 * Paper: Zimmermann, Brendel, Tramèr & Carlini, "Increasing Confidence in Adversarial Robustness Evaluations",
 * NeurIPS 2022, https://arxiv.org/abs/2206.13991 (reference code: google-research/active-adversarial-tests).
 * Norms: linf (boundary points at corners), l2 (on the sphere; clipping to bounds may pull them inside).
 * Knowledge: penultimate features (TF.js LayersModel with a last Dense layer, ONNX graph with a last Gemm/MatMul);
 * the attack gets gradients of the binarized model (tfjs), so any registered attack runs unchanged.
 *
 * @example
 * const result = await binarizationTest({ model, data, attack: 'pgd', attackOptions: { steps: 40 }, epsilon: 0.1 });
 * result.testSuccessRate; // builtin:mnist-cnn, 10 digits: 1 → passed (see docs/validate.md)
 */
import { z } from 'zod';
import { tf, type Tensor, type Tensor1D, type Tensor2D } from '../engine/tf.js';
import { createRandom, type Random } from '../engine/random.js';
import type { LossName } from '../engine/losses.js';
import { tfjsLossAndGradient } from '../engine/autodiff.js';
import type { DifferentiableModel, LossAndGradient, Model } from '../engine/model.js';
import type { Dataset } from '../data/dataset.js';
import { checkDataFitsModel } from '../metrics/accuracy.js';
import { attackBatch, mixSeed } from '../attacks/harness.js';
import { attackRegistry } from '../attacks/builtin.js';
import { RampartError } from '../errors.js';
import { featureExtractor, type FeatureFunction } from './features.js';
import { fitLogisticRegression, logisticMargins } from './logistic.js';

export const binarizationOptionsSchema = z
  .object({
    /** Attack id from the registry, run unchanged against the binarized model. */
    attack: z.string().min(1),
    /** The attack's options, exactly as in the evaluation being checked. */
    attackOptions: z.record(z.unknown()).default({}),
    norm: z.enum(['linf', 'l2']).default('linf'),
    /**
     * L∞ boundary points: corners of the ε-cube (the issue's choice), or uniform points of the cube scaled so their
     * L∞ norm is ε ('sphere', the reference code's default: harder for random points, see docs/validate.md).
     */
    boundary: z.enum(['corners', 'sphere']).default('corners'),
    epsilon: z.number().positive().finite(),
    /** Inner points lie within η·ε of the sample (the gap to the boundary is (1 − η)·ε). */
    eta: z.number().gt(0).lt(1).default(0.95),
    /** Random inner points per sample (the clean sample is added to them). */
    innerPoints: z.number().int().min(1).max(10_000).default(99),
    /** Boundary points per sample (labelled adversarial). */
    boundaryPoints: z.number().int().min(1).max(1_000).default(1),
    /** Fresh boundary points per sample for the random-boundary success rate (0 = skip). */
    evaluationPoints: z.number().int().min(0).max(10_000).default(100),
    /** Pass when the attack succeeds on at least this fraction of the tested samples. */
    threshold: z.number().min(0).max(1).default(0.95),
    /** Test at most this many correctly classified samples. */
    limit: z.number().int().positive().optional(),
    seed: z.number().int().nonnegative().default(0),
    /** Adam iterations of the logistic-regression readout. */
    fitIterations: z.number().int().positive().default(3000),
    /** Samples per feature-extraction batch. */
    batchSize: z.number().int().positive().default(128),
  })
  .strict();
export type BinarizationOptions = z.input<typeof binarizationOptionsSchema>;
export type BinarizationConfig = z.output<typeof binarizationOptionsSchema>;

export type BinarizationSampleStatus = 'tested' | 'setup-failed' | 'misclassified';

export interface BinarizationSample {
  /** Index in the data set. */
  index: number;
  label: number;
  status: BinarizationSampleStatus;
  /** Why the setup failed (setup-failed only). */
  reason?: string;
  /** Verified success of the attack on the binarized model (tested only). */
  attackSucceeded?: boolean;
  /** Fraction of fresh boundary points the readout calls adversarial (tested only). */
  randomBoundarySuccess?: number;
  /** Readout iterations to perfect separation. */
  fitIterations?: number;
}

export interface BinarizationResult {
  attack: { id: string; params: unknown };
  threat: { norm: 'linf' | 'l2'; epsilon: number; bounds: [number, number] };
  settings: Omit<BinarizationConfig, 'attack' | 'attackOptions'>;
  featureLayer: string;
  /** Samples looked at (the data, or the first `limit` correct ones and the misclassified ones before them). */
  considered: number;
  misclassified: number;
  tested: number;
  setupFailures: number;
  successes: number;
  /** Attack success rate on the binarized models (null when no sample could be tested). */
  testSuccessRate: number | null;
  /** Mean over tested samples of the fraction of fresh boundary points that are adversarial by chance. */
  randomBoundarySuccessRate: number | null;
  threshold: number;
  passed: boolean;
  samples: BinarizationSample[];
  seconds: number;
}

/** A fitted per-sample readout: logits = [−m/2, m/2], m = w·features + b. */
interface Readout {
  weights: Float32Array;
  bias: number;
}

/**
 * The binarized model: the original's penultimate features followed by a two-class linear readout. White-box
 * through tfjs (the features are differentiable), so every attack of the registry can run on it.
 */
export function binarizedModel(base: Model, features: FeatureFunction, readout: Readout, id = `${base.id}#binarized`): DifferentiableModel {
  const logitsSync = (x: Tensor): Tensor2D =>
    tf.tidy(() => {
      const f = features.extract(x);
      const m = tf.add(tf.matMul(f, tf.tensor2d(readout.weights, [readout.weights.length, 1])), readout.bias);
      const half = tf.mul(m, 0.5);
      return tf.concat([tf.neg(half), half], 1) as Tensor2D;
    });
  const lossAndGradientSync = (x: Tensor, labels: Tensor1D, loss: LossName = 'cross-entropy', targets?: Tensor1D): LossAndGradient =>
    tfjsLossAndGradient(logitsSync, x, labels, loss, targets);
  return {
    id,
    format: base.format,
    inputShape: base.inputShape,
    numClasses: 2,
    bounds: base.bounds,
    logits: async (x) => logitsSync(x),
    logitsSync,
    lossAndGradient: async (x, labels, loss, targets) => lossAndGradientSync(x, labels, loss, targets),
    lossAndGradientSync,
    dispose: () => undefined,
  };
}

/** `count` points uniformly within radius r of x (L∞ cube or L2 ball), clipped to bounds; row-major. */
export function sampleInnerPoints(x: Float32Array, count: number, norm: 'linf' | 'l2', radius: number, bounds: readonly [number, number], random: Random): Float32Array {
  const d = x.length;
  const out = new Float32Array(count * d);
  for (let k = 0; k < count; k++) {
    const row = out.subarray(k * d, (k + 1) * d);
    if (norm === 'linf') {
      for (let j = 0; j < d; j++) row[j] = x[j] + (2 * random.next() - 1) * radius;
    } else {
      const g = new Float64Array(d);
      let s = 0;
      for (let j = 0; j < d; j++) {
        g[j] = random.normal();
        s += g[j] * g[j];
      }
      // uniform in the ball: direction uniform, radius ∝ u^(1/d)
      const r = (radius * Math.pow(random.next(), 1 / d)) / Math.sqrt(s);
      for (let j = 0; j < d; j++) row[j] = x[j] + g[j] * r;
    }
    clip(row, bounds);
  }
  return out;
}

/** `count` points on the ε-sphere around x (corners of the cube for L∞), clipped to bounds; row-major. */
export function sampleBoundaryPoints(
  x: Float32Array,
  count: number,
  norm: 'linf' | 'l2',
  epsilon: number,
  bounds: readonly [number, number],
  random: Random,
  kind: 'corners' | 'sphere' = 'corners',
): Float32Array {
  const d = x.length;
  const out = new Float32Array(count * d);
  for (let k = 0; k < count; k++) {
    const row = out.subarray(k * d, (k + 1) * d);
    if (norm === 'linf' && kind === 'corners') {
      for (let j = 0; j < d; j++) row[j] = x[j] + (random.next() < 0.5 ? -epsilon : epsilon);
    } else if (norm === 'linf') {
      const delta = Float64Array.from({ length: d }, () => 2 * random.next() - 1);
      const top = delta.reduce((m, v) => Math.max(m, Math.abs(v)), 0) || 1;
      for (let j = 0; j < d; j++) row[j] = x[j] + (delta[j] * epsilon) / top;
    } else {
      const g = new Float64Array(d);
      let s = 0;
      for (let j = 0; j < d; j++) {
        g[j] = random.normal();
        s += g[j] * g[j];
      }
      const r = epsilon / Math.sqrt(s);
      for (let j = 0; j < d; j++) row[j] = x[j] + g[j] * r;
    }
    clip(row, bounds);
  }
  return out;
}

function clip(row: Float32Array, bounds: readonly [number, number]): void {
  for (let j = 0; j < row.length; j++) row[j] = Math.min(bounds[1], Math.max(bounds[0], row[j]));
}

/** Features of row-major samples as Float64 [n, dim]. */
async function featuresOf(features: FeatureFunction, rows: Float32Array, sampleShape: readonly number[], batchSize: number): Promise<{ values: Float64Array; dim: number }> {
  const size = sampleShape.reduce((a, b) => a * b, 1);
  const n = rows.length / size;
  let values = new Float64Array(0);
  let dim = 0;
  for (let start = 0; start < n; start += batchSize) {
    const count = Math.min(batchSize, n - start);
    const f = tf.tidy(() => features.extract(tf.tensor(rows.subarray(start * size, (start + count) * size), [count, ...sampleShape])));
    const data = (await f.data()) as Float32Array;
    if (start === 0) {
      dim = f.shape[1];
      values = new Float64Array(n * dim);
    }
    f.dispose();
    values.set(data, start * dim);
  }
  return { values, dim };
}

function parseOptions(options: BinarizationOptions): BinarizationConfig {
  const parsed = binarizationOptionsSchema.safeParse(options);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || 'options'}: ${i.message}`).join('; ');
    throw new RampartError('BAD_OPTION', `binarizationTest: invalid options: ${issues}.`, { issues: parsed.error.issues });
  }
  return parsed.data;
}

/** Runs the binarization test of an attack on a model over a data set. */
export async function binarizationTest(options: BinarizationOptions & { model: Model; data: Dataset; onProgress?: (done: number, total: number) => void }): Promise<BinarizationResult> {
  const { model, data, onProgress, ...rest } = options;
  const config = parseOptions(rest);
  const started = performance.now();
  if (!attackRegistry.has(config.attack)) {
    throw new RampartError('BAD_OPTION', `binarizationTest: unknown attack "${config.attack}". Available attacks: ${attackRegistry.ids().join(', ')}.`, {});
  }
  const definition = attackRegistry.get(config.attack);
  if (!definition.norms.includes(config.norm)) {
    throw new RampartError('BAD_OPTION', `binarizationTest: attack "${config.attack}" does not support the ${config.norm} norm (it supports ${definition.norms.join(', ')}).`, {});
  }
  const attackParams = definition.options.safeParse(config.attackOptions);
  if (!attackParams.success) {
    const issues = attackParams.error.issues.map((i: z.ZodIssue) => `${i.path.join('.') || 'options'}: ${i.message}`).join('; ');
    throw new RampartError('BAD_OPTION', `binarizationTest: invalid options for attack "${config.attack}": ${issues}.`, {});
  }
  checkDataFitsModel(model, data);
  const features = featureExtractor(model);
  const bounds: [number, number] = [model.bounds[0], model.bounds[1]];
  const shape = data.sampleShape;
  const size = shape.reduce((a, b) => a * b, 1);
  const samples: BinarizationSample[] = [];
  const total = Math.min(data.count, config.limit ?? data.count);
  let tested = 0; // correct samples taken (tested or setup-failed)
  try {
    outer: for await (const batch of data.batches(config.batchSize)) {
      const input = tf.tensor(batch.x, [batch.count, ...shape]);
      const logits = await model.logits(input);
      input.dispose();
      const classes = tf.argMax(logits, 1);
      logits.dispose();
      const predicted = (await classes.data()) as Int32Array;
      classes.dispose();
      for (let i = 0; i < batch.count; i++) {
        if (config.limit !== undefined && tested >= config.limit) break outer;
        const index = batch.start + i;
        const label = batch.y[i];
        if (predicted[i] !== label) {
          samples.push({ index, label, status: 'misclassified' });
          continue;
        }
        const x = batch.x.slice(i * size, (i + 1) * size);
        samples.push(await testOne(index, label, x));
        tested++;
        onProgress?.(tested, total);
      }
    }
  } finally {
    features.dispose();
  }

  async function testOne(index: number, label: number, x: Float32Array): Promise<BinarizationSample> {
    const random = createRandom(mixSeed(config.seed, index));
    const inner = sampleInnerPoints(x, config.innerPoints, config.norm, config.eta * config.epsilon, bounds, random);
    const boundary = sampleBoundaryPoints(x, config.boundaryPoints, config.norm, config.epsilon, bounds, random, config.boundary);
    const nInner = config.innerPoints + 1;
    const nTrain = nInner + config.boundaryPoints;
    const rows = new Float32Array(nTrain * size);
    rows.set(x, 0);
    rows.set(inner, size);
    rows.set(boundary, nInner * size);
    const { values, dim } = await featuresOf(features, rows, shape, config.batchSize);
    const labels = Uint8Array.from({ length: nTrain }, (_, k) => (k >= nInner ? 1 : 0));
    const fit = fitLogisticRegression(values, labels, dim, { maxIterations: config.fitIterations });
    if (!fit.separated) {
      return { index, label, status: 'setup-failed', reason: `the readout could not separate the ${nInner} inner points from the ${config.boundaryPoints} boundary point(s) in ${config.fitIterations} iterations`, fitIterations: fit.iterations };
    }
    // "fixed" rescaling: the readout's margins over the training points span 1
    let low = Infinity;
    let high = -Infinity;
    for (const m of fit.margins) {
      low = Math.min(low, m);
      high = Math.max(high, m);
    }
    const range = high - low;
    const readout: Readout = { weights: Float32Array.from(fit.weights, (w) => w / range), bias: fit.bias / range };
    const binarized = binarizedModel(model, features, readout, `${model.id}#binarized[${index}]`);
    // The float32 path must agree with the fit: clean on the original side, boundary points adversarial.
    const check = tf.tidy(() => binarized.logitsSync(tf.tensor(rows, [nTrain, ...shape])));
    const checkValues = (await check.data()) as Float32Array;
    check.dispose();
    for (let k = 0; k < nTrain; k++) {
      const adversarialSide = checkValues[k * 2 + 1] > checkValues[k * 2];
      if (adversarialSide !== (labels[k] === 1)) {
        return { index, label, status: 'setup-failed', reason: `the float32 readout puts training point ${k} on the wrong side (margin ${(checkValues[k * 2 + 1] - checkValues[k * 2]).toExponential(2)})`, fitIterations: fit.iterations };
      }
    }
    let randomBoundarySuccess: number | undefined;
    if (config.evaluationPoints > 0) {
      const fresh = sampleBoundaryPoints(x, config.evaluationPoints, config.norm, config.epsilon, bounds, random, config.boundary);
      const freshFeatures = await featuresOf(features, fresh, shape, config.batchSize);
      const margins = logisticMargins(freshFeatures.values, freshFeatures.dim, readout.weights, readout.bias);
      randomBoundarySuccess = margins.reduce((c, m) => c + (m > 0 ? 1 : 0), 0) / margins.length;
    }
    const clean = tf.tensor(x, [1, ...shape]);
    try {
      const outcome = await attackBatch({
        model: binarized,
        attack: config.attack,
        options: config.attackOptions,
        x: clean,
        labels: Int32Array.of(0),
        threat: { norm: config.norm, epsilon: config.epsilon, bounds },
        seed: mixSeed(config.seed, index, 0xb1),
      });
      outcome.xAdv.dispose();
      return { index, label, status: 'tested', attackSucceeded: outcome.success[0] === 1, randomBoundarySuccess, fitIterations: fit.iterations };
    } finally {
      clean.dispose();
    }
  }

  const testedSamples = samples.filter((s) => s.status === 'tested');
  const successes = testedSamples.filter((s) => s.attackSucceeded).length;
  const withRandom = testedSamples.filter((s) => s.randomBoundarySuccess !== undefined);
  const testSuccessRate = testedSamples.length ? successes / testedSamples.length : null;
  const { attack, attackOptions, ...settings } = config;
  void attack;
  void attackOptions;
  return {
    attack: { id: config.attack, params: attackParams.data },
    threat: { norm: config.norm, epsilon: config.epsilon, bounds },
    settings,
    featureLayer: features.layer,
    considered: samples.length,
    misclassified: samples.filter((s) => s.status === 'misclassified').length,
    tested: testedSamples.length,
    setupFailures: samples.filter((s) => s.status === 'setup-failed').length,
    successes,
    testSuccessRate,
    randomBoundarySuccessRate: withRandom.length ? withRandom.reduce((a, s) => a + (s.randomBoundarySuccess as number), 0) / withRandom.length : null,
    threshold: config.threshold,
    passed: testSuccessRate !== null && testSuccessRate >= config.threshold,
    samples,
    seconds: (performance.now() - started) / 1000,
  };
}
