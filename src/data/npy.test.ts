/**
 * NPY/NPZ reading against files written by real NumPy (scripts/make-data-fixtures.py), writing checked by
 * header bytes, round trips and golden files that the same script loads with NumPy.
 */
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { isRampartError } from '../errors.js';
import { readNpy, writeNpy } from './npy.js';
import { readNpz, writeNpz } from './npz.js';

const fixture = (name: string): string => fileURLToPath(new URL(`../../test/fixtures/data/${name}`, import.meta.url));
const bytesOf = (name: string): Uint8Array => new Uint8Array(readFileSync(fixture(name)));

/** The fixture formula from scripts/make-data-fixtures.py, as float32. */
const pixel = (n: number, h: number, w: number, c: number): number =>
  Math.fround(((n * 37 + h * 11 + w * 5 + c * 3) % 256) / 255);

function expectCode(fn: () => unknown, code: string, messagePart?: RegExp): void {
  try {
    fn();
  } catch (error) {
    expect(isRampartError(error), String(error)).toBe(true);
    expect((error as { code: string }).code).toBe(code);
    if (messagePart) expect((error as Error).message).toMatch(messagePart);
    return;
  }
  throw new Error(`expected a RampartError ${code}`);
}

describe('readNpy (NumPy-written files)', () => {
  it('reads float32 [4,3,3] and int64 labels', () => {
    const x = readNpy(bytesOf('x.npy'));
    expect(x.dtype).toBe('float32');
    expect(x.shape).toEqual([4, 3, 3]);
    expect(x.data[2 * 9 + 1 * 3 + 2]).toBe(pixel(2, 1, 2, 0));
    const y = readNpy(bytesOf('y.npy'));
    expect(y.dtype).toBe('int64');
    expect(Array.from(y.data as BigInt64Array, Number)).toEqual([1, 0, 1, 0]);
  });

  it('converts Fortran order to C order', () => {
    const a = readNpy(bytesOf('fortran-f32.npy'));
    expect(a.shape).toEqual([3, 4, 2]);
    expect(Array.from(a.data as Float32Array)).toEqual(Array.from({ length: 24 }, (_, i) => Math.fround(i / 24)));
  });

  it('reads big-endian data, format 2.0 headers and 0-d arrays', () => {
    const be = readNpy(bytesOf('big-endian-f4.npy'));
    expect(be.shape).toEqual([2, 3]);
    expect(Array.from(be.data as Float32Array)).toEqual([0, 0.125, 0.25, 0.375, 0.5, 0.625]);
    const v2 = readNpy(bytesOf('v2-u8.npy'));
    expect(bytesOf('v2-u8.npy')[6]).toBe(2);
    expect(v2.shape).toEqual([2, 5]);
    expect(Array.from(v2.data as Uint8Array)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const scalar = readNpy(bytesOf('scalar-f64.npy'));
    expect(scalar.shape).toEqual([]);
    expect(scalar.data[0]).toBe(0.25);
  });

  it('refuses unsupported dtypes, bad magic and truncated data', () => {
    expectCode(() => readNpy(bytesOf('complex64.npy'), 'c.npy'), 'DATA_SHAPE_MISMATCH', /c8.*not supported/);
    const good = bytesOf('x.npy');
    expectCode(() => readNpy(good.subarray(0, good.length - 5), 'cut.npy'), 'DATA_CORRUPT', /cut\.npy.*truncated/);
    expectCode(() => readNpy(good.subarray(0, 40), 'cut.npy'), 'DATA_CORRUPT', /truncated header/);
    const wrongMagic = good.slice();
    wrongMagic[1] = 0x41;
    expectCode(() => readNpy(wrongMagic, 'm.npy'), 'DATA_CORRUPT', /magic/);
  });
});

describe('writeNpy', () => {
  it('writes the NumPy 1.0 header, 64-byte aligned, then little-endian data', () => {
    const bytes = writeNpy({ data: new Float32Array([0.5, 1]), shape: [1, 2] });
    expect(Array.from(bytes.subarray(0, 8))).toEqual([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
    const headerLength = bytes[8] | (bytes[9] << 8);
    expect((10 + headerLength) % 64).toBe(0);
    const header = new TextDecoder().decode(bytes.subarray(10, 10 + headerLength));
    expect(header).toMatch(/^\{'descr': '<f4', 'fortran_order': False, 'shape': \(1, 2\), \} *\n$/);
    expect(Array.from(new Float32Array(bytes.slice(10 + headerLength).buffer))).toEqual([0.5, 1]);
    const oneD = new TextDecoder().decode(writeNpy({ data: new Uint8Array(3) }).subarray(10, 64));
    expect(oneD).toContain("'descr': '|u1'");
    expect(oneD).toContain("'shape': (3,)");
  });

  it('round-trips every dtype', () => {
    const cases = [
      { data: new Float32Array([0, 0.1, 1]), shape: [3] },
      { data: new Float64Array([1e-300, -2.5]), shape: [2, 1] },
      { data: new Uint8Array([0, 255]), shape: [2] },
      { data: new Int8Array([-128, 127]), shape: [2] },
      { data: new Int16Array([-3, 300]), shape: [1, 2] },
      { data: new Uint16Array([65535]), shape: [1] },
      { data: new Int32Array([-70000, 5]), shape: [2] },
      { data: new Uint32Array([4e9]), shape: [1] },
      { data: new BigInt64Array([-(2n ** 40n), 7n]), shape: [2] },
      { data: new BigUint64Array([2n ** 63n]), shape: [1] },
      { data: new Float32Array([2.5]), shape: [] },
    ];
    for (const input of cases) {
      const back = readNpy(writeNpy(input));
      expect(back.shape).toEqual(input.shape);
      expect(back.data).toEqual(input.data);
    }
    const bools = readNpy(writeNpy({ data: new Uint8Array([1, 0]), dtype: 'bool' }));
    expect(bools.dtype).toBe('bool');
  });

  it('refuses a shape that does not match the data', () => {
    expectCode(() => writeNpy({ data: new Float32Array(5), shape: [2, 2] }), 'BAD_OPTION', /shape \[2, 2\]/);
  });
});

describe('readNpz (NumPy-written archives)', () => {
  it('reads np.savez (stored) and np.savez_compressed (deflated) archives', () => {
    const stored = readNpz(bytesOf('nhwc-f32-i64.npz'));
    expect(Object.keys(stored).sort()).toEqual(['x', 'y']);
    expect(stored.x.shape).toEqual([6, 5, 4, 3]);
    expect(stored.x.data[((4 * 5 + 3) * 4 + 2) * 3 + 1]).toBe(pixel(4, 3, 2, 1));
    const deflated = readNpz(bytesOf('nchw-f32-u8-compressed.npz'));
    expect(deflated.x.shape).toEqual([6, 3, 5, 4]);
    expect(deflated.x.data[((4 * 3 + 1) * 5 + 3) * 4 + 2]).toBe(pixel(4, 3, 2, 1));
    expect(deflated.y.dtype).toBe('uint8');
    expect(Array.from(deflated.y.data as Uint8Array)).toEqual([0, 1, 2, 0, 1, 2]);
  });

  it('reports truncated and damaged archives as DATA_CORRUPT', () => {
    const good = bytesOf('nchw-f32-u8-compressed.npz');
    expectCode(() => readNpz(good.subarray(0, 600), 'cut.npz'), 'DATA_CORRUPT', /cut\.npz/);
    const damaged = good.slice();
    for (let i = 120; i < 400; i++) damaged[i] ^= 0x5a; // inside the deflate stream of x.npy
    expectCode(() => readNpz(damaged, 'bad.npz'), 'DATA_CORRUPT');
    expectCode(() => readNpz(new Uint8Array([1, 2, 3]), 'tiny.npz'), 'DATA_CORRUPT');
  });
});

describe('writeNpz', () => {
  const arrays = {
    x: { data: Float32Array.from({ length: 8 }, (_, i) => i / 8), shape: [2, 2, 2, 1] },
    y: { data: new BigInt64Array([0n, 1n]) },
    u: { data: new Uint8Array([0, 128, 255]), shape: [1, 3] },
    ids: { data: new Int32Array([-3, 0, 70000]) },
    eps: { data: new Float64Array([0.25]), shape: [] },
  };

  for (const compressed of [false, true]) {
    it(`round-trips (${compressed ? 'deflated' : 'stored'}) and matches the NumPy-checked golden file`, () => {
      const bytes = writeNpz(arrays, { compressed });
      const back = readNpz(bytes);
      expect(Object.keys(back)).toEqual(['x', 'y', 'u', 'ids', 'eps']);
      expect(back.x.shape).toEqual([2, 2, 2, 1]);
      expect(back.x.data).toEqual(arrays.x.data);
      expect(back.y.dtype).toBe('int64');
      expect(back.u.shape).toEqual([1, 3]);
      expect(back.eps.shape).toEqual([]);
      // Entry names are <key>.npy, as np.load expects.
      expect(new TextDecoder('latin1').decode(bytes)).toContain('ids.npy');
      expect(writeNpz(arrays, { compressed })).toEqual(bytes); // reproducible bytes
      // scripts/make-data-fixtures.py loads these golden files with NumPy and checks every value.
      const golden = fixture(compressed ? 'written-by-rampart-compressed.npz' : 'written-by-rampart.npz');
      if (process.env.UPDATE_GOLDEN === '1') writeFileSync(golden, bytes);
      expect(existsSync(golden), `${golden} missing: run with UPDATE_GOLDEN=1, then the fixture script`).toBe(true);
      expect(bytes).toEqual(new Uint8Array(readFileSync(golden)));
    });
  }

  it('refuses empty or nested array names', () => {
    expectCode(() => writeNpz({ '': { data: new Uint8Array(1) } }), 'BAD_OPTION');
    expectCode(() => writeNpz({ 'a/b': { data: new Uint8Array(1) } }), 'BAD_OPTION');
  });
});
