/** A Dataset over arrays already in memory (samples for diagnostics, resampled training sets, tabular splits). */
import type { Batch, Dataset } from '../data/dataset.js';

export function arrayDataset(x: Float32Array, y: Int32Array, sampleShape: readonly number[], numClasses: number, spec = 'memory'): Dataset {
  const size = sampleShape.reduce((a, b) => a * b, 1);
  const count = y.length;
  return {
    spec,
    count,
    sampleShape,
    numClasses,
    async *batches(batchSize: number): AsyncIterable<Batch> {
      for (let start = 0; start < count; start += batchSize) {
        const n = Math.min(batchSize, count - start);
        yield { x: x.subarray(start * size, (start + n) * size), y: y.subarray(start, start + n), count: n, start };
      }
    },
  };
}

/** Rows `indices` of (x, y) as a new in-memory dataset. */
export function selectDataset(x: Float32Array, y: Int32Array, indices: ArrayLike<number>, sampleShape: readonly number[], numClasses: number, spec = 'memory'): Dataset {
  const size = sampleShape.reduce((a, b) => a * b, 1);
  const xs = new Float32Array(indices.length * size);
  const ys = new Int32Array(indices.length);
  for (let k = 0; k < indices.length; k++) {
    xs.set(x.subarray(indices[k] * size, (indices[k] + 1) * size), k * size);
    ys[k] = y[indices[k]];
  }
  return arrayDataset(xs, ys, sampleShape, numClasses, spec);
}
