/**
 * SmoothGrad: the vanilla gradient averaged over `samples` noisy copies x + N(0, σ²), σ = noiseLevel·(max − min)
 * of the input bounds, which removes much of the gradient's high-frequency noise.
 * Smilkov, Thorat, Kim, Viégas & Wattenberg 2017, "SmoothGrad: removing noise by adding noise",
 * https://arxiv.org/abs/1706.03825 (noise level 10–20% recommended; 50 samples). Needs input gradients.
 *
 * @example
 * rampart explain --model builtin:mnist-cnn --method smoothgrad --limit 4 --out explain/
 */
import { z } from 'zod';
import { tf, type Tensor } from '../../engine/tf.js';
import { addGaussianNoise } from '../../certify/noise.js';
import { defineExplainer } from './define.js';
import { classScoreGradientChunked } from './gradients.js';

export const smoothgradOptions = z
  .object({
    samples: z.number().int().min(1).max(10_000).default(50),
    /** σ as a fraction of the input range. */
    noiseLevel: z.number().min(0).max(10).default(0.15),
    /** Average squared gradients (SmoothGrad², Hooker et al. 2019) instead of gradients. */
    squared: z.boolean().default(false),
    batchSize: z.number().int().min(1).max(100_000).default(128),
  })
  .strict();

export const smoothgrad = defineExplainer({
  id: 'smoothgrad',
  title: 'SmoothGrad',
  paper: 'Smilkov et al. 2017, https://arxiv.org/abs/1706.03825',
  options: smoothgradOptions,
  attribute: ({ model, x, classes, output, random }, options) => {
    const sigma = options.noiseLevel * (model.bounds[1] - model.bounds[0]);
    const n = x.shape[0];
    const sampleShape = x.shape.slice(1);
    const size = sampleShape.reduce((a, b) => a * b, 1);
    const clean = x.dataSync() as Float32Array;
    const rows: Tensor[] = [];
    for (let i = 0; i < n; i++) {
      const sample = clean.subarray(i * size, (i + 1) * size);
      const noisy = new Float32Array(options.samples * size);
      for (let s = 0; s < options.samples; s++) addGaussianNoise(sample, sigma, random, noisy.subarray(s * size, (s + 1) * size));
      rows.push(
        tf.tidy(() => {
          const grads = classScoreGradientChunked(model, tf.tensor(noisy, [options.samples, ...sampleShape]), new Int32Array(options.samples).fill(classes[i]), output, options.batchSize);
          return tf.mean(options.squared ? tf.square(grads) : grads, 0, true);
        }),
      );
    }
    const attributions = tf.concat(rows, 0);
    tf.dispose(rows);
    return { attributions };
  },
});
