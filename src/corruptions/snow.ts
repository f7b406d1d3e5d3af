/**
 * Snow: a snow layer N(μ, σ²) per pixel, zoomed into the centre by z, thresholded at t, motion-blurred
 * (radius r, σ_mb, random angle in [−135°, −45°]; ImageMagick's motion blur is reimplemented, see
 * motion-blur.ts), added twice (also rotated 180°) to an image brightened as b·x + (1 − b)·max(x, 1.5·gray + 0.5).
 * Paper: Hendrycks & Dietterich 2019, https://arxiv.org/abs/1903.12261.
 * (μ, σ, z, t, r, σ_mb, b) per severity — MNIST-C / ImageNet-C: (0.1, 0.3, 3, 0.5, 10, 4, 0.8),
 * (0.2, 0.3, 2, 0.5, 12, 4, 0.7), (0.55, 0.3, 4, 0.9, 12, 8, 0.7), (0.55, 0.3, 4.5, 0.85, 12, 8, 0.65),
 * (0.55, 0.3, 2.5, 0.85, 12, 12, 0.55); CIFAR-10-C (≤ 32 px): (0.1, 0.2, 1, 0.6, 8, 3, 0.95),
 * (0.1, 0.2, 1, 0.5, 10, 4, 0.9), (0.15, 0.3, 1.75, 0.55, 10, 4, 0.9), (0.25, 0.3, 2.25, 0.6, 12, 6, 0.85),
 * (0.3, 0.3, 1.25, 0.65, 14, 12, 0.8).
 *
 * @example
 * ```ts
 * corruptionRegistry.get('snow').apply(image, [32, 32, 3], 3, createRandom(0));
 * ```
 */
import { defineCorruption } from './define.js';
import { motionBlur } from './image/filters.js';
import { clippedZoom } from './image/warp.js';
import { IMAGENET_C } from './papers.js';

type P = readonly [number, number, number, number, number, number, number];
const imagenet: P[] = [
  [0.1, 0.3, 3, 0.5, 10, 4, 0.8],
  [0.2, 0.3, 2, 0.5, 12, 4, 0.7],
  [0.55, 0.3, 4, 0.9, 12, 8, 0.7],
  [0.55, 0.3, 4.5, 0.85, 12, 8, 0.65],
  [0.55, 0.3, 2.5, 0.85, 12, 12, 0.55],
];

export const snow = defineCorruption<P>({
  id: 'snow',
  title: 'Snow',
  family: 'weather',
  suite: ['common'],
  paper: IMAGENET_C,
  random: true,
  graded: true,
  severities: {
    mnist: imagenet,
    cifar: [
      [0.1, 0.2, 1, 0.6, 8, 3, 0.95],
      [0.1, 0.2, 1, 0.5, 10, 4, 0.9],
      [0.15, 0.3, 1.75, 0.55, 10, 4, 0.9],
      [0.25, 0.3, 2.25, 0.6, 12, 6, 0.85],
      [0.3, 0.3, 1.25, 0.65, 14, 12, 0.8],
    ],
    imagenet,
  },
  corrupt: (image, [mu, sd, zoom, threshold, radius, mbSigma, blend], { shape, random }) => {
    const [h, w, c] = shape;
    const layer0 = new Float32Array(h * w);
    for (let i = 0; i < layer0.length; i++) layer0[i] = mu + sd * random.normal();
    const zoomed = clippedZoom(layer0, [h, w, 1], zoom).map((v) => (v < threshold ? 0 : Math.min(1, v)));
    const steps = Math.min(2 * radius + 1, Math.ceil(3 * mbSigma) + 1);
    const layer = motionBlur(zoomed, [h, w, 1], steps, mbSigma, -45 - random.next() * 90);
    const n = h * w;
    const out = new Float32Array(image.length);
    for (let p = 0; p < n; p++) {
      const gray = c === 3 ? 0.299 * image[p * 3] + 0.587 * image[p * 3 + 1] + 0.114 * image[p * 3 + 2] : image[p];
      const s = layer[p] + layer[n - 1 - p];
      for (let k = 0; k < c; k++) {
        const v = image[p * c + k];
        out[p * c + k] = blend * v + (1 - blend) * Math.max(v, gray * 1.5 + 0.5) + s;
      }
    }
    return out;
  },
});
