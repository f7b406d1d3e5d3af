/**
 * PGD for adversarial training (Madry et al. 2018, "Towards Deep Learning Models Resistant to Adversarial
 * Attacks", https://arxiv.org/abs/1706.06083): a uniform random start in the ε-ball, then `steps` steps of size
 * α (default 2.5·ε/steps, Madry's rule) along the sign (L∞) or normalised (L2) cross-entropy gradient, projected
 * each time. Norms: linf, l2. Needs input gradients (the engine's).
 * @example await createPgdTrainingAttack({ steps: 7 }).craft(x, y, n, { engine, norm: 'linf', epsilon: 0.3, bounds: [0, 1], random })
 */
import { z } from 'zod';
import { ascend, defineTrainingAttack, project, randomStart, type TrainingAttack } from './define.js';

export const pgdTrainingSchema = z
  .object({
    steps: z.number().int().min(1).max(1000).default(7),
    /** Step size as a multiple of ε (default 2.5/steps). */
    stepFactor: z.number().positive().optional(),
    randomStart: z.boolean().default(true),
  })
  .strict();

export function createPgdTrainingAttack(input: z.input<typeof pgdTrainingSchema> = {}): TrainingAttack {
  const options = pgdTrainingSchema.parse(input);
  return defineTrainingAttack({
    id: 'pgd',
    title: `PGD-${options.steps}`,
    paper: 'Madry et al. 2018, https://arxiv.org/abs/1706.06083',
    async craft(x, labels, count, { engine, norm, epsilon, bounds, random }) {
      if (epsilon === 0) return Float32Array.from(x);
      const alpha = (options.stepFactor ?? 2.5 / options.steps) * epsilon;
      const adv = options.randomStart ? randomStart(x, count, norm, epsilon, bounds, random) : Float32Array.from(x);
      for (let s = 0; s < options.steps; s++) {
        const { gradient } = await engine.inputGradient(adv, labels, count);
        ascend(adv, gradient, count, norm, alpha);
        project(adv, x, count, norm, epsilon, bounds);
      }
      return adv;
    },
  });
}
