/**
 * CutMix (Yun et al. 2019, https://arxiv.org/abs/1905.04899): paste a random box of a partner image; the label
 * weight λ is the fraction of the image NOT covered by the box (recomputed after clipping the box to the image).
 * Box area ratio drawn as 1 − λ₀ with λ₀ ~ Beta(α, α).
 */
import { z } from 'zod';
import { permutation } from '../../engine/random.js';
import { defineAugmentation, imageDims } from './define.js';
import { sampleBeta } from './mixup.js';

export const cutmixSchema = z.object({ alpha: z.number().positive().max(10).default(1) }).strict();

export function createCutmix(input: z.input<typeof cutmixSchema> = {}) {
  const o = cutmixSchema.parse(input);
  return defineAugmentation({
    id: 'cutmix',
    kind: 'mix',
    apply(batch, random) {
      const [h, w, c] = imageDims(batch, 'cutmix');
      const size = h * w * c;
      const partner = permutation(batch.count, random);
      const x = Float32Array.from(batch.x);
      const lambda = new Float32Array(batch.count);
      const mixLabels = new Int32Array(batch.count);
      for (let n = 0; n < batch.count; n++) {
        const l0 = sampleBeta(o.alpha, o.alpha, random);
        const cut = Math.sqrt(1 - l0);
        const bh = Math.round(h * cut);
        const bw = Math.round(w * cut);
        const cy = random.int(h);
        const cx = random.int(w);
        const y0 = Math.max(0, cy - (bh >> 1));
        const y1 = Math.min(h, cy + bh - (bh >> 1));
        const x0 = Math.max(0, cx - (bw >> 1));
        const x1 = Math.min(w, cx + bw - (bw >> 1));
        const j = partner[n];
        for (let y = y0; y < y1; y++)
          for (let xx = x0; xx < x1; xx++)
            for (let k = 0; k < c; k++) x[n * size + (y * w + xx) * c + k] = batch.x[j * size + (y * w + xx) * c + k];
        lambda[n] = 1 - ((y1 - y0) * (x1 - x0)) / (h * w);
        mixLabels[n] = batch.labels[j];
      }
      return { x, labels: batch.labels, mixLabels, lambda };
    },
  });
}
