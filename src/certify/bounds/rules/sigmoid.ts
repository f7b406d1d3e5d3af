/** Sigmoid: IBP by monotonicity; CROWN with the S-shaped relaxation of ../s-shaped.ts. */
import { tf, type Tensor } from '../../../engine/tf.js';
import { defineBoundRule } from '../define.js';
import { tidy } from '../linear.js';
import { crownThroughLines, sShapedRelaxation, type SShapedFunction } from '../s-shaped.js';

export const sigmoidFunction: SShapedFunction = {
  f: (x) => tf.sigmoid(x),
  derivative: (x: Tensor) => {
    const s = tf.sigmoid(x);
    return tf.mul(s, tf.sub(1, s));
  },
};

export const sigmoidRule = defineBoundRule({
  opType: 'Sigmoid',
  nonlinear: true,
  ibp(ctx) {
    return tidy(() => ({ lower: tf.sigmoid(ctx.inputs[0]!.lower), upper: tf.sigmoid(ctx.inputs[0]!.upper) }));
  },
  crown(ctx) {
    return tidy(() => crownThroughLines(ctx, sShapedRelaxation(sigmoidFunction, ctx.inputs[0]!)));
  },
});
