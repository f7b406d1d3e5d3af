/** Random rotation by an angle uniform in [−degrees, degrees] about the image centre (bilinear, zero fill). */
import { z } from 'zod';
import { defineAugmentation, imageDims, perImage, warp } from './define.js';

export const rotateSchema = z.object({ degrees: z.number().min(0).max(180).default(15), p: z.number().min(0).max(1).default(1) }).strict();

export function createRotate(input: z.input<typeof rotateSchema> = {}) {
  const o = rotateSchema.parse(input);
  return defineAugmentation({
    id: 'rotate',
    kind: 'image',
    apply(batch, random) {
      const dims = imageDims(batch, 'rotate');
      const cy = (dims[0] - 1) / 2;
      const cx = (dims[1] - 1) / 2;
      return perImage(batch, random, o.p, (image, out, r) => {
        const a = ((2 * r.next() - 1) * o.degrees * Math.PI) / 180;
        const cos = Math.cos(a);
        const sin = Math.sin(a);
        warp(image, out, dims, (y, x) => [cy + (y - cy) * cos - (x - cx) * sin, cx + (y - cy) * sin + (x - cx) * cos]);
      });
    },
  });
}
