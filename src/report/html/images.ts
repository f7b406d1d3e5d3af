/**
 * Gallery images as PNG data URIs: a result's image is either already a PNG (data URI or base64) or float
 * pixels in [0, 1] (HWC), encoded here. The amplified difference maps perturbed − original linearly onto
 * [0, 1] around mid-gray (0.5 = unchanged), scaled so the largest change reaches black or white; the factor is
 * returned so the caption can state it.
 */
import { encodePng } from '../../corruptions/preview.js';
import type { ImageRef } from './view.js';

/** Upscaling of small images (MNIST 28×28) so they print and display crisply. */
function upscale(values: Float32Array, shape: [number, number, number], zoom: number): { values: Float32Array; shape: [number, number, number] } {
  if (zoom <= 1) return { values, shape };
  const [h, w, c] = shape;
  const out = new Float32Array(h * zoom * w * zoom * c);
  for (let y = 0; y < h * zoom; y++) {
    for (let x = 0; x < w * zoom; x++) {
      for (let k = 0; k < c; k++) out[(y * w * zoom + x) * c + k] = values[(Math.floor(y / zoom) * w + Math.floor(x / zoom)) * c + k];
    }
  }
  return { values: out, shape: [h * zoom, w * zoom, c] };
}

function imageShape(shape: number[]): [number, number, number] {
  if (shape.length === 3) return [shape[0], shape[1], shape[2]];
  if (shape.length === 2) return [shape[0], shape[1], 1];
  return [1, shape.reduce((a, b) => a * b, 1), 1];
}

export function pixelsToDataUri(values: ArrayLike<number>, shape: number[]): string {
  const hwc = imageShape(shape);
  const zoom = hwc[0] <= 64 && hwc[1] <= 64 ? 4 : 1;
  const big = upscale(Float32Array.from(values), hwc, zoom);
  return `data:image/png;base64,${encodePng(big.values, big.shape).toString('base64')}`;
}

/** A data URI for an image reference; only PNG data (never a URL) is accepted, so the page stays offline. */
export function imageToDataUri(image: ImageRef): string | null {
  if (typeof image !== 'string') return pixelsToDataUri(image.values, image.shape);
  if (image.startsWith('data:image/png;base64,') || image.startsWith('data:image/jpeg;base64,')) return image;
  if (/^[A-Za-z0-9+/=\s]+$/.test(image) && image.length > 16) return `data:image/png;base64,${image.replace(/\s+/g, '')}`;
  return null;
}

/** The amplified difference image and its factor, or null when either image is not pixel data. */
export function amplifiedDifference(original: ImageRef, perturbed: ImageRef): { uri: string; factor: number } | null {
  if (typeof original === 'string' || typeof perturbed === 'string' || original.values.length !== perturbed.values.length) return null;
  let max = 0;
  for (let i = 0; i < original.values.length; i++) max = Math.max(max, Math.abs(perturbed.values[i] - original.values[i]));
  const factor = max > 0 ? 0.5 / max : 1;
  const diff = original.values.map((o, i) => Math.min(1, Math.max(0, 0.5 + (perturbed.values[i] - o) * factor)));
  return { uri: pixelsToDataUri(diff, original.shape), factor };
}
