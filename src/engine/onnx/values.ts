/**
 * The values that flow between imported ONNX nodes. Float data lives in tfjs tensors (so autodiff sees it);
 * integer and boolean data that only describe shapes (Shape -> Gather -> Unsqueeze -> Concat -> Reshape, the
 * pads PyTorch computes for F.pad, axes, indices) stay on the host as `HostTensor`s, so those computations are
 * folded in plain JavaScript on every call without ever reading a tensor back from the backend.
 */
import { tf, type Tensor } from '../tf.js';
import { RampartError } from '../../errors.js';
import type { OnnxTensor } from './graph.js';

export type HostKind = 'float' | 'int' | 'bool';

/** A small tensor kept as JavaScript numbers (row-major). */
export class HostTensor {
  constructor(
    readonly kind: HostKind,
    readonly dims: readonly number[],
    readonly data: readonly number[],
  ) {
    if (data.length !== dims.reduce((a, b) => a * b, 1)) {
      throw new RampartError('INTERNAL', `HostTensor: ${data.length} values do not fill dims [${dims.join(', ')}].`);
    }
  }
  get rank(): number {
    return this.dims.length;
  }
}

export type OnnxValue = Tensor | HostTensor;

export function isHost(value: OnnxValue): value is HostTensor {
  return value instanceof HostTensor;
}

export function dimsOf(value: OnnxValue): number[] {
  return isHost(value) ? [...value.dims] : [...value.shape];
}

export function size(dims: readonly number[]): number {
  return dims.reduce((a, b) => a * b, 1);
}

const INT32_MAX = 2147483647;
const INT32_MIN = -2147483648;

/** A tfjs tensor for a value: host floats become float32, ints int32 (clamped), bools bool. */
export function toTensor(value: OnnxValue): Tensor {
  if (!isHost(value)) return value;
  const dims = [...value.dims];
  if (value.kind === 'float') return tf.tensor(value.data as number[], dims, 'float32');
  if (value.kind === 'bool') return tf.tensor(value.data.map((v) => (v ? 1 : 0)), dims, 'bool');
  return tf.tensor(value.data.map((v) => Math.max(INT32_MIN, Math.min(INT32_MAX, v))), dims, 'int32');
}

/** A float32 tfjs tensor for a value (casts ints and bools). */
export function toFloatTensor(value: OnnxValue): Tensor {
  const tensor = toTensor(value);
  return tensor.dtype === 'float32' ? tensor : tf.cast(tensor, 'float32');
}

/** The host form of a value; reads tensors back synchronously (only for small shape-like data). */
export function toHost(value: OnnxValue): HostTensor {
  if (isHost(value)) return value;
  const kind: HostKind = value.dtype === 'bool' ? 'bool' : value.dtype === 'int32' ? 'int' : 'float';
  return new HostTensor(kind, value.shape, Array.from(value.dataSync() as ArrayLike<number>));
}

/** Integer list from a 0-D or 1-D value (shapes, axes, pads, starts). */
export function toIntList(value: OnnxValue): number[] {
  return toHost(value).data.map((v) => Math.trunc(v));
}

/** Converts an ONNX initializer or Constant payload: floats to a tfjs tensor, ints and bools to the host. */
export function fromOnnxTensor(tensor: OnnxTensor): OnnxValue {
  const { data, dims } = tensor;
  if (data instanceof Float32Array || data instanceof Float64Array) {
    return tf.tensor(data instanceof Float32Array ? data : Float32Array.from(data), dims, 'float32');
  }
  const values = data instanceof BigInt64Array ? Array.from(data, (v) => Number(v)) : Array.from(data as ArrayLike<number>);
  return new HostTensor(tensor.dataType === 9 ? 'bool' : 'int', dims, values);
}

/** Row-major strides of a shape. */
export function stridesOf(dims: readonly number[]): number[] {
  const strides = new Array<number>(dims.length);
  let stride = 1;
  for (let i = dims.length - 1; i >= 0; i--) {
    strides[i] = stride;
    stride *= dims[i];
  }
  return strides;
}

/** NumPy-style broadcast of two shapes, or undefined when they are incompatible. */
export function broadcastDims(a: readonly number[], b: readonly number[]): number[] | undefined {
  const rank = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? 1;
    const db = b[b.length - rank + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) return undefined;
    out.push(da === 1 ? db : da);
  }
  return out;
}

/** Element-wise binary operation on host tensors with broadcasting. */
export function hostBinary(a: HostTensor, b: HostTensor, kind: HostKind, op: (x: number, y: number) => number): HostTensor {
  const dims = broadcastDims(a.dims, b.dims);
  if (!dims) {
    throw new RampartError('MODEL_CORRUPT', `Cannot broadcast shapes [${a.dims.join(', ')}] and [${b.dims.join(', ')}].`);
  }
  const outStrides = stridesOf(dims);
  const index = (t: HostTensor, flat: number): number => {
    const strides = stridesOf(t.dims);
    const offset = dims.length - t.dims.length;
    let at = 0;
    for (let axis = 0; axis < t.dims.length; axis++) {
      const coordinate = Math.floor(flat / outStrides[axis + offset]) % dims[axis + offset];
      at += (t.dims[axis] === 1 ? 0 : coordinate) * strides[axis];
    }
    return at;
  };
  const total = size(dims);
  const data = new Array<number>(total);
  for (let i = 0; i < total; i++) data[i] = op(a.data[index(a, i)], b.data[index(b, i)]);
  return new HostTensor(kind, dims, data);
}

/** Transposes a host tensor. */
export function hostTranspose(t: HostTensor, perm: readonly number[]): HostTensor {
  const dims = perm.map((p) => t.dims[p]);
  const inStrides = stridesOf(t.dims);
  const outStrides = stridesOf(dims);
  const total = size(dims);
  const data = new Array<number>(total);
  for (let i = 0; i < total; i++) {
    let at = 0;
    for (let axis = 0; axis < dims.length; axis++) {
      at += (Math.floor(i / outStrides[axis]) % dims[axis]) * inStrides[perm[axis]];
    }
    data[i] = t.data[at];
  }
  return new HostTensor(t.kind, dims, data);
}

/** Gathers along one axis of a host tensor (indices already non-negative). */
export function hostGather(t: HostTensor, indices: HostTensor, axis: number): HostTensor {
  const outer = size(t.dims.slice(0, axis));
  const inner = size(t.dims.slice(axis + 1));
  const dims = [...t.dims.slice(0, axis), ...indices.dims, ...t.dims.slice(axis + 1)];
  const data: number[] = [];
  for (let o = 0; o < outer; o++) {
    for (const index of indices.data) {
      const base = (o * t.dims[axis] + index) * inner;
      for (let i = 0; i < inner; i++) data.push(t.data[base + i]);
    }
  }
  return new HostTensor(t.kind, dims, data);
}

/** Strided slice of a host tensor: per axis start, count and step (already normalised). */
export function hostSlice(t: HostTensor, starts: number[], counts: number[], steps: number[]): HostTensor {
  const inStrides = stridesOf(t.dims);
  const outStrides = stridesOf(counts);
  const total = size(counts);
  const data = new Array<number>(total);
  for (let i = 0; i < total; i++) {
    let at = 0;
    for (let axis = 0; axis < counts.length; axis++) {
      const k = Math.floor(i / outStrides[axis]) % counts[axis];
      at += (starts[axis] + k * steps[axis]) * inStrides[axis];
    }
    data[i] = t.data[at];
  }
  return new HostTensor(t.kind, counts, data);
}

/** Reshapes either kind of value. */
export function reshapeValue(value: OnnxValue, dims: number[]): OnnxValue {
  return isHost(value) ? new HostTensor(value.kind, dims, value.data) : tf.reshape(value, dims);
}

/** Normalises a possibly negative axis against a rank. */
export function normaliseAxis(axis: number, rank: number, what: string): number {
  const out = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(out) || out < 0 || out >= Math.max(rank, 1)) {
    throw new RampartError('MODEL_CORRUPT', `${what}: axis ${axis} is out of range for rank ${rank}.`);
  }
  return out;
}
