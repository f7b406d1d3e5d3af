/** validateBatch and the pixel checks: each rule, with the sample index reported relative to the dataset. */
import { describe, expect, it } from 'vitest';
import type { Batch } from './dataset.js';
import { checkPixels, validateBatch } from './validate.js';

const expectation = { sampleShape: [2, 1, 1], numClasses: 3 };
const batch = (x: number[], y: number[], start = 0): Batch => ({
  x: Float32Array.from(x),
  y: Int32Array.from(y),
  count: y.length,
  start,
});

describe('validateBatch', () => {
  it('accepts a batch honouring the contract', () => {
    expect(() => validateBatch(batch([0, 1, 0.5, 0.25], [2, 0]), expectation)).not.toThrow();
  });

  it.each([
    ['a wrong x length', batch([0, 1, 0.5], [2, 0]), 'DATA_SHAPE_MISMATCH', /x has 3 values, expected count 2 × 2/],
    ['a NaN, indexed from batch.start', batch([0, 1, 0.5, Number.NaN], [2, 0], 40), 'NON_FINITE_INPUT', /sample 41 contains NaN at element 1/],
    ['-Infinity', batch([-Infinity, 0], [1]), 'NON_FINITE_INPUT', /-Infinity/],
    ['a value above 1', batch([0, 1.5], [1], 7), 'DATA_SHAPE_MISMATCH', /\[0, 1\.5\] \(first at sample 7\)/],
    ['a label too large', batch([0, 1], [3]), 'LABEL_OUT_OF_RANGE', /label 3 of sample 0 is outside 0\.\.2/],
    ['a negative label', batch([0, 1, 0, 0], [0, -1], 10), 'LABEL_OUT_OF_RANGE', /label -1 of sample 11/],
  ] as const)('rejects %s', (_, bad, code, message) => {
    expect(() => validateBatch(bad, expectation)).toThrow(expect.objectContaining({ code, message: expect.stringMatching(message) }));
  });

  it('suggests dividing by 255 only for 0..255-looking data', () => {
    expect(() => checkPixels([0, 200], 1, 'x')).toThrow(/divide by 255/);
    expect(() => checkPixels([-1, 0.5], 1, 'x')).toThrow(/min-max scaling/);
  });
});
