/**
 * Linear models with known minimal adversarial distances, for closed-form attack tests.
 *
 * A linear classifier z = W x + b has, for a sample x of class y, the minimal L_p perturbation to class j
 *   (z_y − z_j) / ‖w_y − w_j‖_q            (q the dual exponent of p: 2↔2, ∞↔1, 1↔∞)
 * and the untargeted minimum is the smallest of these over j ≠ y (ignoring input bounds: use wide bounds such as
 * [-10, 10] so they never bind). The binary case with logits (0, w·x + b) gives |w·x + b| / ‖w‖_q.
 * Models are tfjs-layers Dense layers with set weights, wrapped as `TfjsModel`s (white-box).
 */
import * as tfl from '@tensorflow/tfjs-layers';
import { tf } from '../../src/engine/tf.js';
import { TfjsModel } from '../../src/engine/tfjs-model.js';
import type { Bounds } from '../../src/engine/model.js';
import type { Norm } from '../../src/threat/threat-model.js';
import type { Random } from '../../src/engine/random.js';

export interface LinearModelOptions {
  /** Shape of one sample; its element count must equal the weight length. Default [d]. */
  inputShape?: readonly number[];
  bounds?: Bounds;
  id?: string;
}

/**
 * A multinomial linear model: logits z_k = W[k]·x + b[k] for K classes. `weights` is K rows of length d
 * (row-major over the flattened sample).
 */
export function multinomialLinearModel(weights: readonly (readonly number[])[], bias: readonly number[], options: LinearModelOptions = {}): TfjsModel {
  const k = weights.length;
  const d = weights[0].length;
  const inputShape = options.inputShape ?? [d];
  const model = tfl.sequential();
  if (inputShape.length > 1) model.add(tfl.layers.flatten({ inputShape: [...inputShape] }));
  model.add(tfl.layers.dense({ units: k, useBias: true, ...(inputShape.length > 1 ? {} : { inputShape: [d] }) }));
  const kernel = new Float32Array(d * k);
  for (let c = 0; c < k; c++) for (let i = 0; i < d; i++) kernel[i * k + c] = weights[c][i];
  const dense = model.layers[model.layers.length - 1];
  const kernelTensor = tf.tensor2d(kernel, [d, k]);
  const biasTensor = tf.tensor1d(Float32Array.from(bias));
  dense.setWeights([kernelTensor, biasTensor]);
  tf.dispose([kernelTensor, biasTensor]);
  return TfjsModel.fromLayersModel(model, { id: options.id ?? 'linear', bounds: options.bounds ?? [-10, 10] });
}

/** A binary logistic model as two logits (0, w·x + b), so z1 − z0 = w·x + b. */
export function binaryLinearModel(w: readonly number[], b: number, options: LinearModelOptions = {}): TfjsModel {
  return multinomialLinearModel([w.map(() => 0), w], [0, b], options);
}

function dualNorm(v: readonly number[], norm: Norm): number {
  if (norm === 'l2') return Math.sqrt(v.reduce((s, a) => s + a * a, 0));
  if (norm === 'linf') return v.reduce((s, a) => s + Math.abs(a), 0);
  if (norm === 'l1') return v.reduce((s, a) => Math.max(s, Math.abs(a)), 0);
  throw new Error('dualNorm: l0 has no dual norm');
}

/** Logits W x + b of one flattened sample. */
export function linearLogits(weights: readonly (readonly number[])[], bias: readonly number[], x: ArrayLike<number>): number[] {
  return weights.map((row, c) => row.reduce((s, w, i) => s + w * x[i], bias[c]));
}

/**
 * The minimal untargeted L_p distance from sample x (flattened) of class `label` to the decision boundary of
 * the linear model (bounds ignored), with the class reached first.
 */
export function minimalLinearDistance(
  weights: readonly (readonly number[])[],
  bias: readonly number[],
  x: ArrayLike<number>,
  label: number,
  norm: Norm,
): { distance: number; toClass: number } {
  const z = linearLogits(weights, bias, x);
  let best = { distance: Infinity, toClass: -1 };
  for (let j = 0; j < weights.length; j++) {
    if (j === label) continue;
    const diff = weights[label].map((w, i) => w - weights[j][i]);
    const distance = Math.max(0, z[label] - z[j]) / dualNorm(diff, norm);
    if (distance < best.distance) best = { distance, toClass: j };
  }
  return best;
}

/** Random weights (standard normal) for K classes over d features. */
export function randomWeights(k: number, d: number, random: Random, scale = 1): number[][] {
  return Array.from({ length: k }, () => Array.from({ length: d }, () => random.normal() * scale));
}

export interface LinearProblem {
  weights: number[][];
  bias: number[];
  /** n samples of d features, each labelled with the model's own prediction (so all start correctly classified). */
  x: Float32Array;
  labels: Int32Array;
  n: number;
  d: number;
}

/**
 * A seeded random linear problem: K classes over d features, samples uniform in [-1, 1]^d labelled with the
 * model's prediction. K = 2 builds the binary logistic form (logits 0 and w·x + b).
 */
export function linearProblem(random: Random, k: number, d: number, n: number): LinearProblem {
  const weights = k === 2 ? [new Array<number>(d).fill(0), randomWeights(1, d, random)[0]] : randomWeights(k, d, random);
  const bias = k === 2 ? [0, random.normal() * 0.5] : Array.from({ length: k }, () => random.normal() * 0.5);
  const x = Float32Array.from({ length: n * d }, () => 2 * random.next() - 1);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const z = linearLogits(weights, bias, x.subarray(i * d, (i + 1) * d));
    labels[i] = z.indexOf(Math.max(...z));
  }
  return { weights, bias, x, labels, n, d };
}
