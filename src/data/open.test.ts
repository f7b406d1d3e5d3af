/**
 * openDataset on NumPy-written npz/npy files and IDX files: layout detection (NHWC, NCHW, 3-D, tabular),
 * dtype conversion, streaming with offset/limit, and every bad-input case with its error code.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { ErrorCode } from '../errors.js';
import type { Dataset } from './dataset.js';
import { loadAll } from './load-all.js';
import { openDataset } from './open.js';
import { validateBatch } from './validate.js';

const fixture = (name: string): string => fileURLToPath(new URL(`../../test/fixtures/data/${name}`, import.meta.url));
const pixel = (n: number, h: number, w: number, c: number): number =>
  Math.fround(((n * 37 + h * 11 + w * 5 + c * 3) % 256) / 255);

/** Expected NHWC values of `count` samples of shape [h, w, c] by the fixture formula. */
function expectedPixels(count: number, h: number, w: number, c: number): Float32Array {
  const out = new Float32Array(count * h * w * c);
  let i = 0;
  for (let n = 0; n < count; n++)
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let k = 0; k < c; k++) out[i++] = pixel(n, y, x, k);
  return out;
}

async function expectOpenError(spec: string, code: ErrorCode, message: RegExp, options = {}): Promise<void> {
  await expect(openDataset(spec, options)).rejects.toMatchObject({ name: 'RampartError', code, message: expect.stringMatching(message) });
}

describe('openDataset: npz', () => {
  it('reads NHWC float32 with int64 labels (np.savez)', async () => {
    const ds = await openDataset(`npz:${fixture('nhwc-f32-i64.npz')}`);
    expect(ds.count).toBe(6);
    expect(ds.sampleShape).toEqual([5, 4, 3]);
    expect(ds.numClasses).toBe(3);
    const all = await loadAll(ds);
    expect(all.x).toEqual(expectedPixels(6, 5, 4, 3));
    expect(Array.from(all.y)).toEqual([0, 1, 2, 0, 1, 2]);
  });

  it('detects NCHW (np.savez_compressed, uint8 labels) and transposes to the same NHWC data', async () => {
    const ds = await openDataset(`npz:${fixture('nchw-f32-u8-compressed.npz')}`);
    expect(ds.sampleShape).toEqual([5, 4, 3]);
    const all = await loadAll(ds);
    expect(all.x).toEqual(expectedPixels(6, 5, 4, 3));
    expect(Array.from(all.y)).toEqual([0, 1, 2, 0, 1, 2]);
  });

  it('detects single-channel NCHW [N, 1, H, W]', async () => {
    const ds = await openDataset(`npz:${fixture('nchw-gray-f32-i64.npz')}`);
    expect(ds.sampleShape).toEqual([6, 5, 1]);
    expect((await loadAll(ds)).x).toEqual(expectedPixels(4, 6, 5, 1));
  });

  it('adds a channel to [N, H, W] uint8 and scales by 1/255', async () => {
    const ds = await openDataset(`npz:${fixture('gray3d-u8-i32.npz')}`);
    expect(ds.sampleShape).toEqual([4, 4, 1]);
    const all = await loadAll(ds);
    expect(all.x).toEqual(expectedPixels(5, 4, 4, 1));
    expect(Array.from(all.y)).toEqual([4, 3, 2, 1, 0]);
    expect(ds.numClasses).toBe(5);
  });

  it('reads tabular float64 [N, F] with int16 labels as float32 rows', async () => {
    const ds = await openDataset(`npz:${fixture('tabular-f64-i16-compressed.npz')}`);
    expect(ds.sampleShape).toEqual([3]);
    expect(ds.count).toBe(7);
    const all = await loadAll(ds);
    expect(all.x).toEqual(expectedPixels(7, 3, 1, 1));
    expect(Array.from(all.y)).toEqual([0, 1, 0, 1, 0, 1, 1]);
  });

  it.each([
    ['bad-nan.npz', 'NON_FINITE_INPUT', /sample 2 contains NaN/],
    ['bad-inf.npz', 'NON_FINITE_INPUT', /sample 3 contains Infinity/],
    ['bad-range-255.npz', 'DATA_SHAPE_MISMATCH', /found range \[0, \d+(\.\d+)?\] \(first at sample 0\)\. .*divide by 255/],
    ['bad-negative-labels.npz', 'LABEL_OUT_OF_RANGE', /label -1 at sample 2 is negative/],
    ['bad-count-mismatch.npz', 'DATA_SHAPE_MISMATCH', /4 samples but 3 labels/],
    ['bad-one-hot-labels.npz', 'DATA_SHAPE_MISMATCH', /y\.argmax\(1\)/],
    ['bad-float-labels.npz', 'DATA_SHAPE_MISMATCH', /float64.*must be integers/],
    ['bad-missing-y.npz', 'DATA_SHAPE_MISMATCH', /no array named "y" \(found: x\)/],
    ['no-such-file.npz', 'FILE_NOT_FOUND', /npz file not found: .*no-such-file\.npz/],
  ] as const)('rejects %s with %s', async (name, code, message) => {
    await expectOpenError(`npz:${fixture(name)}`, code, message);
  });

  it('rejects a truncated archive and a non-zip file as DATA_CORRUPT', async () => {
    await expectOpenError(`npz:${fixture('x.npy')}`, 'DATA_CORRUPT', /not a readable \.npz/);
  });
});

describe('openDataset: npy and idx', () => {
  it('reads an x.npy, y.npy pair', async () => {
    const ds = await openDataset(`npy:${fixture('x.npy')},${fixture('y.npy')}`);
    expect(ds.sampleShape).toEqual([3, 3, 1]);
    const all = await loadAll(ds);
    expect(all.x).toEqual(expectedPixels(4, 3, 3, 1));
    expect(Array.from(all.y)).toEqual([1, 0, 1, 0]);
  });

  it('reads raw and gzip IDX alike', async () => {
    for (const suffix of ['', '.gz']) {
      const ds = await openDataset(`idx:${fixture(`images-idx3-ubyte${suffix}`)},${fixture(`labels-idx1-ubyte${suffix}`)}`);
      expect(ds.sampleShape).toEqual([4, 5, 1]);
      expect(ds.numClasses).toBe(8);
      const all = await loadAll(ds);
      expect(all.x).toEqual(expectedPixels(3, 4, 5, 1));
      expect(Array.from(all.y)).toEqual([7, 0, 3]);
    }
  });

  it('rejects a labels file of the wrong format or shape, and missing files', async () => {
    await expectOpenError(`npy:${fixture('x.npy')},${fixture('labels-idx1-ubyte')}`, 'DATA_CORRUPT', /npy/);
    await expectOpenError(
      `idx:${fixture('images-idx3-ubyte')},${fixture('float-idx3')}`,
      'DATA_SHAPE_MISMATCH',
      /labels have shape \[2, 2, 3\]/,
    );
    await expectOpenError(`idx:${fixture('images-idx3-ubyte')},/nonexistent/labels`, 'FILE_NOT_FOUND', /\/nonexistent\/labels/);
  });
});

describe('streaming: batches, offset, limit', () => {
  async function collect(ds: Dataset, batchSize: number): Promise<{ starts: number[]; counts: number[]; y: number[] }> {
    const starts: number[] = [];
    const counts: number[] = [];
    const y: number[] = [];
    for await (const batch of ds.batches(batchSize)) {
      validateBatch(batch, ds);
      starts.push(batch.start);
      counts.push(batch.count);
      y.push(...batch.y);
    }
    return { starts, counts, y };
  }

  it('yields full batches and a smaller last one, numbered from 0', async () => {
    const ds = await openDataset(`npz:${fixture('tabular-f64-i16-compressed.npz')}`);
    expect(await collect(ds, 3)).toEqual({ starts: [0, 3, 6], counts: [3, 3, 1], y: [0, 1, 0, 1, 0, 1, 1] });
    expect((await collect(ds, 100)).counts).toEqual([7]);
    // Re-iterable: a second pass gives the same data.
    expect((await collect(ds, 2)).y).toEqual([0, 1, 0, 1, 0, 1, 1]);
  });

  it('applies offset and limit to samples and labels', async () => {
    const spec = `npz:${fixture('nhwc-f32-i64.npz')}`;
    const ds = await openDataset(spec, { offset: 2, limit: 3 });
    expect(ds.count).toBe(3);
    expect(ds.numClasses).toBe(3); // from the whole source, not the window
    const all = await loadAll(ds, 2);
    expect(all.x).toEqual(expectedPixels(6, 5, 4, 3).subarray(2 * 60, 5 * 60));
    expect(Array.from(all.y)).toEqual([2, 0, 1]);
    expect((await openDataset(spec, { offset: 4, limit: 10 })).count).toBe(2);
  });

  it('rejects bad offset, limit and batch size', async () => {
    const spec = `npz:${fixture('nhwc-f32-i64.npz')}`;
    await expectOpenError(spec, 'BAD_OPTION', /offset 6 is past the end of the 6 samples/, { offset: 6 });
    await expectOpenError(spec, 'BAD_OPTION', /limit/, { limit: 0 });
    await expectOpenError(spec, 'BAD_OPTION', /offset/, { offset: -1 });
    await expectOpenError(spec, 'BAD_OPTION', /offset/, { offset: 1.5 });
    const ds = await openDataset(spec);
    await expect(ds.batches(0)[Symbol.asyncIterator]().next()).rejects.toMatchObject({ code: 'BAD_OPTION' });
  });

  it('rejects unknown specs before touching files', async () => {
    await expectOpenError('tfrecord:x', 'DATA_SPEC', /unknown prefix/);
  });
});
