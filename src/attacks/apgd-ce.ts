/**
 * APGD-CE: Auto-PGD on the cross-entropy loss, the first attack of AutoAttack's standard cascade.
 *
 * Paper: F. Croce and M. Hein, "Reliable evaluation of adversarial robustness with an ensemble of diverse
 * parameter-free attacks", ICML 2020, https://arxiv.org/abs/2003.01690. The algorithm (step size 2ε halved at
 * the checkpoints of the paper, momentum 0.75, restarts from the best point) lives in `apgd.ts`.
 * Norms: l∞, l2. Knowledge: gradients. Targeted goals: yes — with harness-chosen targets it descends the
 * cross-entropy towards the target class and succeeds only on it.
 *
 * @example
 * ```ts
 * const report = await runAttacks({ model, data, attacks: [{ id: 'apgd-ce', options: { steps: 100 } }], norm: 'linf', epsilons: [0.1, 0.2, 0.3] });
 * report.attacks[0].results.map((r) => r.robustAccuracy);
 * // builtin:mnist-cnn, first 200 mnist:test digits (clean 0.965), seed 0: [0.49, 0, 0]
 * ```
 */
import { defineAttack } from './define.js';
import { apgdOptionsSchema, runApgd } from './apgd.js';

export const apgdCe = defineAttack({
  id: 'apgd-ce',
  title: 'APGD-CE (Auto-PGD, cross-entropy)',
  paper: 'Croce & Hein 2020, Reliable evaluation of adversarial robustness with an ensemble of diverse parameter-free attacks, ICML — https://arxiv.org/abs/2003.01690',
  norms: ['linf', 'l2'],
  requires: 'gradients',
  kind: 'fixed-epsilon',
  targeted: true,
  options: apgdOptionsSchema,
  run: (input, context, options) => runApgd('apgd-ce', 'cross-entropy', input, context, options),
});
