/**
 * Training-time data augmentation: seeded transforms of a batch on host arrays (NHWC images in [0, 1]).
 * Image transforms return new pixels with the same labels; mixing transforms (mixup, cutmix) also return a
 * second label and a weight λ per sample — the target is λ·onehot(y) + (1−λ)·onehot(y₂), which the loop trains
 * as two weighted rows (exact for cross-entropy, which is linear in the target).
 * One file per augmentation, registered in builtin.ts.
 */
import type { Random } from '../../engine/random.js';

export interface AugmentBatch {
  x: Float32Array;
  labels: Int32Array;
  count: number;
  /** [H, W, C] or [F] */
  sampleShape: readonly number[];
}

export interface AugmentResult {
  x: Float32Array;
  labels: Int32Array;
  /** Second label of a mixed sample. */
  mixLabels?: Int32Array;
  /** Weight of `labels` in the mixed target (1 − λ goes to `mixLabels`). */
  lambda?: Float32Array;
}

export interface Augmentation {
  id: string;
  /** 'image': pixels only; 'mix': also mixes labels. */
  kind: 'image' | 'mix';
  apply(batch: AugmentBatch, random: Random): AugmentResult;
}

export function defineAugmentation(a: Augmentation): Augmentation {
  return a;
}

/** Applies `transform(image, out, random)` to each sample with probability `p` (copies otherwise). */
export function perImage(
  batch: AugmentBatch,
  random: Random,
  p: number,
  transform: (image: Float32Array, out: Float32Array, random: Random) => void,
): AugmentResult {
  const size = batch.x.length / batch.count;
  const x = new Float32Array(batch.x.length);
  for (let n = 0; n < batch.count; n++) {
    const image = batch.x.subarray(n * size, (n + 1) * size);
    const out = x.subarray(n * size, (n + 1) * size);
    if (random.next() < p) transform(image, out, random);
    else out.set(image);
  }
  return { x, labels: batch.labels };
}

/** [H, W, C] of an image batch, or an error naming the augmentation. */
export function imageDims(batch: AugmentBatch, id: string): [number, number, number] {
  if (batch.sampleShape.length !== 3) throw new Error(`augmentation ${id} needs images ([H, W, C]); these samples have shape [${batch.sampleShape.join(', ')}]`);
  return batch.sampleShape as [number, number, number];
}

/** Bilinear sample of channel c of an H×W×C image at (y, x); 0 outside. */
export function sampleBilinear(image: Float32Array, h: number, w: number, c: number, ch: number, y: number, x: number): number {
  const y0 = Math.floor(y);
  const x0 = Math.floor(x);
  const fy = y - y0;
  const fx = x - x0;
  const at = (yy: number, xx: number) => (yy < 0 || yy >= h || xx < 0 || xx >= w ? 0 : image[(yy * w + xx) * c + ch]);
  return (1 - fy) * ((1 - fx) * at(y0, x0) + fx * at(y0, x0 + 1)) + fy * ((1 - fx) * at(y0 + 1, x0) + fx * at(y0 + 1, x0 + 1));
}

/** Inverse-maps each output pixel through `source(y, x) → [sy, sx]` with bilinear sampling. */
export function warp(image: Float32Array, out: Float32Array, dims: [number, number, number], source: (y: number, x: number) => [number, number]): void {
  const [h, w, c] = dims;
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const [sy, sx] = source(y, x);
      for (let ch = 0; ch < c; ch++) out[(y * w + x) * c + ch] = sampleBilinear(image, h, w, c, ch, sy, sx);
    }
}
