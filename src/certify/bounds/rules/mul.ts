/** Mul by a constant (e.g. input scaling from an exported normalisation layer). Products of two perturbed values are not supported. */
import { defineBoundRule } from '../define.js';
import { specConstant } from '../elementwise.js';
import { tidy } from '../linear.js';
import { scaleCoefficients, scaleInterval } from '../scale.js';

export const mulRule = defineBoundRule({
  opType: 'Mul',
  affine: true,
  check(_node, _attrs, perturbed) {
    return perturbed.filter(Boolean).length === 1 ? [] : ['only multiplication of a perturbed value by a constant is supported'];
  },
  ibp(ctx) {
    return tidy(() => {
      const i = ctx.inputs[0] ? 0 : 1;
      return scaleInterval(ctx.inputs[i]!, ctx.constants[1 - i]!.tensor, null);
    });
  },
  crown(ctx) {
    return tidy(() => {
      const i = ctx.inputs[0] ? 0 : 1;
      const s = specConstant(ctx.constants[1 - i]!, ctx.outputShape);
      const c = scaleCoefficients({ lA: ctx.lA, uA: ctx.uA }, s, ctx.inputs[i]!.lower.shape);
      return { inputs: i === 0 ? [c, null] : [null, c], lBias: null, uBias: null };
    });
  },
});
