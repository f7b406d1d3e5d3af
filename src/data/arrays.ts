/**
 * Turns a pair of arrays (samples `x`, labels `y`) from npz, npy or IDX files into a sample source, deciding
 * the layout from the shape and checking everything once, up front:
 *
 * - x `[N, F]` → tabular rows of F features; `[N, H, W]` → grayscale images `[H, W, 1]`;
 *   `[N, A, B, C]` → NHWC, unless A ∈ {1, 3} and C ∉ {1, 3}, which is read as NCHW and transposed to NHWC
 *   (`[N, 3, 3, 3]`-like ambiguous shapes are taken as NHWC).
 * - x float32/float64 must be finite and in [0, 1]; integer x (uint8 or any integer type holding 0..255) is
 *   kept as uint8 and divided by 255 when batches are read.
 * - y must be integers of shape `[N]` or `[N, 1]`, non-negative; one-hot or float labels are refused.
 */
import { RampartError } from '../errors.js';
import { type NdArray, isIntegerDType, product, toInt32Labels, transpose } from './ndarray.js';
import type { PixelStore, SampleSource } from './source.js';
import { checkCounts, checkPixels } from './validate.js';

export interface ArraySourceNames {
  /** How to name the samples array in messages, e.g. `data.npz (array "x")`. */
  x: string;
  /** How to name the labels array in messages. */
  y: string;
}

function toPixelStore(x: NdArray, name: string, sampleSize: number): PixelStore {
  if (x.dtype === 'uint8') return { kind: 'uint8', data: x.data as Uint8Array };
  if (x.dtype === 'float32' || x.dtype === 'float64') {
    const data = x.dtype === 'float32' ? (x.data as Float32Array) : Float32Array.from(x.data as Float64Array);
    checkPixels(data, sampleSize, name);
    return { kind: 'float32', data };
  }
  if (isIntegerDType(x.dtype)) {
    const data = new Uint8Array(x.data.length);
    for (let i = 0; i < data.length; i++) {
      const v = Number(x.data[i]);
      if (v < 0 || v > 255) {
        throw new RampartError(
          'DATA_SHAPE_MISMATCH',
          `${name}: integer pixel ${v} at sample ${Math.floor(i / sampleSize)} is outside 0..255; ` +
            `save pixels as uint8 0..255 or as float32 in [0, 1].`,
          { sample: Math.floor(i / sampleSize), value: v },
        );
      }
      data[i] = v;
    }
    return { kind: 'uint8', data };
  }
  throw new RampartError(
    'DATA_SHAPE_MISMATCH',
    `${name}: samples of dtype ${x.dtype} are not supported; use float32 in [0, 1] or uint8 0..255.`,
    { dtype: x.dtype },
  );
}

/** Sample shape and whether the source is channels-first, from the array shape (see file header). */
export function inferLayout(shape: readonly number[], name: string): { sampleShape: number[]; channelsFirst: boolean } {
  if (shape.length === 2) return { sampleShape: [shape[1]], channelsFirst: false };
  if (shape.length === 3) return { sampleShape: [shape[1], shape[2], 1], channelsFirst: false };
  if (shape.length === 4) {
    const [, a, b, c] = shape;
    const channelsFirst = (a === 1 || a === 3) && c !== 1 && c !== 3;
    return { sampleShape: channelsFirst ? [b, c, a] : [a, b, c], channelsFirst };
  }
  throw new RampartError(
    'DATA_SHAPE_MISMATCH',
    `${name}: samples have shape [${shape.join(', ')}]; expected [N, F] (tabular), [N, H, W], ` +
      `[N, H, W, C] (NHWC) or [N, C, H, W] (NCHW, C = 1 or 3).`,
    { shape: [...shape] },
  );
}

/** Builds a sample source from `x` and `y`, or fails naming the array and the fix. */
export function sourceFromArrays(spec: string, x: NdArray, y: NdArray, names: ArraySourceNames): SampleSource {
  const isColumn = y.shape.length === 2 && y.shape[1] === 1;
  if (y.shape.length !== 1 && !isColumn) {
    throw new RampartError(
      'DATA_SHAPE_MISMATCH',
      `${names.y}: labels have shape [${y.shape.join(', ')}]; expected [N] class indices` +
        (y.shape.length === 2 ? ' (for one-hot labels save y.argmax(1)).' : '.'),
      { shape: [...y.shape] },
    );
  }
  const labels = toInt32Labels(y, names.y);
  const { sampleShape, channelsFirst } = inferLayout(x.shape, names.x);
  checkCounts(x.shape[0], labels.length, `${spec}`);
  const nhwc = channelsFirst ? transpose(x, [0, 2, 3, 1]) : x;
  const pixels = toPixelStore(nhwc, names.x, product(sampleShape));
  return { spec, pixels, labels, sampleShape };
}
