/** Random brightness: adds δ uniform in [−amount, amount] to every pixel, clipped to [0, 1]. */
import { z } from 'zod';
import { defineAugmentation, perImage } from './define.js';

export const brightnessSchema = z.object({ amount: z.number().min(0).max(1).default(0.2), p: z.number().min(0).max(1).default(1) }).strict();

export function createBrightness(input: z.input<typeof brightnessSchema> = {}) {
  const o = brightnessSchema.parse(input);
  return defineAugmentation({
    id: 'brightness',
    kind: 'image',
    apply(batch, random) {
      return perImage(batch, random, o.p, (image, out, r) => {
        const d = (2 * r.next() - 1) * o.amount;
        for (let i = 0; i < image.length; i++) out[i] = Math.min(1, Math.max(0, image[i] + d));
      });
    },
  });
}
