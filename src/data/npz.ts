/**
 * Reads and writes NumPy `.npz` archives: a zip file with one `.npy` entry per array, named `<key>.npy`,
 * either stored (`np.savez`) or deflated (`np.savez_compressed`). NumPy writes zip64 extra fields; fflate
 * reads them. Writing is used to save adversarial examples (`--save-adversarial`) in a form `np.load` opens.
 *
 * Written archives are byte-for-byte reproducible: entries keep the caller's key order and carry a fixed
 * timestamp (1980-01-01, the zip epoch) instead of the current time.
 */
import { writeFile } from 'node:fs/promises';
import { type Zippable, unzipSync, zipSync } from 'fflate';
import { RampartError } from '../errors.js';
import type { NdArray } from './ndarray.js';
import { type NdArrayInput, readNpy, writeNpy } from './npy.js';
import { readBytes } from './files.js';

export interface WriteNpzOptions {
  /** Deflate the entries like `np.savez_compressed` (default false: stored, like `np.savez`). */
  compressed?: boolean;
}

/** Parses `.npz` bytes into arrays keyed by name (the entry name without `.npy`). */
export function readNpz(bytes: Uint8Array, source = '<npz bytes>'): Record<string, NdArray> {
  let entries: Record<string, Uint8Array>;
  try {
    entries = unzipSync(bytes);
  } catch (error) {
    throw new RampartError(
      'DATA_CORRUPT',
      `${source}: not a readable .npz (zip) archive (${(error as Error).message}). ` +
        `Re-save it with np.savez or np.savez_compressed.`,
      { source },
    );
  }
  const arrays: Record<string, NdArray> = {};
  for (const [entryName, entryBytes] of Object.entries(entries)) {
    if (entryName.endsWith('/')) continue; // directory entry
    const key = entryName.endsWith('.npy') ? entryName.slice(0, -4) : entryName;
    arrays[key] = readNpy(entryBytes, `${source} (array "${key}")`);
  }
  return arrays;
}

/** Encodes arrays as `.npz` bytes that `np.load` reads; keys become entry names `<key>.npy`. */
export function writeNpz(arrays: Readonly<Record<string, NdArrayInput>>, options: WriteNpzOptions = {}): Uint8Array {
  const level = options.compressed ? 6 : 0;
  const mtime = new Date(1980, 0, 1, 0, 0, 0);
  const files: Zippable = {};
  for (const [key, array] of Object.entries(arrays)) {
    if (key.length === 0 || key.includes('/')) {
      throw new RampartError('BAD_OPTION', `writeNpz: array name "${key}" must be non-empty and contain no "/".`);
    }
    files[`${key}.npy`] = [writeNpy(array), { level, mtime }];
  }
  return zipSync(files);
}

/** Reads a `.npz` file. */
export async function readNpzFile(path: string): Promise<Record<string, NdArray>> {
  return readNpz(await readBytes(path, 'npz'), path);
}

/** Writes a `.npz` file. */
export async function writeNpzFile(
  path: string,
  arrays: Readonly<Record<string, NdArrayInput>>,
  options: WriteNpzOptions = {},
): Promise<void> {
  await writeFile(path, writeNpz(arrays, options));
}
