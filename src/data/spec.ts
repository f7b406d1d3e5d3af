/**
 * Data specs: the one-string names users give datasets on the command line and in config files, such as
 * `mnist:test`, `npz:adv.npz` or `idx:images.gz,labels.gz`. Parsing is separate from loading so the CLI can
 * reject a typo before any file is touched.
 */
import { RampartError } from '../errors.js';

export type MnistSplit = 'train' | 'test' | 'all';
export type FashionMnistSplit = 'train' | 'test';

export type DataSpec =
  | { kind: 'mnist'; split: MnistSplit }
  | { kind: 'fashion-mnist'; split: FashionMnistSplit }
  | { kind: 'npz'; path: string }
  | { kind: 'npy'; xPath: string; yPath: string }
  | { kind: 'idx'; imagesPath: string; labelsPath: string }
  | { kind: 'csv'; path: string }
  | { kind: 'images'; dir: string };

/** Every accepted form, for help texts and error messages. */
export const DATA_SPEC_FORMS: readonly string[] = [
  'mnist | mnist:test | mnist:train | mnist:all   (bundled 10,000-digit MNIST subset, 8,000/2,000 split)',
  'fashion-mnist | fashion-mnist:test | fashion-mnist:train   (IDX files from dataset-fashion-mnist)',
  'npz:PATH                   (arrays x and y, as written by np.savez / np.savez_compressed)',
  'npy:XPATH,YPATH            (two .npy files)',
  'idx:IMAGES,LABELS          (IDX files, raw or .gz)',
  'csv:PATH                   (header row; label column "label" unless labelColumn is set)',
  'images:DIR                 (one sub-folder per class with PNG/JPEG files)',
];

function specError(spec: string, problem: string): RampartError {
  return new RampartError(
    'DATA_SPEC',
    `Data spec "${spec}": ${problem}. Valid forms:\n  ${DATA_SPEC_FORMS.join('\n  ')}`,
    { spec },
  );
}

function twoPaths(spec: string, rest: string, what: string): [string, string] {
  const parts = rest.split(',').map((p) => p.trim());
  if (parts.length !== 2 || parts.some((p) => p.length === 0)) {
    throw specError(spec, `expected two paths separated by one comma (${what})`);
  }
  return [parts[0], parts[1]];
}

/** Parses a data spec string; throws `DATA_SPEC` listing the valid forms when it is not one. */
export function parseDataSpec(spec: string): DataSpec {
  const trimmed = spec.trim();
  const colon = trimmed.indexOf(':');
  const prefix = (colon < 0 ? trimmed : trimmed.slice(0, colon)).toLowerCase();
  const rest = colon < 0 ? '' : trimmed.slice(colon + 1).trim();
  switch (prefix) {
    case 'mnist': {
      const split = rest === '' ? 'test' : rest;
      if (split !== 'train' && split !== 'test' && split !== 'all') {
        throw specError(spec, `unknown MNIST split "${rest}" (use train, test or all)`);
      }
      return { kind: 'mnist', split };
    }
    case 'fashion-mnist': {
      const split = rest === '' ? 'test' : rest;
      if (split !== 'train' && split !== 'test') {
        throw specError(spec, `unknown Fashion-MNIST split "${rest}" (use train or test)`);
      }
      return { kind: 'fashion-mnist', split };
    }
    case 'npz':
    case 'csv':
    case 'images':
      if (rest === '') throw specError(spec, `"${prefix}:" needs a path after the colon`);
      return prefix === 'images' ? { kind: 'images', dir: rest } : { kind: prefix, path: rest };
    case 'npy': {
      const [xPath, yPath] = twoPaths(spec, rest, 'samples .npy, labels .npy');
      return { kind: 'npy', xPath, yPath };
    }
    case 'idx': {
      const [imagesPath, labelsPath] = twoPaths(spec, rest, 'images IDX, labels IDX');
      return { kind: 'idx', imagesPath, labelsPath };
    }
    default:
      throw specError(spec, colon < 0 ? 'unknown dataset name' : `unknown prefix "${prefix}:"`);
  }
}
