/**
 * Spatter: a liquid layer N(μ, σ²) per pixel is blurred (σ_blur) and thresholded; its blurred mask (σ_mask,
 * kept where ≥ 0.8) covers the image with mud (RGB (63, 42, 20)/255, gray 63/255) when the mud flag is 1, or with
 * a bright water film (0.6·x + 0.4·(238, 238, 175)/255) when it is 0. The ImageNet-C water branch uses OpenCV
 * distance transforms we do not have; this is the documented look (translucent drops), stated here.
 * MNIST-C uses the mud branch at severity 4.
 * Papers: Hendrycks & Dietterich 2019 (held-out corruption), https://arxiv.org/abs/1903.12261; Mu & Gilmer 2019.
 * (μ, σ, σ_blur, threshold, σ_mask, mud) per severity — MNIST-C / ImageNet-C: (0.65, 0.3, 4, 0.69, 0.6, 0),
 * (0.65, 0.3, 3, 0.68, 0.6, 0), (0.65, 0.3, 2, 0.68, 0.5, 0), (0.65, 0.3, 1, 0.65, 1.5, 1),
 * (0.67, 0.4, 1, 0.65, 1.5, 1); CIFAR-10-C (≤ 32 px): (0.62, 0.1, 0.7, 0.7, 0.5, 0), (0.65, 0.1, 0.8, 0.7, 0.5, 0),
 * (0.65, 0.3, 1, 0.69, 0.5, 0), (0.65, 0.1, 0.7, 0.69, 0.6, 1), (0.65, 0.1, 0.5, 0.68, 0.6, 1).
 *
 * @example
 * ```ts
 * corruptionRegistry.get('spatter').apply(digit, [28, 28, 1], 4, createRandom(0));
 * ```
 */
import { defineCorruption } from './define.js';
import { gaussianBlur } from './image/filters.js';
import { IMAGENET_C } from './papers.js';

type P = readonly [number, number, number, number, number, number];
const imagenet: P[] = [
  [0.65, 0.3, 4, 0.69, 0.6, 0],
  [0.65, 0.3, 3, 0.68, 0.6, 0],
  [0.65, 0.3, 2, 0.68, 0.5, 0],
  [0.65, 0.3, 1, 0.65, 1.5, 1],
  [0.67, 0.4, 1, 0.65, 1.5, 1],
];
const MUD = [63 / 255, 42 / 255, 20 / 255];
const WATER = [238 / 255, 238 / 255, 175 / 255];

export const spatter = defineCorruption<P>({
  id: 'spatter',
  title: 'Spatter',
  family: 'weather',
  suite: ['mnist-c', 'common-extra'],
  paper: IMAGENET_C,
  random: true,
  graded: true,
  mnistcSeverity: 4,
  severities: {
    mnist: imagenet,
    cifar: [
      [0.62, 0.1, 0.7, 0.7, 0.5, 0],
      [0.65, 0.1, 0.8, 0.7, 0.5, 0],
      [0.65, 0.3, 1, 0.69, 0.5, 0],
      [0.65, 0.1, 0.7, 0.69, 0.6, 1],
      [0.65, 0.1, 0.5, 0.68, 0.6, 1],
    ],
    imagenet,
  },
  corrupt: (image, [mu, sd, blur, threshold, maskBlur, mud], { shape, random, table }) => {
    const [h, w, c] = shape;
    const liquid = new Float32Array(h * w);
    for (let i = 0; i < liquid.length; i++) liquid[i] = mu + sd * random.normal();
    const blurred = gaussianBlur(liquid, [h, w, 1], blur);
    const m0 = blurred.map((v) => (v > threshold ? 1 : 0));
    const m = gaussianBlur(m0, [h, w, 1], maskBlur).map((v) => (v < 0.8 ? 0 : v));
    const useMud = mud === 1 || table === 'mnist';
    return image.map((v, i) => {
      const p = Math.floor(i / c);
      const k = c === 3 ? i % 3 : -1;
      const mv = m[p];
      if (useMud) return v * (1 - mv) + mv * (k < 0 ? 63 / 255 : MUD[k]);
      const tint = k < 0 ? (WATER[0] + WATER[1] + WATER[2]) / 3 : WATER[k];
      return v * (1 - mv) + mv * (0.6 * v + 0.4 * tint);
    });
  },
});
