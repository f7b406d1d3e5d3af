/**
 * Canny edges: the image is replaced by its binary Canny edge map (skimage `feature.canny` defaults: Gaussian
 * σ = 1, Sobel gradients, non-maximum suppression in 4 directions, hysteresis with low 0.1 / high 0.2 on the
 * gradient magnitude, 8-connected). RGB images use their luminance; the edge map is written to every channel.
 * Ungraded, deterministic.
 * Paper: Mu & Gilmer 2019 (MNIST-C), https://arxiv.org/abs/1906.02337; Canny 1986.
 *
 * @example
 * ```ts
 * corruptionRegistry.get('canny-edges').apply(digit, [28, 28, 1], 1, createRandom(0));
 * ```
 */
import { defineCorruption } from './define.js';
import { gaussianBlur } from './image/filters.js';
import { MNIST_C } from './papers.js';

export function cannyEdges(gray: Float32Array, h: number, w: number, sigma = 1, low = 0.1, high = 0.2): Uint8Array {
  const s = gaussianBlur(gray, [h, w, 1], sigma);
  const at = (y: number, x: number): number => s[Math.min(h - 1, Math.max(0, y)) * w + Math.min(w - 1, Math.max(0, x))];
  const mag = new Float32Array(h * w);
  const gxs = new Float32Array(h * w);
  const gys = new Float32Array(h * w);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
    const gx = at(y - 1, x + 1) + 2 * at(y, x + 1) + at(y + 1, x + 1) - at(y - 1, x - 1) - 2 * at(y, x - 1) - at(y + 1, x - 1);
    const gy = at(y + 1, x - 1) + 2 * at(y + 1, x) + at(y + 1, x + 1) - at(y - 1, x - 1) - 2 * at(y - 1, x) - at(y - 1, x + 1);
    gxs[y * w + x] = gx;
    gys[y * w + x] = gy;
    mag[y * w + x] = Math.hypot(gx, gy);
  }
  const magAt = (y: number, x: number): number => (y < 0 || y >= h || x < 0 || x >= w ? 0 : mag[y * w + x]);
  const strong = new Uint8Array(h * w);
  const weak = new Uint8Array(h * w);
  for (let y = 1; y < h - 1; y++) for (let x = 1; x < w - 1; x++) {
    const i = y * w + x;
    const m = mag[i];
    if (m < low) continue;
    const angle = ((Math.atan2(gys[i], gxs[i]) * 180) / Math.PI + 180) % 180;
    let dy = 0;
    let dx = 1;
    if (angle >= 22.5 && angle < 67.5) [dy, dx] = [1, 1];
    else if (angle >= 67.5 && angle < 112.5) [dy, dx] = [1, 0];
    else if (angle >= 112.5 && angle < 157.5) [dy, dx] = [1, -1];
    if (m >= magAt(y + dy, x + dx) && m >= magAt(y - dy, x - dx)) {
      if (m >= high) strong[i] = 1;
      else weak[i] = 1;
    }
  }
  const stack: number[] = [];
  for (let i = 0; i < strong.length; i++) if (strong[i]) stack.push(i);
  while (stack.length > 0) {
    const i = stack.pop() as number;
    const y = Math.floor(i / w);
    const x = i % w;
    for (let dy = -1; dy <= 1; dy++) for (let dx = -1; dx <= 1; dx++) {
      const yy = y + dy;
      const xx = x + dx;
      if (yy < 0 || yy >= h || xx < 0 || xx >= w) continue;
      const j = yy * w + xx;
      if (weak[j] && !strong[j]) {
        strong[j] = 1;
        stack.push(j);
      }
    }
  }
  return strong;
}

export const cannyEdgesCorruption = defineCorruption<null>({
  id: 'canny-edges',
  title: 'Canny edges',
  family: 'digital',
  suite: ['mnist-c'],
  paper: MNIST_C,
  random: false,
  graded: false,
  mnistcSeverity: 1,
  severities: { mnist: [null, null, null, null, null] },
  corrupt: (image, _p, { shape }) => {
    const [h, w, c] = shape;
    const gray = new Float32Array(h * w);
    for (let i = 0; i < h * w; i++) gray[i] = c === 3 ? 0.2125 * image[i * 3] + 0.7154 * image[i * 3 + 1] + 0.0721 * image[i * 3 + 2] : image[i];
    const edges = cannyEdges(gray, h, w);
    return image.map((_v, i) => edges[Math.floor(i / c)]);
  },
});
