/**
 * Losses as ONNX subgraphs with their logit gradients written out in closed form (no autodiff needed), for the
 * three losses of `../losses.ts` with the same definitions:
 * - cross-entropy: L = −log softmax(z)_y, dL/dz = softmax(z) − y (true-class entry as −Σ_{j≠y} p_j, exact in float32);
 * - cw-margin: L = z_b − z_y with b = argmax_{j≠y} z_j, dL/dz = e_b − y;
 * - dlr: L = (z_b − z_y)/(z_π1 − z_π3 + 1e-12), dL/dz = (e_b − y)/D − L/D · (e_π1 − e_π3);
 * - dlr-targeted: L = (z_t − z_y)/(z_π1 − (z_π3 + z_π4)/2 + 1e-12), dL/dz = (t − y)/D − L/D · (e_π1 − (e_π3 + e_π4)/2),
 *   with the targets as a second one-hot input.
 * The labels come in as a one-hot float input [N, K] and a per-sample weight [N] scales each sample's gradient
 * (1 for the gradient of the summed losses, −1 for a targeted step taken on the target label, 1/N for a mean),
 * so one graph serves untargeted, targeted and training use. Maxima take the first index on ties (ArgMax,
 * TopK), as PyTorch does.
 */
import type { LossName } from '../losses.js';
import type { GraphEmitter } from './emitter.js';

export interface LossHead {
  /** Per-sample (unweighted) loss [N]. */
  loss: string;
  /** Weighted gradient with respect to the logits [N, K]. */
  logitsGradient: string;
}

/** One-hot [N, K] float of integer indices [N, 1]. */
function oneHotOf(e: GraphEmitter, indices: string, classes: number): string {
  const range = e.int64(Array.from({ length: classes }, (_, i) => i), [1, classes]);
  return e.node('Cast', [e.node('Equal', [range, indices])], { to: { int: 1 } });
}

export function emitLossHead(
  e: GraphEmitter,
  loss: LossName,
  logits: string,
  oneHot: string,
  weight: string,
  classes: number,
  targetOneHot?: string,
): LossHead {
  const weightColumn = e.unsqueeze(weight, [1]);
  if (loss === 'cross-entropy') {
    const logProbabilities = e.node('LogSoftmax', [logits], { axis: { int: 1 } });
    const perSample = e.neg(e.reduceSum(e.mul(logProbabilities, oneHot), [1], false));
    // dL/dz_y = p_y − 1 = −Σ_{j≠y} p_j: summing the other classes' probabilities keeps the true-class term
    // of a confident sample, where p_y rounds to 1 in float32 and p_y − 1 would be 0.
    const others = e.mul(e.node('Exp', [logProbabilities]), e.sub(e.scalar(1), oneHot));
    const gradient = e.mul(e.sub(others, e.mul(oneHot, e.reduceSum(others, [1], true))), weightColumn);
    return { loss: perSample, logitsGradient: gradient };
  }
  if (loss === 'dlr-targeted') {
    if (!targetOneHot) throw new Error('emitLossHead: dlr-targeted needs the target one-hot input');
    const [values, indices] = e.nodeN('TopK', [logits, e.int64([4])], 2, { axis: { int: 1 } });
    const column = (name: string, k: number) => e.slice(name, [k], [k + 1], [1]);
    const scale = e.add(e.sub(column(values, 0), e.scale(e.add(column(values, 2), column(values, 3)), 0.5)), e.scalar(1e-12));
    const direction = e.sub(targetOneHot, oneHot);
    const margin = e.reduceSum(e.mul(logits, direction), [1], true);
    const ratio = e.div(margin, scale);
    const hot = (k: number) => oneHotOf(e, column(indices, k), classes);
    const rank = e.sub(hot(0), e.scale(e.add(hot(2), hot(3)), 0.5));
    const gradient = e.sub(e.div(direction, scale), e.mul(e.div(ratio, scale), rank));
    return { loss: e.squeeze(ratio, [1]), logitsGradient: e.mul(gradient, weightColumn) };
  }
  // Best other class: push the true class far below the others, as losses.ts does.
  const masked = e.sub(logits, e.scale(oneHot, 1e9));
  const best = e.node('ArgMax', [masked], { axis: { int: 1 }, keepdims: { int: 1 } });
  const bestHot = oneHotOf(e, best, classes);
  const margin = e.sub(e.reduceSum(e.mul(logits, bestHot), [1], true), e.reduceSum(e.mul(logits, oneHot), [1], true)); // [N,1]
  const direction = e.sub(bestHot, oneHot);
  if (loss === 'cw-margin') {
    return { loss: e.squeeze(margin, [1]), logitsGradient: e.mul(direction, weightColumn) };
  }
  const [values, indices] = e.nodeN('TopK', [logits, e.int64([3])], 2, { axis: { int: 1 } });
  const first = e.slice(values, [0], [1], [1]);
  const third = e.slice(values, [2], [3], [1]);
  const scale = e.add(e.sub(first, third), e.scalar(1e-12)); // [N,1]
  const ratio = e.div(margin, scale);
  const firstHot = oneHotOf(e, e.slice(indices, [0], [1], [1]), classes);
  const thirdHot = oneHotOf(e, e.slice(indices, [2], [3], [1]), classes);
  const gradient = e.sub(e.div(direction, scale), e.mul(e.div(ratio, scale), e.sub(firstHot, thirdHot)));
  return { loss: e.squeeze(ratio, [1]), logitsGradient: e.mul(gradient, weightColumn) };
}
