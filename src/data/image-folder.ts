/**
 * `images:DIR` — an image-classification folder: one sub-folder per class, holding PNG (`.png`) and JPEG
 * (`.jpg`, `.jpeg`) files. Classes are the sub-folder names sorted by code point (label = position); files
 * within a class are read in sorted name order, classes one after another. Hidden entries and files with
 * other extensions are ignored.
 *
 * All images must have the same width and height (Rampart does not resize: resizing changes what an
 * ε-ball means). The set is grayscale ([H, W, 1]) when every pixel of every image has R = G = B, otherwise
 * RGB ([H, W, 3]); alpha is dropped. Pixels are kept as uint8 and scaled by 1/255 per batch.
 */
import { readdir } from 'node:fs/promises';
import { extname, join } from 'node:path';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { RampartError } from '../errors.js';
import type { Dataset, OpenOptions } from './dataset.js';
import { readBytes, requireDirectory } from './files.js';
import { createDataset } from './source.js';

const IMAGE_EXTENSIONS = new Set(['.png', '.jpg', '.jpeg']);

interface Rgba {
  width: number;
  height: number;
  data: Uint8Array;
}

const byCodePoint = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

function decodeImage(bytes: Uint8Array, path: string): Rgba {
  const ext = extname(path).toLowerCase();
  try {
    if (ext === '.png') {
      const png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
      return { width: png.width, height: png.height, data: new Uint8Array(png.data) };
    }
    const decoded = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true });
    return { width: decoded.width, height: decoded.height, data: decoded.data };
  } catch (error) {
    throw new RampartError(
      'DATA_CORRUPT',
      `${path}: cannot decode this ${ext === '.png' ? 'PNG' : 'JPEG'} image (${(error as Error).message}). ` +
        `Re-export the image or remove it from the folder.`,
      { path },
    );
  }
}

/** Opens `images:<dir>`. */
export async function openImageFolder(dir: string, options: OpenOptions = {}): Promise<Dataset> {
  const spec = `images:${dir}`;
  await requireDirectory(dir, 'images');
  const classNames = (await readdir(dir, { withFileTypes: true }))
    .filter((entry) => entry.isDirectory() && !entry.name.startsWith('.'))
    .map((entry) => entry.name)
    .sort(byCodePoint);
  if (classNames.length === 0) {
    throw new RampartError(
      'DATA_SHAPE_MISMATCH',
      `${spec}: no class sub-folders; put the images of each class in their own sub-folder (DIR/cat/1.png, ...).`,
    );
  }
  const files: { path: string; label: number }[] = [];
  for (const [label, name] of classNames.entries()) {
    const entries = (await readdir(join(dir, name), { withFileTypes: true }))
      .filter((e) => e.isFile() && !e.name.startsWith('.') && IMAGE_EXTENSIONS.has(extname(e.name).toLowerCase()))
      .map((e) => e.name)
      .sort(byCodePoint);
    for (const file of entries) files.push({ path: join(dir, name, file), label });
  }
  if (files.length === 0) {
    throw new RampartError('DATA_SHAPE_MISMATCH', `${spec}: no .png, .jpg or .jpeg files in the class sub-folders.`);
  }

  let width = 0;
  let height = 0;
  let firstPath = '';
  let rgb = new Uint8Array(0);
  let grayscale = true;
  const labels = new Int32Array(files.length);
  for (const [index, file] of files.entries()) {
    const image = decodeImage(await readBytes(file.path, 'image'), file.path);
    if (index === 0) {
      ({ width, height } = image);
      firstPath = file.path;
      rgb = new Uint8Array(files.length * width * height * 3);
    } else if (image.width !== width || image.height !== height) {
      throw new RampartError(
        'DATA_SHAPE_MISMATCH',
        `${spec}: ${file.path} is ${image.width}×${image.height} but ${firstPath} is ${width}×${height}; ` +
          `all images must share one size. Resize them beforehand.`,
        { path: file.path, width: image.width, height: image.height, expected: [width, height] },
      );
    }
    const base = index * width * height * 3;
    for (let p = 0; p < width * height; p++) {
      const r = image.data[4 * p];
      const g = image.data[4 * p + 1];
      const b = image.data[4 * p + 2];
      rgb[base + 3 * p] = r;
      rgb[base + 3 * p + 1] = g;
      rgb[base + 3 * p + 2] = b;
      if (r !== g || g !== b) grayscale = false;
    }
    labels[index] = file.label;
  }
  let pixels = rgb;
  if (grayscale) {
    pixels = new Uint8Array(rgb.length / 3);
    for (let i = 0; i < pixels.length; i++) pixels[i] = rgb[3 * i];
  }
  return createDataset(
    {
      spec,
      pixels: { kind: 'uint8', data: pixels },
      labels,
      sampleShape: [height, width, grayscale ? 1 : 3],
      classNames,
    },
    options,
  );
}
