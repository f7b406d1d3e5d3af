/**
 * Gaussian blur with standard deviation σ pixels (border: nearest).
 * Paper: Hendrycks & Dietterich 2019 (held-out corruption), https://arxiv.org/abs/1903.12261.
 * σ per severity — CIFAR-10-C (≤ 32 px): 0.4, 0.6, 0.7, 0.8, 1; ImageNet-C and MNIST-C's extended set: 1, 2, 3, 4, 6.
 *
 * @example
 * ```ts
 * corruptionRegistry.get('gaussian-blur').apply(image, [32, 32, 3], 2, createRandom(0));
 * ```
 */
import { defineCorruption } from './define.js';
import { gaussianBlur as blur } from './image/filters.js';
import { IMAGENET_C } from './papers.js';

const imagenet = [1, 2, 3, 4, 6];

export const gaussianBlur = defineCorruption<number>({
  id: 'gaussian-blur',
  title: 'Gaussian blur',
  family: 'blur',
  suite: ['common-extra'],
  paper: IMAGENET_C,
  random: false,
  graded: true,
  severities: { mnist: imagenet, cifar: [0.4, 0.6, 0.7, 0.8, 1], imagenet },
  corrupt: (image, sigma, { shape }) => blur(image, shape, sigma),
});
