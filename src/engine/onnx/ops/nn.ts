/**
 * Neural-network ONNX ops: Gemm, MatMul, Conv, pools, BatchNormalization (inference), Softmax/LogSoftmax.
 * ONNX lays images out NCHW; tfjs convolutions and pools are NHWC, so each rule transposes in and out. Padding
 * is made explicit (tf.pad with 0 or -inf) so every backend and every gradient kernel sees a plain 'valid' op,
 * and average pools divide by a count map so `count_include_pad` means exactly what ONNX says.
 */
import { tf, type Tensor, type Tensor4D } from '../../tf.js';
import { defineOnnxOp, type OnnxOpContext } from '../registry.js';
import { normaliseAxis, size, toFloatTensor, toTensor } from '../values.js';

const toNhwc = (x: Tensor): Tensor4D => tf.transpose(x, [0, 2, 3, 1]) as Tensor4D;
const toNchw = (x: Tensor): Tensor4D => tf.transpose(x, [0, 3, 1, 2]) as Tensor4D;

export const gemmOp = defineOnnxOp({
  opType: 'Gemm',
  run(context) {
    const { attributes } = context;
    let a = toFloatTensor(context.input(0));
    let b = toFloatTensor(context.input(1));
    // Explicit transposes: tfjs-wasm's matMul with transpose flags is ~8x slower (docs/engine.md).
    if (attributes.int('transA', 0)) a = tf.transpose(a);
    if (attributes.int('transB', 0)) b = tf.transpose(b);
    let y = tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D) as Tensor;
    const alpha = attributes.float('alpha', 1);
    if (alpha !== 1) y = tf.mul(y, alpha);
    const c = context.optionalInput(2);
    if (c) {
      const beta = attributes.float('beta', 1);
      const ct = toFloatTensor(c);
      y = tf.add(y, beta === 1 ? ct : tf.mul(ct, beta));
    }
    return y;
  },
});

export const matMulOp = defineOnnxOp({
  opType: 'MatMul',
  run(context) {
    let a = toFloatTensor(context.input(0));
    let b = toFloatTensor(context.input(1));
    const vectorA = a.rank === 1;
    const vectorB = b.rank === 1;
    if (vectorA) a = tf.expandDims(a, 0);
    if (vectorB) b = tf.expandDims(b, 1);
    let y: Tensor;
    if (a.rank > 2 && b.rank === 2) {
      const lead = a.shape.slice(0, -1);
      y = tf.reshape(tf.matMul(tf.reshape(a, [-1, a.shape[a.rank - 1] as number]) as tf.Tensor2D, b as tf.Tensor2D), [...lead, b.shape[1] as number]);
    } else {
      y = tf.matMul(a, b);
    }
    if (vectorA) y = tf.squeeze(y, [y.rank - 2]);
    if (vectorB) y = tf.squeeze(y, [y.rank - 1]);
    return y;
  },
});

interface Window2d {
  kernel: [number, number];
  strides: [number, number];
  dilations: [number, number];
  /** [top, bottom, left, right] */
  pads: [number, number, number, number];
}

/** Reads kernel/strides/dilations/pads/auto_pad for a 2-D window op on an input of spatial size [h, w]. */
function window2d(context: OnnxOpContext, inputHW: [number, number], kernelFromWeights?: [number, number]): Window2d {
  const { attributes } = context;
  const kernel = (attributes.ints('kernel_shape') ?? kernelFromWeights) as [number, number] | undefined;
  if (!kernel || kernel.length !== 2) throw context.unsupported('only 2-D kernels are supported');
  const strides = (attributes.ints('strides') ?? [1, 1]) as [number, number];
  const dilations = (attributes.ints('dilations') ?? [1, 1]) as [number, number];
  const autoPad = attributes.string('auto_pad', 'NOTSET');
  let pads: [number, number, number, number];
  if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') {
    const padFor = (axis: 0 | 1): [number, number] => {
      const out = Math.ceil(inputHW[axis] / strides[axis]);
      const total = Math.max(0, (out - 1) * strides[axis] + (kernel[axis] - 1) * dilations[axis] + 1 - inputHW[axis]);
      const small = Math.floor(total / 2);
      return autoPad === 'SAME_UPPER' ? [small, total - small] : [total - small, small];
    };
    const [top, bottom] = padFor(0);
    const [left, right] = padFor(1);
    pads = [top, bottom, left, right];
  } else if (autoPad === 'VALID') {
    pads = [0, 0, 0, 0];
  } else {
    const p = attributes.ints('pads') ?? [0, 0, 0, 0];
    pads = [p[0], p[2], p[1], p[3]];
  }
  return { kernel, strides, dilations, pads };
}

/** Extra bottom/right padding so a ceil_mode pool covers the ragged edge. */
function ceilExtra(context: OnnxOpContext, inputHW: [number, number], w: Window2d): [number, number] {
  if (!context.attributes.int('ceil_mode', 0)) return [0, 0];
  return [0, 1].map((axis) => {
    const padded = inputHW[axis] + w.pads[axis * 2] + w.pads[axis * 2 + 1];
    const span = (w.kernel[axis] - 1) * w.dilations[axis] + 1;
    let out = Math.ceil((padded - span) / w.strides[axis]) + 1;
    // The last window must start inside the input or its leading padding (as ONNX Runtime and PyTorch do).
    if ((out - 1) * w.strides[axis] >= inputHW[axis] + w.pads[axis * 2]) out -= 1;
    return Math.max(0, (out - 1) * w.strides[axis] + span - padded);
  }) as [number, number];
}

function padNhwc(x: Tensor4D, top: number, bottom: number, left: number, right: number, value: number): Tensor4D {
  if (top === 0 && bottom === 0 && left === 0 && right === 0) return x;
  return tf.pad(x, [[0, 0], [top, bottom], [left, right], [0, 0]], value);
}

/**
 * Dilation as a zero-interleaved filter: tfjs has no conv2d gradient for dilation > 1 and refuses stride and
 * dilation together, so a dilated k x k filter becomes a plain ((k-1)d+1)^2 one (exact, and differentiable).
 */
function dilateFilter(filter: Tensor4D, dilations: [number, number]): Tensor4D {
  const [dh, dw] = dilations;
  if (dh === 1 && dw === 1) return filter;
  const [kh, kw, c, o] = filter.shape;
  // [kh, kw, c, o] -> [kh, 1, kw, 1, c, o] -> pad to [kh, dh, kw, dw, c, o] -> reshape and crop the trailing zeros.
  const expanded = tf.reshape(filter, [kh, 1, kw, 1, c, o]);
  const padded = tf.pad(expanded, [[0, 0], [0, dh - 1], [0, 0], [0, dw - 1], [0, 0], [0, 0]]);
  const flat = tf.reshape(padded, [kh * dh, kw * dw, c, o]);
  return tf.slice(flat, [0, 0, 0, 0], [(kh - 1) * dh + 1, (kw - 1) * dw + 1, c, o]) as Tensor4D;
}

export const convOp = defineOnnxOp({
  opType: 'Conv',
  run(context) {
    let x = toFloatTensor(context.input(0));
    let weights = toFloatTensor(context.input(1));
    const oneDimensional = x.rank === 3;
    if (oneDimensional) {
      x = tf.expandDims(x, 2);
      weights = tf.expandDims(weights, 2);
    }
    if (x.rank !== 4 || weights.rank !== 4) throw context.unsupported('only 1-D and 2-D convolutions are supported');
    const [outChannels, groupChannels, kh, kw] = weights.shape;
    const group = context.attributes.int('group', 1);
    const hw: [number, number] = [x.shape[2] as number, x.shape[3] as number];
    const w = window2d(context, hw, [kh, kw]);
    if (oneDimensional) {
      const one = (k: string, fallback: number[]): number[] => {
        const v = context.attributes.ints(k);
        return v ? [1, ...v] : fallback;
      };
      w.strides = one('strides', [1, 1]) as [number, number];
      w.dilations = one('dilations', [1, 1]) as [number, number];
      const p = context.attributes.ints('pads') ?? [0, 0];
      w.pads = [0, 0, p[0], p[1]];
    }
    if (groupChannels * group !== x.shape[1]) {
      throw context.unsupported(`weights expect ${groupChannels * group} input channels, the input has ${x.shape[1]}`);
    }
    const xNhwc = padNhwc(toNhwc(x), w.pads[0], w.pads[1], w.pads[2], w.pads[3], 0);
    const filter = dilateFilter(tf.transpose(weights, [2, 3, 1, 0]) as Tensor4D, w.dilations); // [kh, kw, C/g, O]
    const convolve = (input: Tensor4D, f: Tensor4D): Tensor4D => tf.conv2d(input, f, w.strides, 'valid');
    let y: Tensor4D;
    if (group === 1) {
      y = convolve(xNhwc, filter);
    } else {
      // Grouped and depthwise convolutions as one conv2d per group: every backend has its gradient.
      const inputs = tf.split(xNhwc, group, 3);
      const filters = tf.split(filter, group, 3);
      y = tf.concat(inputs.map((input, g) => convolve(input as Tensor4D, filters[g] as Tensor4D)), 3) as Tensor4D;
    }
    const bias = context.optionalInput(2);
    if (bias) y = tf.add(y, tf.reshape(toFloatTensor(bias), [outChannels]));
    let out: Tensor = toNchw(y);
    if (oneDimensional) out = tf.squeeze(out, [2]);
    return out;
  },
});

function pool2dInput(context: OnnxOpContext): Tensor4D {
  const x = toFloatTensor(context.input(0));
  if (x.rank !== 4) throw context.unsupported(`only 2-D pooling on [N, C, H, W] inputs is supported (got rank ${x.rank})`);
  return x as Tensor4D;
}

export const maxPoolOp = defineOnnxOp({
  opType: 'MaxPool',
  run(context) {
    if (context.node.outputs.length > 1 && context.node.outputs[1] !== '') {
      throw context.unsupported('the Indices output of MaxPool is not supported');
    }
    const x = pool2dInput(context);
    const hw: [number, number] = [x.shape[2], x.shape[3]];
    const w = window2d(context, hw);
    if (w.dilations[0] !== 1 || w.dilations[1] !== 1) throw context.unsupported('dilated max pooling is not supported');
    const [extraH, extraW] = ceilExtra(context, hw, w);
    const padded = padNhwc(toNhwc(x), w.pads[0], w.pads[1] + extraH, w.pads[2], w.pads[3] + extraW, -Infinity);
    return toNchw(tf.maxPool(padded, w.kernel, w.strides, 'valid'));
  },
});

export const averagePoolOp = defineOnnxOp({
  opType: 'AveragePool',
  run(context) {
    const x = pool2dInput(context);
    const hw: [number, number] = [x.shape[2], x.shape[3]];
    const w = window2d(context, hw);
    if (w.dilations[0] !== 1 || w.dilations[1] !== 1) throw context.unsupported('dilated average pooling is not supported');
    const [extraH, extraW] = ceilExtra(context, hw, w);
    const [top, bottom, left, right] = w.pads;
    const xNhwc = toNhwc(x);
    if (top + bottom + left + right + extraH + extraW === 0) return toNchw(tf.avgPool(xNhwc, w.kernel, w.strides, 'valid'));
    // Average = pooled sum / pooled count of cells that count; the count map is a constant of the shape.
    const padded = padNhwc(xNhwc, top, bottom + extraH, left, right + extraW, 0);
    const includePad = context.attributes.int('count_include_pad', 0) === 1;
    const ones = tf.ones([1, hw[0], hw[1], 1]) as Tensor4D;
    const mask = padNhwc(padNhwc(ones, top, bottom, left, right, includePad ? 1 : 0), 0, extraH, 0, extraW, 0);
    const sums = tf.avgPool(padded, w.kernel, w.strides, 'valid');
    const counts = tf.avgPool(mask, w.kernel, w.strides, 'valid');
    return toNchw(tf.div(sums, counts) as Tensor4D);
  },
});

function globalAxes(x: Tensor): number[] {
  return Array.from({ length: x.rank - 2 }, (_, i) => i + 2);
}

export const globalAveragePoolOp = defineOnnxOp({
  opType: 'GlobalAveragePool',
  run: (context) => {
    const x = toFloatTensor(context.input(0));
    return tf.mean(x, globalAxes(x), true);
  },
});

export const globalMaxPoolOp = defineOnnxOp({
  opType: 'GlobalMaxPool',
  run: (context) => {
    const x = toFloatTensor(context.input(0));
    return tf.max(x, globalAxes(x), true);
  },
});

/** Inference-mode batch normalisation over axis 1: (x − mean) · scale / √(var + ε) + B. */
export const batchNormalizationOp = defineOnnxOp({
  opType: 'BatchNormalization',
  run(context) {
    if (context.attributes.int('training_mode', 0) === 1) throw context.unsupported('training_mode=1 is not supported');
    const x = toFloatTensor(context.input(0));
    const channels = x.shape[1] as number;
    const paramShape = [channels, ...new Array<number>(Math.max(0, x.rank - 2)).fill(1)];
    const param = (i: number): Tensor => tf.reshape(toFloatTensor(context.input(i)), paramShape);
    const epsilon = context.attributes.float('epsilon', 1e-5);
    const factor = tf.div(param(1), tf.sqrt(tf.add(param(4), epsilon)));
    return tf.add(tf.mul(tf.sub(x, param(3)), factor), param(2));
  },
});

/**
 * Softmax and LogSoftmax: before opset 13 the input is coerced to 2-D at `axis` (default 1) and normalised
 * over the flattened tail; from 13 the normalisation is over the single `axis` (default −1).
 */
function softmaxLike(opType: string, fn: (x: Tensor) => Tensor) {
  return defineOnnxOp({
    opType,
    run(context) {
      const x = toFloatTensor(context.input(0));
      const legacy = context.opset < 13;
      const axis = normaliseAxis(context.attributes.int('axis', legacy ? 1 : -1), x.rank, `${opType} "${context.node.name}"`);
      if (legacy) {
        const outer = size(x.shape.slice(0, axis));
        return tf.reshape(fn(tf.reshape(x, [outer, size(x.shape.slice(axis))])), x.shape);
      }
      if (axis === x.rank - 1) return fn(x);
      const perm = x.shape.map((_, i) => i);
      perm[axis] = x.rank - 1;
      perm[x.rank - 1] = axis;
      return tf.transpose(fn(tf.transpose(x, perm)), perm);
    },
  });
}

export const softmaxOp = softmaxLike('Softmax', (x) => tf.softmax(x));
export const logSoftmaxOp = softmaxLike('LogSoftmax', (x) => tf.logSoftmax(x));

/** ReduceMean/ReduceSum: axes as an attribute (ReduceSum before 13, ReduceMean before 18) or an input. */
function reduce(opType: string, inputSince: number, fn: (x: Tensor, axes: number[], keep: boolean) => Tensor) {
  return defineOnnxOp({
    opType,
    run(context) {
      const x = toFloatTensor(context.input(0));
      const axesValue = context.opset >= inputSince ? context.optionalInput(1) : undefined;
      let axes = context.opset >= inputSince
        ? axesValue ? Array.from(toTensor(axesValue).dataSync() as ArrayLike<number>) : undefined
        : context.attributes.ints('axes');
      if (!axes || axes.length === 0) {
        if (context.attributes.int('noop_with_empty_axes', 0)) return x;
        axes = x.shape.map((_, i) => i);
      }
      const keep = context.attributes.int('keepdims', 1) === 1;
      return fn(x, axes.map((a) => normaliseAxis(a, x.rank, opType)), keep);
    },
  });
}

export const reduceMeanOp = reduce('ReduceMean', 18, (x, axes, keep) => tf.mean(x, axes, keep));
export const reduceSumOp = reduce('ReduceSum', 13, (x, axes, keep) => tf.sum(x, axes, keep));
