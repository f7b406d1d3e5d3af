/**
 * Turns samples held in memory in their most compact form into a `Dataset`: applies offset/limit, and
 * produces float32 batches on demand. uint8 pixels (IDX, Fashion-MNIST, PNG/JPEG, uint8 npz) stay uint8 and
 * are scaled by 1/255 one batch at a time, so a 60,000-image set never has a second full float copy.
 * An optional `order` maps dataset positions to stored samples (MNIST's seeded shuffle) without copying.
 */
import { z } from 'zod';
import { RampartError } from '../errors.js';
import type { Batch, Dataset, OpenOptions } from './dataset.js';
import { product } from './ndarray.js';
import { checkLabels } from './validate.js';

/** Stored pixels: uint8 are divided by 255 on read; float32 must already be checked to lie in [0, 1]. */
export type PixelStore = { kind: 'uint8'; data: Uint8Array } | { kind: 'float32'; data: Float32Array };

export interface SampleSource {
  spec: string;
  pixels: PixelStore;
  labels: Int32Array;
  sampleShape: readonly number[];
  /** Class names; when given, their count is the number of classes. */
  classNames?: readonly string[];
  /** Dataset position i reads stored sample `order[i]`; default identity. */
  order?: Int32Array;
}

/** The `OpenOptions` schema: the single source of validation for offset, limit and labelColumn. */
export const openOptionsSchema = z
  .object({
    offset: z.number().int().nonnegative().optional(),
    limit: z.number().int().positive().optional(),
    labelColumn: z.string().min(1).optional(),
  })
  .strict();

/** Validates open options, reporting the offending field as `BAD_OPTION`. */
export function parseOpenOptions(options: OpenOptions = {}): OpenOptions {
  const parsed = openOptionsSchema.safeParse(options);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || 'options'}: ${i.message}`).join('; ');
    throw new RampartError('BAD_OPTION', `openDataset options: ${issues}.`, { issues: parsed.error.issues });
  }
  return parsed.data;
}

/** uint8 → float32 lookup: exactly `v / 255` rounded once to float32. */
const UINT8_TO_UNIT = Float32Array.from({ length: 256 }, (_, v) => v / 255);

/** Builds a dataset over an in-memory source, applying `options.offset` and `options.limit`. */
export function createDataset(source: SampleSource, options: OpenOptions = {}): Dataset {
  const { offset = 0, limit } = parseOpenOptions(options);
  const sampleSize = product(source.sampleShape);
  const total = source.order ? source.order.length : source.labels.length;
  if (source.pixels.data.length !== source.labels.length * sampleSize) {
    throw new RampartError(
      'INTERNAL',
      `${source.spec}: ${source.pixels.data.length} pixel values do not make ${source.labels.length} samples of ` +
        `shape [${source.sampleShape.join(', ')}].`,
    );
  }
  if (total === 0) {
    throw new RampartError('DATA_SHAPE_MISMATCH', `${source.spec}: the dataset has no samples.`);
  }
  if (offset >= total) {
    throw new RampartError(
      'BAD_OPTION',
      `${source.spec}: offset ${offset} is past the end of the ${total} samples; use an offset below ${total}.`,
      { offset, total },
    );
  }
  const count = Math.min(total - offset, limit ?? Number.POSITIVE_INFINITY);

  let maxLabel = -1;
  for (const label of source.labels) if (label > maxLabel) maxLabel = label;
  const numClasses = source.classNames ? source.classNames.length : maxLabel + 1;
  checkLabels(source.labels, numClasses, source.spec);

  const { pixels, labels, order } = source;
  const storedIndex = (position: number): number => (order ? order[position] : position);

  async function* batches(batchSize: number): AsyncGenerator<Batch> {
    if (!Number.isInteger(batchSize) || batchSize < 1) {
      throw new RampartError('BAD_OPTION', `${source.spec}: batchSize must be a positive integer, got ${batchSize}.`, {
        batchSize,
      });
    }
    for (let start = 0; start < count; start += batchSize) {
      const batchCount = Math.min(batchSize, count - start);
      const x = new Float32Array(batchCount * sampleSize);
      const y = new Int32Array(batchCount);
      for (let j = 0; j < batchCount; j++) {
        const stored = storedIndex(offset + start + j);
        y[j] = labels[stored];
        const from = stored * sampleSize;
        if (pixels.kind === 'float32') {
          x.set(pixels.data.subarray(from, from + sampleSize), j * sampleSize);
        } else {
          const src = pixels.data;
          const base = j * sampleSize;
          for (let k = 0; k < sampleSize; k++) x[base + k] = UINT8_TO_UNIT[src[from + k]];
        }
      }
      yield { x, y, count: batchCount, start };
    }
  }

  const dataset: Dataset = {
    spec: source.spec,
    count,
    sampleShape: [...source.sampleShape],
    numClasses,
    batches,
  };
  return source.classNames ? { ...dataset, classNames: [...source.classNames] } : dataset;
}
