/** Identity: bounds and coefficients pass through unchanged. */
import { defineBoundRule } from '../define.js';

export const identityRule = defineBoundRule({
  opType: 'Identity',
  affine: true,
  exact: true,
  ibp: (ctx) => ctx.inputs[0]!,
  crown: (ctx) => ({ inputs: [{ lA: ctx.lA, uA: ctx.uA }], lBias: null, uBias: null }),
});
