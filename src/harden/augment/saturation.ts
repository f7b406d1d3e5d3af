/**
 * Random saturation: blends each RGB pixel with its luminance (ITU-R 601 weights 0.299, 0.587, 0.114) by a factor
 * in [1 − amount, 1 + amount], clipped. Grey images (C = 1) pass through unchanged.
 */
import { z } from 'zod';
import { defineAugmentation, perImage } from './define.js';

export const saturationSchema = z.object({ amount: z.number().min(0).max(1).default(0.3), p: z.number().min(0).max(1).default(1) }).strict();

export function createSaturation(input: z.input<typeof saturationSchema> = {}) {
  const o = saturationSchema.parse(input);
  return defineAugmentation({
    id: 'saturation',
    kind: 'image',
    apply(batch, random) {
      const channels = batch.sampleShape.length === 3 ? batch.sampleShape[2] : 1;
      return perImage(batch, random, channels === 3 ? o.p : 0, (image, out, r) => {
        const f = 1 + (2 * r.next() - 1) * o.amount;
        for (let i = 0; i < image.length; i += 3) {
          const grey = 0.299 * image[i] + 0.587 * image[i + 1] + 0.114 * image[i + 2];
          for (let k = 0; k < 3; k++) out[i + k] = Math.min(1, Math.max(0, grey + (image[i + k] - grey) * f));
        }
      });
    },
  });
}
