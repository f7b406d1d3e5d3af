/**
 * Translate: shift by (±c, ±c) pixels (signs at random), zero fill. c is given for 28 px and scaled with the
 * image side.
 * Paper: Mu & Gilmer 2019 (MNIST-C, severity 3), https://arxiv.org/abs/1906.02337.
 * c per severity (28 px): 1, 2, 3, 4, 5.
 *
 * @example
 * ```ts
 * corruptionRegistry.get('translate').apply(digit, [28, 28, 1], 3, createRandom(0));
 * ```
 */
import { defineCorruption } from './define.js';
import { affineWarp } from './image/warp.js';
import { MNIST_C } from './papers.js';

export const translate = defineCorruption<number>({
  id: 'translate',
  title: 'Translate',
  family: 'geometric',
  suite: ['mnist-c'],
  paper: MNIST_C,
  random: true,
  graded: true,
  mnistcSeverity: 3,
  severities: { mnist: [1, 2, 3, 4, 5] },
  corrupt: (image, c, { shape, random }) => {
    const dx = Math.round((c * shape[1]) / 28) * (random.next() < 0.5 ? -1 : 1);
    const dy = Math.round((c * shape[0]) / 28) * (random.next() < 0.5 ? -1 : 1);
    return affineWarp(image, shape, [1, 0, dx, 0, 1, dy]);
  },
});
