/**
 * α-CROWN — CROWN with the ReLU lower slopes α ∈ [0, 1] optimised per neuron, per specification row and per
 * sample by projected gradient ascent on the margin lower bounds (Xu, Zhang, Wang, Wang, Jana, Lin & Hsieh,
 * "Fast and Complete: Enabling Complete Neural Network Verification with Rapid and Massively Parallel
 * Incomplete Verifiers", ICLR 2021, https://arxiv.org/abs/2011.13824). Adam on α (lr 0.1, 20 steps by default,
 * as auto_LiRPA's defaults), projection by clipping to [0, 1], gradients by tfjs autodiff through the
 * backward pass. α starts at CROWN's adaptive slopes and the best bound seen is kept per margin, so α-CROWN is
 * never looser than CROWN. Intermediate bounds are CROWN's (not re-optimised — auto_LiRPA optimises those too,
 * which is tighter but far slower). Every α in [0, 1] gives a sound bound, so the optimiser cannot break soundness.
 * Norms: linf, l2.
 *
 * @example
 * const lower = alphaCrownMarginBounds(graph, ball, labels, 10, { steps: 20, learningRate: 0.1 }); // [N, K]
 */
import { z } from 'zod';
import { tf, type Tensor } from '../engine/tf.js';
import type { BoundGraph } from './bounds/graph.js';
import { ibpMarginLowerBounds, marginSpec } from './bounds/margins.js';
import { backwardBounds, defaultPropagation, disposeIntervals, forwardBounds, type InputBall, type PropagationOptions } from './bounds/propagate.js';
import { reluRelaxation } from './bounds/rules/relu.js';

export const alphaCrownOptionsSchema = z
  .object({
    /** Projected gradient steps on α. */
    steps: z.number().int().nonnegative().default(20),
    /** Adam learning rate for α. */
    learningRate: z.number().positive().default(0.1),
  })
  .strict();
export type AlphaCrownOptions = z.input<typeof alphaCrownOptionsSchema>;

/** Lower bounds of logit_y − logit_j, [N, K], at least as tight as CROWN's. */
export function alphaCrownMarginBounds(
  graph: BoundGraph,
  ball: InputBall,
  labels: Tensor,
  numClasses: number,
  options: AlphaCrownOptions = {},
  propagation: Partial<PropagationOptions> = {},
): Tensor {
  const spec = marginSpec(labels, numClasses);
  try {
    return alphaCrownLowerBounds(graph, ball, spec, options, propagation);
  } finally {
    spec.dispose();
  }
}

/** Lower bounds of C·output for any specification C = [N, S, ...outputSample] (not disposed), [N, S]. */
export function alphaCrownLowerBounds(
  graph: BoundGraph,
  ball: InputBall,
  spec: Tensor,
  options: AlphaCrownOptions = {},
  propagation: Partial<PropagationOptions> = {},
): Tensor {
  const { steps, learningRate } = alphaCrownOptionsSchema.parse(options);
  const opts = { ...defaultPropagation, ...propagation };
  const intervals = forwardBounds(graph, ball, opts);
  const alphas = new Map<string, tf.Variable>();
  const optimizer = tf.train.adam(learningRate);
  try {
    const s = spec.shape[1]!;
    for (const node of graph.nodes) {
      if (node.opType !== 'Relu') continue;
      const pre = intervals.get(node.inputs[0]!)!;
      const init = tf.tidy(() => {
        const r = reluRelaxation(pre);
        const slope = tf.expandDims(r.adaptiveSlope, 1);
        return tf.tile(slope, [1, s, ...pre.lower.shape.slice(1).map(() => 1)]);
      });
      alphas.set(node.name, tf.variable(init, true, `alpha-crown/${node.name}/${alphas.size}`));
      init.dispose();
    }
    const bound = (): Tensor => backwardBounds(graph, intervals, ball, graph.outputName, spec, null, { alphas, safety: opts.safety }).lower!;
    // Start from CROWN's final bound (adaptive slopes, intersected with IBP as crown.ts does).
    let best = tf.tidy(() => tf.maximum(bound(), ibpMarginLowerBounds(graph, intervals, ball, spec, opts.safety)));
    if (alphas.size === 0) return best;
    const varList = [...alphas.values()];
    for (let t = 0; t < steps; t++) {
      let current: Tensor | undefined;
      const { value, grads } = tf.variableGrads(() => {
        const lb = bound();
        current = tf.keep(lb.clone());
        return tf.neg(tf.sum(lb)) as tf.Scalar;
      }, varList);
      optimizer.applyGradients(Object.entries(grads).map(([name, tensor]) => ({ name, tensor })));
      tf.dispose([value, ...Object.values(grads)]);
      for (const v of varList) {
        const clipped = tf.clipByValue(v, 0, 1);
        v.assign(clipped);
        clipped.dispose();
      }
      const next = tf.maximum(best, current!);
      tf.dispose([best, current!]);
      best = next;
    }
    // The last update is evaluated too.
    const last = tf.tidy(bound);
    const next = tf.maximum(best, last);
    tf.dispose([best, last]);
    return next;
  } finally {
    for (const v of alphas.values()) v.dispose();
    optimizer.dispose();
    disposeIntervals(intervals);
  }
}
