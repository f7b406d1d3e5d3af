/**
 * Shot (Poisson) noise: Poisson(x·c)/c per value, so fewer photons (smaller c) mean more noise.
 * Papers: Hendrycks & Dietterich 2019 (https://arxiv.org/abs/1903.12261); Mu & Gilmer 2019 (MNIST-C,
 * https://arxiv.org/abs/1906.02337, which uses the ImageNet-C table at severity 5).
 * c per severity — MNIST-C / ImageNet-C: 60, 25, 12, 5, 3; CIFAR-10-C (≤ 32 px): 500, 250, 100, 75, 50.
 * Poisson sampling: exact below λ = 30, normal approximation above.
 *
 * @example
 * ```ts
 * corruptionRegistry.get('shot-noise').apply(digit, [28, 28, 1], 5, createRandom(0));
 * ```
 */
import { defineCorruption } from './define.js';
import { poisson } from './image/noise.js';
import { IMAGENET_C } from './papers.js';

const imagenet = [60, 25, 12, 5, 3];

export const shotNoise = defineCorruption<number>({
  id: 'shot-noise',
  title: 'Shot noise',
  family: 'noise',
  suite: ['mnist-c', 'common'],
  paper: IMAGENET_C,
  random: true,
  graded: true,
  mnistcSeverity: 5,
  severities: { mnist: imagenet, cifar: [500, 250, 100, 75, 50], imagenet },
  corrupt: (image, c, { random }) => image.map((v) => poisson(v * c, random) / c),
});
