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
