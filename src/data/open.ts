/**
 * `openDataset(spec, options)`: the one entry point from a data spec string to a `Dataset`. It parses the
 * spec, validates the options, and hands off to the loader for that kind of source; every loader checks
 * its input once (counts, shapes, finite values in [0, 1], labels) and fails with a `RampartError`.
 */
import type { Dataset, OpenOptions } from './dataset.js';
import { sourceFromArrays } from './arrays.js';
import { openCsv } from './csv.js';
import { openFashionMnist } from './fashion-mnist.js';
import { readIdxFile } from './idx.js';
import { openImageFolder } from './image-folder.js';
import { openMnist } from './mnist.js';
import { readNpyFile } from './npy.js';
import { readNpzFile } from './npz.js';
import { createDataset, parseOpenOptions } from './source.js';
import { parseDataSpec } from './spec.js';
import { RampartError } from '../errors.js';

/**
 * Opens a dataset from a spec such as `mnist:test`, `fashion-mnist`, `npz:adv.npz`, `npy:x.npy,y.npy`,
 * `idx:images.gz,labels.gz`, `csv:table.csv` or `images:photos/`.
 *
 * @example
 * const test = await openDataset('mnist:test', { limit: 100 });
 * for await (const batch of test.batches(32)) console.log(batch.start, batch.count); // 0 32, 32 32, 64 32, 96 4
 */
export async function openDataset(spec: string, options: OpenOptions = {}): Promise<Dataset> {
  const parsed = parseDataSpec(spec);
  const checked = parseOpenOptions(options);
  switch (parsed.kind) {
    case 'mnist':
      return openMnist(parsed.split, checked);
    case 'fashion-mnist':
      return openFashionMnist(parsed.split, checked);
    case 'npz': {
      const arrays = await readNpzFile(parsed.path);
      for (const key of ['x', 'y']) {
        if (!arrays[key]) {
          throw new RampartError(
            'DATA_SHAPE_MISMATCH',
            `${parsed.path}: no array named "${key}" (found: ${Object.keys(arrays).join(', ') || 'none'}); ` +
              `save samples as x and labels as y: np.savez(path, x=images, y=labels).`,
            { keys: Object.keys(arrays) },
          );
        }
      }
      const names = { x: `${parsed.path} (array "x")`, y: `${parsed.path} (array "y")` };
      return createDataset(sourceFromArrays(`npz:${parsed.path}`, arrays.x, arrays.y, names), checked);
    }
    case 'npy': {
      const [x, y] = await Promise.all([readNpyFile(parsed.xPath), readNpyFile(parsed.yPath)]);
      const source = sourceFromArrays(`npy:${parsed.xPath},${parsed.yPath}`, x, y, {
        x: parsed.xPath,
        y: parsed.yPath,
      });
      return createDataset(source, checked);
    }
    case 'idx': {
      const [x, y] = await Promise.all([readIdxFile(parsed.imagesPath), readIdxFile(parsed.labelsPath)]);
      const source = sourceFromArrays(`idx:${parsed.imagesPath},${parsed.labelsPath}`, x, y, {
        x: parsed.imagesPath,
        y: parsed.labelsPath,
      });
      return createDataset(source, checked);
    }
    case 'csv':
      return openCsv(parsed.path, checked);
    case 'images':
      return openImageFolder(parsed.dir, checked);
  }
}
