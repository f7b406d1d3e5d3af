/**
 * Checks that samples and labels honour the dataset contract (finite float32 in [0, 1], integer labels in
 * 0..numClasses-1, consistent lengths). Loaders run these once when a float source is opened, so a NaN or a
 * 0..255 array is reported with the sample index before any model sees it; `validateBatch` lets any
 * consumer check a batch it received from elsewhere.
 */
import { RampartError } from '../errors.js';
import type { Batch } from './dataset.js';
import { product } from './ndarray.js';

/**
 * Fails with `NON_FINITE_INPUT` (NaN/±Inf) or `DATA_SHAPE_MISMATCH` (outside [0, 1]) naming the first bad
 * sample. `firstSample` offsets the reported index (for batches). `source` names the data in messages.
 */
export function checkPixels(
  values: ArrayLike<number>,
  sampleSize: number,
  source: string,
  firstSample = 0,
): void {
  let max = -Infinity;
  let min = Infinity;
  let firstOutside = -1;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isFinite(v)) {
      const sample = firstSample + Math.floor(i / sampleSize);
      throw new RampartError(
        'NON_FINITE_INPUT',
        `${source}: sample ${sample} contains ${v} at element ${i % sampleSize}; inputs must be finite. ` +
          `Remove or repair that sample (e.g. np.nan_to_num).`,
        { sample, element: i % sampleSize, value: String(v) },
      );
    }
    if (v < min) min = v;
    if (v > max) max = v;
    if (firstOutside < 0 && (v < 0 || v > 1)) firstOutside = i;
  }
  if (firstOutside >= 0) {
    const sample = firstSample + Math.floor(firstOutside / sampleSize);
    const hint =
      min >= 0 && max <= 255
        ? 'Values look like 0..255 pixels: divide by 255 (x / 255.0) before saving.'
        : 'Rescale the features to [0, 1] (e.g. min-max scaling) before saving.';
    throw new RampartError(
      'DATA_SHAPE_MISMATCH',
      `${source}: values must lie in [0, 1], found range [${min}, ${max}] (first at sample ${sample}). ${hint}`,
      { sample, min, max },
    );
  }
}

/** Fails with `LABEL_OUT_OF_RANGE` unless every label is an integer in 0..numClasses-1. */
export function checkLabels(labels: ArrayLike<number>, numClasses: number, source: string, firstSample = 0): void {
  for (let i = 0; i < labels.length; i++) {
    const label = labels[i];
    if (!Number.isInteger(label) || label < 0 || label >= numClasses) {
      throw new RampartError(
        'LABEL_OUT_OF_RANGE',
        `${source}: label ${label} of sample ${firstSample + i} is outside 0..${numClasses - 1}; ` +
          `labels must be class indices. Re-map the labels or declare the right number of classes.`,
        { sample: firstSample + i, label, numClasses },
      );
    }
  }
}

/** Fails with `DATA_SHAPE_MISMATCH` unless the sample and label counts agree. */
export function checkCounts(sampleCount: number, labelCount: number, source: string): void {
  if (sampleCount !== labelCount) {
    throw new RampartError(
      'DATA_SHAPE_MISMATCH',
      `${source}: ${sampleCount} samples but ${labelCount} labels; x and y must have the same first dimension.`,
      { sampleCount, labelCount },
    );
  }
}

export interface BatchExpectation {
  sampleShape: readonly number[];
  numClasses: number;
}

/** Checks one batch against the contract: lengths, finite values in [0, 1], labels in range. */
export function validateBatch(batch: Batch, expected: BatchExpectation, source = 'batch'): void {
  const sampleSize = product(expected.sampleShape);
  if (!Number.isInteger(batch.count) || batch.count < 0 || batch.x.length !== batch.count * sampleSize) {
    throw new RampartError(
      'DATA_SHAPE_MISMATCH',
      `${source}: x has ${batch.x.length} values, expected count ${batch.count} × ${sampleSize} ` +
        `(sample shape [${expected.sampleShape.join(', ')}]).`,
      { count: batch.count, length: batch.x.length, sampleShape: [...expected.sampleShape] },
    );
  }
  checkCounts(batch.count, batch.y.length, source);
  checkPixels(batch.x, sampleSize, source, batch.start);
  checkLabels(batch.y, expected.numClasses, source, batch.start);
}
