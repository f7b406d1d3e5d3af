/**
 * Saturate: HSV saturation s·a + b. Has no effect on grayscale images (saturation 0), so `graded` only holds for RGB.
 * Paper: Hendrycks & Dietterich 2019 (held-out corruption), https://arxiv.org/abs/1903.12261.
 * (a, b) per severity — CIFAR-10-C (≤ 32 px): (0.3, 0), (0.1, 0), (1.5, 0), (2, 0.1), (2.5, 0.2);
 * ImageNet-C: (0.3, 0), (0.1, 0), (2, 0), (5, 0.1), (20, 0.2). Severities 1–2 desaturate, 3–5 oversaturate,
 * so the change is not monotone in severity between 2 and 3 (as in the reference).
 *
 * @example
 * ```ts
 * corruptionRegistry.get('saturate').apply(image, [32, 32, 3], 5, createRandom(0));
 * ```
 */
import { defineCorruption } from './define.js';
import { mapHsv } from './image/color.js';
import { IMAGENET_C } from './papers.js';

type P = readonly [number, number];

export const saturate = defineCorruption<P>({
  id: 'saturate',
  title: 'Saturate',
  family: 'digital',
  suite: ['common-extra'],
  paper: IMAGENET_C,
  random: false,
  graded: false,
  severities: {
    cifar: [[0.3, 0], [0.1, 0], [1.5, 0], [2, 0.1], [2.5, 0.2]],
    imagenet: [[0.3, 0], [0.1, 0], [2, 0], [5, 0.1], [20, 0.2]],
  },
  corrupt: (image, [a, b], { shape }) =>
    shape[2] === 1 ? image.slice() : mapHsv(image, 3, ([h, s, v]) => [h, s * a + b, v]),
});
