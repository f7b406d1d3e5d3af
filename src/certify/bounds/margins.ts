/**
 * Margin specifications (auto_LiRPA's C matrix): for label y the rows are e_y − e_j for every class j, so the
 * backward pass starts from C·logits directly and bounds logit_y − logit_j instead of subtracting separately
 * bounded logits. Row y is zero (its margin is 0 by definition). A sample is verified when every margin lower
 * bound with j ≠ y is > 0.
 */
import { tf, type Tensor } from '../../engine/tf.js';
import type { Interval } from './define.js';
import type { BoundGraph } from './graph.js';
import { backwardBounds, concretizeInterval, type InputBall } from './propagate.js';
import { tidy } from './linear.js';

/** C = [N, K, K] with C[n, j] = e_{y_n} − e_j. */
export function marginSpec(labels: Tensor, numClasses: number): Tensor {
  return tf.tidy(() => {
    const y = tf.cast(tf.oneHot(tf.cast(labels, 'int32') as tf.Tensor1D, numClasses), 'float32');
    const eye = tf.eye(numClasses);
    return tf.sub(tf.expandDims(y, 1), tf.expandDims(eye, 0));
  });
}

/**
 * IBP margin bounds from the forward intervals. When the last op is affine with one perturbed input (the final
 * Gemm), C is folded into it and concretised over that input's interval — the "elision of the last layer" of
 * Gowal et al. 2018, always at least as tight as l_y − u_j.
 */
export function ibpMarginLowerBounds(graph: BoundGraph, intervals: Map<string, Interval>, ball: InputBall, spec: Tensor, safety: number): Tensor {
  const last = graph.nodes.find((node) => node.outputs[0] === graph.outputName);
  const rule = last ? graph.rules.get(last.name) : undefined;
  const perturbedInputs = last ? last.inputs.filter((i) => graph.perturbed.has(i)) : [];
  if (last && rule?.affine && perturbedInputs.length === 1) {
    return backwardBounds(graph, intervals, ball, graph.outputName, spec, null, { stopAt: perturbedInputs[0], safety }).lower!;
  }
  return tidy(() => {
    const b = concretizeInterval(spec, intervals.get(graph.outputName)!, 'lower');
    return tf.sub(b, tf.mul(tf.add(tf.abs(b), 1), safety));
  });
}

/** Per-sample verdict: every margin lower bound (j ≠ y) > 0. */
export function verifiedFromMargins(lower: Float32Array, labels: Int32Array, numClasses: number): Uint8Array {
  const out = new Uint8Array(labels.length);
  for (let i = 0; i < labels.length; i++) {
    let ok = 1;
    for (let j = 0; j < numClasses; j++) if (j !== labels[i] && !(lower[i * numClasses + j]! > 0)) ok = 0;
    out[i] = ok;
  }
  return out;
}
