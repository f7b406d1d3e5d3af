/** Tanh: IBP by monotonicity; CROWN with the S-shaped relaxation of ../s-shaped.ts. */
import { tf, type Tensor } from '../../../engine/tf.js';
import { defineBoundRule } from '../define.js';
import { tidy } from '../linear.js';
import { crownThroughLines, sShapedRelaxation, type SShapedFunction } from '../s-shaped.js';

export const tanhFunction: SShapedFunction = {
  f: (x) => tf.tanh(x),
  derivative: (x: Tensor) => tf.sub(1, tf.square(tf.tanh(x))),
};

export const tanhRule = defineBoundRule({
  opType: 'Tanh',
  nonlinear: true,
  ibp(ctx) {
    return tidy(() => ({ lower: tf.tanh(ctx.inputs[0]!.lower), upper: tf.tanh(ctx.inputs[0]!.upper) }));
  },
  crown(ctx) {
    return tidy(() => crownThroughLines(ctx, sShapedRelaxation(tanhFunction, ctx.inputs[0]!)));
  },
});
