/**
 * BatchNormalization in inference mode: y = s·x + t per channel (axis 1) with s = scale/√(var+ε) and
 * t = B − mean·s, i.e. an affine map with a diagonal weight.
 */
import { tf, type Tensor } from '../../../engine/tf.js';
import { defineBoundRule, type RuleContext } from '../define.js';
import { biasTerm, tidy } from '../linear.js';
import { scaleCoefficients, scaleInterval } from '../scale.js';

function affine(ctx: RuleContext, sampleRank: number): { s: Tensor; t: Tensor } {
  const [scale, bias, mean, variance] = [1, 2, 3, 4].map((i) => ctx.constants[i]!.tensor);
  const eps = ctx.attrs.float('epsilon', 1e-5);
  const s = tf.div(scale!, tf.sqrt(tf.add(variance!, eps)));
  const t = tf.sub(bias!, tf.mul(mean!, s));
  const shape = [-1, ...new Array<number>(Math.max(0, sampleRank - 1)).fill(1)];
  return { s: tf.reshape(s, shape), t: tf.reshape(t, shape) };
}

export const batchNormalizationRule = defineBoundRule({
  opType: 'BatchNormalization',
  affine: true,
  check(node, attrs, perturbed) {
    const problems: string[] = [];
    if (!perturbed[0] || perturbed.slice(1).some(Boolean)) problems.push('only a perturbed input with constant statistics is supported');
    if (attrs.int('training_mode', 0) !== 0 || node.outputs.filter((o) => o !== '').length > 1) problems.push('only inference mode is supported');
    return problems;
  },
  ibp(ctx) {
    return tidy(() => {
      const x = ctx.inputs[0]!;
      const { s, t } = affine(ctx, x.lower.rank - 1);
      return scaleInterval(x, s, t);
    });
  },
  crown(ctx) {
    return tidy(() => {
      const inShape = ctx.inputs[0]!.lower.shape;
      const { s, t } = affine(ctx, inShape.length - 1);
      return {
        inputs: [scaleCoefficients({ lA: ctx.lA, uA: ctx.uA }, s, inShape), null, null, null, null],
        lBias: ctx.lA ? biasTerm(ctx.lA, t) : null,
        uBias: ctx.uA ? biasTerm(ctx.uA, t) : null,
      };
    });
  },
});
