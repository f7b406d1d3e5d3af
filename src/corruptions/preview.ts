/**
 * PNG previews of HWC float32 images: a grid (row-major, `columns` per row, 1-pixel gaps) encoded with pngjs,
 * grayscale images shown as gray RGB, each pixel upscaled by `zoom`. Used by `rampart corrupt` and the
 * golden-preview tests.
 */
import { PNG } from 'pngjs';
import type { ImageShape } from './define.js';

export function previewGrid(images: readonly Float32Array[], shape: ImageShape, columns: number, zoom = 2): Buffer {
  const [h, w, c] = shape;
  const cols = Math.max(1, Math.min(columns, images.length));
  const rows = Math.max(1, Math.ceil(images.length / cols));
  const width = cols * (w * zoom + 1) + 1;
  const height = rows * (h * zoom + 1) + 1;
  const png = new PNG({ width, height });
  png.data.fill(255);
  images.forEach((image, k) => {
    const ox = (k % cols) * (w * zoom + 1) + 1;
    const oy = Math.floor(k / cols) * (h * zoom + 1) + 1;
    for (let y = 0; y < h * zoom; y++) for (let x = 0; x < w * zoom; x++) {
      const p = Math.floor(y / zoom) * w + Math.floor(x / zoom);
      const o = ((oy + y) * width + ox + x) * 4;
      for (let ch = 0; ch < 3; ch++) png.data[o + ch] = Math.round(Math.min(1, Math.max(0, image[p * c + (c === 3 ? ch : 0)])) * 255);
      png.data[o + 3] = 255;
    }
  });
  return PNG.sync.write(png);
}

/** Decodes a PNG to RGBA bytes (for comparisons). */
export function readPng(bytes: Buffer): { width: number; height: number; data: Buffer } {
  const png = PNG.sync.read(bytes);
  return { width: png.width, height: png.height, data: png.data };
}

/** One HWC float32 image in [0, 1] as PNG bytes (8-bit RGBA; gray images as equal R, G, B). */
export function encodePng(image: Float32Array, shape: ImageShape): Buffer {
  const [h, w, c] = shape;
  const png = new PNG({ width: w, height: h });
  for (let p = 0; p < h * w; p++) {
    for (let ch = 0; ch < 3; ch++) png.data[p * 4 + ch] = Math.round(Math.min(1, Math.max(0, image[p * c + (c === 3 ? ch : 0)])) * 255);
    png.data[p * 4 + 3] = 255;
  }
  return PNG.sync.write(png);
}
