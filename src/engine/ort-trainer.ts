/**
 * Weight training through ONNX Runtime: the backward graph of `onnx-grad/` with every trainable initializer
 * turned into a graph input, fed each step; ONNX Runtime returns dLoss/dW for the mean loss of the batch and
 * the optimizer (SGD with momentum, or Adam as tfjs and PyTorch define it) updates host Float32Arrays in place.
 *
 * Works on any ONNX model whose path has backward rules; `createOrtTrainerForLayersModel` exports a TF.js
 * LayersModel first and `copyWeightsToLayersModel` writes the trained weights back (Dense and Conv2D kernels,
 * re-laid out from ONNX's OIHW to TF.js's HWIO).
 *
 * @example
 * const trainer = await createOrtTrainerForLayersModel(model, { optimizer: 'adam', learningRate: 1e-3 });
 * for (const batch of batches) await trainer.step(batch.x, batch.labels, batch.count); // x NHWC floats
 * copyWeightsToLayersModel(trainer, model);
 */
import { z } from 'zod';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { tf } from './tf.js';
import { RampartError } from '../errors.js';
import { lossNames, type LossName } from './losses.js';
import { exportToOnnx } from './export-onnx.js';
import { parseOnnx } from './onnx/graph.js';
import { buildBackwardGraph } from './onnx-grad/generate.js';
import { createOrtGradientSession, oneHotRows, type OrtGradientSession } from './ort-gradient.js';

export const ortTrainerOptionsSchema = z
  .object({
    optimizer: z.enum(['sgd', 'adam']).default('adam'),
    learningRate: z.number().positive().max(10).default(1e-3),
    /** SGD momentum (0 = plain SGD). */
    momentum: z.number().min(0).max(1).default(0.9),
    beta1: z.number().min(0).max(1).default(0.9),
    beta2: z.number().min(0).max(1).default(0.999),
    /** Adam's ε (tfjs' default 1e-7; PyTorch uses 1e-8). */
    epsilon: z.number().positive().default(1e-7),
    loss: z.enum(lossNames as [LossName, ...LossName[]]).default('cross-entropy'),
    /** Weights to train: 'all' (every weight of a layer with a backward rule) or initializer names. */
    trainable: z.union([z.literal('all'), z.array(z.string()).min(1)]).default('all'),
    /** ONNX Runtime intra-op threads. */
    threads: z.number().int().positive().default(1),
  })
  .strict();
export type OrtTrainerOptions = z.input<typeof ortTrainerOptionsSchema>;

export interface OrtTrainer {
  /** Current weights by initializer name (updated in place by `step`). */
  readonly weights: ReadonlyMap<string, Float32Array>;
  /** One optimizer step on the mean loss of `count` samples (model layout); returns the mean loss. */
  step(x: Float32Array, labels: ArrayLike<number>, count: number): Promise<{ loss: number }>;
  /** Mean-loss gradients without updating (for checks). */
  gradients(x: Float32Array, labels: ArrayLike<number>, count: number): Promise<Map<string, Float32Array>>;
  setLearningRate(learningRate: number): void;
  readonly steps: number;
  release(): Promise<void>;
}

export async function createOrtTrainer(bytes: Uint8Array, options: OrtTrainerOptions = {}, source = 'ONNX model'): Promise<OrtTrainer> {
  const parsed = ortTrainerOptionsSchema.safeParse(options);
  if (!parsed.success) {
    throw new RampartError(
      'BAD_OPTION',
      `createOrtTrainer: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'options'}: ${i.message}`).join('; ')}.`,
      { issues: parsed.error.issues },
    );
  }
  const opts = parsed.data;
  const graph = parseOnnx(bytes, source);
  const backward = buildBackwardGraph({ bytes, graph }, { loss: opts.loss, inputGradient: false, trainable: opts.trainable });
  if (backward.parameters.length === 0) throw new RampartError('BAD_OPTION', `createOrtTrainer: ${source} has no trainable weights.`);
  const session: OrtGradientSession = await createOrtGradientSession(backward, { threads: opts.threads });
  const weights = new Map<string, Float32Array>(backward.parameters.map((p) => [p.name, Float32Array.from(p.initial)]));
  const first = new Map<string, Float32Array>(backward.parameters.map((p) => [p.name, new Float32Array(p.initial.length)]));
  const second = new Map<string, Float32Array>(
    opts.optimizer === 'adam' ? backward.parameters.map((p) => [p.name, new Float32Array(p.initial.length)]) : [],
  );
  let learningRate = opts.learningRate;
  let steps = 0;
  const perSample = backward.sampleDims.reduce((a, b) => a * b, 1);

  const run = async (x: Float32Array, labels: ArrayLike<number>, count: number) => {
    if (count < 1 || x.length !== count * perSample || labels.length !== count) {
      throw new RampartError(
        'DATA_SHAPE_MISMATCH',
        `OrtTrainer: ${count} samples need ${count * perSample} input values and ${count} labels (got ${x.length} and ${labels.length}).`,
      );
    }
    const oneHot = oneHotRows(labels, backward.numClasses, 'OrtTrainer.step');
    return session.run(x, count, oneHot, new Float32Array(count).fill(1 / count), weights);
  };

  return {
    weights,
    get steps() {
      return steps;
    },
    setLearningRate(value) {
      if (!(value > 0)) throw new RampartError('BAD_OPTION', `OrtTrainer.setLearningRate: ${value} is not a positive number.`);
      learningRate = value;
    },
    async gradients(x, labels, count) {
      return (await run(x, labels, count)).parameterGradients;
    },
    async step(x, labels, count) {
      const result = await run(x, labels, count);
      steps++;
      const { beta1, beta2, epsilon, momentum } = opts;
      // Adam with bias correction folded into the step size (tfjs and PyTorch give the same update).
      const correction1 = 1 - beta1 ** steps;
      const correction2 = 1 - beta2 ** steps;
      for (const [name, w] of weights) {
        const g = result.parameterGradients.get(name)!;
        const m = first.get(name)!;
        if (opts.optimizer === 'sgd') {
          for (let i = 0; i < w.length; i++) {
            m[i] = momentum * m[i] + g[i];
            w[i] -= learningRate * m[i];
          }
        } else {
          const v = second.get(name)!;
          for (let i = 0; i < w.length; i++) {
            m[i] = beta1 * m[i] + (1 - beta1) * g[i];
            v[i] = beta2 * v[i] + (1 - beta2) * g[i] * g[i];
            w[i] -= (learningRate * (m[i] / correction1)) / (Math.sqrt(v[i] / correction2) + epsilon);
          }
        }
      }
      let total = 0;
      for (const l of result.loss) total += l;
      return { loss: total / count };
    },
    release: () => session.release(),
  };
}

/** An ORT trainer for a TF.js LayersModel (exported with `exportToOnnx`; feed NHWC samples). */
export async function createOrtTrainerForLayersModel(model: LayersModel, options: OrtTrainerOptions = {}): Promise<OrtTrainer> {
  return createOrtTrainer(exportToOnnx(model), options, `TF.js model ${model.name}`);
}

/** Writes an ORT trainer's weights back into the LayersModel it was created from. */
export function copyWeightsToLayersModel(trainer: OrtTrainer, model: LayersModel): void {
  const updates: tf.Tensor[] = [];
  try {
    for (const variable of model.weights) {
      const values = trainer.weights.get(variable.originalName) ?? trainer.weights.get(variable.name);
      if (!values) {
        if (variable.trainable) {
          throw new RampartError('BAD_OPTION', `copyWeightsToLayersModel: the trainer has no weight for "${variable.originalName}"; train it with trainable: 'all'.`);
        }
        updates.push(variable.read().clone());
        continue;
      }
      const shape = variable.shape as number[];
      if (shape.length === 4 && variable.originalName.endsWith('depthwise_kernel')) {
        // ONNX [C·M, 1, kh, kw] -> TF.js [kh, kw, C, M]
        const [kh, kw, ci, multiplier] = shape;
        const out = new Float32Array(values.length);
        for (let c = 0; c < ci; c++)
          for (let m = 0; m < multiplier; m++)
            for (let h = 0; h < kh; h++)
              for (let w = 0; w < kw; w++) out[((h * kw + w) * ci + c) * multiplier + m] = values[((c * multiplier + m) * kh + h) * kw + w];
        updates.push(tf.tensor(out, shape));
      } else if (shape.length === 4) {
        // ONNX OIHW -> TF.js HWIO
        const [kh, kw, ci, co] = shape;
        const out = new Float32Array(values.length);
        for (let o = 0; o < co; o++)
          for (let i = 0; i < ci; i++)
            for (let h = 0; h < kh; h++)
              for (let w = 0; w < kw; w++) out[((h * kw + w) * ci + i) * co + o] = values[((o * ci + i) * kh + h) * kw + w];
        updates.push(tf.tensor(out, shape));
      } else {
        updates.push(tf.tensor(values, shape));
      }
    }
    model.setWeights(updates);
  } finally {
    for (const t of updates) t.dispose();
  }
}
