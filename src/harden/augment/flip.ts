/** Random horizontal (or vertical) mirror with probability p. Not label-preserving for digits: use on natural images. */
import { z } from 'zod';
import { defineAugmentation, imageDims, perImage } from './define.js';

export const flipSchema = z.object({ axis: z.enum(['horizontal', 'vertical']).default('horizontal'), p: z.number().min(0).max(1).default(0.5) }).strict();

export function createFlip(input: z.input<typeof flipSchema> = {}) {
  const o = flipSchema.parse(input);
  return defineAugmentation({
    id: 'flip',
    kind: 'image',
    apply(batch, random) {
      const [h, w, c] = imageDims(batch, 'flip');
      return perImage(batch, random, o.p, (image, out) => {
        for (let y = 0; y < h; y++)
          for (let x = 0; x < w; x++) {
            const sy = o.axis === 'vertical' ? h - 1 - y : y;
            const sx = o.axis === 'horizontal' ? w - 1 - x : x;
            for (let k = 0; k < c; k++) out[(y * w + x) * c + k] = image[(sy * w + sx) * c + k];
          }
      });
    },
  });
}
