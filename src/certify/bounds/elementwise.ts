/**
 * Shared pieces of the broadcasting elementwise rules (Add, Sub, Mul, Div): constants aligned with
 * `[N, S, ...sample]` coefficients, and coefficients summed back over axes an input was broadcast along.
 */
import { tf, type Tensor } from '../../engine/tf.js';
import type { Coefficients, ConstantValue } from './define.js';
import { constantForSpec, mapCoefficients } from './linear.js';

/** Sums coefficients `[N, S, ...out]` down to an input of shape `[N, ...in]` that was broadcast to out. */
export function reduceToInput(a: Tensor, inputShape: readonly number[]): Tensor {
  const outSample = a.shape.slice(2);
  const inSample = inputShape.slice(1);
  if (outSample.length === inSample.length && outSample.every((d, i) => d === inSample[i])) return a;
  const offset = outSample.length - inSample.length;
  const axes: number[] = [];
  outSample.forEach((d, i) => {
    const src = i - offset < 0 ? 1 : inSample[i - offset]!;
    if (src === 1 && d !== 1) axes.push(i + 2);
  });
  const summed = axes.length > 0 ? tf.sum(a, axes, true) : a;
  return tf.reshape(summed, [a.shape[0]!, a.shape[1]!, ...inSample]);
}

export function reduceCoefficients(c: Coefficients, inputShape: readonly number[]): Coefficients {
  return mapCoefficients(c, (a) => reduceToInput(a, inputShape));
}

/** The constant as a tensor that broadcasts against `[N, S, ...outSample]`. */
export function specConstant(c: ConstantValue, outputShape: readonly number[]): Tensor {
  return constantForSpec(c.tensor, outputShape.length - 1);
}

/** The constant as a tensor that broadcasts against `[N, ...sample]`. */
export function valueConstant(c: ConstantValue): Tensor {
  return c.tensor;
}
