/**
 * Reshape with a constant target shape that keeps the batch axis: the first target entry may be the batch size,
 * −1, 0 or 1 (a graph exported with batch 1); the rest (0 = copy, −1 = infer) reshapes each sample.
 */
import { tf } from '../../../engine/tf.js';
import { defineBoundRule } from '../define.js';
import { mapCoefficients, tidy } from '../linear.js';

/** The per-sample target shape of a Reshape for an input of shape [N, ...sample]. */
export function sampleTarget(target: readonly number[], inputShape: readonly number[]): number[] {
  const sample = inputShape.slice(1);
  const numel = sample.reduce((a, b) => a * b, 1);
  const rest = target.slice(1).map((d, i) => (d === 0 ? inputShape[i + 1]! : d));
  const known = rest.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
  const resolved = rest.map((d) => (d === -1 ? numel / known : d));
  const first = target[0];
  const ok = resolved.every((d) => Number.isInteger(d) && d >= 0) && resolved.reduce((a, b) => a * b, 1) === numel &&
    (first === -1 || first === 0 || first === 1 || first === inputShape[0]);
  if (!ok) throw new Error(`Reshape to [${target.join(', ')}] does not keep the batch axis of [${inputShape.join(', ')}]`);
  return resolved;
}

export const reshapeRule = defineBoundRule({
  opType: 'Reshape',
  affine: true,
  exact: true,
  check(_node, _attrs, perturbed) {
    return perturbed[0] && !perturbed[1] ? [] : ['only a constant target shape is supported'];
  },
  ibp(ctx) {
    return tidy(() => {
      const x = ctx.inputs[0]!;
      const shape = [x.lower.shape[0]!, ...sampleTarget(ctx.constants[1]!.values, x.lower.shape)];
      return { lower: tf.reshape(x.lower, shape), upper: tf.reshape(x.upper, shape) };
    });
  },
  crown(ctx) {
    return tidy(() => {
      const inSample = ctx.inputs[0]!.lower.shape.slice(1);
      return { inputs: [mapCoefficients({ lA: ctx.lA, uA: ctx.uA }, (a) => tf.reshape(a, [a.shape[0]!, a.shape[1]!, ...inSample])), null], lBias: null, uBias: null };
    });
  },
});
