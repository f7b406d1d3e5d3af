/**
 * Scale: shrink about the centre (inverse map scale 1/s, so the content becomes s times smaller); bilinear,
 * zero outside. Deterministic.
 * Paper: Mu & Gilmer 2019 (MNIST-C, severity 3), https://arxiv.org/abs/1906.02337.
 * s per severity, all resolutions: 0.9, 0.8, 0.7, 0.6, 0.5.
 *
 * @example
 * ```ts
 * corruptionRegistry.get('scale').apply(digit, [28, 28, 1], 3, createRandom(0));
 * ```
 */
import { defineCorruption } from './define.js';
import { centredWarp } from './image/affine.js';
import { MNIST_C } from './papers.js';

export const scale = defineCorruption<number>({
  id: 'scale',
  title: 'Scale',
  family: 'geometric',
  suite: ['mnist-c'],
  paper: MNIST_C,
  random: false,
  graded: true,
  mnistcSeverity: 3,
  severities: { mnist: [0.9, 0.8, 0.7, 0.6, 0.5] },
  corrupt: (image, s, { shape }) => centredWarp(image, shape, 1 / s, 0, 0, 1 / s),
});
