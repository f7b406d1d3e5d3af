/**
 * Frost: a·x + b·F where F is a procedurally generated frost texture (no image assets): a faint plasma-fractal
 * haze plus branching ice crystals (random walks of short bright segments that fork), lightly blurred, with a
 * cool tint on RGB images. The reference blends crops of six frost photographs instead.
 * Paper: Hendrycks & Dietterich 2019, https://arxiv.org/abs/1903.12261.
 * (a, b) per severity — MNIST-C / ImageNet-C: (1, 0.4), (0.8, 0.6), (0.7, 0.7), (0.65, 0.7), (0.6, 0.75);
 * CIFAR-10-C (≤ 32 px): (1, 0.2), (1, 0.3), (0.9, 0.4), (0.85, 0.4), (0.75, 0.45).
 *
 * @example
 * ```ts
 * corruptionRegistry.get('frost').apply(image, [32, 32, 3], 3, createRandom(0));
 * ```
 */
import type { Random } from '../engine/random.js';
import { defineCorruption } from './define.js';
import { gaussianBlur } from './image/filters.js';
import { nextPow2, plasmaFractal } from './image/plasma.js';
import { IMAGENET_C } from './papers.js';

type P = readonly [number, number];
const imagenet: P[] = [[1, 0.4], [0.8, 0.6], [0.7, 0.7], [0.65, 0.7], [0.6, 0.75]];
const TINT = [0.85, 0.93, 1];

/** An H×W frost texture in [0, 1]. */
export function frostTexture(h: number, w: number, random: Random): Float32Array {
  const n = nextPow2(Math.max(h, w));
  const plasma = plasmaFractal(n, 1.6, random);
  const tex = new Float32Array(h * w);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) tex[y * w + x] = 0.3 + 0.4 * plasma[y * n + x];
  const crystals = Math.max(3, Math.round((h * w) / 120));
  const stroke = (x0: number, y0: number, angle: number, length: number, depth: number): void => {
    let x = x0;
    let y = y0;
    for (let s = 0; s < length; s++) {
      x += Math.cos(angle);
      y += Math.sin(angle);
      const xi = Math.round(x);
      const yi = Math.round(y);
      if (xi < 0 || xi >= w || yi < 0 || yi >= h) return;
      tex[yi * w + xi] = Math.min(1, tex[yi * w + xi] + 0.5 + 0.3 * random.next());
      angle += (random.next() - 0.5) * 0.5;
      if (depth < 2 && random.next() < 0.15) stroke(x, y, angle + (random.next() < 0.5 ? -1 : 1) * 0.9, length / 2, depth + 1);
    }
  };
  for (let i = 0; i < crystals; i++) {
    stroke(random.next() * w, random.next() * h, random.next() * 2 * Math.PI, 3 + random.next() * Math.max(h, w) / 3, 0);
  }
  return gaussianBlur(tex, [h, w, 1], 0.5);
}

export const frost = defineCorruption<P>({
  id: 'frost',
  title: 'Frost',
  family: 'weather',
  suite: ['common'],
  paper: IMAGENET_C,
  random: true,
  graded: true,
  severities: { mnist: imagenet, cifar: [[1, 0.2], [1, 0.3], [0.9, 0.4], [0.85, 0.4], [0.75, 0.45]], imagenet },
  corrupt: (image, [a, b], { shape, random }) => {
    const [h, w, c] = shape;
    const tex = frostTexture(h, w, random);
    return image.map((v, i) => a * v + b * tex[Math.floor(i / c)] * (c === 3 ? TINT[i % 3] : 1));
  },
});
