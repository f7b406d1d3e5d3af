/** Centre-preserving affine warps for the MNIST-C geometric corruptions (skimage `warp(inverse_map=...)` semantics). */
import type { ImageShape } from '../define.js';
import { affineWarp } from './warp.js';

/**
 * Warp with the inverse map [[a1, a2], [b1, b2]] (output → input) and the translation that keeps the image
 * centre fixed, as the MNIST-C reference does with (13.5, 13.5) on 28×28.
 */
export function centredWarp(image: Float32Array, shape: ImageShape, a1: number, a2: number, b1: number, b2: number): Float32Array {
  const cx = (shape[1] - 1) / 2;
  const cy = (shape[0] - 1) / 2;
  return affineWarp(image, shape, [a1, a2, cx - a1 * cx - a2 * cy, b1, b2, cy - b1 * cx - b2 * cy]);
}
