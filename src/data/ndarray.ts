/**
 * A minimal n-dimensional array value (dtype, shape, row-major typed data) shared by the NPY, NPZ and IDX
 * readers and writers, plus the few whole-array operations the loaders need: axis permutation (NCHW → NHWC,
 * Fortran → C order) and conversion to float32 pixels or int32 labels with range checks.
 *
 * Why not tensors: loaders must not own tfjs memory, and a dataset of 60,000 images is kept as its compact
 * source bytes (uint8) and converted to float32 one batch at a time.
 */
import { RampartError } from '../errors.js';

/** Element types Rampart reads and writes (NumPy names). */
export type DType =
  | 'bool'
  | 'int8'
  | 'uint8'
  | 'int16'
  | 'uint16'
  | 'int32'
  | 'uint32'
  | 'int64'
  | 'uint64'
  | 'float32'
  | 'float64';

export type TypedData =
  | Uint8Array
  | Int8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | BigInt64Array
  | BigUint64Array
  | Float32Array
  | Float64Array;

/** A row-major (C order) array. `data.length === product(shape)`; a 0-d array has shape [] and one value. */
export interface NdArray {
  dtype: DType;
  shape: number[];
  data: TypedData;
}

/** Bytes per element. */
export const DTYPE_SIZE: Readonly<Record<DType, number>> = {
  bool: 1,
  int8: 1,
  uint8: 1,
  int16: 2,
  uint16: 2,
  int32: 4,
  uint32: 4,
  int64: 8,
  uint64: 8,
  float32: 4,
  float64: 8,
};

const CONSTRUCTORS = {
  bool: Uint8Array,
  int8: Int8Array,
  uint8: Uint8Array,
  int16: Int16Array,
  uint16: Uint16Array,
  int32: Int32Array,
  uint32: Uint32Array,
  int64: BigInt64Array,
  uint64: BigUint64Array,
  float32: Float32Array,
  float64: Float64Array,
} as const;

/** Allocates zeroed typed data of `length` elements for `dtype`. */
export function allocate(dtype: DType, length: number): TypedData {
  return new CONSTRUCTORS[dtype](length);
}

/** The dtype a typed array naturally holds (`Uint8Array` → uint8; use an explicit dtype for bool). */
export function dtypeOf(data: TypedData): DType {
  if (data instanceof Float32Array) return 'float32';
  if (data instanceof Float64Array) return 'float64';
  if (data instanceof Uint8Array) return 'uint8';
  if (data instanceof Int8Array) return 'int8';
  if (data instanceof Int16Array) return 'int16';
  if (data instanceof Uint16Array) return 'uint16';
  if (data instanceof Int32Array) return 'int32';
  if (data instanceof Uint32Array) return 'uint32';
  if (data instanceof BigInt64Array) return 'int64';
  return 'uint64';
}

/** Product of the dimensions (1 for a 0-d shape). */
export function product(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/**
 * Builds typed data of `dtype` over little-endian `bytes` (`count` elements), sharing memory when the bytes
 * are aligned and copying otherwise. Big-endian sources set `bigEndian` and are always copied and swapped.
 */
export function typedFromBytes(dtype: DType, bytes: Uint8Array, count: number, bigEndian = false): TypedData {
  const size = DTYPE_SIZE[dtype];
  const Ctor = CONSTRUCTORS[dtype];
  if (!bigEndian || size === 1) {
    if (bytes.byteOffset % size === 0) return new Ctor(bytes.buffer as ArrayBuffer, bytes.byteOffset, count);
    return new Ctor(bytes.slice(0, count * size).buffer, 0, count);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, count * size);
  const out = new Ctor(count);
  for (let i = 0; i < count; i++) {
    const at = i * size;
    switch (dtype) {
      case 'int16':
        out[i] = view.getInt16(at, false);
        break;
      case 'uint16':
        out[i] = view.getUint16(at, false);
        break;
      case 'int32':
        out[i] = view.getInt32(at, false);
        break;
      case 'uint32':
        out[i] = view.getUint32(at, false);
        break;
      case 'int64':
        out[i] = view.getBigInt64(at, false);
        break;
      case 'uint64':
        out[i] = view.getBigUint64(at, false);
        break;
      case 'float32':
        out[i] = view.getFloat32(at, false);
        break;
      default:
        out[i] = view.getFloat64(at, false);
    }
  }
  return out;
}

/**
 * Permutes the axes of a row-major array: output axis k is input axis `perm[k]` (NumPy's `transpose(perm)`).
 * Returns a new array of the same dtype.
 */
export function transpose(array: NdArray, perm: readonly number[]): NdArray {
  const { shape, data } = array;
  const rank = shape.length;
  if (perm.length !== rank || [...perm].sort((a, b) => a - b).some((axis, k) => axis !== k)) {
    throw new RampartError('INTERNAL', `transpose: perm [${perm.join(', ')}] is not a permutation of ${rank} axes.`);
  }
  const outShape = perm.map((axis) => shape[axis]);
  const inStrides = new Array<number>(rank);
  let stride = 1;
  for (let axis = rank - 1; axis >= 0; axis--) {
    inStrides[axis] = stride;
    stride *= shape[axis];
  }
  const stepByOutAxis = perm.map((axis) => inStrides[axis]);
  const out = allocate(array.dtype, data.length);
  const index = new Array<number>(rank).fill(0);
  let source = 0;
  // Walk the output in row-major order, moving the input offset by the matching strides (odometer).
  for (let target = 0; target < data.length; target++) {
    (out as unknown as { [i: number]: number | bigint })[target] = data[source];
    for (let axis = rank - 1; axis >= 0; axis--) {
      index[axis]++;
      source += stepByOutAxis[axis];
      if (index[axis] < outShape[axis]) break;
      source -= stepByOutAxis[axis] * outShape[axis];
      index[axis] = 0;
    }
  }
  return { dtype: array.dtype, shape: outShape, data: out };
}

/** True for dtypes holding integers (bool excluded). */
export function isIntegerDType(dtype: DType): boolean {
  return dtype !== 'float32' && dtype !== 'float64' && dtype !== 'bool';
}

/**
 * Converts integer labels of any integer dtype to int32, refusing negative labels and values beyond int32.
 * `what` names the source in messages, e.g. `npz:data.npz (array "y")`.
 */
export function toInt32Labels(array: NdArray, what: string): Int32Array {
  if (!isIntegerDType(array.dtype)) {
    throw new RampartError(
      'DATA_SHAPE_MISMATCH',
      `${what}: labels have dtype ${array.dtype}; class labels must be integers. ` +
        `Save them as integers, e.g. y.astype(np.int64) (or y.argmax(1) for one-hot labels).`,
      { dtype: array.dtype },
    );
  }
  const labels = new Int32Array(array.data.length);
  for (let i = 0; i < labels.length; i++) {
    const value = Number(array.data[i]);
    if (value < 0 || value > 0x7fffffff) {
      throw new RampartError(
        'LABEL_OUT_OF_RANGE',
        `${what}: label ${value} at sample ${i} is ${value < 0 ? 'negative' : 'too large'}; class labels must be ` +
          `0, 1, ..., numClasses-1. Re-map the labels to that range.`,
        { sample: i, label: value },
      );
    }
    labels[i] = value;
  }
  return labels;
}
