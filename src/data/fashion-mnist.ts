/**
 * `fashion-mnist:*` — Zalando's Fashion-MNIST (60,000 train / 10,000 test 28×28 grayscale images, 10
 * classes) from its official gzip IDX files, in the official order, unshuffled. The files come from the
 * Debian package `dataset-fashion-mnist` (installed under /usr/share/datasets/fashion-mnist); set
 * `RAMPART_FASHION_MNIST_DIR` to use another directory with the same four file names.
 *
 * Pixels stay as the decoded uint8 buffer (47 MB for train) and are scaled by 1/255 per batch.
 */
import { join } from 'node:path';
import { RampartError } from '../errors.js';
import type { Dataset, OpenOptions } from './dataset.js';
import { readIdxFile } from './idx.js';
import { requireDirectory } from './files.js';
import type { FashionMnistSplit } from './spec.js';
import { createDataset } from './source.js';
import { sourceFromArrays } from './arrays.js';

export const FASHION_MNIST_DEFAULT_DIR = '/usr/share/datasets/fashion-mnist';
export const FASHION_MNIST_DIR_ENV = 'RAMPART_FASHION_MNIST_DIR';

/** Class names, index = label, as published with the dataset. */
export const FASHION_MNIST_CLASSES: readonly string[] = [
  'T-shirt/top',
  'Trouser',
  'Pullover',
  'Dress',
  'Coat',
  'Sandal',
  'Shirt',
  'Sneaker',
  'Bag',
  'Ankle boot',
];

const FILE_PREFIX: Readonly<Record<FashionMnistSplit, string>> = { train: 'train', test: 't10k' };

/** The directory the files are read from: `$RAMPART_FASHION_MNIST_DIR` or the Debian location. */
export function fashionMnistDir(): string {
  const fromEnv = process.env[FASHION_MNIST_DIR_ENV];
  return fromEnv && fromEnv.length > 0 ? fromEnv : FASHION_MNIST_DEFAULT_DIR;
}

/** Opens `fashion-mnist:<split>`. */
export async function openFashionMnist(split: FashionMnistSplit, options: OpenOptions = {}): Promise<Dataset> {
  const dir = fashionMnistDir();
  const imagesPath = join(dir, `${FILE_PREFIX[split]}-images-idx3-ubyte.gz`);
  const labelsPath = join(dir, `${FILE_PREFIX[split]}-labels-idx1-ubyte.gz`);
  const missingHint =
    `Install the data with \`apt-get install dataset-fashion-mnist\` or set ${FASHION_MNIST_DIR_ENV} to a ` +
    `directory holding ${FILE_PREFIX[split]}-images-idx3-ubyte.gz and ${FILE_PREFIX[split]}-labels-idx1-ubyte.gz.`;
  let images;
  let labels;
  try {
    await requireDirectory(dir, 'fashion-mnist');
    // One after the other: with both files missing, the error must name the images file, not whichever read lost a race.
    images = await readIdxFile(imagesPath);
    labels = await readIdxFile(labelsPath);
  } catch (error) {
    if (error instanceof RampartError && error.code === 'FILE_NOT_FOUND') {
      throw new RampartError('FILE_NOT_FOUND', `fashion-mnist:${split}: ${error.message} ${missingHint}`, {
        ...error.details,
        dir,
      });
    }
    throw error;
  }
  const source = sourceFromArrays(`fashion-mnist:${split}`, images, labels, { x: imagesPath, y: labelsPath });
  return createDataset({ ...source, classNames: FASHION_MNIST_CLASSES }, options);
}
