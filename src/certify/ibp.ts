/**
 * IBP — interval bound propagation (Gowal et al., "On the Effectiveness of Interval Bound Propagation for
 * Training Verifiably Robust Models", 2018, https://arxiv.org/abs/1810.12715): intervals pushed through each op
 * by its bound rule; the margin specification is folded into the last affine op. Fast (one forward pass per
 * bound side) and loose on normally trained networks; tight on IBP-trained ones.
 * Norms: linf, l2 (L2 starts from the enclosing box). Assumes the graph's ops have bound rules.
 *
 * @example
 * const lower = ibpMarginBounds(graph, { center: x, norm: 'linf', epsilon: 0.01, bounds: [0, 1] }, labels, 10); // [N, K]
 */
import { tf, type Tensor } from '../engine/tf.js';
import type { Interval } from './bounds/define.js';
import type { BoundGraph } from './bounds/graph.js';
import { marginSpec, ibpMarginLowerBounds } from './bounds/margins.js';
import { defaultPropagation, disposeIntervals, forwardBounds, type InputBall } from './bounds/propagate.js';

/** Lower bounds of logit_y − logit_j, [N, K] (column y is ≤ 0 by construction and ignored by verdicts). */
export function ibpMarginBounds(graph: BoundGraph, ball: InputBall, labels: Tensor, numClasses: number, safety = defaultPropagation.safety): Tensor {
  const intervals = forwardBounds(graph, ball, { intermediate: 'ibp', safety });
  try {
    const spec = marginSpec(labels, numClasses);
    const lower = ibpMarginLowerBounds(graph, intervals, ball, spec, safety);
    spec.dispose();
    return lower;
  } finally {
    disposeIntervals(intervals);
  }
}

/** IBP interval of the graph output (logits), [N, K] each side. */
export function ibpOutputBounds(graph: BoundGraph, ball: InputBall, safety = defaultPropagation.safety): Interval {
  const intervals = forwardBounds(graph, ball, { intermediate: 'ibp', safety });
  const out = intervals.get(graph.outputName)!;
  const result = { lower: out.lower.clone(), upper: out.upper.clone() };
  disposeIntervals(intervals);
  return result;
}

