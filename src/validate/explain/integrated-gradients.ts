/**
 * Integrated Gradients: attributions (x − x') ⊙ ∫₀¹ ∂S_c(x' + α(x − x'))/∂x dα along the straight path from a
 * baseline x' to x, approximated with the trapezoidal rule on `steps` intervals. The attributions add up to
 * S_c(x) − S_c(x') (completeness) up to the quadrature error, which `expectedSum` lets the caller measure.
 * Sundararajan, Taly & Yan 2017, "Axiomatic Attribution for Deep Networks", https://arxiv.org/abs/1703.01365.
 * Needs input gradients; steps + 1 gradients per input.
 *
 * @example
 * rampart explain --model builtin:mnist-cnn --method integrated-gradients --limit 4 --out explain/
 */
import { z } from 'zod';
import { tf, type Tensor } from '../../engine/tf.js';
import { defineExplainer } from './define.js';
import { classScoreGradientChunked, classScores } from './gradients.js';

export const integratedGradientsOptions = z
  .object({
    /** Trapezoid intervals along the path (gradients per input: steps + 1). */
    steps: z.number().int().min(1).max(10_000).default(64),
    /** Baseline x': 'min' (every value at the lower input bound: a black image), 'zero', or a constant. */
    baseline: z.union([z.enum(['min', 'zero']), z.number()]).default('min'),
    /** Path points per gradient batch. */
    batchSize: z.number().int().min(1).max(100_000).default(128),
  })
  .strict();

export const integratedGradients = defineExplainer({
  id: 'integrated-gradients',
  title: 'Integrated Gradients',
  paper: 'Sundararajan, Taly & Yan 2017, https://arxiv.org/abs/1703.01365',
  options: integratedGradientsOptions,
  attribute: ({ model, x, classes, output }, options) => {
    const baselineValue = options.baseline === 'min' ? model.bounds[0] : options.baseline === 'zero' ? 0 : options.baseline;
    const m = options.steps;
    // Trapezoid weights on α_k = k/m: 1/(2m) at the ends, 1/m inside.
    const weights = Float32Array.from({ length: m + 1 }, (_, k) => (k === 0 || k === m ? 0.5 : 1) / m);
    const alphas = Float32Array.from({ length: m + 1 }, (_, k) => k / m);
    const n = x.shape[0];
    const sampleShape = x.shape.slice(1);
    const ones = sampleShape.map(() => 1);
    const rows: Tensor[] = [];
    for (let i = 0; i < n; i++) {
      rows.push(
        tf.tidy(() => {
          const xi = tf.slice(x, i, 1);
          const baseline = tf.fill(xi.shape, baselineValue);
          const diff = tf.sub(xi, baseline);
          const path = tf.add(baseline, tf.mul(tf.reshape(tf.tensor1d(alphas), [m + 1, ...ones]), diff));
          const grads = classScoreGradientChunked(model, path, new Int32Array(m + 1).fill(classes[i]), output, options.batchSize);
          const average = tf.sum(tf.mul(grads, tf.reshape(tf.tensor1d(weights), [m + 1, ...ones])), 0, true);
          return tf.mul(diff, average);
        }),
      );
    }
    const attributions = tf.concat(rows, 0);
    tf.dispose(rows);
    const expectedSum = tf.tidy(() => {
      const atX = classScores(model, x, classes, output);
      const atBaseline = classScores(model, tf.fill(x.shape, baselineValue), classes, output);
      return tf.sub(atX, atBaseline);
    });
    const values = expectedSum.dataSync() as Float32Array;
    expectedSum.dispose();
    return { attributions, expectedSum: Float32Array.from(values) };
  },
});
