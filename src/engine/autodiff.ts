/**
 * Per-sample loss and input gradient of any synchronous logits function through tfjs autodiff: one forward pass
 * inside `tf.grad`, whose logits are kept and returned. Every white-box model built on tfjs ops shares this.
 */
import { tf, type Tensor, type Tensor1D, type Tensor2D } from './tf.js';
import { losses, type LossName } from './losses.js';
import type { LossAndGradient } from './model.js';

export function tfjsLossAndGradient(
  logitsSync: (x: Tensor) => Tensor2D,
  x: Tensor,
  labels: Tensor1D,
  loss: LossName = 'cross-entropy',
  targets?: Tensor1D,
): LossAndGradient {
  const lossFn = losses[loss];
  let logits: Tensor2D | undefined;
  const gradient = tf.tidy(() =>
    tf.grad((input: Tensor) => {
      const out = logitsSync(input);
      logits = tf.keep(out);
      return tf.sum(lossFn(out, labels, targets));
    })(x),
  );
  const perSample = tf.tidy(() => lossFn(logits as Tensor2D, labels, targets));
  return { loss: perSample, gradient, logits: logits as Tensor2D };
}
