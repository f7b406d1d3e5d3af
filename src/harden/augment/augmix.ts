/**
 * AugMix-style corruption mixing (Hendrycks et al. 2020, https://arxiv.org/abs/1912.02781): `width` chains of
 * 1..`depth` operations drawn from Rampart's corruption library (src/corruptions, at severity 1..`severity`), mixed
 * with Dirichlet(α) weights, then blended with the original image by m ~ Beta(α, α):
 * x̃ = m·x + (1−m)·Σᵢ wᵢ·chainᵢ(x). (The Jensen–Shannon consistency loss of the paper is not used; this is the
 * augmentation only.) Default operations are the mild MNIST-C-compatible ones; any registry ids may be given.
 */
import { z } from 'zod';
import { corruptionRegistry } from '../../corruptions/builtin.js';
import { defineAugmentation, imageDims, perImage } from './define.js';
import { sampleBeta, sampleGamma } from './mixup.js';

export const augmixSchema = z
  .object({
    width: z.number().int().min(1).max(8).default(3),
    depth: z.number().int().min(1).max(4).default(2),
    severity: z.number().int().min(1).max(5).default(2),
    alpha: z.number().positive().default(1),
    operations: z.array(z.string()).min(1).default(['rotate', 'translate', 'shear', 'scale', 'brightness', 'contrast', 'gaussian-noise']),
    p: z.number().min(0).max(1).default(1),
  })
  .strict();

export function createAugmix(input: z.input<typeof augmixSchema> = {}) {
  const o = augmixSchema.parse(input);
  const operations = o.operations.map((id) => corruptionRegistry.get(id));
  return defineAugmentation({
    id: 'augmix',
    kind: 'image',
    apply(batch, random) {
      const dims = imageDims(batch, 'augmix');
      return perImage(batch, random, o.p, (image, out, r) => {
        const g = Array.from({ length: o.width }, () => sampleGamma(o.alpha, r));
        const total = g.reduce((a, b) => a + b, 0);
        const mix = new Float32Array(image.length);
        for (let k = 0; k < o.width; k++) {
          let chained = image;
          const depth = 1 + r.int(o.depth);
          for (let d = 0; d < depth; d++) {
            const op = operations[r.int(operations.length)];
            chained = op.apply(chained, dims, 1 + r.int(o.severity), r);
          }
          for (let i = 0; i < mix.length; i++) mix[i] += (g[k] / total) * chained[i];
        }
        const m = sampleBeta(o.alpha, o.alpha, r);
        for (let i = 0; i < image.length; i++) out[i] = m * image[i] + (1 - m) * mix[i];
      });
    },
  });
}
