/**
 * Geometric resampling on HWC float32 images: bilinear sampling with zero outside, affine warps given the
 * inverse map (output pixel → input pixel, like skimage's `warp(inverse_map=...)`), the centred "clipped
 * zoom" of ImageNet-C, and block resizing for pixelate.
 */
import type { ImageShape } from '../define.js';

/** Bilinear sample of channel ch at (y, x); pixels outside the image read as `fill`. */
export function sampleBilinear(image: Float32Array, shape: ImageShape, y: number, x: number, ch: number, fill = 0): number {
  const h = shape[0];
  const w = shape[1];
  const c = shape[2];
  const x0 = Math.floor(x);
  const y0 = Math.floor(y);
  const fx = x - x0;
  const fy = y - y0;
  const x1 = x0 + 1;
  const y1 = y0 + 1;
  const inX0 = x0 >= 0 && x0 < w;
  const inX1 = x1 >= 0 && x1 < w;
  const inY0 = y0 >= 0 && y0 < h;
  const inY1 = y1 >= 0 && y1 < h;
  const v00 = inY0 && inX0 ? image[(y0 * w + x0) * c + ch] : fill;
  const v01 = inY0 && inX1 ? image[(y0 * w + x1) * c + ch] : fill;
  const v10 = inY1 && inX0 ? image[(y1 * w + x0) * c + ch] : fill;
  const v11 = inY1 && inX1 ? image[(y1 * w + x1) * c + ch] : fill;
  return (1 - fy) * ((1 - fx) * v00 + fx * v01) + fy * ((1 - fx) * v10 + fx * v11);
}

/**
 * Affine warp. `inverse` = [a, b, tx, d, e, ty] maps an output pixel (x, y) to the input pixel
 * (a·x + b·y + tx, d·x + e·y + ty); outside reads as 0.
 */
export function affineWarp(image: Float32Array, shape: ImageShape, inverse: readonly number[]): Float32Array {
  const [h, w, c] = shape;
  const [a, b, tx, d, e, ty] = inverse;
  const out = new Float32Array(image.length);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const sx = a * x + b * y + tx;
      const sy = d * x + e * y + ty;
      for (let ch = 0; ch < c; ch++) out[(y * w + x) * c + ch] = sampleBilinear(image, shape, sy, sx, ch);
    }
  }
  return out;
}

/** Inverse map of a transform `m` = [a, b, tx, d, e, ty] (forward: input → output). */
export function invertAffine(m: readonly number[]): number[] {
  const [a, b, tx, d, e, ty] = m;
  const det = a * e - b * d;
  const ia = e / det;
  const ib = -b / det;
  const id = -d / det;
  const ie = a / det;
  return [ia, ib, -(ia * tx + ib * ty), id, ie, -(id * tx + ie * ty)];
}

/** Zoom into the centre by `factor` ≥ 1 keeping the size (bilinear, like ImageNet-C's clipped_zoom). */
export function clippedZoom(image: Float32Array, shape: ImageShape, factor: number): Float32Array {
  const [h, w, c] = shape;
  const axis = (n: number): { i0: Int32Array; i1: Int32Array; f: Float32Array } => {
    const centre = (n - 1) / 2;
    const i0 = new Int32Array(n);
    const i1 = new Int32Array(n);
    const f = new Float32Array(n);
    for (let k = 0; k < n; k++) {
      const s = Math.min(n - 1, Math.max(0, centre + (k - centre) / factor));
      i0[k] = Math.floor(s);
      i1[k] = Math.min(n - 1, i0[k] + 1);
      f[k] = s - i0[k];
    }
    return { i0, i1, f };
  };
  const ys = axis(h);
  const xs = axis(w);
  const out = new Float32Array(image.length);
  for (let y = 0; y < h; y++) {
    const r0 = ys.i0[y] * w;
    const r1 = ys.i1[y] * w;
    const fy = ys.f[y];
    for (let x = 0; x < w; x++) {
      const fx = xs.f[x];
      const a = (r0 + xs.i0[x]) * c;
      const b = (r0 + xs.i1[x]) * c;
      const d = (r1 + xs.i0[x]) * c;
      const e = (r1 + xs.i1[x]) * c;
      const o = (y * w + x) * c;
      for (let ch = 0; ch < c; ch++) {
        out[o + ch] = (1 - fy) * ((1 - fx) * image[a + ch] + fx * image[b + ch]) + fy * ((1 - fx) * image[d + ch] + fx * image[e + ch]);
      }
    }
  }
  return out;
}

/** Box downsample to (h2, w2) then box (nearest) upsample back, as PIL's BOX resize twice does. */
export function pixelate(image: Float32Array, shape: ImageShape, h2: number, w2: number): Float32Array {
  const [h, w, c] = shape;
  const small = new Float32Array(h2 * w2 * c);
  for (let y = 0; y < h2; y++) {
    const ya = (y * h) / h2;
    const yb = ((y + 1) * h) / h2;
    for (let x = 0; x < w2; x++) {
      const xa = (x * w) / w2;
      const xb = ((x + 1) * w) / w2;
      for (let ch = 0; ch < c; ch++) {
        let s = 0;
        let area = 0;
        for (let yy = Math.floor(ya); yy < Math.ceil(yb); yy++) {
          const wy = Math.min(yy + 1, yb) - Math.max(yy, ya);
          for (let xx = Math.floor(xa); xx < Math.ceil(xb); xx++) {
            const wx = Math.min(xx + 1, xb) - Math.max(xx, xa);
            s += wy * wx * image[(yy * w + xx) * c + ch];
            area += wy * wx;
          }
        }
        small[(y * w2 + x) * c + ch] = s / area;
      }
    }
  }
  const out = new Float32Array(image.length);
  for (let y = 0; y < h; y++) {
    const sy = Math.min(h2 - 1, Math.floor(((y + 0.5) * h2) / h));
    for (let x = 0; x < w; x++) {
      const sx = Math.min(w2 - 1, Math.floor(((x + 0.5) * w2) / w));
      for (let ch = 0; ch < c; ch++) out[(y * w + x) * c + ch] = small[(sy * w2 + sx) * c + ch];
    }
  }
  return out;
}
