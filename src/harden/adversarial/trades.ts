/**
 * TRADES (Zhang et al. 2019, "Theoretically Principled Trade-off between Robustness and Accuracy",
 * https://arxiv.org/abs/1901.08573): minimise CE(f(x), y) + β · KL(p(x) ‖ p(x′)), where x′ maximises the KL term
 * inside the ε-ball (start x + 0.001·N(0, 1), `steps` sign-gradient steps of α = stepFactor·ε, default 2.5/steps,
 * the clean distribution held fixed while attacking). tfjs engine (the KL head has no ONNX Runtime graph).
 */
import { tf, type Tensor, type Tensor2D } from '../../engine/tf.js';
import type { Random } from '../../engine/random.js';
import { crossEntropy } from '../../engine/losses.js';
import type { TfjsTrainingEngine } from '../engines/tfjs-engine.js';
import { ascend, project, type TrainingNorm } from './define.js';

export interface TradesOptions {
  epsilon: number;
  norm: TrainingNorm;
  steps: number;
  stepFactor?: number;
  beta: number;
  bounds: readonly [number, number];
  random: Random;
}

/** Per-sample KL(p ‖ q) from logits. */
export function klFromLogits(clean: Tensor2D, adversarial: Tensor2D): tf.Tensor1D {
  return tf.tidy(() => {
    const logP = tf.logSoftmax(clean);
    const logQ = tf.logSoftmax(adversarial);
    return tf.sum(tf.mul(tf.exp(logP), tf.sub(logP, logQ)), 1) as tf.Tensor1D;
  });
}

/** The TRADES adversarial examples: maximise KL(p(x) ‖ p(x′)) over the ε-ball. */
export function tradesExamples(engine: TfjsTrainingEngine, x: Float32Array, count: number, o: TradesOptions): Float32Array {
  const shape = [count, ...engine.sampleShape];
  const adv = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) adv[i] = x[i] + 0.001 * o.random.normal();
  project(adv, x, count, o.norm, o.epsilon, o.bounds);
  if (o.epsilon === 0) return Float32Array.from(x);
  const alpha = (o.stepFactor ?? 2.5 / o.steps) * o.epsilon;
  const cleanLogits = tf.tidy(() => engine.apply(tf.tensor(x, shape)));
  try {
    for (let s = 0; s < o.steps; s++) {
      const g = tf.tidy(() => tf.grad((input: Tensor) => tf.sum(klFromLogits(cleanLogits, engine.apply(input))) as tf.Scalar)(tf.tensor(adv, shape)));
      const values = g.dataSync() as Float32Array;
      g.dispose();
      ascend(adv, values, count, o.norm, alpha);
      project(adv, x, count, o.norm, o.epsilon, o.bounds);
    }
  } finally {
    cleanLogits.dispose();
  }
  return adv;
}

export async function tradesObjective(engine: TfjsTrainingEngine, x: Float32Array, labels: Int32Array, count: number, o: TradesOptions) {
  const adv = tradesExamples(engine, x, count, o);
  const shape = [count, ...engine.sampleShape];
  let logits = new Float32Array(0) as Float32Array<ArrayBufferLike>;
  const result = engine.objectiveGradients((apply) => {
    const clean = apply(tf.tensor(x, shape), true);
    const robust = apply(tf.tensor(adv, shape), true);
    logits = clean.dataSync() as Float32Array;
    const natural = tf.mean(crossEntropy(clean, tf.tensor1d(labels, 'int32')));
    return tf.add(natural, tf.mul(o.beta, tf.mean(klFromLogits(clean, robust)))) as tf.Scalar;
  });
  return { ...result, logits };
}
