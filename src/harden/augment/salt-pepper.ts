/** Salt-and-pepper noise: each pixel (all channels) set to 0 or 1 with probability `amount` (half each). */
import { z } from 'zod';
import { defineAugmentation, perImage } from './define.js';

export const saltPepperSchema = z.object({ amount: z.number().min(0).max(1).default(0.05), p: z.number().min(0).max(1).default(1) }).strict();

export function createSaltPepper(input: z.input<typeof saltPepperSchema> = {}) {
  const o = saltPepperSchema.parse(input);
  return defineAugmentation({
    id: 'salt-pepper',
    kind: 'image',
    apply(batch, random) {
      const c = batch.sampleShape.length === 3 ? batch.sampleShape[2] : 1;
      return perImage(batch, random, o.p, (image, out, r) => {
        out.set(image);
        for (let i = 0; i < image.length; i += c) {
          if (r.next() >= o.amount) continue;
          const v = r.next() < 0.5 ? 0 : 1;
          for (let k = 0; k < c; k++) out[i + k] = v;
        }
      });
    },
  });
}
