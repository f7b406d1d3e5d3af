/**
 * Stripe: invert the leftmost and rightmost quarter of the columns (columns 0–6 and 21–27 on 28 px).
 * Ungraded (the same at every severity), deterministic.
 * Paper: Mu & Gilmer 2019 (MNIST-C), https://arxiv.org/abs/1906.02337.
 *
 * @example
 * ```ts
 * corruptionRegistry.get('stripe').apply(digit, [28, 28, 1], 1, createRandom(0));
 * ```
 */
import { defineCorruption } from './define.js';
import { MNIST_C } from './papers.js';

export const stripe = defineCorruption<null>({
  id: 'stripe',
  title: 'Stripe',
  family: 'overlay',
  suite: ['mnist-c'],
  paper: MNIST_C,
  random: false,
  graded: false,
  mnistcSeverity: 1,
  severities: { mnist: [null, null, null, null, null] },
  corrupt: (image, _p, { shape }) => {
    const [, w, c] = shape;
    const left = Math.round(w / 4);
    const right = w - left;
    return image.map((v, i) => {
      const x = Math.floor(i / c) % w;
      return x < left || x >= right ? 1 - v : v;
    });
  },
});
