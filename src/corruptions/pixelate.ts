/**
 * Pixelate: box-downsample to ⌊side·c⌋ and upsample back with nearest (PIL BOX resize twice in the reference).
 * Paper: Hendrycks & Dietterich 2019, https://arxiv.org/abs/1903.12261.
 * c per severity — CIFAR-10-C (≤ 32 px): 0.95, 0.9, 0.85, 0.75, 0.65; ImageNet-C: 0.6, 0.5, 0.4, 0.3, 0.25.
 *
 * @example
 * ```ts
 * corruptionRegistry.get('pixelate').apply(image, [32, 32, 3], 5, createRandom(0));
 * ```
 */
import { defineCorruption } from './define.js';
import { pixelate as resample } from './image/warp.js';
import { IMAGENET_C } from './papers.js';

const imagenet = [0.6, 0.5, 0.4, 0.3, 0.25];

export const pixelate = defineCorruption<number>({
  id: 'pixelate',
  title: 'Pixelate',
  family: 'digital',
  suite: ['common'],
  paper: IMAGENET_C,
  random: false,
  graded: true,
  severities: { mnist: imagenet, cifar: [0.95, 0.9, 0.85, 0.75, 0.65], imagenet },
  corrupt: (image, c, { shape }) =>
    resample(image, shape, Math.max(1, Math.floor(shape[0] * c)), Math.max(1, Math.floor(shape[1] * c))),
});
