/**
 * The lossy part of a baseline JPEG round trip, computed directly: 8-bit RGB → YCbCr (JFIF), 8×8 blocks with
 * edge replication, forward DCT, quantisation with the standard Annex K tables scaled by quality (libjpeg /
 * jpeg-js formula, 4:4:4 like jpeg-js), dequantisation, inverse DCT, YCbCr → RGB, rounding to 8 bits. Huffman
 * coding is lossless and skipped, which makes this ~100× faster than calling jpeg-js's encoder (it rebuilds its
 * tables on every call); jpeg-compression.test.ts checks it against a jpeg-js encode/decode.
 */
import type { ImageShape } from '../define.js';

const LUMA = [
  16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55, 14, 13, 16, 24, 40, 57, 69, 56, 14, 17, 22, 29, 51, 87, 80, 62,
  18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113, 92, 49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99,
];
const CHROMA = [
  17, 18, 24, 47, 99, 99, 99, 99, 18, 21, 26, 66, 99, 99, 99, 99, 24, 26, 56, 99, 99, 99, 99, 99, 47, 66, 99, 99, 99, 99, 99, 99,
  ...new Array<number>(32).fill(99),
];

/** Quantisation table for a quality 1..100 (libjpeg scaling). */
export function quantTable(base: readonly number[], quality: number): Float64Array {
  const q = Math.min(100, Math.max(1, Math.round(quality)));
  const sf = q < 50 ? Math.floor(5000 / q) : Math.floor(200 - q * 2);
  return Float64Array.from(base, (b) => Math.min(255, Math.max(1, Math.floor((b * sf + 50) / 100))));
}

// cos table C[u][x] = α(u)/2 · cos((2x+1)uπ/16)
const C = new Float64Array(64);
for (let u = 0; u < 8; u++) for (let x = 0; x < 8; x++) C[u * 8 + x] = (u === 0 ? Math.SQRT1_2 : 1) / 2 * Math.cos(((2 * x + 1) * u * Math.PI) / 16);

const tmp = new Float64Array(64);
const coef = new Float64Array(64);

/** Quantise-dequantise one 8×8 block in place (values level-shifted). */
function roundTripBlock(block: Float64Array, table: Float64Array): void {
  // forward: coef = C · block · Cᵀ
  for (let u = 0; u < 8; u++) for (let x = 0; x < 8; x++) {
    let s = 0;
    for (let y = 0; y < 8; y++) s += C[u * 8 + y] * block[y * 8 + x];
    tmp[u * 8 + x] = s;
  }
  for (let u = 0; u < 8; u++) for (let v = 0; v < 8; v++) {
    let s = 0;
    for (let x = 0; x < 8; x++) s += tmp[u * 8 + x] * C[v * 8 + x];
    const q = table[u * 8 + v];
    coef[u * 8 + v] = Math.round(s / q) * q;
  }
  // inverse: block = Cᵀ · coef · C
  for (let y = 0; y < 8; y++) for (let v = 0; v < 8; v++) {
    let s = 0;
    for (let u = 0; u < 8; u++) s += C[u * 8 + y] * coef[u * 8 + v];
    tmp[y * 8 + v] = s;
  }
  for (let y = 0; y < 8; y++) for (let x = 0; x < 8; x++) {
    let s = 0;
    for (let v = 0; v < 8; v++) s += tmp[y * 8 + v] * C[v * 8 + x];
    block[y * 8 + x] = s;
  }
}

const tables = new Map<number, [Float64Array, Float64Array]>();

/** JPEG round trip of an HWC image in [0, 1] at `quality`; 1-channel images are coded as gray (luma only). */
export function jpegRoundTrip(image: Float32Array, shape: ImageShape, quality: number): Float32Array {
  const [h, w, c] = shape;
  let t = tables.get(quality);
  if (!t) tables.set(quality, (t = [quantTable(LUMA, quality), quantTable(CHROMA, quality)]));
  const [lq, cq] = t;
  const n = h * w;
  const planes = c === 3 ? [new Float64Array(n), new Float64Array(n), new Float64Array(n)] : [new Float64Array(n)];
  for (let p = 0; p < n; p++) {
    if (c === 3) {
      const r = Math.round(Math.min(1, Math.max(0, image[p * 3])) * 255);
      const g = Math.round(Math.min(1, Math.max(0, image[p * 3 + 1])) * 255);
      const b = Math.round(Math.min(1, Math.max(0, image[p * 3 + 2])) * 255);
      planes[0][p] = 0.299 * r + 0.587 * g + 0.114 * b - 128;
      planes[1][p] = -0.16874 * r - 0.33126 * g + 0.5 * b;
      planes[2][p] = 0.5 * r - 0.41869 * g - 0.08131 * b;
    } else {
      planes[0][p] = Math.round(Math.min(1, Math.max(0, image[p])) * 255) - 128;
    }
  }
  const block = new Float64Array(64);
  planes.forEach((plane, k) => {
    const table = k === 0 ? lq : cq;
    for (let by = 0; by < h; by += 8) for (let bx = 0; bx < w; bx += 8) {
      for (let y = 0; y < 8; y++) for (let x = 0; x < 8; x++) block[y * 8 + x] = plane[Math.min(h - 1, by + y) * w + Math.min(w - 1, bx + x)];
      roundTripBlock(block, table);
      for (let y = 0; y < 8 && by + y < h; y++) for (let x = 0; x < 8 && bx + x < w; x++) {
        plane[(by + y) * w + bx + x] = Math.min(255, Math.max(0, Math.round(block[y * 8 + x] + 128))) - 128;
      }
    }
  });
  const out = new Float32Array(image.length);
  const u8 = (v: number): number => Math.min(255, Math.max(0, Math.round(v))) / 255;
  for (let p = 0; p < n; p++) {
    if (c === 3) {
      const y = planes[0][p] + 128;
      const cb = planes[1][p];
      const cr = planes[2][p];
      out[p * 3] = u8(y + 1.402 * cr);
      out[p * 3 + 1] = u8(y - 0.344136 * cb - 0.714136 * cr);
      out[p * 3 + 2] = u8(y + 1.772 * cb);
    } else {
      out[p] = u8(planes[0][p] + 128);
    }
  }
  return out;
}
