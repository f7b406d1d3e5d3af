/**
 * Motion blur: each pixel averages the pixels behind it along a line at a random angle in [−45°, 45°],
 * weighted by a one-sided Gaussian (σ) over 2·radius + 1 steps. The reference calls ImageMagick's
 * MotionBlurImage (through wand), which we do not have; this reimplements its documented kernel (bilinear
 * taps, edges clamped).
 * Papers: Hendrycks & Dietterich 2019 (https://arxiv.org/abs/1903.12261); Mu & Gilmer 2019 (MNIST-C, severity 1).
 * (radius, σ) per severity — MNIST-C / ImageNet-C: (10, 3), (15, 5), (15, 8), (15, 12), (20, 15);
 * CIFAR-10-C (≤ 32 px): (6, 1), (6, 1.5), (6, 2), (8, 2), (9, 2.5).
 *
 * @example
 * ```ts
 * corruptionRegistry.get('motion-blur').apply(digit, [28, 28, 1], 1, createRandom(0));
 * ```
 */
import { defineCorruption } from './define.js';
import { motionBlur as blur } from './image/filters.js';
import { IMAGENET_C } from './papers.js';

type P = readonly [number, number];
const imagenet: P[] = [[10, 3], [15, 5], [15, 8], [15, 12], [20, 15]];

export const motionBlur = defineCorruption<P>({
  id: 'motion-blur',
  title: 'Motion blur',
  family: 'blur',
  suite: ['mnist-c', 'common'],
  paper: IMAGENET_C,
  random: true,
  graded: true,
  mnistcSeverity: 1,
  severities: { mnist: imagenet, cifar: [[6, 1], [6, 1.5], [6, 2], [8, 2], [9, 2.5]], imagenet },
  corrupt: (image, [radius, sigma], { shape, random }) => {
    // only the first ~3σ steps carry weight; cap the taps there
    const steps = Math.min(2 * radius + 1, Math.ceil(3 * sigma) + 1);
    return blur(image, shape, steps, sigma, random.next() * 90 - 45);
  },
});
