/** Random integer translation by up to `pixels` in each direction (zero fill), as `rampart train --shift`. */
import { z } from 'zod';
import { defineAugmentation, imageDims, perImage } from './define.js';

export const translateSchema = z.object({ pixels: z.number().int().min(0).max(16).default(2), p: z.number().min(0).max(1).default(1) }).strict();

export function createTranslate(input: z.input<typeof translateSchema> = {}) {
  const o = translateSchema.parse(input);
  return defineAugmentation({
    id: 'translate',
    kind: 'image',
    apply(batch, random) {
      const [h, w, c] = imageDims(batch, 'translate');
      return perImage(batch, random, o.p, (image, out, r) => {
        const dy = r.int(2 * o.pixels + 1) - o.pixels;
        const dx = r.int(2 * o.pixels + 1) - o.pixels;
        out.fill(0);
        for (let y = 0; y < h; y++) {
          const sy = y - dy;
          if (sy < 0 || sy >= h) continue;
          for (let x = 0; x < w; x++) {
            const sx = x - dx;
            if (sx < 0 || sx >= w) continue;
            for (let k = 0; k < c; k++) out[(y * w + x) * c + k] = image[(sy * w + sx) * c + k];
          }
        }
      });
    },
  });
}
