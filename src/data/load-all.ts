/**
 * Collects a whole (small) dataset into two flat arrays, for code that needs random access, e.g. training
 * on the 8,000 MNIST train digits or saving a set with `writeNpz`. Large sets should be streamed with
 * `dataset.batches(n)` instead: this holds every sample as float32 at once.
 */
import type { Dataset } from './dataset.js';
import { product } from './ndarray.js';

export interface LoadedData {
  /** `count * prod(sampleShape)` float32 values, samples in dataset order. */
  x: Float32Array;
  /** `count` int32 labels. */
  y: Int32Array;
  count: number;
  sampleShape: number[];
}

/** Reads every batch of `dataset` into one `x` and one `y` array. */
export async function loadAll(dataset: Dataset, batchSize = 1024): Promise<LoadedData> {
  const sampleSize = product(dataset.sampleShape);
  const x = new Float32Array(dataset.count * sampleSize);
  const y = new Int32Array(dataset.count);
  for await (const batch of dataset.batches(batchSize)) {
    x.set(batch.x, batch.start * sampleSize);
    y.set(batch.y, batch.start);
  }
  return { x, y, count: dataset.count, sampleShape: [...dataset.sampleShape] };
}

/** The samples of `data` at `indices`, in that order (copied), e.g. a held-out split or a bootstrap resample. */
export function subsetOf(data: LoadedData, indices: ArrayLike<number>): LoadedData {
  const size = data.sampleShape.reduce((a, b) => a * b, 1);
  const x = new Float32Array(indices.length * size);
  const y = new Int32Array(indices.length);
  for (let i = 0; i < indices.length; i++) {
    x.set(data.x.subarray(indices[i] * size, (indices[i] + 1) * size), i * size);
    y[i] = data.y[indices[i]];
  }
  return { x, y, count: indices.length, sampleShape: data.sampleShape };
}
