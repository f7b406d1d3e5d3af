/**
 * Per-sample losses on logits, defined once for every attack and training loop.
 * - cross-entropy: −log softmax(z)_y.
 * - cw-margin: Carlini & Wagner's margin max_{j≠y} z_j − z_y (positive when misclassified).
 * - dlr: Croce & Hein 2020's difference of logits ratio −(z_y − max_{j≠y} z_j) / (z_π1 − z_π3 + 1e-12).
 * - dlr-targeted: Croce & Hein 2020's targeted DLR −(z_y − z_t) / (z_π1 − (z_π3 + z_π4)/2 + 1e-12), which needs
 *   the target labels t as well as the true labels y.
 * Each takes logits [N, K] and integer labels [N] (and targets [N] where needed) and returns losses [N] that an
 * untargeted attack maximises. Targeted attacks descend cross-entropy or cw-margin taken w.r.t. the targets
 * (labels = targets), or ascend dlr-targeted (labels = true labels, targets = targets).
 */
import { tf, type Tensor1D, type Tensor2D } from './tf.js';

export type LossName = 'cross-entropy' | 'cw-margin' | 'dlr' | 'dlr-targeted';
export const lossNames: readonly LossName[] = ['cross-entropy', 'cw-margin', 'dlr', 'dlr-targeted'];

export type LossFn = (logits: Tensor2D, labels: Tensor1D, targets?: Tensor1D) => Tensor1D;

/** Losses that need target labels besides the true labels. */
export const lossesNeedingTargets: readonly LossName[] = ['dlr-targeted'];

function oneHot(labels: Tensor1D, depth: number): Tensor2D {
  return tf.cast(tf.oneHot(tf.cast(labels, 'int32') as Tensor1D, depth), 'float32') as Tensor2D;
}

export function crossEntropy(logits: Tensor2D, labels: Tensor1D): Tensor1D {
  return tf.tidy(() => {
    // CE = log(1 + Σ_{j≠y} exp(z_j − z_y)), evaluated as m + log1p(expm1(−m) + Σ_{j≠y} exp(z_j − z_y − m)) with
    // m = max(0, max_{j≠y} z_j − z_y). For a confident sample (m = 0) this is log1p of a tiny sum, whose gradient
    // keeps the true-class term; log-softmax in float32 rounds 1 + tiny to 1 there and loses it (on wasm).
    const mask = oneHot(labels, logits.shape[1]);
    const trueLogit = tf.sum(tf.mul(logits, mask), 1, true);
    const others = tf.sub(tf.sub(logits, trueLogit), tf.mul(mask, 1e30));
    const shift = tf.relu(tf.max(others, 1, true));
    const tail = tf.sum(tf.exp(tf.sub(others, shift)), 1);
    const flatShift = tf.reshape(shift, [-1]);
    return tf.add(flatShift, tf.log1p(tf.add(tf.expm1(tf.neg(flatShift)), tail))) as Tensor1D;
  });
}

/** Largest logit among classes other than the label, and the label's logit. */
function trueAndBestOther(logits: Tensor2D, labels: Tensor1D): { trueLogit: Tensor1D; bestOther: Tensor1D } {
  const mask = oneHot(labels, logits.shape[1]);
  const trueLogit = tf.sum(tf.mul(logits, mask), 1) as Tensor1D;
  // Push the true class far below every other logit so max picks the best other class.
  const bestOther = tf.max(tf.sub(logits, tf.mul(mask, 1e9)), 1) as Tensor1D;
  return { trueLogit, bestOther };
}

export function cwMargin(logits: Tensor2D, labels: Tensor1D): Tensor1D {
  return tf.tidy(() => {
    const { trueLogit, bestOther } = trueAndBestOther(logits, labels);
    return tf.sub(bestOther, trueLogit) as Tensor1D;
  });
}

export function dlr(logits: Tensor2D, labels: Tensor1D): Tensor1D {
  return tf.tidy(() => {
    if (logits.shape[1] < 3) {
      throw new RangeError('dlr: the DLR loss needs at least 3 classes; use cw-margin for binary models.');
    }
    const { trueLogit, bestOther } = trueAndBestOther(logits, labels);
    // topk has no gradient: find the ranks on a detached copy (off the tape), then pick the 1st and 3rd
    // largest logits through one-hot masks so gradients flow through the logits only.
    const detached = tf.tensor2d(logits.dataSync() as Float32Array, logits.shape);
    const { indices } = tf.topk(detached, 3);
    const column = (k: number) => tf.reshape(tf.slice(indices, [0, k], [-1, 1]), [-1]) as Tensor1D;
    const firstIndex = column(0);
    const thirdIndex = column(2);
    const depth = logits.shape[1];
    const first = tf.sum(tf.mul(logits, oneHot(firstIndex, depth)), 1);
    const third = tf.sum(tf.mul(logits, oneHot(thirdIndex, depth)), 1);
    const scale = tf.add(tf.sub(first, third), 1e-12);
    return tf.div(tf.sub(bestOther, trueLogit), scale) as Tensor1D;
  });
}

/** Sum of the logits picked by one-hot masks of `indices`. */
function pick(logits: Tensor2D, indices: Tensor1D): Tensor1D {
  return tf.sum(tf.mul(logits, oneHot(indices, logits.shape[1])), 1) as Tensor1D;
}

export function dlrTargeted(logits: Tensor2D, labels: Tensor1D, targets?: Tensor1D): Tensor1D {
  if (!targets) throw new RangeError('dlr-targeted: pass the target labels as well as the true labels.');
  return tf.tidy(() => {
    if (logits.shape[1] < 4) {
      throw new RangeError('dlr-targeted: the targeted DLR loss needs at least 4 classes; use cw-margin instead.');
    }
    // Ranks from a detached copy (topk has no gradient); values picked through masks so gradients flow.
    const detached = tf.tensor2d(logits.dataSync() as Float32Array, logits.shape);
    const { indices } = tf.topk(detached, 4);
    const column = (k: number) => tf.reshape(tf.slice(indices, [0, k], [-1, 1]), [-1]) as Tensor1D;
    const scale = tf.add(tf.sub(pick(logits, column(0)), tf.div(tf.add(pick(logits, column(2)), pick(logits, column(3))), 2)), 1e-12);
    return tf.neg(tf.div(tf.sub(pick(logits, labels), pick(logits, targets)), scale)) as Tensor1D;
  });
}

export const losses: Record<LossName, LossFn> = {
  'cross-entropy': crossEntropy,
  'cw-margin': cwMargin,
  dlr,
  'dlr-targeted': dlrTargeted,
};
