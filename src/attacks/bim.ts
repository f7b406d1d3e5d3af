/**
 * BIM — the basic iterative method (iterative FGSM): starting at x, take `steps` steps of size α along the
 * steepest-ascent direction of the loss, projecting back onto the ε-ball and the bounds after each one. It is
 * PGD without the random start; by default α = 1.25·ε/steps, so the path is 1.25·ε long as in the paper's
 * rule N = 1.25·ε/α. Targeted goals descend the loss at the targets.
 *
 * Paper: Kurakin, Goodfellow & Bengio, "Adversarial examples in the physical world", ICLR workshop 2017,
 * https://arxiv.org/abs/1607.02533.
 * Norms: linf (the paper), l2 (iterative FGM). Knowledge: gradients (white-box). Kind: fixed-epsilon.
 * Targeted: yes.
 *
 * @example
 * const report = await runAttacks({ model, data, attacks: [{ id: 'bim', options: { steps: 10 } }], norm: 'linf', epsilons: [0.1] });
 * report.attacks[0].results[0].attackSuccessRate; // builtin:mnist-cnn, 200 test images: see docs/attacks.md
 */
import { z } from 'zod';
import { defineAttack } from './define.js';
import { gradientLossSchema } from './fgsm.js';
import { iterativeGradientAttack } from './pgd.js';

export const bimOptions = z
  .object({
    steps: z.number().int().positive().default(10),
    /** Step size as a fraction of ε; default 1.25 / steps. */
    relStepSize: z.number().positive().optional(),
    loss: gradientLossSchema.default('cross-entropy'),
    /** Stop a batch once every sample has an adversarial iterate. */
    earlyStop: z.boolean().default(true),
  })
  .strict()
  .transform((o) => ({ ...o, relStepSize: o.relStepSize ?? 1.25 / o.steps }));

export const bim = defineAttack({
  id: 'bim',
  title: 'Basic iterative method (BIM, iterative FGSM)',
  paper: 'Kurakin, Goodfellow & Bengio 2017, Adversarial examples in the physical world, https://arxiv.org/abs/1607.02533',
  norms: ['linf', 'l2'],
  requires: 'gradients',
  kind: 'fixed-epsilon',
  targeted: true,
  options: bimOptions,
  run(input, context, options) {
    return iterativeGradientAttack(input, context, {
      steps: options.steps,
      stepSize: options.relStepSize * input.threat.epsilon,
      schedule: 'constant',
      milestones: [],
      randomStart: false,
      restarts: 1,
      loss: options.loss,
      l1Sparsity: 0.99,
      earlyStop: options.earlyStop,
    });
  },
});
