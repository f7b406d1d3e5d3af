/**
 * Relu. IBP: [relu(l), relu(u)]. CROWN (Zhang et al. 2018, https://arxiv.org/abs/1811.00866): for an unstable
 * neuron (l < 0 < u) the upper line through (l, 0) and (u, u) and a lower line α·x with α ∈ [0, 1]; CROWN's
 * adaptive choice is α = 1 when u > −l, else 0; α-CROWN (Xu et al. 2021, https://arxiv.org/abs/2011.13824)
 * optimises α per neuron and specification row. Stable neurons are exact (slope 1 or 0).
 */
import { tf, type Tensor } from '../../../engine/tf.js';
import { defineBoundRule, type Interval } from '../define.js';
import { tidy } from '../linear.js';

/** Upper line slope/intercept, and the masks of the three neuron states, from pre-activation bounds. */
export function reluRelaxation(pre: Interval): { upperSlope: Tensor; upperIntercept: Tensor; active: Tensor; unstable: Tensor; adaptiveSlope: Tensor } {
  const { lower: l, upper: u } = pre;
  // Masks from tf.step (which has a zero gradient) rather than comparisons (which have none), so the
  // relaxation can sit inside tf.grad for certified training and α-CROWN.
  const negL = tf.step(tf.neg(l)); // 1 where l < 0
  const active = tf.sub(1, negL);
  const unstable = tf.mul(negL, tf.step(u));
  // Unstable: u / (u − l) with u − l > 0; elsewhere the denominator is replaced to keep gradients finite.
  const denom = tf.add(tf.mul(tf.sub(u, l), unstable), tf.sub(1, unstable));
  const slopeUnstable = tf.div(tf.mul(u, unstable), denom);
  const upperSlope = tf.add(active, slopeUnstable);
  const upperIntercept = tf.neg(tf.mul(slopeUnstable, l));
  const adaptiveSlope = tf.add(active, tf.mul(unstable, tf.step(tf.add(u, l))));
  return { upperSlope, upperIntercept, active, unstable, adaptiveSlope };
}

export const reluRule = defineBoundRule({
  opType: 'Relu',
  nonlinear: true,
  ibp(ctx) {
    return tidy(() => ({ lower: tf.relu(ctx.inputs[0]!.lower), upper: tf.relu(ctx.inputs[0]!.upper) }));
  },
  crown(ctx) {
    return tidy(() => {
      const r = reluRelaxation(ctx.inputs[0]!);
      const spec = (t: Tensor): Tensor => tf.expandDims(t, 1);
      const su = spec(r.upperSlope);
      const bu = spec(r.upperIntercept);
      const adaptive = spec(r.adaptiveSlope);
      // α-CROWN: α replaces the adaptive slope on unstable neurons only.
      const lowerSlope = ctx.alpha ? tf.add(spec(r.active), tf.mul(spec(r.unstable), ctx.alpha)) : adaptive;
      const sum = (t: Tensor): Tensor => tf.sum(tf.reshape(t, [t.shape[0]!, t.shape[1]!, -1]), 2);
      let lA = null;
      let uA = null;
      let lBias = null;
      let uBias = null;
      if (ctx.lA) {
        const pos = tf.relu(ctx.lA);
        const neg = tf.minimum(ctx.lA, 0);
        lA = tf.add(tf.mul(pos, lowerSlope), tf.mul(neg, su));
        lBias = sum(tf.mul(neg, bu));
      }
      if (ctx.uA) {
        const pos = tf.relu(ctx.uA);
        const neg = tf.minimum(ctx.uA, 0);
        uA = tf.add(tf.mul(pos, su), tf.mul(neg, adaptive));
        uBias = sum(tf.mul(pos, bu));
      }
      return { inputs: [{ lA, uA }], lBias, uBias };
    });
  },
});
