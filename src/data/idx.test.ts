/** IDX reading: NumPy-written raw and gzip fixtures, float IDX, and damaged files. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { RampartError } from '../errors.js';
import { readIdx, readIdxFile } from './idx.js';

const fixture = (name: string): string => fileURLToPath(new URL(`../../test/fixtures/data/${name}`, import.meta.url));
const pixel = (n: number, h: number, w: number): number => Math.fround(((n * 37 + h * 11 + w * 5) % 256) / 255);

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    if (error instanceof RampartError) return error.code;
    throw error;
  }
  return 'no error';
}

describe('readIdx', () => {
  for (const name of ['images-idx3-ubyte', 'images-idx3-ubyte.gz']) {
    it(`reads uint8 images from ${name}`, async () => {
      const images = await readIdxFile(fixture(name));
      expect(images.dtype).toBe('uint8');
      expect(images.shape).toEqual([3, 4, 5]);
      expect(images.data[(2 * 4 + 3) * 5 + 4]).toBe((2 * 37 + 3 * 11 + 4 * 5) % 256);
    });
  }

  it('reads labels and float32 (big-endian) IDX', async () => {
    const labels = await readIdxFile(fixture('labels-idx1-ubyte.gz'));
    expect(labels.shape).toEqual([3]);
    expect(Array.from(labels.data as Uint8Array)).toEqual([7, 0, 3]);
    const floats = await readIdxFile(fixture('float-idx3'));
    expect(floats.dtype).toBe('float32');
    expect(floats.shape).toEqual([2, 2, 3]);
    expect(floats.data[(1 * 2 + 1) * 3 + 2]).toBe(pixel(1, 1, 2));
  });

  it('reports bad magic, truncation and broken gzip as DATA_CORRUPT', () => {
    const raw = new Uint8Array(readFileSync(fixture('images-idx3-ubyte')));
    const gz = new Uint8Array(readFileSync(fixture('images-idx3-ubyte.gz')));
    expect(codeOf(() => readIdx(raw.subarray(0, raw.length - 1)))).toBe('DATA_CORRUPT');
    expect(codeOf(() => readIdx(raw.subarray(0, 9)))).toBe('DATA_CORRUPT');
    expect(codeOf(() => readIdx(gz.subarray(0, gz.length - 10)))).toBe('DATA_CORRUPT');
    const badType = raw.slice();
    badType[2] = 0x42;
    expect(codeOf(() => readIdx(badType))).toBe('DATA_CORRUPT');
    expect(() => readIdx(raw.subarray(0, 30), 'images.idx')).toThrow(/images\.idx: .*truncated: shape \[3, 4, 5\] needs 60/);
  });

  it('reports a missing file as FILE_NOT_FOUND', async () => {
    await expect(readIdxFile(fixture('nope.idx'))).rejects.toMatchObject({ code: 'FILE_NOT_FOUND' });
  });
});
