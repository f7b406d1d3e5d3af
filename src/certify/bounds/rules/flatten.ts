/** Flatten with axis 1: [N, ...] → [N, ∏...]; coefficients are reshaped back. Other axes would mix samples. */
import { tf } from '../../../engine/tf.js';
import { defineBoundRule } from '../define.js';
import { mapCoefficients, tidy } from '../linear.js';

export const flattenRule = defineBoundRule({
  opType: 'Flatten',
  affine: true,
  exact: true,
  check(_node, attrs) {
    return attrs.int('axis', 1) === 1 ? [] : [`only axis = 1 is supported (axis ${attrs.int('axis', 1)} would mix the batch with features)`];
  },
  ibp(ctx) {
    return tidy(() => {
      const x = ctx.inputs[0]!;
      const n = x.lower.shape[0]!;
      return { lower: tf.reshape(x.lower, [n, -1]), upper: tf.reshape(x.upper, [n, -1]) };
    });
  },
  crown(ctx) {
    return tidy(() => {
      const inSample = ctx.inputs[0]!.lower.shape.slice(1);
      return { inputs: [mapCoefficients({ lA: ctx.lA, uA: ctx.uA }, (a) => tf.reshape(a, [a.shape[0]!, a.shape[1]!, ...inSample]))], lBias: null, uBias: null };
    });
  },
});
