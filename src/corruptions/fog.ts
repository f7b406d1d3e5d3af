/**
 * Fog: add c·plasma fractal (diamond–square, roughness decay d) and rescale by max/(max + c), which lowers
 * contrast towards a bright haze. The reference crops a 256² fractal; we use a map of min(256, 2·2^⌈log2 side⌉)
 * so small images stay fast (the crop covers about half of the map's period, so the fog is somewhat less smooth
 * than the reference's on 28 px).
 * Papers: Hendrycks & Dietterich 2019 (https://arxiv.org/abs/1903.12261); Mu & Gilmer 2019 (MNIST-C, severity 5).
 * (c, d) per severity — MNIST-C / ImageNet-C: (1.5, 2), (2, 2), (2.5, 1.7), (2.5, 1.5), (3, 1.4);
 * CIFAR-10-C (≤ 32 px): (0.2, 3), (0.5, 3), (0.75, 2.5), (1, 2), (1.5, 1.75).
 *
 * @example
 * ```ts
 * corruptionRegistry.get('fog').apply(digit, [28, 28, 1], 5, createRandom(0));
 * ```
 */
import { defineCorruption } from './define.js';
import { nextPow2, plasmaFractal } from './image/plasma.js';
import { IMAGENET_C } from './papers.js';

type P = readonly [number, number];
const imagenet: P[] = [[1.5, 2], [2, 2], [2.5, 1.7], [2.5, 1.5], [3, 1.4]];

export const fog = defineCorruption<P>({
  id: 'fog',
  title: 'Fog',
  family: 'weather',
  suite: ['mnist-c', 'common'],
  paper: IMAGENET_C,
  random: true,
  graded: true,
  mnistcSeverity: 5,
  severities: { mnist: imagenet, cifar: [[0.2, 3], [0.5, 3], [0.75, 2.5], [1, 2], [1.5, 1.75]], imagenet },
  corrupt: (image, [c, decay], { shape, random }) => {
    const [h, w, ch] = shape;
    const size = Math.min(256, 2 * nextPow2(Math.max(h, w)));
    const map = plasmaFractal(Math.max(size, nextPow2(Math.max(h, w))), decay, random);
    const n = Math.max(size, nextPow2(Math.max(h, w)));
    let max = 0;
    for (const v of image) if (v > max) max = v;
    return image.map((v, i) => {
      const p = Math.floor(i / ch);
      const y = Math.floor(p / w);
      const x = p % w;
      return ((v + c * map[y * n + x]) * max) / (max + c);
    });
  },
});
