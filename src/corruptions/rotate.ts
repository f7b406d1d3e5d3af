/**
 * Rotate: rotation by ±c radians about the image centre (skimage AffineTransform(rotation=c) as the inverse map),
 * direction chosen at random; bilinear, zero outside.
 * Paper: Mu & Gilmer 2019 (MNIST-C, severity 2), https://arxiv.org/abs/1906.02337.
 * c (radians) per severity, all resolutions: 0.2, 0.4, 0.6, 0.8, 1.0.
 *
 * @example
 * ```ts
 * corruptionRegistry.get('rotate').apply(digit, [28, 28, 1], 2, createRandom(0));
 * ```
 */
import { defineCorruption } from './define.js';
import { centredWarp } from './image/affine.js';
import { MNIST_C } from './papers.js';

export const rotate = defineCorruption<number>({
  id: 'rotate',
  title: 'Rotate',
  family: 'geometric',
  suite: ['mnist-c'],
  paper: MNIST_C,
  random: true,
  graded: true,
  mnistcSeverity: 2,
  severities: { mnist: [0.2, 0.4, 0.6, 0.8, 1] },
  corrupt: (image, c, { shape, random }) => {
    const r = random.next() < 0.5 ? -c : c;
    return centredWarp(image, shape, Math.cos(r), -Math.sin(r), Math.sin(r), Math.cos(r));
  },
});
