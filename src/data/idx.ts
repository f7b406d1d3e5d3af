/**
 * Reads IDX files, the format of the original MNIST and of Fashion-MNIST, raw or gzip-compressed (detected
 * from the 1f 8b magic bytes, not from the file name).
 *
 * Format: two zero bytes, a type byte (0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32, 0x0D float32,
 * 0x0E float64), a byte with the number of dimensions, one big-endian uint32 per dimension, then the
 * elements in row-major order, big-endian. uint8 data (the common case) is returned as a view of the
 * decompressed bytes, with no copy.
 */
import { RampartError } from '../errors.js';
import { type DType, type NdArray, DTYPE_SIZE, product, typedFromBytes } from './ndarray.js';
import { gunzip, isGzip, readBytes } from './files.js';

const TYPE_CODES: Readonly<Record<number, DType>> = {
  0x08: 'uint8',
  0x09: 'int8',
  0x0b: 'int16',
  0x0c: 'int32',
  0x0d: 'float32',
  0x0e: 'float64',
};

function corrupt(source: string, problem: string): RampartError {
  return new RampartError(
    'DATA_CORRUPT',
    `${source}: not a readable IDX file (${problem}). Download or copy the file again.`,
    { source },
  );
}

/** Parses IDX bytes (raw or gzip). `source` names the file in error messages. */
export function readIdx(input: Uint8Array, source = '<idx bytes>'): NdArray {
  const bytes = isGzip(input) ? gunzip(input, source) : input;
  if (bytes.length < 4 || bytes[0] !== 0 || bytes[1] !== 0) throw corrupt(source, 'bad magic number');
  const dtype = TYPE_CODES[bytes[2]];
  if (!dtype) throw corrupt(source, `unknown element type 0x${bytes[2].toString(16)}`);
  const rank = bytes[3];
  if (rank === 0) throw corrupt(source, 'zero dimensions');
  const dataStart = 4 + 4 * rank;
  if (bytes.length < dataStart) throw corrupt(source, 'truncated header');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const shape: number[] = [];
  for (let axis = 0; axis < rank; axis++) shape.push(view.getUint32(4 + 4 * axis, false));
  const count = product(shape);
  const needed = count * DTYPE_SIZE[dtype];
  const available = bytes.length - dataStart;
  if (available < needed) {
    throw corrupt(source, `truncated: shape [${shape.join(', ')}] needs ${needed} data bytes, file has ${available}`);
  }
  const data = typedFromBytes(dtype, bytes.subarray(dataStart, dataStart + needed), count, true);
  return { dtype, shape, data };
}

/** Reads an IDX file (raw or gzip). */
export async function readIdxFile(path: string): Promise<NdArray> {
  return readIdx(await readBytes(path, 'IDX'), path);
}
