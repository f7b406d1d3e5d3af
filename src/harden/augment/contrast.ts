/** Random contrast: scales each pixel's distance from the image mean by a factor in [1 − amount, 1 + amount], clipped. */
import { z } from 'zod';
import { defineAugmentation, perImage } from './define.js';

export const contrastSchema = z.object({ amount: z.number().min(0).max(1).default(0.3), p: z.number().min(0).max(1).default(1) }).strict();

export function createContrast(input: z.input<typeof contrastSchema> = {}) {
  const o = contrastSchema.parse(input);
  return defineAugmentation({
    id: 'contrast',
    kind: 'image',
    apply(batch, random) {
      return perImage(batch, random, o.p, (image, out, r) => {
        const f = 1 + (2 * r.next() - 1) * o.amount;
        let mean = 0;
        for (let i = 0; i < image.length; i++) mean += image[i];
        mean /= image.length;
        for (let i = 0; i < image.length; i++) out[i] = Math.min(1, Math.max(0, mean + (image[i] - mean) * f));
      });
    },
  });
}
