/**
 * Additive Gaussian noise N(0, σ²) per pixel. With `clip: false` (the default for noise training) the noisy input
 * is not clipped, matching randomized smoothing's base-classifier distribution (Cohen et al. 2019,
 * https://arxiv.org/abs/1902.02918, train with the same σ used to certify).
 */
import { z } from 'zod';
import { defineAugmentation, perImage } from './define.js';

export const gaussianNoiseSchema = z.object({ sigma: z.number().min(0).max(10).default(0.25), clip: z.boolean().default(false), p: z.number().min(0).max(1).default(1) }).strict();

export function createGaussianNoise(input: z.input<typeof gaussianNoiseSchema> = {}) {
  const o = gaussianNoiseSchema.parse(input);
  return defineAugmentation({
    id: 'gaussian-noise',
    kind: 'image',
    apply(batch, random) {
      return perImage(batch, random, o.p, (image, out, r) => {
        for (let i = 0; i < image.length; i++) {
          const v = image[i] + o.sigma * r.normal();
          out[i] = o.clip ? Math.min(1, Math.max(0, v)) : v;
        }
      });
    },
  });
}
