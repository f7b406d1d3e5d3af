/**
 * Differentiable bounds on the logits of a tfjs Sequential network over an L∞ box, for certified training:
 * - IBP (Gowal et al. 2018, "On the Effectiveness of Interval Bound Propagation for Training Verifiably Robust
 *   Models", https://arxiv.org/abs/1810.12715): centre/radius propagation through Dense, Conv2D (|W| on the
 *   radius), ReLU, MaxPooling2D and Flatten.
 * - CROWN (Zhang et al. 2018, https://arxiv.org/abs/1811.00866) margin lower bounds for Dense/ReLU/Flatten
 *   networks, with IBP pre-activation bounds (the CROWN-IBP combination of Zhang et al. 2020,
 *   https://arxiv.org/abs/1906.06316): backward linear bounds of the margins zᵧ − zⱼ, ReLU relaxed by the upper
 *   chord u/(u−l)·(z−l) and the adaptive lower slope 1[u > −l].
 * All functions are tensor functions (callers wrap them in tf.tidy or a gradient tape).
 */
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { tf, type Tensor, type Tensor2D } from '../../engine/tf.js';
import { RampartError } from '../../errors.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyLayer = any;

interface LayerInfo {
  kind: 'dense' | 'conv2d' | 'maxpool' | 'flatten' | 'input';
  layer: AnyLayer;
  relu: boolean;
}

function describe(model: LayersModel): LayerInfo[] {
  const out: LayerInfo[] = [];
  for (const layer of model.layers as AnyLayer[]) {
    const cls = layer.getClassName();
    const activation = layer.activation?.getClassName?.() ?? 'linear';
    if (!['linear', 'relu', 'Linear', 'Relu'].includes(activation)) {
      throw new RampartError('MODEL_UNSUPPORTED', `Certified training supports ReLU and linear activations; layer ${layer.name} uses ${activation}.`);
    }
    const relu = activation.toLowerCase() === 'relu';
    if (cls === 'Dense') out.push({ kind: 'dense', layer, relu });
    else if (cls === 'Conv2D') out.push({ kind: 'conv2d', layer, relu });
    else if (cls === 'MaxPooling2D') out.push({ kind: 'maxpool', layer, relu: false });
    else if (cls === 'Flatten') out.push({ kind: 'flatten', layer, relu: false });
    else if (cls === 'InputLayer') continue;
    else if (cls === 'Activation' && relu) out.push({ kind: 'input', layer, relu: true });
    else throw new RampartError('MODEL_UNSUPPORTED', `Certified training has no bound rule for ${cls} (layer ${layer.name}); supported: Dense, Conv2D, MaxPooling2D, Flatten, ReLU.`);
  }
  return out;
}

/** A copy outside the gradient tape (tfjs has no stopGradient op). */
const detached = (t: Tensor): Tensor => tf.tensor(t.dataSync(), t.shape);
const kernelOf = (layer: AnyLayer): Tensor => layer.kernel.read();
const biasOf = (layer: AnyLayer): Tensor | undefined => (layer.useBias ? layer.bias.read() : undefined);

/** Interval bounds [lower, upper] of every layer's output (pre-activation for layers with ReLU), last = logits. */
export function intervalBounds(model: LayersModel, x: Tensor, epsilon: number, bounds: readonly [number, number]): { lower: Tensor; upper: Tensor; preActivations: { lower: Tensor; upper: Tensor }[] } {
  let lower: Tensor = tf.clipByValue(tf.sub(x, epsilon), bounds[0], bounds[1]);
  let upper: Tensor = tf.clipByValue(tf.add(x, epsilon), bounds[0], bounds[1]);
  const preActivations: { lower: Tensor; upper: Tensor }[] = [];
  for (const info of describe(model)) {
    if (info.kind === 'dense' || info.kind === 'conv2d') {
      const centre = tf.div(tf.add(upper, lower), 2);
      const radius = tf.div(tf.sub(upper, lower), 2);
      const w = kernelOf(info.layer);
      const b = biasOf(info.layer);
      let c: Tensor;
      let r: Tensor;
      if (info.kind === 'dense') {
        c = tf.matMul(centre as Tensor2D, w as Tensor2D);
        r = tf.matMul(radius as Tensor2D, tf.abs(w) as Tensor2D);
      } else {
        const strides = info.layer.strides as [number, number];
        const padding = info.layer.padding as 'valid' | 'same';
        c = tf.conv2d(centre as tf.Tensor4D, w as tf.Tensor4D, strides, padding);
        r = tf.conv2d(radius as tf.Tensor4D, tf.abs(w) as tf.Tensor4D, strides, padding);
      }
      if (b) c = tf.add(c, b);
      lower = tf.sub(c, r);
      upper = tf.add(c, r);
    } else if (info.kind === 'maxpool') {
      const pool = info.layer.poolSize as [number, number];
      const strides = info.layer.strides as [number, number];
      lower = tf.maxPool(lower as tf.Tensor4D, pool, strides, info.layer.padding);
      upper = tf.maxPool(upper as tf.Tensor4D, pool, strides, info.layer.padding);
    } else if (info.kind === 'flatten') {
      lower = tf.reshape(lower, [lower.shape[0], -1]);
      upper = tf.reshape(upper, [upper.shape[0], -1]);
    }
    if (info.relu) {
      preActivations.push({ lower, upper });
      lower = tf.relu(lower);
      upper = tf.relu(upper);
    }
  }
  return { lower, upper, preActivations };
}

/** IBP lower bounds of the margins zᵧ − zⱼ [N, K] (0 at j = y): lower(zᵧ) − upper(zⱼ). */
export function ibpMarginLowerBounds(model: LayersModel, x: Tensor, labels: tf.Tensor1D, epsilon: number, bounds: readonly [number, number]): Tensor2D {
  const { lower, upper } = intervalBounds(model, x, epsilon, bounds);
  const k = lower.shape[1]!;
  const hot = tf.cast(tf.oneHot(labels, k), 'float32');
  const trueLower = tf.sum(tf.mul(lower, hot), 1, true);
  return tf.mul(tf.sub(trueLower, upper), tf.sub(1, hot)) as Tensor2D;
}

/** CROWN margin lower bounds [N, K] (0 at j = y) for Dense/ReLU/Flatten networks, IBP pre-activation bounds. */
export function crownMarginLowerBounds(model: LayersModel, x: Tensor, labels: tf.Tensor1D, epsilon: number, bounds: readonly [number, number]): Tensor2D {
  const infos = describe(model).filter((i) => i.kind !== 'flatten');
  if (infos.some((i) => i.kind !== 'dense')) throw new RampartError('MODEL_UNSUPPORTED', 'CROWN-IBP training here supports Dense/ReLU/Flatten networks (an MLP); use --certified ibp for CNNs.');
  const n = x.shape[0];
  const flatX = tf.reshape(x, [n, -1]);
  const { preActivations } = intervalBounds(model, x, epsilon, bounds);
  const last = infos[infos.length - 1];
  const k = (kernelOf(last.layer).shape[1]) as number;
  // Specification C [N, K, K]: row j = e_y − e_j.
  const hot = tf.cast(tf.oneHot(labels, k), 'float32');
  const spec = tf.sub(tf.expandDims(hot, 1), tf.expandDims(tf.eye(k), 0)); // [N, K(j), K]
  // Backward: Λ [N, K, units] through the last layer, constant term accumulates.
  // (einsum has no wasm kernel: contractions are written as reshaped matMuls.)
  const rows = (t: Tensor) => tf.reshape(t, [n * k, -1]) as Tensor2D;
  const back = (t: Tensor) => tf.reshape(t, [n, k, -1]);
  const lastBias = biasOf(last.layer);
  let lambda: Tensor = back(tf.matMul(rows(spec), kernelOf(last.layer) as Tensor2D, false, true));
  let constant: Tensor = lastBias ? tf.reshape(tf.matMul(rows(spec), tf.reshape(lastBias, [-1, 1]) as Tensor2D), [n, k]) : tf.zeros([n, k]);
  for (let i = infos.length - 2; i >= 0; i--) {
    const info = infos[i];
    const { lower: l, upper: u } = preActivations[i];
    // ReLU relaxation of layer i's output.
    const denom = tf.maximum(tf.sub(u, l), 1e-12);
    // Masks from detached copies: comparisons have no gradient, and the relaxation's case split is not trained.
    const lData = detached(l);
    const uData = detached(u);
    const active = tf.greaterEqual(lData, 0);
    const inactive = tf.lessEqual(uData, 0);
    const upperSlope = tf.where(active, tf.onesLike(u), tf.where(inactive, tf.zerosLike(u), tf.div(u, denom)));
    const upperIntercept = tf.where(tf.logicalOr(active, inactive), tf.zerosLike(u), tf.neg(tf.mul(tf.div(u, denom), l)));
    const lowerSlope = tf.where(active, tf.onesLike(u), tf.where(inactive, tf.zerosLike(u), tf.where(tf.greater(uData, tf.neg(lData)), tf.onesLike(uData), tf.zerosLike(uData))));
    // Lower bound: positive coefficients take the lower relaxation, negative the upper one.
    const pos = tf.relu(lambda);
    const neg = tf.neg(tf.relu(tf.neg(lambda)));
    const slope = tf.add(tf.mul(pos, tf.expandDims(lowerSlope, 1)), tf.mul(neg, tf.expandDims(upperSlope, 1)));
    constant = tf.add(constant, tf.sum(tf.mul(neg, tf.expandDims(upperIntercept, 1)), 2));
    // Through the dense layer i: z_i = h W + b.
    const w = kernelOf(info.layer);
    const b = biasOf(info.layer);
    if (b) constant = tf.add(constant, tf.reshape(tf.matMul(rows(slope), tf.reshape(b, [-1, 1]) as Tensor2D), [n, k]));
    lambda = back(tf.matMul(rows(slope), w as Tensor2D, false, true));
  }
  // Concretise over the input box: min over x' in [x−ε, x+ε] ∩ bounds of Λx'.
  const lo = tf.clipByValue(tf.sub(flatX, epsilon), bounds[0], bounds[1]);
  const hi = tf.clipByValue(tf.add(flatX, epsilon), bounds[0], bounds[1]);
  const centre = tf.div(tf.add(lo, hi), 2);
  const radius = tf.div(tf.sub(hi, lo), 2);
  const value = tf.sub(tf.sum(tf.mul(lambda, tf.expandDims(centre, 1)), 2), tf.sum(tf.mul(tf.abs(lambda), tf.expandDims(radius, 1)), 2));
  return tf.mul(tf.add(value, constant), tf.sub(1, hot)) as Tensor2D;
}
