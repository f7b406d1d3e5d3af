/** Sub: x − c, c − x or x₁ − x₂; the subtrahend's coefficients are negated, its interval flipped. */
import { tf } from '../../../engine/tf.js';
import { defineBoundRule, type Coefficients } from '../define.js';
import { reduceCoefficients, specConstant } from '../elementwise.js';
import { biasTerm, mapCoefficients, tidy } from '../linear.js';

export const subRule = defineBoundRule({
  opType: 'Sub',
  affine: true,
  check(_node, _attrs, perturbed) {
    return perturbed.some(Boolean) ? [] : ['no input depends on the network input'];
  },
  ibp(ctx) {
    return tidy(() => {
      const lo = ctx.inputs.map((v, i) => v?.lower ?? ctx.constants[i]!.tensor);
      const hi = ctx.inputs.map((v, i) => v?.upper ?? ctx.constants[i]!.tensor);
      return { lower: tf.sub(lo[0]!, hi[1]!), upper: tf.sub(hi[0]!, lo[1]!) };
    });
  },
  crown(ctx) {
    return tidy(() => {
      const inputs: (Coefficients | null)[] = ctx.inputs.map((v, i) => {
        if (!v) return null;
        const c = reduceCoefficients({ lA: ctx.lA, uA: ctx.uA }, v.lower.shape);
        return i === 0 ? c : mapCoefficients(c, (a) => tf.neg(a));
      });
      let lBias = null;
      let uBias = null;
      ctx.constants.forEach((c, i) => {
        if (!c) return;
        const t = specConstant(c, ctx.outputShape);
        const signed = i === 0 ? t : tf.neg(t);
        if (ctx.lA) lBias = biasTerm(ctx.lA, signed);
        if (ctx.uA) uBias = biasTerm(ctx.uA, signed);
      });
      return { inputs, lBias, uBias };
    });
  },
});
