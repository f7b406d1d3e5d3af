/**
 * Speckle noise: x + x·N(0, σ²) per value (multiplicative), clipped.
 * Paper: Hendrycks & Dietterich 2019 (held-out corruption), https://arxiv.org/abs/1903.12261.
 * σ per severity — CIFAR-10-C (≤ 32 px): 0.06, 0.1, 0.12, 0.16, 0.2; ImageNet-C: 0.15, 0.2, 0.35, 0.45, 0.6.
 *
 * @example
 * ```ts
 * corruptionRegistry.get('speckle-noise').apply(image, [32, 32, 3], 2, createRandom(0));
 * ```
 */
import { defineCorruption } from './define.js';
import { IMAGENET_C } from './papers.js';

export const speckleNoise = defineCorruption<number>({
  id: 'speckle-noise',
  title: 'Speckle noise',
  family: 'noise',
  suite: ['common-extra'],
  paper: IMAGENET_C,
  random: true,
  graded: true,
  severities: { cifar: [0.06, 0.1, 0.12, 0.16, 0.2], imagenet: [0.15, 0.2, 0.35, 0.45, 0.6] },
  corrupt: (image, sigma, { random }) => image.map((v) => v + v * sigma * random.normal()),
});
