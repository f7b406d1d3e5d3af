/** Div by a constant (x / c = x · (1/c)), e.g. an exported (x − mean) / std normalisation. */
import { tf } from '../../../engine/tf.js';
import { defineBoundRule } from '../define.js';
import { specConstant } from '../elementwise.js';
import { tidy } from '../linear.js';
import { scaleCoefficients, scaleInterval } from '../scale.js';

export const divRule = defineBoundRule({
  opType: 'Div',
  affine: true,
  check(_node, _attrs, perturbed) {
    return perturbed[0] && !perturbed[1] ? [] : ['only division of a perturbed value by a constant is supported'];
  },
  ibp(ctx) {
    return tidy(() => scaleInterval(ctx.inputs[0]!, tf.reciprocal(ctx.constants[1]!.tensor), null));
  },
  crown(ctx) {
    return tidy(() => {
      const s = tf.reciprocal(specConstant(ctx.constants[1]!, ctx.outputShape));
      return { inputs: [scaleCoefficients({ lA: ctx.lA, uA: ctx.uA }, s, ctx.inputs[0]!.lower.shape), null], lBias: null, uBias: null };
    });
  },
});
