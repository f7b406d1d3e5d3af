/**
 * Elastic transform: a random affine jitter of three control points (±a·side px) followed by a smooth random
 * displacement field (uniform noise blurred with σ·side, scaled by α·side), bilinear, zero outside (as the MNIST-C
 * reference; the CIFAR-10-C one reflects at the border instead, which matters only near the edges).
 * Paper: Hendrycks & Dietterich 2019, https://arxiv.org/abs/1903.12261 (after Simard et al. 2003).
 * (α, σ, a) as fractions of the image side per severity — MNIST-C / ImageNet-C: (2, 0.7, 0.1), (2, 0.08, 0.2),
 * (0.05, 0.01, 0.02), (0.07, 0.01, 0.02), (0.12, 0.01, 0.02); CIFAR-10-C (≤ 32 px): (0, 0, 0.08),
 * (0.05, 0.2, 0.07), (0.08, 0.06, 0.06), (0.1, 0.04, 0.05), (0.1, 0.03, 0.03). The reference's severity 1–2 rows
 * on ImageNet-C have a large α with a very smooth field, so the visible change is not strictly monotone there.
 *
 * @example
 * ```ts
 * corruptionRegistry.get('elastic-transform').apply(image, [32, 32, 3], 3, createRandom(0));
 * ```
 */
import { defineCorruption } from './define.js';
import { gaussianBlur } from './image/filters.js';
import { sampleBilinear } from './image/warp.js';
import { IMAGENET_C } from './papers.js';

type P = readonly [number, number, number];
const imagenet: P[] = [[2, 0.7, 0.1], [2, 0.08, 0.2], [0.05, 0.01, 0.02], [0.07, 0.01, 0.02], [0.12, 0.01, 0.02]];

/** Affine [a, b, tx, d, e, ty] mapping three source points onto three destination points. */
function affineFrom(src: number[][], dst: number[][]): number[] {
  const [[x1, y1], [x2, y2], [x3, y3]] = src;
  const det = x1 * (y2 - y3) - y1 * (x2 - x3) + (x2 * y3 - x3 * y2);
  const solve = (v1: number, v2: number, v3: number): number[] => [
    (v1 * (y2 - y3) - y1 * (v2 - v3) + (v2 * y3 - v3 * y2)) / det,
    (x1 * (v2 - v3) - v1 * (x2 - x3) + (x2 * v3 - x3 * v2)) / det,
    (x1 * (y2 * v3 - y3 * v2) - y1 * (x2 * v3 - x3 * v2) + v1 * (x2 * y3 - x3 * y2)) / det,
  ];
  const [a, b, tx] = solve(dst[0][0], dst[1][0], dst[2][0]);
  const [d, e, ty] = solve(dst[0][1], dst[1][1], dst[2][1]);
  return [a, b, tx, d, e, ty];
}

export const elasticTransform = defineCorruption<P>({
  id: 'elastic-transform',
  title: 'Elastic transform',
  family: 'digital',
  suite: ['common'],
  paper: IMAGENET_C,
  random: true,
  graded: true,
  severities: {
    mnist: imagenet,
    cifar: [[0, 0, 0.08], [0.05, 0.2, 0.07], [0.08, 0.06, 0.06], [0.1, 0.04, 0.05], [0.1, 0.03, 0.03]],
    imagenet,
  },
  corrupt: (image, [alphaF, sigmaF, affineF], { shape, random }) => {
    const [h, w, c] = shape;
    const side = Math.min(h, w);
    const alpha = alphaF * side;
    const sigma = sigmaF * side;
    const jitter = affineF * side;
    const cx = Math.floor(w / 2);
    const cy = Math.floor(h / 2);
    const sq = Math.floor(side / 3);
    const src = [[cx + sq, cy + sq], [cx + sq, cy - sq], [cx - sq, cy - sq]];
    const dst = src.map(([x, y]) => [x + (random.next() * 2 - 1) * jitter, y + (random.next() * 2 - 1) * jitter]);
    // inverse map: output → input, i.e. the transform from dst to src
    const [a, b, tx, d, e, ty] = affineFrom(dst, src);
    const field = (): Float32Array => {
      const u = new Float32Array(h * w);
      for (let i = 0; i < u.length; i++) u[i] = random.next() * 2 - 1;
      return sigma > 0 ? gaussianBlur(u, [h, w, 1], sigma, 3).map((v) => v * alpha) : u.map((v) => v * alpha);
    };
    const dx = field();
    const dy = field();
    const out = new Float32Array(image.length);
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
      // displaced output position, then the inverse affine into the input
      const px = x + dx[y * w + x];
      const py = y + dy[y * w + x];
      const sx = a * px + b * py + tx;
      const sy = d * px + e * py + ty;
      for (let ch = 0; ch < c; ch++) out[(y * w + x) * c + ch] = sampleBilinear(image, shape, sy, sx, ch);
    }
    return out;
  },
});
