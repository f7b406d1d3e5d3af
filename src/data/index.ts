/**
 * Public API of `rampart/data`: open datasets from spec strings, read and write NumPy and IDX arrays,
 * collect small sets into arrays, and check batches against the dataset contract.
 */
export type { Batch, Dataset, OpenOptions } from './dataset.js';
export { openDataset } from './open.js';
export { type DataSpec, type MnistSplit, type FashionMnistSplit, DATA_SPEC_FORMS, parseDataSpec } from './spec.js';
export { openOptionsSchema } from './source.js';
export { type DType, type NdArray, type TypedData, transpose } from './ndarray.js';
export { type NdArrayInput, readNpy, readNpyFile, writeNpy, writeNpyFile } from './npy.js';
export { type WriteNpzOptions, readNpz, readNpzFile, writeNpz, writeNpzFile } from './npz.js';
export { readIdx, readIdxFile } from './idx.js';
export { type LoadedData, loadAll } from './load-all.js';
export { type BatchExpectation, checkCounts, checkLabels, checkPixels, validateBatch } from './validate.js';
export { MNIST_SHUFFLE_SEED, mnistSplitIndices, stratifiedTrainCounts } from './mnist.js';
export { FASHION_MNIST_CLASSES, FASHION_MNIST_DIR_ENV, fashionMnistDir } from './fashion-mnist.js';
export { parseCsv } from './csv.js';
