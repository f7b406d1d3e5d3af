/**
 * MaxPool with non-overlapping windows (strides = kernel, no padding, no dilation — the 2×2/2 pooling of
 * typical CNNs). IBP: [maxpool(l), maxpool(u)]. CROWN relaxation per window (sound for any window):
 * - lower: y ≥ x_k for k = argmax of the lower bounds (first on ties);
 * - upper: y = x_k exactly when l_k ≥ max_{i≠k} u_i (x_k dominates), else y ≤ max_i u_i (a constant).
 * This is the simple relaxation of DeepPoly/auto_LiRPA's default; it keeps CROWN sound but is looser than an
 * optimised one.
 */
import { tf, type Tensor } from '../../../engine/tf.js';
import { defineBoundRule, type RuleContext } from '../define.js';
import { detach, tidy } from '../linear.js';

interface Pooling {
  kh: number;
  kw: number;
}

function pooling(ctx: RuleContext): Pooling {
  const k = ctx.attrs.ints('kernel_shape')!;
  return { kh: k[0]!, kw: k[1]! };
}

/** [N, C, H, W] → [N, C, Ho, Wo, kh·kw] windows (the remainder rows/columns are dropped, as 'valid' pooling does). */
export function windows(t: Tensor, p: Pooling): Tensor {
  const [n, c, h, w] = t.shape as [number, number, number, number];
  const ho = Math.floor(h / p.kh);
  const wo = Math.floor(w / p.kw);
  const cropped = ho * p.kh === h && wo * p.kw === w ? t : tf.slice(t, [0, 0, 0, 0], [n, c, ho * p.kh, wo * p.kw]);
  const r = tf.reshape(cropped, [n, c, ho, p.kh, wo, p.kw]);
  return tf.reshape(tf.transpose(r, [0, 1, 2, 4, 3, 5]), [n, c, ho, wo, p.kh * p.kw]);
}

/** Coefficients per window element [N, S, C, Ho, Wo, K] → coefficients on the input [N, S, C, H, W]. */
function scatter(coef: Tensor, p: Pooling, h: number, w: number): Tensor {
  const [n, s, c, ho, wo] = coef.shape as [number, number, number, number, number];
  const r = tf.reshape(coef, [n, s, c, ho, wo, p.kh, p.kw]);
  const placed = tf.reshape(tf.transpose(r, [0, 1, 2, 3, 5, 4, 6]), [n, s, c, ho * p.kh, wo * p.kw]);
  if (ho * p.kh === h && wo * p.kw === w) return placed;
  return tf.pad(placed, [[0, 0], [0, 0], [0, 0], [0, h - ho * p.kh], [0, w - wo * p.kw]]);
}

export const maxPoolRule = defineBoundRule({
  opType: 'MaxPool',
  nonlinear: true,
  check(node, attrs) {
    const problems: string[] = [];
    const k = attrs.ints('kernel_shape');
    if (!k || k.length !== 2) problems.push('only 2-D pooling is supported');
    const strides = attrs.ints('strides') ?? [1, 1];
    if (k && (strides[0] !== k[0] || strides[1] !== k[1])) problems.push(`only non-overlapping windows (strides = kernel_shape) are supported, got kernel [${k.join(', ')}] strides [${strides.join(', ')}]`);
    if ((attrs.ints('pads') ?? []).some((p) => p !== 0) || !['NOTSET', 'VALID'].includes(attrs.string('auto_pad', 'NOTSET'))) problems.push('padded pooling is not supported');
    if ((attrs.ints('dilations') ?? [1, 1]).some((d) => d !== 1)) problems.push('dilated pooling is not supported');
    if (attrs.int('ceil_mode', 0) !== 0) problems.push('ceil_mode = 1 is not supported');
    if (node.outputs.filter((o) => o !== '').length > 1) problems.push('the Indices output is not supported');
    return problems;
  },
  ibp(ctx) {
    return tidy(() => {
      const p = pooling(ctx);
      return { lower: tf.max(windows(ctx.inputs[0]!.lower, p), 4), upper: tf.max(windows(ctx.inputs[0]!.upper, p), 4) };
    });
  },
  crown(ctx) {
    return tidy(() => {
      const p = pooling(ctx);
      const x = ctx.inputs[0]!;
      const [, , h, w] = x.lower.shape as [number, number, number, number];
      const k = p.kh * p.kw;
      const lW = windows(x.lower, p);
      const uW = windows(x.upper, p);
      // The window choice is data, not a function of the weights: computed on detached copies (argMax and
      // comparisons have no gradient in tfjs).
      const lWd = detach(lW);
      const uWd = detach(uW);
      const mask = tf.cast(tf.oneHot(tf.argMax(lWd, 4), k), 'float32');
      const lk = tf.sum(tf.mul(lWd, mask), 4);
      const uOthers = tf.max(tf.sub(uWd, tf.mul(mask, 1e30)), 4);
      const dominated = tf.cast(tf.greaterEqual(lk, uOthers), 'float32');
      const uMax = tf.max(uW, 4);
      const constUpper = tf.expandDims(tf.mul(uMax, tf.sub(1, dominated)), 1);
      const maskS = tf.expandDims(mask, 1);
      const maskDomS = tf.expandDims(tf.mul(mask, tf.expandDims(dominated, 4)), 1);
      const perWindow = (a: Tensor, m: Tensor): Tensor => tf.mul(tf.expandDims(a, 5), m);
      const sum = (t: Tensor): Tensor => tf.sum(tf.reshape(t, [t.shape[0]!, t.shape[1]!, -1]), 2);
      let lA = null;
      let uA = null;
      let lBias = null;
      let uBias = null;
      if (ctx.lA) {
        const pos = tf.relu(ctx.lA);
        const neg = tf.minimum(ctx.lA, 0);
        lA = scatter(tf.add(perWindow(pos, maskS), perWindow(neg, maskDomS)), p, h, w);
        lBias = sum(tf.mul(neg, constUpper));
      }
      if (ctx.uA) {
        const pos = tf.relu(ctx.uA);
        const neg = tf.minimum(ctx.uA, 0);
        uA = scatter(tf.add(perWindow(pos, maskDomS), perWindow(neg, maskS)), p, h, w);
        uBias = sum(tf.mul(pos, constUpper));
      }
      return { inputs: [{ lA, uA }], lBias, uBias };
    });
  },
});
