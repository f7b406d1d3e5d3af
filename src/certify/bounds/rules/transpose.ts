/** Transpose that keeps the batch axis first (e.g. the NHWC → NCHW layout change of exported TF.js models). */
import { tf } from '../../../engine/tf.js';
import { defineBoundRule } from '../define.js';
import { mapCoefficients, tidy } from '../linear.js';

export const transposeRule = defineBoundRule({
  opType: 'Transpose',
  affine: true,
  exact: true,
  check(_node, attrs) {
    const perm = attrs.ints('perm');
    return perm && perm[0] === 0 ? [] : ['only permutations that keep the batch axis first (perm[0] = 0, given explicitly) are supported'];
  },
  ibp(ctx) {
    return tidy(() => {
      const perm = ctx.attrs.ints('perm')!;
      return { lower: tf.transpose(ctx.inputs[0]!.lower, perm), upper: tf.transpose(ctx.inputs[0]!.upper, perm) };
    });
  },
  crown(ctx) {
    return tidy(() => {
      const perm = ctx.attrs.ints('perm')!;
      // Coefficients [N, S, ...out] with out = in permuted by perm; undo it on the sample axes.
      const inverse = new Array<number>(perm.length);
      perm.forEach((p, i) => (inverse[p] = i));
      const specPerm = [0, 1, ...inverse.slice(1).map((p) => p + 1)];
      return { inputs: [mapCoefficients({ lA: ctx.lA, uA: ctx.uA }, (a) => tf.transpose(a, specPerm))], lBias: null, uBias: null };
    });
  },
});
