/**
 * Differentiable certified-training bounds for TF.js LayersModels: IBP (Gowal et al. 2018,
 * https://arxiv.org/abs/1810.12715) and CROWN-IBP (Zhang et al., "Towards Stable and Efficient Training of
 * Verifiably Robust Neural Networks", ICLR 2020, https://arxiv.org/abs/1906.06316): IBP intermediate bounds, a
 * CROWN backward pass from the margin specification for the last layer, mixed as
 * β·CROWN-IBP + (1 − β)·IBP (the paper ramps β from 1 to 0 during training). All bounds are tfjs ops on the
 * layers' variables, so `tf.grad`, `tf.variableGrads` and `optimizer.minimize` differentiate them w.r.t. the
 * weights. The loss is Gowal et al.'s: cross-entropy of the label against −(margin lower bounds).
 * Layers: Dense, Conv2D, MaxPooling2D (non-overlapping), AveragePooling2D, Flatten, Dropout (identity, i.e. the
 * bound of the inference-time network), Activation/ReLU; activations relu/sigmoid/tanh/linear. Norms: linf, l2.
 * The bounds equal the graph IBP/CROWN-IBP bounds of the same model (tested).
 *
 * @example
 * const optimizer = tf.train.adam(1e-3);
 * optimizer.minimize(() => certifiedLoss(model, xBatch, labels, { epsilon: 0.1, method: 'crown-ibp', beta: 0.5 }));
 * certifiedMarginBounds(model, x, labels, { epsilon: 0.1, method: 'ibp' }); // Tensor2D [N, K]: lower bounds of z_y − z_j
 */
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { z } from 'zod';
import { tf, type Tensor, type Tensor2D } from '../engine/tf.js';
import { RampartError } from '../errors.js';
import { boundGraphFromLayers } from './bounds/from-layers.js';
import { ibpMarginLowerBounds, marginSpec } from './bounds/margins.js';
import { backwardBounds, defaultPropagation, disposeIntervals, forwardBounds, type InputBall } from './bounds/propagate.js';

export const certifiedBoundOptionsSchema = z
  .object({
    /** Radius of the input ball. */
    epsilon: z.number().nonnegative(),
    /** 'ibp' or 'crown-ibp'. */
    method: z.enum(['ibp', 'crown-ibp']).default('crown-ibp'),
    /** CROWN-IBP weight: β·CROWN-IBP + (1 − β)·IBP (1 = pure CROWN-IBP). */
    beta: z.number().min(0).max(1).default(1),
    norm: z.enum(['linf', 'l2']).default('linf'),
    /** Input bounds the ball is intersected with. */
    bounds: z.tuple([z.number(), z.number()]).default([0, 1]),
    /** Relative float32 safety widening of each bound (as the certification path). */
    safety: z.number().nonnegative().default(defaultPropagation.safety),
  })
  .strict();
export type CertifiedBoundOptions = z.input<typeof certifiedBoundOptionsSchema>;

function parseOptions(options: CertifiedBoundOptions): z.output<typeof certifiedBoundOptionsSchema> {
  const parsed = certifiedBoundOptionsSchema.safeParse(options);
  if (!parsed.success) {
    throw new RampartError('BAD_OPTION', `certifiedMarginBounds: invalid options (${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join(', ')}).`, { issues: parsed.error.issues });
  }
  return parsed.data;
}

/**
 * Lower bounds of z_y − z_j for every class j over the ball around each sample of x ([N, ...inputShape], NHWC
 * as the model takes it): Tensor2D [N, K] (column y ≈ 0). Differentiable w.r.t. the model's weights.
 */
export function certifiedMarginBounds(model: LayersModel, x: Tensor, labels: Tensor | Int32Array, options: CertifiedBoundOptions): Tensor2D {
  const opts = parseOptions(options);
  return tf.tidy(() => {
    const graph = boundGraphFromLayers(model);
    const numClasses = model.outputs[0]!.shape[model.outputs[0]!.shape.length - 1] as number;
    const y = labels instanceof Int32Array ? tf.tensor1d(labels, 'int32') : labels;
    const ball: InputBall = { center: x, norm: opts.norm, epsilon: opts.epsilon, bounds: opts.bounds };
    const intervals = forwardBounds(graph, ball, { intermediate: 'ibp', safety: opts.safety });
    const spec = marginSpec(y, numClasses);
    let lower: Tensor;
    const ibp = (): Tensor => ibpMarginLowerBounds(graph, intervals, ball, spec, opts.safety);
    const crownIbp = (): Tensor => backwardBounds(graph, intervals, ball, graph.outputName, spec, null, { safety: opts.safety }).lower!;
    if (opts.method === 'ibp' || opts.beta === 0) lower = ibp();
    else if (opts.beta === 1) lower = crownIbp();
    else lower = tf.add(tf.mul(crownIbp(), opts.beta), tf.mul(ibp(), 1 - opts.beta));
    disposeIntervals(intervals);
    graph.dispose();
    return lower as Tensor2D;
  });
}

/**
 * Gowal et al.'s certified loss: mean cross-entropy of the labels against the logits −lower (the worst-case
 * logits implied by the margin bounds). A scalar, differentiable w.r.t. the model's weights.
 */
export function certifiedLoss(model: LayersModel, x: Tensor, labels: Tensor | Int32Array, options: CertifiedBoundOptions): tf.Scalar {
  return tf.tidy(() => {
    const lower = certifiedMarginBounds(model, x, labels, options);
    const k = lower.shape[1];
    const y = labels instanceof Int32Array ? tf.tensor1d(labels, 'int32') : tf.cast(labels, 'int32');
    const oneHot = tf.oneHot(y as tf.Tensor1D, k);
    return tf.losses.softmaxCrossEntropy(oneHot, tf.neg(lower)) as tf.Scalar;
  });
}
