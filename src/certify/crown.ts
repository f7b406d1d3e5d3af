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
import type { Tensor } from '../engine/tf.js';
import type { Interval } from './bounds/define.js';
import type { BoundGraph } from './bounds/graph.js';
import { marginSpec } from './bounds/margins.js';
import { backwardBounds, crownValueBounds, defaultPropagation, disposeIntervals, forwardBounds, type InputBall, type PropagationOptions } from './bounds/propagate.js';

/** Lower bounds of logit_y − logit_j, [N, K]. */
export function crownMarginBounds(graph: BoundGraph, ball: InputBall, labels: Tensor, numClasses: number, options: Partial<PropagationOptions> = {}): Tensor {
  const opts = { ...defaultPropagation, ...options };
  const intervals = forwardBounds(graph, ball, opts);
  try {
    const spec = marginSpec(labels, numClasses);
    const lower = backwardBounds(graph, intervals, ball, graph.outputName, spec, null, { safety: opts.safety }).lower!;
    spec.dispose();
    return lower;
  } finally {
    disposeIntervals(intervals);
  }
}

/** CROWN interval of the graph output (logits): identity specification, both sides. */
export function crownOutputBounds(graph: BoundGraph, ball: InputBall, options: Partial<PropagationOptions> = {}): Interval {
  const opts = { ...defaultPropagation, ...options };
  const intervals = forwardBounds(graph, ball, opts);
  try {
    return crownValueBounds(graph, intervals, ball, graph.outputName, opts);
  } finally {
    disposeIntervals(intervals);
  }
}
