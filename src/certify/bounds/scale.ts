/** Elementwise scaling by a constant (Mul, Div, BatchNormalization): intervals and coefficients. */
import { tf, type Tensor } from '../../engine/tf.js';
import type { Coefficients, Interval } from './define.js';
import { reduceCoefficients } from './elementwise.js';
import { mapCoefficients } from './linear.js';

/** Interval of x·s + b for constant s (and optional b), broadcasting against `[N, ...sample]`. */
export function scaleInterval(x: Interval, s: Tensor, b: Tensor | null): Interval {
  const mid = tf.mul(tf.add(x.lower, x.upper), 0.5);
  const rad = tf.mul(tf.sub(x.upper, x.lower), 0.5);
  let m = tf.mul(mid, s);
  if (b) m = tf.add(m, b);
  const r = tf.mul(rad, tf.abs(s));
  return { lower: tf.sub(m, r), upper: tf.add(m, r) };
}

/** Coefficients on x of A·(x·s): A ⊙ s, summed over axes x was broadcast along. */
export function scaleCoefficients(c: Coefficients, sForSpec: Tensor, inputShape: readonly number[]): Coefficients {
  return reduceCoefficients(mapCoefficients(c, (a) => tf.mul(a, sForSpec)), inputShape);
}
