/** Per-sample (row) tensor helpers shared by the harness and the gradient attacks. */
import { tf, type Tensor } from '../engine/tf.js';

/** Row i of `a` where mask[i] is 1, else row i of `b` (a, b: [N, ...]; mask: length N). Caller owns the result. */
export function selectRows(mask: Uint8Array, a: Tensor, b: Tensor): Tensor {
  return tf.tidy(() => {
    const condition = tf.reshape(tf.tensor1d(mask, 'bool'), [mask.length, ...a.shape.slice(1).map(() => 1)]);
    return tf.where(tf.broadcastTo(condition, a.shape), a, b);
  });
}
