/**
 * Brightness: add c to the HSV value channel (grayscale images go through gray → RGB → HSV and back).
 * Papers: Hendrycks & Dietterich 2019 (https://arxiv.org/abs/1903.12261); Mu & Gilmer 2019 (MNIST-C, severity 5).
 * c per severity — MNIST-C / ImageNet-C: 0.1, 0.2, 0.3, 0.4, 0.5; CIFAR-10-C (≤ 32 px): 0.05, 0.1, 0.15, 0.2, 0.3.
 *
 * @example
 * ```ts
 * corruptionRegistry.get('brightness').apply(digit, [28, 28, 1], 5, createRandom(0));
 * ```
 */
import { defineCorruption } from './define.js';
import { mapHsv } from './image/color.js';
import { IMAGENET_C } from './papers.js';

const imagenet = [0.1, 0.2, 0.3, 0.4, 0.5];

export const brightness = defineCorruption<number>({
  id: 'brightness',
  title: 'Brightness',
  family: 'weather',
  suite: ['mnist-c', 'common'],
  paper: IMAGENET_C,
  random: false,
  graded: true,
  mnistcSeverity: 5,
  severities: { mnist: imagenet, cifar: [0.05, 0.1, 0.15, 0.2, 0.3], imagenet },
  corrupt: (image, c, { shape }) =>
    shape[2] === 1 ? image.map((v) => Math.min(1, v + c)) : mapHsv(image, 3, ([h, s, v]) => [h, s, v + c]),
});
