/**
 * Deliberately broken models for the gradient-masking diagnostics: each wraps a working white-box model and breaks
 * one thing an evaluation must notice (quantised input → zero gradients, softmax output, random noise in the
 * forward pass, gradients that vanish off the 1/255 pixel grid).
 */
import { tf, type Tensor, type Tensor1D, type Tensor2D } from '../../src/engine/tf.js';
import type { LossName } from '../../src/engine/losses.js';
import { tfjsLossAndGradient } from '../../src/engine/autodiff.js';
import type { DifferentiableModel, LossAndGradient } from '../../src/engine/model.js';

/** A white-box model whose logits are `output(base.logitsSync(input(x)))`, with tfjs gradients through all of it. */
export function wrapModel(base: DifferentiableModel, id: string, input: (x: Tensor) => Tensor = (x) => x, output: (z: Tensor2D) => Tensor2D = (z) => z): DifferentiableModel {
  const logitsSync = (x: Tensor): Tensor2D => tf.tidy(() => output(base.logitsSync(input(x))));
  const lossAndGradientSync = (x: Tensor, labels: Tensor1D, loss: LossName = 'cross-entropy', targets?: Tensor1D): LossAndGradient =>
    tfjsLossAndGradient(logitsSync, x, labels, loss, targets);
  return {
    id,
    format: base.format,
    inputShape: base.inputShape,
    numClasses: base.numClasses,
    bounds: base.bounds,
    logits: async (x) => logitsSync(x),
    logitsSync,
    lossAndGradient: async (x, labels, loss, targets) => lossAndGradientSync(x, labels, loss, targets),
    lossAndGradientSync,
    dispose: () => undefined,
  };
}

/** Input quantised to `levels` + 1 grey levels (round): the input gradient is exactly zero everywhere. */
export function quantisingModel(base: DifferentiableModel, levels = 1): DifferentiableModel {
  return wrapModel(base, `${base.id}+quantised`, (x) => tf.div(tf.round(tf.mul(x, levels)), levels));
}

/** Softmax probabilities instead of logits. */
export function softmaxModel(base: DifferentiableModel): DifferentiableModel {
  return wrapModel(base, `${base.id}+softmax`, undefined, (z) => tf.softmax(z));
}

/** Gaussian noise of standard deviation `sigma` added to the logits, a fresh draw on every forward pass (seeded). */
export function noisyModel(base: DifferentiableModel, sigma = 1, seed = 0): DifferentiableModel {
  let call = 0;
  return wrapModel(base, `${base.id}+noise`, undefined, (z) => tf.add(z, tf.randomNormal(z.shape, 0, sigma, 'float32', seed + call++)));
}

/**
 * Gradients only at the clean points: an input equal (bit for bit) to one of `clean`'s rows gets the true gradient,
 * any perturbed input gets zero. One FGSM step from the clean point works; iterative attacks with a random start
 * never see a gradient, and without one they stall after their first step.
 */
export function cleanOnlyGradientModel(base: DifferentiableModel, clean: Float32Array): DifferentiableModel {
  const size = base.inputShape.reduce((a, b) => a * b, 1);
  const key = (row: Float32Array) => Buffer.from(row.buffer, row.byteOffset, row.byteLength).toString('base64');
  const known = new Set<string>();
  for (let i = 0; i < clean.length / size; i++) known.add(key(clean.slice(i * size, (i + 1) * size)));
  const gate = (x: Tensor): Tensor => {
    const values = x.dataSync() as Float32Array;
    const n = x.shape[0];
    const mask = Float32Array.from({ length: n }, (_, i) => (known.has(key(values.slice(i * size, (i + 1) * size))) ? 1 : 0));
    return tf.tensor(mask, [n, ...x.shape.slice(1).map(() => 1)]);
  };
  const masked = (result: LossAndGradient, x: Tensor): LossAndGradient => {
    const m = gate(x);
    const gradient = tf.mul(result.gradient, m);
    tf.dispose([m, result.gradient]);
    return { ...result, gradient };
  };
  return {
    ...base,
    id: `${base.id}+clean-only-gradient`,
    logits: (x) => base.logits(x),
    logitsSync: (x) => base.logitsSync(x),
    lossAndGradient: async (x, labels, loss, targets) => masked(await base.lossAndGradient(x, labels, loss, targets), x),
    lossAndGradientSync: (x, labels, loss, targets) => masked(base.lossAndGradientSync(x, labels, loss, targets), x),
    dispose: () => undefined,
  };
}
