/**
 * 2-D convolution in the ONNX layout (NCHW activations, OIHW weights) on top of tfjs' NHWC kernels, forward
 * and transposed (the backward map of CROWN). Explicit ONNX pads become a tf.pad before a 'valid'
 * convolution and a slice after the transposed one, so asymmetric pads and auto_pad both work.
 */
import { tf, type Tensor, type Tensor4D } from '../../engine/tf.js';
import type { OnnxAttributes } from '../../engine/onnx/registry.js';

export interface ConvGeometry {
  kernel: [number, number];
  strides: [number, number];
  /** [top, left, bottom, right] */
  pads: [number, number, number, number];
  dilations: [number, number];
}

/** Geometry from Conv/Pool attributes; auto_pad SAME_* needs the input's spatial size. */
export function convGeometry(attrs: OnnxAttributes, kernel: [number, number], inputHW: [number, number]): ConvGeometry {
  const strides = (attrs.ints('strides') ?? [1, 1]) as [number, number];
  const dilations = (attrs.ints('dilations') ?? [1, 1]) as [number, number];
  const autoPad = attrs.string('auto_pad', 'NOTSET');
  let pads = (attrs.ints('pads') ?? [0, 0, 0, 0]) as [number, number, number, number];
  if (autoPad === 'VALID') pads = [0, 0, 0, 0];
  else if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') {
    const p: number[] = [0, 0, 0, 0];
    for (let d = 0; d < 2; d++) {
      const out = Math.ceil(inputHW[d]! / strides[d]!);
      const total = Math.max(0, (out - 1) * strides[d]! + (kernel[d]! - 1) * dilations[d]! + 1 - inputHW[d]!);
      const small = Math.floor(total / 2);
      p[d] = autoPad === 'SAME_UPPER' ? small : total - small;
      p[d + 2] = total - p[d]!;
    }
    pads = p as [number, number, number, number];
  }
  return { kernel, strides, pads, dilations };
}

function padNhwc(x: Tensor4D, pads: ConvGeometry['pads']): Tensor4D {
  if (pads.every((p) => p === 0)) return x;
  return tf.pad(x, [[0, 0], [pads[0], pads[2]], [pads[1], pads[3]], [0, 0]]);
}

/** conv(x) without bias: x [M, C, H, W], filter HWIO [kh, kw, C, O] → [M, O, Ho, Wo]. */
export function convForward(x: Tensor, filterHwio: Tensor, g: ConvGeometry): Tensor {
  const nhwc = padNhwc(tf.transpose(x, [0, 2, 3, 1]) as Tensor4D, g.pads);
  const y = tf.conv2d(nhwc, filterHwio as Tensor4D, g.strides, 'valid', 'NHWC', g.dilations);
  return tf.transpose(y, [0, 3, 1, 2]);
}

/** The transposed map: a [M, O, Ho, Wo] → [M, C, H, W] with Σ a·conv(x) = Σ convBackward(a)·x. */
export function convBackward(a: Tensor, filterHwio: Tensor, g: ConvGeometry, inputShape: readonly number[]): Tensor {
  const [c, h, w] = [inputShape[inputShape.length - 3]!, inputShape[inputShape.length - 2]!, inputShape[inputShape.length - 1]!];
  const m = a.shape[0]!;
  const hp = h + g.pads[0] + g.pads[2];
  const wp = w + g.pads[1] + g.pads[3];
  const dy = tf.transpose(a, [0, 2, 3, 1]) as Tensor4D;
  let dx = tf.conv2dTranspose(dy, filterHwio as Tensor4D, [m, hp, wp, c], g.strides, 'valid');
  if (g.pads.some((p) => p !== 0)) dx = tf.slice(dx, [0, g.pads[0], g.pads[1], 0], [m, h, w, c]);
  return tf.transpose(dx, [0, 3, 1, 2]);
}
