/** Add: x + c (constant) or x₁ + x₂ (both perturbed, e.g. residual connections); broadcasting as in ONNX. */
import { tf } from '../../../engine/tf.js';
import { defineBoundRule, type Coefficients } from '../define.js';
import { reduceCoefficients, specConstant } from '../elementwise.js';
import { biasTerm, tidy } from '../linear.js';

export const addRule = defineBoundRule({
  opType: 'Add',
  affine: true,
  check(_node, _attrs, perturbed) {
    return perturbed.some(Boolean) ? [] : ['no input depends on the network input'];
  },
  ibp(ctx) {
    return tidy(() => {
      const lo = ctx.inputs.map((v, i) => v?.lower ?? ctx.constants[i]!.tensor);
      const hi = ctx.inputs.map((v, i) => v?.upper ?? ctx.constants[i]!.tensor);
      return { lower: tf.add(lo[0]!, lo[1]!), upper: tf.add(hi[0]!, hi[1]!) };
    });
  },
  crown(ctx) {
    return tidy(() => {
      const inputs: (Coefficients | null)[] = ctx.inputs.map((v) => (v ? reduceCoefficients({ lA: ctx.lA, uA: ctx.uA }, v.lower.shape) : null));
      let lBias = null;
      let uBias = null;
      ctx.constants.forEach((c) => {
        if (!c) return;
        const t = specConstant(c, ctx.outputShape);
        if (ctx.lA) lBias = biasTerm(ctx.lA, t);
        if (ctx.uA) uBias = biasTerm(ctx.uA, t);
      });
      return { inputs, lBias, uBias };
    });
  },
});
