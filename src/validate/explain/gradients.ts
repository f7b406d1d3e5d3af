/**
 * The gradient every attribution method is built on: ∂ score_c(x) / ∂x for one class c per input, where the score
 * is the logit z_c or the softmax probability p_c. Inputs are independent, so the gradient of the batch sum gives
 * each input's own gradient. Runs the model's synchronous (tfjs) path; call inside `tf.tidy`.
 */
import { tf, type Tensor, type Tensor1D } from '../../engine/tf.js';
import type { DifferentiableModel } from '../../engine/model.js';
import type { ScoreOutput } from './define.js';

/** Per-input scores of the given classes, [N]. */
export function classScores(model: DifferentiableModel, x: Tensor, classes: Int32Array, output: ScoreOutput): Tensor1D {
  return tf.tidy(() => {
    const logits = model.logitsSync(x);
    const scores = output === 'probability' ? tf.softmax(logits) : logits;
    const picked = tf.oneHot(tf.tensor1d(classes, 'int32'), model.numClasses);
    return tf.sum(tf.mul(scores, picked), 1) as Tensor1D;
  });
}

/** ∂ score_{classes[i]}(x_i) / ∂x_i for every input i; same shape as x. */
export function classScoreGradient(model: DifferentiableModel, x: Tensor, classes: Int32Array, output: ScoreOutput): Tensor {
  return tf.tidy(() => tf.grad((input: Tensor) => tf.sum(classScores(model, input, classes, output)))(x));
}

/** Gradients of a large batch in chunks of `chunk` inputs (memory), concatenated. */
export function classScoreGradientChunked(model: DifferentiableModel, x: Tensor, classes: Int32Array, output: ScoreOutput, chunk: number): Tensor {
  const n = x.shape[0];
  if (n <= chunk) return classScoreGradient(model, x, classes, output);
  return tf.tidy(() => {
    const parts: Tensor[] = [];
    for (let start = 0; start < n; start += chunk) {
      const size = Math.min(chunk, n - start);
      parts.push(classScoreGradient(model, tf.slice(x, start, size), classes.subarray(start, start + size), output));
    }
    return tf.concat(parts, 0);
  });
}
