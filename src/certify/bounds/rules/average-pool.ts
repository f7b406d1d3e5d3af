/**
 * AveragePool (2-D): a convolution with the constant per-channel kernel 1/(kh·kw), so IBP and CROWN reuse the
 * convolution maps (any strides; pads only with count_include_pad = 1, where the divisor is constant).
 */
import { tf, type Tensor } from '../../../engine/tf.js';
import { defineBoundRule, type RuleContext } from '../define.js';
import { convBackward, convForward, convGeometry, type ConvGeometry } from '../conv-ops.js';
import { foldSpec, mapCoefficients, tidy, unfoldSpec } from '../linear.js';

/** Per-channel averaging filter HWIO [kh, kw, C, C] (diagonal in the channels) and the geometry. */
function setup(ctx: RuleContext, inputShape: readonly number[]): { filter: Tensor; g: ConvGeometry } {
  const k = ctx.attrs.ints('kernel_shape')!;
  const c = inputShape[1]!;
  const g = convGeometry(ctx.attrs, [k[0]!, k[1]!], [inputShape[2]!, inputShape[3]!]);
  const eye = tf.reshape(tf.mul(tf.eye(c), 1 / (k[0]! * k[1]!)), [1, 1, c, c]);
  return { filter: tf.tile(eye, [k[0]!, k[1]!, 1, 1]), g };
}

export const averagePoolRule = defineBoundRule({
  opType: 'AveragePool',
  affine: true,
  check(_node, attrs) {
    const problems: string[] = [];
    const k = attrs.ints('kernel_shape');
    if (!k || k.length !== 2) problems.push('only 2-D pooling is supported');
    const padded = (attrs.ints('pads') ?? []).some((p) => p !== 0) || attrs.string('auto_pad', 'NOTSET').startsWith('SAME');
    if (padded && attrs.int('count_include_pad', 0) === 0) problems.push('padding with count_include_pad = 0 is not supported (the divisor varies at the border)');
    if (attrs.int('ceil_mode', 0) !== 0) problems.push('ceil_mode = 1 is not supported');
    return problems;
  },
  ibp(ctx) {
    return tidy(() => {
      const x = ctx.inputs[0]!;
      const { filter, g } = setup(ctx, x.lower.shape);
      // Non-negative weights: the map is monotone.
      return { lower: convForward(x.lower, filter, g), upper: convForward(x.upper, filter, g) };
    });
  },
  crown(ctx) {
    return tidy(() => {
      const inShape = ctx.inputs[0]!.lower.shape;
      const { filter, g } = setup(ctx, inShape);
      const back = (a: Tensor): Tensor => unfoldSpec(convBackward(foldSpec(a), filter, g, inShape), a.shape[0]!, a.shape[1]!);
      return { inputs: [mapCoefficients({ lA: ctx.lA, uA: ctx.uA }, back)], lBias: null, uBias: null };
    });
  },
});
