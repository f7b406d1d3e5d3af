/**
 * The dataset contract. A dataset is a finite, ordered, re-iterable stream of labelled samples.
 * Samples are float32 in [0, 1]; images are NHWC ([H, W, C] per sample), tabular rows are [F].
 * Batches are plain arrays (no tensors), so a loader never owns GPU/wasm memory and 60,000 images
 * never sit twice in memory: each batch is produced on demand.
 */
export interface Batch {
  /** Row-major samples, `count * prod(sampleShape)` values. */
  x: Float32Array;
  /** Integer class labels, `count` values. */
  y: Int32Array;
  /** Number of samples in this batch. */
  count: number;
  /** Index of the first sample of this batch within the dataset (after offset/limit). */
  start: number;
}

export interface Dataset {
  /** The spec the dataset was opened from, e.g. `mnist:test` or `npz:data/x.npz`. */
  readonly spec: string;
  /** Number of samples (after offset/limit). */
  readonly count: number;
  /** Shape of one sample: [H, W, C] for images, [F] for tabular data. */
  readonly sampleShape: readonly number[];
  /** Number of classes (max label + 1 unless the source declares it). */
  readonly numClasses: number;
  /** Optional class names, index = label. */
  readonly classNames?: readonly string[];
  /** Streams the samples in order, `batchSize` at a time (the last batch may be smaller). */
  batches(batchSize: number): AsyncIterable<Batch>;
}

export interface OpenOptions {
  /** Skip this many samples from the start. */
  offset?: number;
  /** Keep at most this many samples. */
  limit?: number;
  /** Name of the label column for `csv:` data (default `label`). */
  labelColumn?: string;
}
