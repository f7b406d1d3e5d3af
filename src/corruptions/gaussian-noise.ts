/**
 * Gaussian noise: x + N(0, σ²) per value, clipped to [0, 1].
 * Paper: Hendrycks & Dietterich 2019, https://arxiv.org/abs/1903.12261.
 * σ per severity — CIFAR-10-C (≤ 32 px): 0.04, 0.06, 0.08, 0.09, 0.10; ImageNet-C: 0.08, 0.12, 0.18, 0.26, 0.38.
 *
 * @example
 * ```ts
 * corruptionRegistry.get('gaussian-noise').apply(image, [32, 32, 3], 3, createRandom(0));
 * ```
 */
import { defineCorruption } from './define.js';
import { IMAGENET_C } from './papers.js';

export const gaussianNoise = defineCorruption<number>({
  id: 'gaussian-noise',
  title: 'Gaussian noise',
  family: 'noise',
  suite: ['common'],
  paper: IMAGENET_C,
  random: true,
  graded: true,
  severities: { cifar: [0.04, 0.06, 0.08, 0.09, 0.1], imagenet: [0.08, 0.12, 0.18, 0.26, 0.38] },
  corrupt: (image, sigma, { random }) => image.map((v) => v + sigma * random.normal()),
});
