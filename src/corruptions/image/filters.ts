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
  // edge-clamped padding so the taps need no bounds checks
  const pad = steps + 1;
  const pw = w + 2 * pad;
  const ph = h + 2 * pad;
  const padded = new Float32Array(ph * pw * c);
  for (let y = 0; y < ph; y++) {
    const sy = clampIndex(y - pad, h);
    for (let x = 0; x < pw; x++) {
      const sx = clampIndex(x - pad, w);
      for (let ch = 0; ch < c; ch++) padded[(y * pw + x) * c + ch] = image[(sy * w + sx) * c + ch];
    }
  }
  const out = new Float32Array(image.length);
  const rowStride = pw * c;
  for (let i = 0; i < steps; i++) {
    const wgt = weights[i] / sum;
    const ox = -ux * i;
    const oy = -uy * i;
    const x0 = Math.floor(ox);
    const y0 = Math.floor(oy);
    const fx = ox - x0;
    const fy = oy - y0;
    const w00 = wgt * (1 - fy) * (1 - fx);
    const w01 = wgt * (1 - fy) * fx;
    const w10 = wgt * fy * (1 - fx);
    const w11 = wgt * fy * fx;
    for (let y = 0; y < h; y++) {
      let src = ((y + pad + y0) * pw + pad + x0) * c;
      let dst = y * w * c;
      const end = dst + w * c;
      while (dst < end) {
        out[dst++] += w00 * padded[src] + w01 * padded[src + c] + w10 * padded[src + rowStride] + w11 * padded[src + rowStride + c];
        src++;
      }
    }
  }
  return out;
}

/**
 * Defocus blur by an aliased disk of radius r (pixels with dx² + dy² ≤ r², the disk on a grid of at least
 * −8..8 as in the reference), normalised, followed by the anti-aliasing Gaussian (σ = aliasBlur, 3×3 for r ≤ 8,
 * 5×5 above, as the reference's cv2.GaussianBlur). Convolution is associative, so the disk is applied first
 * with per-row prefix sums (cost ∝ 2r+1 per pixel instead of (2r+1)²); border reflect-101.
 */
export function diskBlur(image: Float32Array, shape: ImageShape, radius: number, aliasBlur: number): Float32Array {
  const [h, w, c] = shape;
  const R = Math.floor(radius);
  const spans: number[] = [];
  let total = 0;
  for (let dy = -R; dy <= R; dy++) {
    const a = Math.floor(Math.sqrt(radius * radius - dy * dy) + 1e-9);
    spans.push(a);
    total += 2 * a + 1;
  }
  const pad = R + 1;
  const pw = w + 2 * pad;
  const ph = h + 2 * pad;
  // prefix sums along x of the padded image: P[y][x] = Σ_{x' < x} padded[y][x'], width pw + 1
  const stride = (pw + 1) * c;
  const prefix = new Float64Array(ph * stride);
  for (let y = 0; y < ph; y++) {
    const sy = reflect101(y - pad, h);
    for (let x = 0; x < pw; x++) {
      const sx = reflect101(x - pad, w);
      for (let ch = 0; ch < c; ch++) prefix[y * stride + (x + 1) * c + ch] = prefix[y * stride + x * c + ch] + image[(sy * w + sx) * c + ch];
    }
  }
  const out = new Float32Array(image.length);
  for (let y = 0; y < h; y++) {
    for (let k = 0; k < spans.length; k++) {
      const a = spans[k];
      const row = (y + pad + k - R) * stride;
      for (let x = 0; x < w; x++) {
        const hi = row + (x + pad + a + 1) * c;
        const lo = row + (x + pad - a) * c;
        for (let ch = 0; ch < c; ch++) out[(y * w + x) * c + ch] += prefix[hi + ch] - prefix[lo + ch];
      }
    }
  }
  for (let i = 0; i < out.length; i++) out[i] /= total;
  return aliasBlur > 0 ? gaussianBlurRadius(out, shape, aliasBlur, radius <= 8 ? 1 : 2) : out;
}

/** Gaussian blur with an explicit kernel radius (like OpenCV's ksize = 2·radius + 1), border reflect-101. */
export function gaussianBlurRadius(image: Float32Array, shape: ImageShape, sigma: number, radius: number): Float32Array {
  const side = 2 * radius + 1;
  const k1 = new Float32Array(side);
  let sum = 0;
  for (let i = -radius; i <= radius; i++) sum += k1[i + radius] = Math.exp(-(i * i) / (2 * sigma * sigma));
  for (let i = 0; i < side; i++) k1[i] /= sum;
  const k2 = new Float32Array(side * side);
  for (let y = 0; y < side; y++) for (let x = 0; x < side; x++) k2[y * side + x] = k1[y] * k1[x];
  return convolve(image, shape, k2, side);
}
