/**
 * Conv (2-D, group 1, dilation 1 — the layers of the CNNs Rampart trains and most exported MNIST/CIFAR
 * models): IBP as conv(mid)+b ± conv_|W|(rad); CROWN maps coefficients back with the transposed convolution
 * and adds Σ_{o,h,w} A[o,h,w]·b[o].
 */
import { tf, type Tensor } from '../../../engine/tf.js';
import { defineBoundRule, type RuleContext } from '../define.js';
import { convBackward, convForward, convGeometry, type ConvGeometry } from '../conv-ops.js';
import { foldSpec, linearInterval, mapCoefficients, tidy, unfoldSpec } from '../linear.js';

function setup(ctx: RuleContext, inputShape: readonly number[]): { filter: Tensor; bias: Tensor | null; g: ConvGeometry } {
  const w = ctx.constants[1]!;
  const kernel = [w.dims[2]!, w.dims[3]!] as [number, number];
  const g = convGeometry(ctx.attrs, kernel, [inputShape[inputShape.length - 2]!, inputShape[inputShape.length - 1]!]);
  return { filter: tf.transpose(w.tensor, [2, 3, 1, 0]), bias: ctx.constants[2]?.tensor ?? null, g };
}

export const convRule = defineBoundRule({
  opType: 'Conv',
  affine: true,
  check(_node, attrs, perturbed, constants) {
    const problems: string[] = [];
    if (!perturbed[0] || perturbed[1] || perturbed[2]) problems.push('only a perturbed input with constant weights and bias is supported');
    if (constants[1] && constants[1].dims.length !== 4) problems.push('only 2-D convolutions (4-D weights) are supported');
    if (attrs.int('group', 1) !== 1) problems.push('grouped/depthwise convolution (group ≠ 1) is not supported');
    if ((attrs.ints('dilations') ?? [1, 1]).some((d) => d !== 1)) problems.push('dilated convolution is not supported');
    return problems;
  },
  ibp(ctx) {
    return tidy(() => {
      const x = ctx.inputs[0]!;
      const { filter, bias, g } = setup(ctx, x.lower.shape);
      const filterAbs = tf.abs(filter);
      const b = bias ? tf.reshape(bias, [1, -1, 1, 1]) : null;
      return linearInterval(x, (m) => (b ? tf.add(convForward(m, filter, g), b) : convForward(m, filter, g)), (r) => convForward(r, filterAbs, g));
    });
  },
  crown(ctx) {
    return tidy(() => {
      const inShape = ctx.inputs[0]!.lower.shape;
      const { filter, bias, g } = setup(ctx, inShape);
      const back = (a: Tensor): Tensor => unfoldSpec(convBackward(foldSpec(a), filter, g, inShape), a.shape[0]!, a.shape[1]!);
      const biasOf = (a: Tensor | null): Tensor | null => (a && bias ? tf.sum(tf.mul(tf.sum(a, [3, 4]), bias), 2) : null);
      return { inputs: [mapCoefficients({ lA: ctx.lA, uA: ctx.uA }, back), null, null], lBias: biasOf(ctx.lA), uBias: biasOf(ctx.uA) };
    });
  },
});
