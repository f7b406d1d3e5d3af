/**
 * Impulse (salt-and-pepper) noise: a fraction `amount` of the values is replaced, half by 0 and half by 1
 * (per value, like skimage's `random_noise(mode='s&p')`).
 * Papers: Hendrycks & Dietterich 2019 (https://arxiv.org/abs/1903.12261); Mu & Gilmer 2019 (MNIST-C,
 * severity 4). amount per severity — MNIST-C / ImageNet-C: 0.03, 0.06, 0.09, 0.17, 0.27; CIFAR-10-C:
 * 0.01, 0.02, 0.03, 0.05, 0.07.
 *
 * @example
 * ```ts
 * corruptionRegistry.get('impulse-noise').apply(digit, [28, 28, 1], 4, createRandom(0));
 * ```
 */
import { defineCorruption } from './define.js';
import { IMAGENET_C } from './papers.js';

const imagenet = [0.03, 0.06, 0.09, 0.17, 0.27];

export const impulseNoise = defineCorruption<number>({
  id: 'impulse-noise',
  title: 'Impulse noise',
  family: 'noise',
  suite: ['mnist-c', 'common'],
  paper: IMAGENET_C,
  random: true,
  graded: true,
  mnistcSeverity: 4,
  severities: { mnist: imagenet, cifar: [0.01, 0.02, 0.03, 0.05, 0.07], imagenet },
  corrupt: (image, amount, { random }) =>
    image.map((v) => {
      if (random.next() >= amount) return v;
      return random.next() < 0.5 ? 0 : 1;
    }),
});
