/** Random zoom by a factor uniform in [1 − amount, 1 + amount] about the centre (bilinear, zero fill). */
import { z } from 'zod';
import { defineAugmentation, imageDims, perImage, warp } from './define.js';

export const scaleSchema = z.object({ amount: z.number().min(0).max(0.9).default(0.1), p: z.number().min(0).max(1).default(1) }).strict();

export function createScale(input: z.input<typeof scaleSchema> = {}) {
  const o = scaleSchema.parse(input);
  return defineAugmentation({
    id: 'scale',
    kind: 'image',
    apply(batch, random) {
      const dims = imageDims(batch, 'scale');
      const cy = (dims[0] - 1) / 2;
      const cx = (dims[1] - 1) / 2;
      return perImage(batch, random, o.p, (image, out, r) => {
        const s = 1 + (2 * r.next() - 1) * o.amount;
        warp(image, out, dims, (y, x) => [cy + (y - cy) / s, cx + (x - cx) / s]);
      });
    },
  });
}
