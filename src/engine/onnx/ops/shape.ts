/**
 * Shape and data-movement ONNX ops. Each works on host shape data (folded in JavaScript, as PyTorch's
 * Shape -> Gather -> Unsqueeze -> Concat -> Reshape idiom and its F.pad arithmetic need) and on tfjs tensors.
 */
import { tf, type Tensor } from '../../tf.js';
import { RampartError } from '../../../errors.js';
import { defineOnnxOp, type OnnxOpContext } from '../registry.js';
import {
  HostTensor,
  dimsOf,
  fromOnnxTensor,
  hostGather,
  hostSlice,
  hostTranspose,
  isHost,
  normaliseAxis,
  reshapeValue,
  size,
  toFloatTensor,
  toHost,
  toIntList,
  toTensor,
  type HostKind,
  type OnnxValue,
} from '../values.js';

export const flattenOp = defineOnnxOp({
  opType: 'Flatten',
  run(context) {
    const x = context.input(0);
    const dims = dimsOf(x);
    const rawAxis = context.attributes.int('axis', 1);
    const axis = rawAxis < 0 ? rawAxis + dims.length : rawAxis;
    if (axis < 0 || axis > dims.length) throw context.unsupported(`axis ${rawAxis} is out of range for rank ${dims.length}`);
    return reshapeValue(x, [size(dims.slice(0, axis)), size(dims.slice(axis))]);
  },
});

/** Reshape: 0 copies the input dimension (unless allowzero), −1 is inferred. */
export const reshapeOp = defineOnnxOp({
  opType: 'Reshape',
  run(context) {
    const x = context.input(0);
    const dims = dimsOf(x);
    const requested = context.opset < 5 ? (context.attributes.ints('shape') ?? []) : toIntList(context.input(1));
    const allowZero = context.attributes.int('allowzero', 0) === 1;
    const shape = requested.map((d, i) => (d === 0 && !allowZero ? dims[i] : d));
    const inferred = shape.indexOf(-1);
    if (inferred >= 0) {
      const known = size(shape.filter((_, i) => i !== inferred));
      shape[inferred] = known === 0 ? 0 : size(dims) / known;
    }
    if (!shape.every((d) => Number.isInteger(d) && d >= 0) || size(shape) !== size(dims)) {
      throw new RampartError(
        'MODEL_CORRUPT',
        `ONNX node "${context.node.name}" (Reshape) cannot reshape [${dims.join(', ')}] to [${requested.join(', ')}]. The model expects a different input shape; check --layout and the input size.`,
        { node: context.node.name },
      );
    }
    return reshapeValue(x, shape);
  },
});

export const transposeOp = defineOnnxOp({
  opType: 'Transpose',
  run(context) {
    const x = context.input(0);
    const rank = dimsOf(x).length;
    const perm = context.attributes.ints('perm') ?? Array.from({ length: rank }, (_, i) => rank - 1 - i);
    return isHost(x) ? hostTranspose(x, perm) : tf.transpose(x, perm);
  },
});

function axesFrom(context: OnnxOpContext, inputSince: number): number[] | undefined {
  if (context.opset >= inputSince) {
    const value = context.optionalInput(1);
    return value ? toIntList(value) : undefined;
  }
  return context.attributes.ints('axes');
}

export const squeezeOp = defineOnnxOp({
  opType: 'Squeeze',
  run(context) {
    const x = context.input(0);
    const dims = dimsOf(x);
    const axes = (axesFrom(context, 13) ?? dims.flatMap((d, i) => (d === 1 ? [i] : []))).map((a) =>
      normaliseAxis(a, dims.length, `Squeeze "${context.node.name}"`),
    );
    return reshapeValue(x, dims.filter((_, i) => !axes.includes(i)));
  },
});

export const unsqueezeOp = defineOnnxOp({
  opType: 'Unsqueeze',
  run(context) {
    const x = context.input(0);
    const dims = dimsOf(x);
    const axes = axesFrom(context, 13);
    if (!axes) throw context.unsupported('Unsqueeze needs axes');
    const rank = dims.length + axes.length;
    const normalised = axes.map((a) => normaliseAxis(a, rank, `Unsqueeze "${context.node.name}"`)).sort((a, b) => a - b);
    const out = [...dims];
    for (const axis of normalised) out.splice(axis, 0, 1);
    return reshapeValue(x, out);
  },
});

export const concatOp = defineOnnxOp({
  opType: 'Concat',
  run(context) {
    const values = context.node.inputs.map((_, i) => context.optionalInput(i)).filter((v): v is OnnxValue => v !== undefined);
    const rank = dimsOf(values[0]).length;
    const axis = normaliseAxis(context.attributes.int('axis', 0), rank, `Concat "${context.node.name}"`);
    if (values.every(isHost)) {
      const hosts = values as HostTensor[];
      const outer = size(hosts[0].dims.slice(0, axis));
      const data: number[] = [];
      for (let o = 0; o < outer; o++) {
        for (const h of hosts) {
          const chunk = size(h.dims.slice(axis));
          data.push(...h.data.slice(o * chunk, (o + 1) * chunk));
        }
      }
      const dims = [...hosts[0].dims];
      dims[axis] = hosts.reduce((sum, h) => sum + h.dims[axis], 0);
      const kind: HostKind = hosts.some((h) => h.kind === 'float') ? 'float' : hosts[0].kind;
      return new HostTensor(kind, dims, data);
    }
    const tensors = values.map(toTensor);
    const anyFloat = tensors.some((t) => t.dtype === 'float32');
    return tf.concat(anyFloat ? tensors.map(toFloatTensor) : tensors, axis);
  },
});

export const constantOp = defineOnnxOp({
  opType: 'Constant',
  run(context) {
    const { attributes } = context;
    const tensor = attributes.tensor('value');
    if (tensor) return fromOnnxTensor(tensor);
    if (attributes.has('value_float')) return tf.scalar(attributes.float('value_float', 0));
    if (attributes.has('value_floats')) return tf.tensor1d(attributes.floats('value_floats') ?? []);
    if (attributes.has('value_int')) return new HostTensor('int', [], [attributes.int('value_int', 0)]);
    if (attributes.has('value_ints')) {
      const ints = attributes.ints('value_ints') ?? [];
      return new HostTensor('int', [ints.length], ints);
    }
    throw context.unsupported('Constant needs a value, value_float(s) or value_int(s) attribute');
  },
});

export const constantOfShapeOp = defineOnnxOp({
  opType: 'ConstantOfShape',
  run(context) {
    const dims = toIntList(context.input(0));
    const tensor = context.attributes.tensor('value');
    const fill = tensor ? fromOnnxTensor(tensor) : tf.scalar(0);
    if (isHost(fill)) return new HostTensor(fill.kind, dims, new Array<number>(size(dims)).fill(fill.data[0]));
    return tf.fill(dims, (fill.dataSync() as Float32Array)[0]);
  },
});

export const shapeOp = defineOnnxOp({
  opType: 'Shape',
  run(context) {
    const dims = dimsOf(context.input(0));
    const rank = dims.length;
    const clampAxis = (a: number): number => Math.max(0, Math.min(rank, a < 0 ? a + rank : a));
    const start = clampAxis(context.attributes.int('start', 0));
    const end = clampAxis(context.attributes.int('end', rank));
    const out = dims.slice(start, Math.max(start, end));
    return new HostTensor('int', [out.length], out);
  },
});

export const gatherOp = defineOnnxOp({
  opType: 'Gather',
  run(context) {
    const data = context.input(0);
    const dims = dimsOf(data);
    const axis = normaliseAxis(context.attributes.int('axis', 0), dims.length, `Gather "${context.node.name}"`);
    const indicesValue = context.input(1);
    const indexDims = dimsOf(indicesValue);
    const indices = toIntList(indicesValue).map((i) => (i < 0 ? i + dims[axis] : i));
    if (indices.some((i) => i < 0 || i >= dims[axis])) {
      throw context.unsupported(`indices [${indices.join(', ')}] are out of range for axis ${axis} of size ${dims[axis]}`);
    }
    if (isHost(data)) return hostGather(data, new HostTensor('int', indexDims, indices), axis);
    // Few indices (the usual case in classifiers): slices and concat, differentiable on every backend
    // (tf.gather's gradient needs UnsortedSegmentSum, which tfjs-wasm lacks).
    const gathered =
      indices.length > 0 && indices.length <= 64
        ? tf.concat(indices.map((i) => tf.slice(data, dims.map((_, a) => (a === axis ? i : 0)), dims.map((d, a) => (a === axis ? 1 : d)))), axis)
        : tf.gather(data, tf.tensor(indices, [indices.length], 'int32'), axis);
    const outDims = [...dims.slice(0, axis), ...indexDims, ...dims.slice(axis + 1)];
    return tf.reshape(gathered, outDims);
  },
});

const floatTypes = new Set([1, 10, 11, 16]);

export const castOp = defineOnnxOp({
  opType: 'Cast',
  run(context) {
    const x = context.input(0);
    const to = context.attributes.int('to', 1);
    const kind: HostKind = floatTypes.has(to) ? 'float' : to === 9 ? 'bool' : 'int';
    if (isHost(x)) {
      const convert = kind === 'float' ? Math.fround : kind === 'bool' ? (v: number) => (v ? 1 : 0) : Math.trunc;
      return new HostTensor(kind, x.dims, x.data.map(convert));
    }
    return tf.cast(x, kind === 'float' ? 'float32' : kind === 'bool' ? 'bool' : 'int32');
  },
});

/** Slice: attributes before opset 10, inputs (starts, ends, axes, steps) from 10; negative steps reverse. */
export const sliceOp = defineOnnxOp({
  opType: 'Slice',
  run(context) {
    const x = context.input(0);
    const dims = dimsOf(x);
    let starts: number[];
    let ends: number[];
    let axes: number[] | undefined;
    let steps: number[] | undefined;
    if (context.opset < 10) {
      starts = context.attributes.ints('starts') ?? [];
      ends = context.attributes.ints('ends') ?? [];
      axes = context.attributes.ints('axes');
    } else {
      starts = toIntList(context.input(1));
      ends = toIntList(context.input(2));
      const axesValue = context.optionalInput(3);
      const stepsValue = context.optionalInput(4);
      axes = axesValue ? toIntList(axesValue) : undefined;
      steps = stepsValue ? toIntList(stepsValue) : undefined;
    }
    const begin = dims.map(() => 0);
    const count = [...dims];
    const stride = dims.map(() => 1);
    starts.forEach((rawStart, i) => {
      const axis = normaliseAxis(axes ? axes[i] : i, dims.length, `Slice "${context.node.name}"`);
      const dim = dims[axis];
      const step = steps ? steps[i] : 1;
      if (step === 0) throw context.unsupported('a step of 0');
      let start = rawStart < 0 ? rawStart + dim : rawStart;
      let end = ends[i] < 0 ? ends[i] + dim : ends[i];
      if (step > 0) {
        start = Math.max(0, Math.min(dim, start));
        end = Math.max(0, Math.min(dim, end));
      } else {
        start = Math.max(0, Math.min(dim - 1, start));
        end = Math.max(-1, Math.min(dim - 1, end));
      }
      begin[axis] = start;
      stride[axis] = step;
      count[axis] = Math.max(0, Math.ceil((end - start) / step));
    });
    if (isHost(x)) return hostSlice(x, begin, count, stride);
    let tensor: Tensor = x;
    const reversed = stride.flatMap((s, axis) => (s < 0 ? [axis] : []));
    if (reversed.length > 0) {
      tensor = tf.reverse(tensor, reversed);
      for (const axis of reversed) {
        begin[axis] = dims[axis] - 1 - begin[axis];
        stride[axis] = -stride[axis];
      }
    }
    if (count.some((c) => c === 0)) return tf.zeros(count, tensor.dtype);
    tensor = tf.slice(tensor, begin, count.map((c, axis) => Math.min(dims[axis] - begin[axis], (c - 1) * stride[axis] + 1)));
    stride.forEach((step, axis) => {
      if (step > 1) tensor = everyNth(tensor, axis, step, count[axis]);
    });
    return tensor;
  },
});

/**
 * Keeps every `step`-th element along `axis` (starting at 0), `count` of them, with slice/pad/reshape only:
 * tfjs has no gradient for StridedSlice.
 */
function everyNth(x: Tensor, axis: number, step: number, count: number): Tensor {
  const have = x.shape[axis];
  const paddings = x.shape.map((_, i) => [0, i === axis ? count * step - have : 0] as [number, number]);
  const padded = count * step > have ? tf.pad(x, paddings) : x;
  const split = [...x.shape.slice(0, axis), count, step, ...x.shape.slice(axis + 1)];
  const grouped = tf.reshape(padded, split);
  const firsts = tf.slice(grouped, split.map(() => 0), split.map((d, i) => (i === axis + 1 ? 1 : d)));
  return tf.reshape(firsts, [...x.shape.slice(0, axis), count, ...x.shape.slice(axis + 1)]);
}

/** Pad: constant, reflect or edge; pads as attributes before opset 11, inputs from 11; negative pads crop. */
export const padOp = defineOnnxOp({
  opType: 'Pad',
  run(context) {
    let x = toFloatTensor(context.input(0));
    const rank = x.rank;
    let pads: number[];
    let value = 0;
    const mode = context.attributes.string('mode', 'constant');
    if (context.opset < 11) {
      pads = context.attributes.ints('pads') ?? context.attributes.ints('paddings') ?? [];
      value = context.attributes.float('value', 0);
    } else {
      pads = toIntList(context.input(1));
      const valueInput = context.optionalInput(2);
      if (valueInput) value = toHost(valueInput).data[0] ?? 0;
    }
    const axesValue = context.opset >= 18 ? context.optionalInput(3) : undefined;
    const axes = axesValue ? toIntList(axesValue).map((a) => normaliseAxis(a, rank, 'Pad')) : x.shape.map((_, i) => i);
    if (pads.length !== 2 * axes.length) throw context.unsupported(`${pads.length} pads for ${axes.length} axes`);
    const before = new Array<number>(rank).fill(0);
    const after = new Array<number>(rank).fill(0);
    axes.forEach((axis, i) => {
      before[axis] = pads[i];
      after[axis] = pads[i + axes.length];
    });
    if (before.some((p) => p < 0) || after.some((p) => p < 0)) {
      const begin = before.map((p) => Math.max(0, -p));
      const sizes = x.shape.map((d, axis) => d - begin[axis] - Math.max(0, -after[axis]));
      x = tf.slice(x, begin, sizes);
    }
    const paddings = before.map((p, axis) => [Math.max(0, p), Math.max(0, after[axis])] as [number, number]);
    if (paddings.every(([a, b]) => a === 0 && b === 0)) return x;
    if (mode === 'constant') return tf.pad(x, paddings, value);
    if (mode === 'reflect' || mode === 'edge') {
      // Built from slices, reverses and concat: differentiable on every backend (tfjs' MirrorPad gradient drops
      // the reflected contributions, and gather has no wasm gradient).
      let out = x;
      paddings.forEach(([a, b], axis) => {
        if (a === 0 && b === 0) return;
        const dim = out.shape[axis];
        if (mode === 'reflect' && (a >= dim || b >= dim)) throw context.unsupported(`reflect pads of ${a} and ${b} on an axis of size ${dim}`);
        const band = (start: number, length: number): Tensor => {
          const begin = out.shape.map((_, i) => (i === axis ? start : 0));
          const sizes = out.shape.map((d, i) => (i === axis ? length : d));
          return tf.slice(out, begin, sizes);
        };
        const parts: Tensor[] = [];
        if (mode === 'reflect') {
          if (a > 0) parts.push(tf.reverse(band(1, a), axis));
          parts.push(out);
          if (b > 0) parts.push(tf.reverse(band(dim - 1 - b, b), axis));
        } else {
          const first = band(0, 1);
          const last = band(dim - 1, 1);
          parts.push(...new Array<Tensor>(a).fill(first), out, ...new Array<Tensor>(b).fill(last));
        }
        out = tf.concat(parts, axis);
      });
      return out;
    }
    throw context.unsupported(`Pad mode "${mode}"`);
  },
});

export const expandOp = defineOnnxOp({
  opType: 'Expand',
  run(context) {
    const x = toTensor(context.input(0));
    const shape = toIntList(context.input(1));
    const rank = Math.max(shape.length, x.rank);
    const xDims = [...new Array<number>(rank - x.rank).fill(1), ...x.shape];
    const target = xDims.map((d, i) => {
      const s = shape[i - (rank - shape.length)] ?? 1;
      return d === 1 ? s : d;
    });
    return tf.broadcastTo(tf.reshape(x, xDims), target);
  },
});
