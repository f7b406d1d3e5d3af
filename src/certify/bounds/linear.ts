/**
 * Helpers shared by the affine bound rules: interval maps through linear functions in centre/radius form
 * (Gowal et al.'s IBP: W·mid + b ± |W|·rad), folding the spec axis into the batch axis and back, and the bias
 * term Σ A·c of a constant.
 */
import { tf, type Tensor } from '../../engine/tf.js';
import type { Coefficients, Interval } from './define.js';

/** Interval of f(x) for a linear f applied to x ∈ [lower, upper], given f and |f| (f with |weights|). */
export function linearInterval(x: Interval, f: (t: Tensor) => Tensor, fAbs: (t: Tensor) => Tensor): Interval {
  return tf.tidy(() => {
    const mid = tf.mul(tf.add(x.lower, x.upper), 0.5);
    const rad = tf.mul(tf.sub(x.upper, x.lower), 0.5);
    const m = f(mid);
    const r = fAbs(rad);
    return { lower: tf.sub(m, r), upper: tf.add(m, r) };
  });
}

/** [N, S, ...d] → [N·S, ...d]. */
export function foldSpec(a: Tensor): Tensor {
  return tf.reshape(a, [a.shape[0]! * a.shape[1]!, ...a.shape.slice(2)]);
}

/** [N·S, ...d] → [N, S, ...d]. */
export function unfoldSpec(a: Tensor, n: number, s: number): Tensor {
  return tf.reshape(a, [n, s, ...a.shape.slice(1)]);
}

/** Σ over the sample axes of A ⊙ c, with c broadcast to the sample shape: `[N, S]`. */
export function biasTerm(a: Tensor, c: Tensor): Tensor {
  return tf.tidy(() => {
    const prod = tf.mul(a, c);
    return tf.sum(tf.reshape(prod, [a.shape[0]!, a.shape[1]!, -1]), 2);
  });
}

/** Applies one linear map to both coefficient sides (null stays null). */
export function mapCoefficients(c: Coefficients, f: (a: Tensor) => Tensor): Coefficients {
  return { lA: c.lA ? f(c.lA) : null, uA: c.uA ? f(c.uA) : null };
}

/** A constant reshaped so it broadcasts against `[N, S, ...sample]` (it broadcasts against `[N, ...sample]` in ONNX). */
export function constantForSpec(c: Tensor, sampleRank: number): Tensor {
  // ONNX broadcasting aligns trailing axes against [N, ...sample]; drop a leading batch axis of size 1.
  let t = c;
  if (t.rank === sampleRank + 1) t = tf.squeeze(t, [0]);
  return t;
}

/** Positive and negative parts of a coefficient tensor. */
export function splitSigns(a: Tensor): { pos: Tensor; neg: Tensor } {
  return { pos: tf.relu(a), neg: tf.minimum(a, 0) };
}

/** tf.tidy for results that hold tensors inside plain objects (nulls allowed). */
export function tidy<T>(fn: () => T): T {
  return tf.tidy(fn as unknown as () => tf.TensorContainer) as unknown as T;
}

/** A copy of t that is not connected to the gradient tape (tfjs has no stopGradient): reads the data back. */
export function detach(t: Tensor): Tensor {
  return tf.tensor(t.dataSync() as Float32Array, t.shape, 'float32');
}
