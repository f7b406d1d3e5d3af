/**
 * Identity: the clean image, the MNIST-C suite's reference row.
 * Paper: Mu & Gilmer 2019, https://arxiv.org/abs/1906.02337.
 *
 * @example
 * ```ts
 * corruptionRegistry.get('identity').apply(image, [28, 28, 1], 1, createRandom(0)); // a copy of image
 * ```
 */
import { defineCorruption } from './define.js';
import { MNIST_C } from './papers.js';

export const identity = defineCorruption<null>({
  id: 'identity',
  title: 'Identity',
  family: 'identity',
  suite: ['mnist-c'],
  paper: MNIST_C,
  random: false,
  graded: false,
  mnistcSeverity: 1,
  severities: { mnist: [null, null, null, null, null] },
  corrupt: (image) => image.slice(),
});
