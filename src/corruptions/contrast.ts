/**
 * Contrast: (x − mean)·c + mean with the mean per channel over the image.
 * Paper: Hendrycks & Dietterich 2019, https://arxiv.org/abs/1903.12261.
 * c per severity — CIFAR-10-C (≤ 32 px): 0.75, 0.5, 0.4, 0.3, 0.15; ImageNet-C: 0.4, 0.3, 0.2, 0.1, 0.05.
 *
 * @example
 * ```ts
 * corruptionRegistry.get('contrast').apply(image, [32, 32, 3], 4, createRandom(0));
 * ```
 */
import { defineCorruption } from './define.js';
import { IMAGENET_C } from './papers.js';

const imagenet = [0.4, 0.3, 0.2, 0.1, 0.05];

export const contrast = defineCorruption<number>({
  id: 'contrast',
  title: 'Contrast',
  family: 'digital',
  suite: ['common'],
  paper: IMAGENET_C,
  random: false,
  graded: true,
  severities: { mnist: imagenet, cifar: [0.75, 0.5, 0.4, 0.3, 0.15], imagenet },
  corrupt: (image, c, { shape }) => {
    const ch = shape[2];
    const means = new Float64Array(ch);
    for (let i = 0; i < image.length; i++) means[i % ch] += image[i];
    for (let k = 0; k < ch; k++) means[k] /= image.length / ch;
    return image.map((v, i) => (v - means[i % ch]) * c + means[i % ch]);
  },
});
