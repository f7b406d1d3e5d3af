/**
 * Any registered attack under tabular feature constraints (src/threat/feature-constraints.ts): the attack sees
 * zero gradients on immutable features, and its proposal is projected onto the constraints inside the L∞ ε-ball
 * before the harness checks, projects (a no-op then) and re-verifies it. The wrapped attack keeps its options and
 * its knowledge; its id gets a `+constraints` suffix.
 *
 * @example
 * const attack = withFeatureConstraints(attackRegistry.get('pgd'), featureConstraints(spec));
 * const out = await attackBatch({ model, attack, x, labels, threat: { norm: 'linf', epsilon: 0.1 } });
 * constraintViolations(await out.xAdv.data(), clean, spec); // []
 */
import { tf, type Tensor } from '../engine/tf.js';
import { isDifferentiable, type DifferentiableModel, type LossAndGradient, type Model } from '../engine/model.js';
import type { AnyAttackDefinition } from '../attacks/define.js';
import { RampartError } from '../errors.js';
import { projectToConstraints, type FeatureConstraints } from '../threat/feature-constraints.js';

/** A model whose input gradients are zero on the features where `mask` is 0. */
function maskedGradients(model: Model, mask: Float32Array): Model {
  if (!isDifferentiable(model)) return model;
  const apply = (result: LossAndGradient): LossAndGradient => {
    const gradient = tf.tidy(() => tf.mul(result.gradient, tf.reshape(tf.tensor1d(mask), [1, ...result.gradient.shape.slice(1)])));
    result.gradient.dispose();
    return { ...result, gradient };
  };
  const masked: DifferentiableModel = {
    id: model.id,
    format: model.format,
    inputShape: model.inputShape,
    numClasses: model.numClasses,
    bounds: model.bounds,
    logits: (x) => model.logits(x),
    logitsSync: (x) => model.logitsSync(x),
    lossAndGradient: async (x, labels, loss, targets) => apply(await model.lossAndGradient(x, labels, loss, targets)),
    lossAndGradientSync: (x, labels, loss, targets) => apply(model.lossAndGradientSync(x, labels, loss, targets)),
    dispose: () => undefined,
  };
  return masked;
}

export function withFeatureConstraints(definition: AnyAttackDefinition, spec: FeatureConstraints): AnyAttackDefinition {
  const needsLinf = spec.grid.length > 0 || spec.categorical.length > 0;
  const norms = needsLinf ? definition.norms.filter((n) => n === 'linf') : definition.norms;
  if (norms.length === 0) {
    throw new RampartError('BAD_OPTION', `withFeatureConstraints: grid and categorical constraints need the linf norm, which attack "${definition.id}" does not support. Use an L∞ attack (pgd, fgsm, apgd-ce, square, ...).`, {});
  }
  const mask = new Float32Array(spec.features).fill(1);
  for (const j of spec.immutable) mask[j] = 0;
  return {
    ...definition,
    id: `${definition.id}+constraints`,
    title: `${definition.title} under feature constraints`,
    norms,
    async run(input, context, options) {
      const features = input.x.shape.slice(1).reduce((a, b) => a * b, 1);
      if (features !== spec.features) {
        throw new RampartError('DATA_SHAPE_MISMATCH', `withFeatureConstraints: the constraints describe ${spec.features} features but the samples have ${features}.`, {});
      }
      const proposal: Tensor = await definition.run(input, { ...context, model: maskedGradients(context.model, mask) }, options);
      const values = (await proposal.data()) as Float32Array;
      const clean = (await input.x.data()) as Float32Array;
      if (proposal !== input.x) proposal.dispose();
      const epsilon = input.threat.norm === 'linf' ? input.threat.epsilon : Infinity;
      const projected = projectToConstraints(values, clean, spec, { epsilon, bounds: input.threat.bounds });
      return tf.tensor(projected, input.x.shape, 'float32');
    },
  };
}
