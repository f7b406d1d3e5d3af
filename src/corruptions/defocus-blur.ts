/**
 * Defocus blur: convolution with an anti-aliased disk of radius r (the aliased disk, then a small Gaussian
 * σ_alias as the reference's cv2.GaussianBlur; see image/filters.ts diskBlur), border reflect-101.
 * Paper: Hendrycks & Dietterich 2019, https://arxiv.org/abs/1903.12261.
 * (r, σ_alias) per severity — CIFAR-10-C (≤ 32 px): (0.3, 0.4), (0.4, 0.5), (0.5, 0.6), (1, 0.2), (1.5, 0.1);
 * ImageNet-C: (3, 0.1), (4, 0.5), (6, 0.5), (8, 0.5), (10, 0.5).
 *
 * @example
 * ```ts
 * corruptionRegistry.get('defocus-blur').apply(image, [32, 32, 3], 3, createRandom(0));
 * ```
 */
import { defineCorruption } from './define.js';
import { diskBlur } from './image/filters.js';
import { IMAGENET_C } from './papers.js';

type P = readonly [number, number];
const imagenet: P[] = [[3, 0.1], [4, 0.5], [6, 0.5], [8, 0.5], [10, 0.5]];

export const defocusBlur = defineCorruption<P>({
  id: 'defocus-blur',
  title: 'Defocus blur',
  family: 'blur',
  suite: ['common'],
  paper: IMAGENET_C,
  random: false,
  graded: true,
  severities: { mnist: imagenet, cifar: [[0.3, 0.4], [0.4, 0.5], [0.5, 0.6], [1, 0.2], [1.5, 0.1]], imagenet },
  corrupt: (image, [radius, alias], { shape }) => diskBlur(image, shape, radius, alias),
});
