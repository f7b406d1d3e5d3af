/** Axis permutation and label conversion, against hand-computed answers and NumPy's transpose rules. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RampartError } from '../errors.js';
import { product, toInt32Labels, transpose } from './ndarray.js';

describe('transpose', () => {
  it('moves NCHW to NHWC like np.transpose(x, (0, 2, 3, 1))', () => {
    // x[n, c, h, w] = 1000n + 100c + 10h + w, shape [2, 3, 2, 2]
    const shape = [2, 3, 2, 2];
    const data = new Float32Array(product(shape));
    let i = 0;
    for (let n = 0; n < 2; n++)
      for (let c = 0; c < 3; c++)
        for (let h = 0; h < 2; h++) for (let w = 0; w < 2; w++) data[i++] = 1000 * n + 100 * c + 10 * h + w;
    const out = transpose({ dtype: 'float32', shape, data }, [0, 2, 3, 1]);
    expect(out.shape).toEqual([2, 2, 2, 3]);
    // out[n, h, w, c]
    expect(out.data[((1 * 2 + 1) * 2 + 0) * 3 + 2]).toBe(1000 + 200 + 10);
    expect(Array.from(out.data.subarray(0, 6) as Float32Array)).toEqual([0, 100, 200, 1, 101, 201]);
  });

  it('applying a permutation then its inverse is the identity', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 4 }),
        fc.integer({ min: 0, max: 1000 }),
        (shape, rotate) => {
          const data = Int32Array.from({ length: product(shape) }, (_, i) => i);
          const rank = shape.length;
          const perm = shape.map((_, k) => (k + rotate) % rank);
          const inverse = new Array<number>(rank);
          perm.forEach((axis, k) => (inverse[axis] = k));
          const there = transpose({ dtype: 'int32', shape, data }, perm);
          expect(there.shape).toEqual(perm.map((axis) => shape[axis]));
          const back = transpose(there, inverse);
          expect(back.shape).toEqual(shape);
          expect(Array.from(back.data as Int32Array)).toEqual(Array.from(data));
        },
      ),
      { seed: 42, numRuns: 200 },
    );
  });

  it('rejects a non-permutation', () => {
    expect(() => transpose({ dtype: 'int32', shape: [2, 2], data: new Int32Array(4) }, [0, 0])).toThrow(RampartError);
  });
});

describe('toInt32Labels', () => {
  it('converts int64 and uint8, refuses floats and negatives', () => {
    expect(Array.from(toInt32Labels({ dtype: 'int64', shape: [2], data: new BigInt64Array([3n, 0n]) }, 'y'))).toEqual([3, 0]);
    expect(Array.from(toInt32Labels({ dtype: 'uint8', shape: [1], data: new Uint8Array([255]) }, 'y'))).toEqual([255]);
    expect(() => toInt32Labels({ dtype: 'float32', shape: [1], data: new Float32Array(1) }, 'y')).toThrow(/integers/);
    try {
      toInt32Labels({ dtype: 'int16', shape: [3], data: new Int16Array([0, 1, -2]) }, 'labels.npy');
      throw new Error('no error');
    } catch (error) {
      expect((error as RampartError).code).toBe('LABEL_OUT_OF_RANGE');
      expect((error as Error).message).toMatch(/labels\.npy: label -2 at sample 2 is negative/);
    }
  });
});
