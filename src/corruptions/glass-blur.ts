/**
 * Glass blur: Gaussian blur (σ), quantise to 8 bits, then `iterations` sweeps (rows and columns δ+1 .. side−δ,
 * bottom-right first, as the reference) that swap each pixel with a random neighbour within `delta` pixels (offsets uniform in [−δ, δ)), then blur again. The MNIST-C variant (table
 * `mnist`) swaps each pixel only with probability 1/2, as its reference does.
 * Papers: Hendrycks & Dietterich 2019 (https://arxiv.org/abs/1903.12261); Mu & Gilmer 2019 (MNIST-C, severity 1).
 * (σ, δ, iterations) per severity — MNIST-C / ImageNet-C: (0.7, 1, 2), (0.9, 2, 1), (1, 2, 3), (1.1, 3, 2),
 * (1.5, 4, 2); CIFAR-10-C (≤ 32 px): (0.05, 1, 1), (0.25, 1, 1), (0.4, 1, 1), (0.25, 1, 2), (0.4, 1, 2).
 *
 * @example
 * ```ts
 * corruptionRegistry.get('glass-blur').apply(digit, [28, 28, 1], 1, createRandom(0));
 * ```
 */
import { defineCorruption } from './define.js';
import { gaussianBlur } from './image/filters.js';
import { IMAGENET_C } from './papers.js';

type P = readonly [number, number, number];
const imagenet: P[] = [[0.7, 1, 2], [0.9, 2, 1], [1, 2, 3], [1.1, 3, 2], [1.5, 4, 2]];

export const glassBlur = defineCorruption<P>({
  id: 'glass-blur',
  title: 'Glass blur',
  family: 'blur',
  suite: ['mnist-c', 'common'],
  paper: IMAGENET_C,
  random: true,
  graded: true,
  mnistcSeverity: 1,
  severities: { mnist: imagenet, cifar: [[0.05, 1, 1], [0.25, 1, 1], [0.4, 1, 1], [0.25, 1, 2], [0.4, 1, 2]], imagenet },
  corrupt: (image, [sigma, delta, iterations], { shape, random, table }) => {
    const [h, w, c] = shape;
    const x = gaussianBlur(image, shape, sigma).map((v) => Math.floor(Math.min(1, Math.max(0, v)) * 255) / 255);
    for (let it = 0; it < iterations; it++) {
      for (let y = h - delta; y > delta; y--) {
        for (let xx = w - delta; xx > delta; xx--) {
          if (table === 'mnist' && random.next() < 0.5) continue;
          const dx = random.int(2 * delta) - delta;
          const dy = random.int(2 * delta) - delta;
          const a = (y * w + xx) * c;
          const b = ((y + dy) * w + xx + dx) * c;
          for (let ch = 0; ch < c; ch++) {
            const t = x[a + ch];
            x[a + ch] = x[b + ch];
            x[b + ch] = t;
          }
        }
      }
    }
    return gaussianBlur(x, shape, sigma);
  },
});
