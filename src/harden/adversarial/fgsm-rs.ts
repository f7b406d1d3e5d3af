/**
 * FGSM with a random start ("fast adversarial training", Wong, Rice & Kolter 2020, "Fast is better than free",
 * https://arxiv.org/abs/2001.03994): δ ~ U(−ε, ε), one step of α = 1.25·ε along sign(∇ₓL(x+δ)), projected back
 * to the ε-ball. `randomStart: false` gives plain FGSM (Goodfellow et al. 2015) with α = ε. Cheap (one gradient
 * per example) but prone to catastrophic overfitting — see overfitting.ts, which the loop runs alongside.
 * Norms: linf, l2.
 */
import { z } from 'zod';
import { ascend, defineTrainingAttack, project, randomStart, type TrainingAttack } from './define.js';

export const fgsmTrainingSchema = z
  .object({
    /** Step size as a multiple of ε (Wong et al.: 1.25). */
    stepFactor: z.number().positive().default(1.25),
    randomStart: z.boolean().default(true),
  })
  .strict();

export function createFgsmTrainingAttack(input: z.input<typeof fgsmTrainingSchema> = {}): TrainingAttack {
  const options = fgsmTrainingSchema.parse(input);
  const factor = options.randomStart ? options.stepFactor : 1;
  return defineTrainingAttack({
    id: options.randomStart ? 'fgsm-rs' : 'fgsm',
    title: options.randomStart ? 'FGSM with random start' : 'FGSM',
    paper: 'Wong et al. 2020, https://arxiv.org/abs/2001.03994',
    async craft(x, labels, count, { engine, norm, epsilon, bounds, random }) {
      if (epsilon === 0) return Float32Array.from(x);
      const adv = options.randomStart ? randomStart(x, count, norm, epsilon, bounds, random) : Float32Array.from(x);
      const { gradient } = await engine.inputGradient(adv, labels, count);
      ascend(adv, gradient, count, norm, factor * epsilon);
      project(adv, x, count, norm, epsilon, bounds);
      return adv;
    },
  });
}
