/**
 * CROWN — backward linear bound propagation with adaptive ReLU lower slopes (Zhang, Weng, Chen, Hsieh & Daniel,
 * "Efficient Neural Network Robustness Certification with General Activation Functions", NeurIPS 2018,
 * https://arxiv.org/abs/1811.00866), as implemented in auto_LiRPA (Xu et al. 2020,
 * https://arxiv.org/abs/2002.12920): the margin specification C enters at the start of the backward pass;
 * intermediate bounds at the inputs of nonlinear ops are CROWN bounds (IBP for layers wider than
 * `maxCrownNeurons`), intersected with IBP. `intermediate: 'ibp'` gives CROWN-IBP (Zhang et al. 2020).
 * Norms: linf, l2 (dual-norm concretisation, intersected with the input bounds). Assumes the graph's ops have rules.
 *
 * @example
 * const lower = crownMarginBounds(graph, { center: x, norm: 'linf', epsilon: 0.01, bounds: [0, 1] }, labels, 10); // [N, K]
 * // builtin:mnist-mlp, 200 test digits, ε = 0.01: certified accuracy 0.x (see docs/certify.md)
 */
import { tf, type Tensor } from '../engine/tf.js';
import type { Interval } from './bounds/define.js';
import type { BoundGraph } from './bounds/graph.js';
import { ibpMarginLowerBounds, marginSpec } from './bounds/margins.js';
import { backwardBounds, crownValueBounds, defaultPropagation, disposeIntervals, forwardBounds, type InputBall, type PropagationOptions } from './bounds/propagate.js';

export interface CrownOptions extends Partial<PropagationOptions> {
  /**
   * Return max(backward CROWN bound, IBP bound from the same — CROWN-tightened — intervals), default true. Both are
   * sound; the backward pass alone can be looser than IBP (one ReLU h ∈ [−1, 2] with adaptive slope 1 gives
   * relu(h) ≥ h ≥ −1 where IBP gives 0), so the final layer takes the tighter of the two.
   */
  intersectIbp?: boolean;
}

/** CROWN lower bounds of C·output for any specification C = [N, S, ...outputSample] (not disposed), [N, S]. */
export function crownLowerBounds(graph: BoundGraph, ball: InputBall, spec: Tensor, options: CrownOptions = {}): Tensor {
  const opts = { ...defaultPropagation, ...options };
  const intervals = forwardBounds(graph, ball, opts);
  try {
    const backward = backwardBounds(graph, intervals, ball, graph.outputName, spec, null, { safety: opts.safety }).lower!;
    if (options.intersectIbp === false) return backward;
    const ibp = ibpMarginLowerBounds(graph, intervals, ball, spec, opts.safety);
    const tight = tf.maximum(backward, ibp);
    tf.dispose([backward, ibp]);
    return tight;
  } finally {
    disposeIntervals(intervals);
  }
}

/** Lower bounds of logit_y − logit_j, [N, K]. */
export function crownMarginBounds(graph: BoundGraph, ball: InputBall, labels: Tensor, numClasses: number, options: CrownOptions = {}): Tensor {
  const spec = marginSpec(labels, numClasses);
  try {
    return crownLowerBounds(graph, ball, spec, options);
  } finally {
    spec.dispose();
  }
}

/** CROWN interval of the graph output (logits): identity specification, both sides, intersected with IBP unless told not to. */
export function crownOutputBounds(graph: BoundGraph, ball: InputBall, options: CrownOptions = {}): Interval {
  const opts = { ...defaultPropagation, ...options };
  const intervals = forwardBounds(graph, ball, opts);
  try {
    const backward = crownValueBounds(graph, intervals, ball, graph.outputName, opts);
    if (options.intersectIbp === false) return backward;
    const ibp = intervals.get(graph.outputName)!;
    const tight = { lower: tf.maximum(backward.lower, ibp.lower), upper: tf.minimum(backward.upper, ibp.upper) };
    tf.dispose([backward.lower, backward.upper]);
    return tight;
  } finally {
    disposeIntervals(intervals);
  }
}
