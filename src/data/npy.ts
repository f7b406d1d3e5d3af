/**
 * Reads and writes NumPy `.npy` files (format versions 1.0, 2.0 and 3.0), so users can hand Rampart the
 * arrays they already have and get adversarial examples back in a file `np.load` opens.
 *
 * Format (numpy.lib.format): the magic `\x93NUMPY`, a major and minor version byte, the header length
 * (uint16 little-endian in 1.0, uint32 in 2.0/3.0), then a Python dict literal such as
 * `{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }` padded with spaces and a newline so the data
 * starts on a 64-byte boundary, then the raw element bytes. Fortran-ordered and big-endian arrays are
 * converted to C order, little-endian on read; structured, object and complex dtypes are refused.
 */
import { writeFile } from 'node:fs/promises';
import { RampartError } from '../errors.js';
import {
  type DType,
  type NdArray,
  type TypedData,
  DTYPE_SIZE,
  dtypeOf,
  product,
  transpose,
  typedFromBytes,
} from './ndarray.js';
import { readBytes } from './files.js';

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93 N U M P Y
const ALIGN = 64;

const KIND_TO_DTYPE: Readonly<Record<string, DType>> = {
  b1: 'bool',
  i1: 'int8',
  u1: 'uint8',
  i2: 'int16',
  u2: 'uint16',
  i4: 'int32',
  u4: 'uint32',
  i8: 'int64',
  u8: 'uint64',
  f4: 'float32',
  f8: 'float64',
};

const DTYPE_TO_DESCR: Readonly<Record<DType, string>> = {
  bool: '|b1',
  int8: '|i1',
  uint8: '|u1',
  int16: '<i2',
  uint16: '<u2',
  int32: '<i4',
  uint32: '<u4',
  int64: '<i8',
  uint64: '<u8',
  float32: '<f4',
  float64: '<f8',
};

/** An array to write: `shape` defaults to `[data.length]`, `dtype` to the typed array's own type. */
export interface NdArrayInput {
  data: TypedData;
  shape?: readonly number[];
  dtype?: DType;
}

function corrupt(source: string, problem: string): RampartError {
  return new RampartError(
    'DATA_CORRUPT',
    `${source}: not a readable .npy array (${problem}). Re-save it with np.save(path, array).`,
    { source },
  );
}

/** Parses `.npy` bytes. `source` names the file in error messages. */
export function readNpy(bytes: Uint8Array, source = '<npy bytes>'): NdArray {
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) {
    throw corrupt(source, 'missing the \\x93NUMPY magic bytes');
  }
  const major = bytes[6];
  if (major < 1 || major > 3) throw corrupt(source, `unknown format version ${major}.${bytes[7]}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const lengthBytes = major === 1 ? 2 : 4;
  if (bytes.length < 8 + lengthBytes) throw corrupt(source, 'truncated header');
  const headerLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const headerStart = 8 + lengthBytes;
  const dataStart = headerStart + headerLength;
  if (bytes.length < dataStart) throw corrupt(source, 'truncated header');
  const header = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(bytes.subarray(headerStart, dataStart));

  const descrMatch = /'descr'\s*:\s*'([<>|=])([a-zA-Z]\d+)'/.exec(header);
  if (!descrMatch) {
    if (/'descr'\s*:\s*\[/.test(header)) {
      throw new RampartError(
        'DATA_SHAPE_MISMATCH',
        `${source}: structured (record) arrays are not supported; save plain numeric arrays instead.`,
        { source, header },
      );
    }
    throw corrupt(source, `header has no 'descr': ${header.trim()}`);
  }
  const [, byteOrder, kind] = descrMatch;
  const dtype = KIND_TO_DTYPE[kind];
  if (!dtype) {
    throw new RampartError(
      'DATA_SHAPE_MISMATCH',
      `${source}: dtype '${byteOrder}${kind}' is not supported; use float32/float64 for samples and ` +
        `an integer type for labels (e.g. array.astype(np.float32)).`,
      { source, descr: `${byteOrder}${kind}` },
    );
  }
  const fortranMatch = /'fortran_order'\s*:\s*(True|False)/.exec(header);
  const shapeMatch = /'shape'\s*:\s*\(([^)]*)\)/.exec(header);
  if (!fortranMatch || !shapeMatch) throw corrupt(source, `header lacks 'fortran_order' or 'shape': ${header.trim()}`);
  const shape = shapeMatch[1]
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part.length > 0)
    .map((part) => (/^\d+L?$/.test(part) ? Number.parseInt(part, 10) : Number.NaN));
  if (shape.some((d) => !Number.isSafeInteger(d))) throw corrupt(source, `bad shape (${shapeMatch[1]})`);

  const count = product(shape);
  const needed = count * DTYPE_SIZE[dtype];
  const available = bytes.length - dataStart;
  if (available < needed) {
    throw corrupt(source, `truncated: shape (${shape.join(', ')}) needs ${needed} data bytes, file has ${available}`);
  }
  const data = typedFromBytes(dtype, bytes.subarray(dataStart, dataStart + needed), count, byteOrder === '>');
  if (fortranMatch[1] === 'False' || shape.length < 2) return { dtype, shape, data };
  // Fortran order stores the transpose in C order: reverse the axes back.
  const reversed = [...shape].reverse();
  return transpose({ dtype, shape: reversed, data }, reversed.map((_, k) => reversed.length - 1 - k));
}

/** Encodes an array as `.npy` bytes (version 1.0 unless the header needs 2.0), little-endian, C order. */
export function writeNpy(array: NdArrayInput): Uint8Array {
  const dtype = array.dtype ?? dtypeOf(array.data);
  const shape = array.shape ? [...array.shape] : [array.data.length];
  if (shape.some((d) => !Number.isSafeInteger(d) || d < 0) || product(shape) !== array.data.length) {
    throw new RampartError(
      'BAD_OPTION',
      `writeNpy: shape [${shape.join(', ')}] does not hold ${array.data.length} values; pass a shape whose product ` +
        `is the data length.`,
      { shape, length: array.data.length },
    );
  }
  if (DTYPE_SIZE[dtype] !== array.data.BYTES_PER_ELEMENT) {
    throw new RampartError(
      'BAD_OPTION',
      `writeNpy: dtype ${dtype} does not match the ${array.data.constructor.name} data; omit dtype or convert the data.`,
    );
  }
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  const dict = `{'descr': '${DTYPE_TO_DESCR[dtype]}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  const version = dict.length + 1 + 10 <= 0xffff ? 1 : 2;
  const prefix = version === 1 ? 10 : 12;
  const padded = Math.ceil((prefix + dict.length + 1) / ALIGN) * ALIGN;
  const headerText = dict + ' '.repeat(padded - prefix - dict.length - 1) + '\n';
  const body = new Uint8Array(array.data.buffer, array.data.byteOffset, array.data.byteLength);
  const out = new Uint8Array(padded + body.length);
  out.set(MAGIC, 0);
  out[6] = version;
  out[7] = 0;
  const view = new DataView(out.buffer);
  if (version === 1) view.setUint16(8, headerText.length, true);
  else view.setUint32(8, headerText.length, true);
  for (let i = 0; i < headerText.length; i++) out[prefix + i] = headerText.charCodeAt(i);
  out.set(body, padded);
  return out;
}

/** Reads a `.npy` file. */
export async function readNpyFile(path: string): Promise<NdArray> {
  return readNpy(await readBytes(path, 'npy'), path);
}

/** Writes a `.npy` file. */
export async function writeNpyFile(path: string, array: NdArrayInput): Promise<void> {
  await writeFile(path, writeNpy(array));
}
