/**
 * Gemm: Y = α·X·B' + β·C with B' = Bᵀ when transB, X the perturbed operand (transA = 0) and B, C constants —
 * the Dense layer of every exporter. IBP in centre/radius form; CROWN: A_X = A_Y · B'ᵀ·α, bias A_Y·(β·C).
 */
import { tf, type Tensor } from '../../../engine/tf.js';
import { defineBoundRule, type CrownContext, type RuleContext } from '../define.js';
import { biasTerm, foldSpec, linearInterval, mapCoefficients, tidy, unfoldSpec } from '../linear.js';

/** The effective [in, out] weight and [out] bias (or null). */
function weights(ctx: RuleContext): { w: Tensor; b: Tensor | null } {
  const alpha = ctx.attrs.float('alpha', 1);
  const beta = ctx.attrs.float('beta', 1);
  let w = ctx.constants[1]!.tensor;
  if (ctx.attrs.int('transB', 0) === 1) w = tf.transpose(w);
  if (alpha !== 1) w = tf.mul(w, alpha);
  const c = ctx.constants[2]?.tensor ?? null;
  const b = c ? (beta !== 1 ? tf.mul(c, beta) : c) : null;
  return { w, b: b && b.rank === 2 ? tf.reshape(b, [-1]) : b };
}

export const gemmRule = defineBoundRule({
  opType: 'Gemm',
  affine: true,
  check(_node, attrs, perturbed) {
    const problems: string[] = [];
    if (!perturbed[0] || perturbed[1] || perturbed[2]) problems.push('only X·W + b with constant W and b is supported (perturbed weights are not)');
    if (attrs.int('transA', 0) !== 0) problems.push('transA = 1 is not supported');
    return problems;
  },
  ibp(ctx) {
    return tidy(() => {
      const { w, b } = weights(ctx);
      const wAbs = tf.abs(w);
      const out = linearInterval(ctx.inputs[0]!, (m) => (b ? tf.add(tf.matMul(m, w), b) : tf.matMul(m, w)), (r) => tf.matMul(r, wAbs));
      return out;
    });
  },
  crown(ctx: CrownContext) {
    return tidy(() => {
      const { w, b } = weights(ctx);
      const back = (a: Tensor): Tensor => unfoldSpec(tf.matMul(foldSpec(a), w, false, true), a.shape[0]!, a.shape[1]!);
      return {
        inputs: [mapCoefficients({ lA: ctx.lA, uA: ctx.uA }, back), null, null],
        lBias: b && ctx.lA ? biasTerm(ctx.lA, b) : null,
        uBias: b && ctx.uA ? biasTerm(ctx.uA, b) : null,
      };
    });
  },
});
