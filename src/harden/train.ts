/**
 * Plain (non-adversarial) training of Rampart's reference architectures with tfjs-layers on the active
 * backend. Adam with an optional cosine learning-rate schedule, seeded shuffling and seeded random-shift
 * augmentation. Each epoch reports loss, training accuracy and (optionally) validation accuracy.
 */
import { z } from 'zod';
import { tf, type Tensor2D } from '../engine/tf.js';
import { createRandom, permutation, type Random } from '../engine/random.js';
import { TfjsModel } from '../engine/tfjs-model.js';
import type { Dataset } from '../data/dataset.js';
import { evaluateAccuracy } from '../metrics/accuracy.js';
import { architectureNames, buildArchitecture } from './architectures.js';
import { RampartError } from '../errors.js';

export const trainOptionsSchema = z.object({
  arch: z.enum(architectureNames as [string, ...string[]]).default('cnn'),
  epochs: z.number().int().min(1).max(10_000).default(10),
  batchSize: z.number().int().min(1).max(65_536).default(128),
  learningRate: z.number().positive().max(10).default(1e-3),
  seed: z.number().int().min(0).default(0),
  /** Learning-rate schedule: constant, or cosine decay from learningRate to 0 over all steps. */
  schedule: z.enum(['constant', 'cosine']).default('cosine'),
  /** Random translation of each training image by up to this many pixels (0 = off). */
  shiftPixels: z.number().int().min(0).max(8).default(2),
});
export type TrainOptions = z.input<typeof trainOptionsSchema>;

export interface EpochLog {
  epoch: number;
  loss: number;
  accuracy: number;
  learningRate: number;
  seconds: number;
  validationAccuracy?: number;
}

export interface TrainHooks {
  validation?: Dataset;
  onBatch?: (epoch: number, done: number, total: number) => void;
  onEpoch?: (log: EpochLog) => void;
}

export interface TrainResult {
  model: TfjsModel;
  history: EpochLog[];
  options: z.output<typeof trainOptionsSchema>;
}

/** Copies `image` (H×W×C) shifted by (dy, dx) pixels into `out`, filling uncovered pixels with 0. */
function shiftImage(image: Float32Array, out: Float32Array, h: number, w: number, c: number, dy: number, dx: number): void {
  out.fill(0);
  for (let y = 0; y < h; y++) {
    const sy = y - dy;
    if (sy < 0 || sy >= h) continue;
    for (let x = 0; x < w; x++) {
      const sx = x - dx;
      if (sx < 0 || sx >= w) continue;
      const to = (y * w + x) * c;
      const from = (sy * w + sx) * c;
      for (let k = 0; k < c; k++) out[to + k] = image[from + k];
    }
  }
}

async function collect(data: Dataset): Promise<{ x: Float32Array; y: Int32Array }> {
  const size = data.sampleShape.reduce((a, b) => a * b, 1);
  const x = new Float32Array(data.count * size);
  const y = new Int32Array(data.count);
  for await (const batch of data.batches(1024)) {
    x.set(batch.x, batch.start * size);
    y.set(batch.y, batch.start);
  }
  return { x, y };
}

function makeBatch(
  source: { x: Float32Array; y: Int32Array },
  indices: Int32Array,
  sampleShape: readonly number[],
  shiftPixels: number,
  random: Random,
): { x: Float32Array; y: Int32Array } {
  const size = sampleShape.reduce((a, b) => a * b, 1);
  const x = new Float32Array(indices.length * size);
  const y = new Int32Array(indices.length);
  const canShift = shiftPixels > 0 && sampleShape.length === 3;
  for (let i = 0; i < indices.length; i++) {
    const image = source.x.subarray(indices[i] * size, (indices[i] + 1) * size);
    if (canShift) {
      const dy = random.int(2 * shiftPixels + 1) - shiftPixels;
      const dx = random.int(2 * shiftPixels + 1) - shiftPixels;
      shiftImage(image, x.subarray(i * size, (i + 1) * size), sampleShape[0], sampleShape[1], sampleShape[2], dy, dx);
    } else {
      x.set(image, i * size);
    }
    y[i] = source.y[indices[i]];
  }
  return { x, y };
}

export async function trainClassifier(train: Dataset, rawOptions: TrainOptions, hooks: TrainHooks = {}): Promise<TrainResult> {
  const parsed = trainOptionsSchema.safeParse(rawOptions);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new RampartError('BAD_OPTION', `Invalid training options: ${issues}.`, { issues: parsed.error.issues });
  }
  const options = parsed.data;
  if (train.count === 0) throw new RampartError('DATA_SPEC', `Training data ${train.spec} is empty. Check --data, --offset and --limit.`, {});
  const numClasses = train.numClasses;
  const network = buildArchitecture(options.arch as 'mlp' | 'cnn', train.sampleShape, numClasses, options.seed);
  const optimizer = tf.train.adam(options.learningRate);
  const variables = network.trainableWeights.map((w) => w.read() as tf.Variable);
  const source = await collect(train);
  const random = createRandom(options.seed + 1);
  const stepsPerEpoch = Math.ceil(train.count / options.batchSize);
  const totalSteps = stepsPerEpoch * options.epochs;
  const history: EpochLog[] = [];
  let step = 0;
  const model = TfjsModel.fromLayersModel(network, { id: `rampart-${options.arch}` });
  for (let epoch = 1; epoch <= options.epochs; epoch++) {
    const started = performance.now();
    const order = permutation(train.count, random);
    let lossSum = 0;
    let correct = 0;
    let learningRate = options.learningRate;
    for (let b = 0; b < stepsPerEpoch; b++) {
      const indices = order.subarray(b * options.batchSize, Math.min(train.count, (b + 1) * options.batchSize));
      const batch = makeBatch(source, indices, train.sampleShape, options.shiftPixels, random);
      learningRate =
        options.schedule === 'cosine' ? 0.5 * options.learningRate * (1 + Math.cos((Math.PI * step) / totalSteps)) : options.learningRate;
      // Adam reads its learning rate on every step; the field is protected in the typings only.
      (optimizer as unknown as { learningRate: number }).learningRate = learningRate;
      const { lossValue, predictions } = tf.tidy(() => {
        const xs = tf.tensor(batch.x, [indices.length, ...train.sampleShape]);
        const labels = tf.oneHot(tf.tensor1d(batch.y, 'int32'), numClasses);
        let logits: Tensor2D | undefined;
        const loss = optimizer.minimize(
          () => {
            const out = network.apply(xs, { training: true }) as Tensor2D;
            logits = tf.keep(out);
            return tf.losses.softmaxCrossEntropy(labels, out) as tf.Scalar;
          },
          true,
          variables,
        ) as tf.Scalar;
        return { lossValue: loss, predictions: tf.argMax(logits as Tensor2D, 1) };
      });
      const [lossNumber] = await lossValue.data();
      const predicted = (await predictions.data()) as Int32Array;
      tf.dispose([lossValue, predictions]);
      lossSum += lossNumber * indices.length;
      for (let i = 0; i < indices.length; i++) if (predicted[i] === batch.y[i]) correct++;
      step++;
      hooks.onBatch?.(epoch, Math.min(train.count, (b + 1) * options.batchSize), train.count);
    }
    const log: EpochLog = {
      epoch,
      loss: lossSum / train.count,
      accuracy: correct / train.count,
      learningRate,
      seconds: (performance.now() - started) / 1000,
    };
    if (hooks.validation) log.validationAccuracy = (await evaluateAccuracy(model, hooks.validation)).accuracy;
    history.push(log);
    hooks.onEpoch?.(log);
  }
  optimizer.dispose();
  return { model, history, options };
}

