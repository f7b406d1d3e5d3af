/** MatMul: Y = X·W with X perturbed `[N, in]` and W a constant `[in, out]` (Dense without bias). */
import { tf, type Tensor } from '../../../engine/tf.js';
import { defineBoundRule } from '../define.js';
import { foldSpec, linearInterval, mapCoefficients, tidy, unfoldSpec } from '../linear.js';

export const matMulRule = defineBoundRule({
  opType: 'MatMul',
  affine: true,
  check(_node, _attrs, perturbed, constants) {
    const problems: string[] = [];
    if (!perturbed[0] || perturbed[1]) problems.push('only X·W with a constant right operand W is supported');
    const w = constants[1];
    if (w && w.dims.length !== 2) problems.push(`the constant operand must be 2-D (got [${w.dims.join(', ')}])`);
    return problems;
  },
  ibp(ctx) {
    return tidy(() => {
      const w = ctx.constants[1]!.tensor;
      const wAbs = tf.abs(w);
      const x = ctx.inputs[0]!;
      if (x.lower.rank !== 2) throw new Error(`MatMul bound rule: the perturbed operand must be [N, features], got [${x.lower.shape.join(', ')}]`);
      return linearInterval(x, (m) => tf.matMul(m, w), (r) => tf.matMul(r, wAbs));
    });
  },
  crown(ctx) {
    return tidy(() => {
      const w = ctx.constants[1]!.tensor;
      const back = (a: Tensor): Tensor => unfoldSpec(tf.matMul(foldSpec(a), w, false, true), a.shape[0]!, a.shape[1]!);
      return { inputs: [mapCoefficients({ lA: ctx.lA, uA: ctx.uA }, back), null], lBias: null, uBias: null };
    });
  },
});
