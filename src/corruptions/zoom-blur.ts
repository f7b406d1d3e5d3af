/**
 * Zoom blur: the mean of the image and centred zooms of it by each factor in a range (as if the camera moved
 * forward during exposure).
 * Paper: Hendrycks & Dietterich 2019, https://arxiv.org/abs/1903.12261.
 * Zoom factors per severity — CIFAR-10-C (≤ 32 px): 1..1.05, 1..1.10, 1..1.15, 1..1.20, 1..1.25 (step 0.01);
 * ImageNet-C: 1..1.10 (0.01), 1..1.15 (0.01), 1..1.20 (0.02), 1..1.25 (0.02), 1..1.30 (0.03).
 *
 * @example
 * ```ts
 * corruptionRegistry.get('zoom-blur').apply(image, [32, 32, 3], 3, createRandom(0));
 * ```
 */
import { defineCorruption } from './define.js';
import { clippedZoom } from './image/warp.js';
import { IMAGENET_C } from './papers.js';

function range(stop: number, step: number): number[] {
  const out: number[] = [];
  for (let i = 0; 1 + i * step < stop - 1e-9; i++) out.push(1 + i * step);
  return out;
}
const imagenet = [range(1.11, 0.01), range(1.16, 0.01), range(1.21, 0.02), range(1.26, 0.02), range(1.31, 0.03)];

export const zoomBlur = defineCorruption<number[]>({
  id: 'zoom-blur',
  title: 'Zoom blur',
  family: 'blur',
  suite: ['common'],
  paper: IMAGENET_C,
  random: false,
  graded: true,
  severities: {
    mnist: imagenet,
    cifar: [range(1.06, 0.01), range(1.11, 0.01), range(1.16, 0.01), range(1.21, 0.01), range(1.26, 0.01)],
    imagenet,
  },
  corrupt: (image, factors, { shape }) => {
    const out = image.slice();
    for (const f of factors) {
      const z = clippedZoom(image, shape, f);
      for (let i = 0; i < out.length; i++) out[i] += z[i];
    }
    for (let i = 0; i < out.length; i++) out[i] /= factors.length + 1;
    return out;
  },
});
