/**
 * Image filters on HWC float32 images: separable Gaussian blur (border: nearest, like skimage's default),
 * 2-D convolution with a small kernel (border: reflect-101, like OpenCV's default), the anti-aliased disk
 * kernel of defocus blur, and a one-sided motion-blur line.
 */
import type { ImageShape } from '../define.js';

function clampIndex(i: number, n: number): number {
  return i < 0 ? 0 : i >= n ? n - 1 : i;
}

function reflect101(i: number, n: number): number {
  if (n === 1) return 0;
  while (i < 0 || i >= n) i = i < 0 ? -i : 2 * n - 2 - i;
  return i;
}

/** 1-D Gaussian weights, radius ⌈truncate·σ⌉, normalised to sum 1. */
export function gaussianKernel1d(sigma: number, truncate = 4): Float32Array {
  const radius = Math.max(1, Math.ceil(truncate * sigma));
  const k = new Float32Array(2 * radius + 1);
  let sum = 0;
  for (let i = -radius; i <= radius; i++) {
    const v = Math.exp(-(i * i) / (2 * sigma * sigma));
    k[i + radius] = v;
    sum += v;
  }
  for (let i = 0; i < k.length; i++) k[i] /= sum;
  return k;
}

/** Separable Gaussian blur of every channel (σ in pixels; σ ≤ 0 returns a copy). */
export function gaussianBlur(image: Float32Array, shape: ImageShape, sigma: number, truncate = 4): Float32Array {
  if (sigma <= 0) return image.slice();
  const [h, w, c] = shape;
  const k = gaussianKernel1d(sigma, truncate);
  const r = (k.length - 1) / 2;
  const tmp = new Float32Array(image.length);
  const out = new Float32Array(image.length);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      for (let ch = 0; ch < c; ch++) {
        let s = 0;
        for (let i = -r; i <= r; i++) s += k[i + r] * image[(y * w + clampIndex(x + i, w)) * c + ch];
        tmp[(y * w + x) * c + ch] = s;
      }
    }
  }
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      for (let ch = 0; ch < c; ch++) {
        let s = 0;
        for (let i = -r; i <= r; i++) s += k[i + r] * tmp[(clampIndex(y + i, h) * w + x) * c + ch];
        out[(y * w + x) * c + ch] = s;
      }
    }
  }
  return out;
}

/** 2-D correlation with a square kernel (side odd), border reflect-101. */
export function convolve(image: Float32Array, shape: ImageShape, kernel: Float32Array, side: number): Float32Array {
  const [h, w, c] = shape;
  const r = (side - 1) / 2;
  const pw = w + 2 * r;
  const ph = h + 2 * r;
  const padded = new Float32Array(ph * pw * c);
  for (let y = 0; y < ph; y++) {
    const sy = reflect101(y - r, h);
    for (let x = 0; x < pw; x++) {
      const sx = reflect101(x - r, w);
      for (let ch = 0; ch < c; ch++) padded[(y * pw + x) * c + ch] = image[(sy * w + sx) * c + ch];
    }
  }
  const out = new Float32Array(image.length);
  for (let ky = 0; ky < side; ky++) {
    for (let kx = 0; kx < side; kx++) {
      const k = kernel[ky * side + kx];
      if (k === 0) continue;
      for (let y = 0; y < h; y++) {
        let src = ((y + ky) * pw + kx) * c;
        let dst = y * w * c;
        const end = dst + w * c;
        while (dst < end) out[dst++] += k * padded[src++];
      }
    }
  }
  return out;
}

/**
 * The defocus kernel: an aliased disk of the given radius (grid at least −8..8), normalised, then smoothed by a
 * small Gaussian (σ = aliasBlur) to anti-alias. Returns the kernel and its side length.
 */
export function diskKernel(radius: number, aliasBlur: number): { kernel: Float32Array; side: number } {
  const half = Math.max(8, Math.ceil(radius));
  const side = 2 * half + 1;
  let disk: Float32Array = new Float32Array(side * side);
  let sum = 0;
  for (let y = -half; y <= half; y++) for (let x = -half; x <= half; x++) {
    if (x * x + y * y <= radius * radius) {
      disk[(y + half) * side + x + half] = 1;
      sum += 1;
    }
  }
  if (sum === 0) disk[half * side + half] = sum = 1;
  for (let i = 0; i < disk.length; i++) disk[i] /= sum;
  disk = gaussianBlur(disk, [side, side, 1], aliasBlur, 1.5);
  // trim to the support so small radii stay fast
  let reach = 0;
  for (let y = -half; y <= half; y++) for (let x = -half; x <= half; x++) {
    if (disk[(y + half) * side + x + half] > 1e-6) reach = Math.max(reach, Math.abs(x), Math.abs(y));
  }
  const small = 2 * reach + 1;
  const kernel = new Float32Array(small * small);
  let total = 0;
  for (let y = -reach; y <= reach; y++) for (let x = -reach; x <= reach; x++) {
    const v = disk[(y + half) * side + x + half];
    kernel[(y + reach) * small + x + reach] = v;
    total += v;
  }
  for (let i = 0; i < kernel.length; i++) kernel[i] /= total;
  return { kernel, side: small };
}

/**
 * Motion blur as ImageMagick's -motion-blur does it: each pixel becomes a weighted mean of the pixels behind it
 * along a line at `angleDeg`, weights a one-sided Gaussian of σ over `radius` steps (bilinear taps, edge
 * clamped).
 */
export function motionBlur(image: Float32Array, shape: ImageShape, radius: number, sigma: number, angleDeg: number): Float32Array {
  const [h, w, c] = shape;
  const steps = Math.max(1, Math.round(radius));
  const weights: number[] = [];
  let sum = 0;
  for (let i = 0; i < steps; i++) {
    const v = Math.exp(-(i * i) / (2 * sigma * sigma));
    weights.push(v);
    sum += v;
  }
  const a = (angleDeg * Math.PI) / 180;
  const ux = Math.cos(a);
  const uy = Math.sin(a);
  const out = new Float32Array(image.length);
  for (let i = 0; i < steps; i++) {
    const wgt = weights[i] / sum;
    const ox = -ux * i;
    const oy = -uy * i;
    const x0 = Math.floor(ox);
    const y0 = Math.floor(oy);
    const fx = ox - x0;
    const fy = oy - y0;
    for (let y = 0; y < h; y++) {
      const ya = clampIndex(y + y0, h);
      const yb = clampIndex(y + y0 + 1, h);
      for (let x = 0; x < w; x++) {
        const xa = clampIndex(x + x0, w);
        const xb = clampIndex(x + x0 + 1, w);
        for (let ch = 0; ch < c; ch++) {
          const v =
            (1 - fy) * ((1 - fx) * image[(ya * w + xa) * c + ch] + fx * image[(ya * w + xb) * c + ch]) +
            fy * ((1 - fx) * image[(yb * w + xa) * c + ch] + fx * image[(yb * w + xb) * c + ch]);
          out[(y * w + x) * c + ch] += wgt * v;
        }
      }
    }
  }
  return out;
}
