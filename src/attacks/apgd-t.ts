/**
 * APGD-T: Auto-PGD on the targeted DLR loss −(z_y − z_t)/(z_π1 − (z_π3 + z_π4)/2), AutoAttack's second attack.
 *
 * Two modes:
 * - untargeted goal (how AutoAttack and the `autoattack` cascade use it): for each of the `targetClasses` (default 9)
 *   most likely wrong classes of every sample, ranked on the clean input, run a targeted APGD on the samples not
 *   yet misclassified; **any** misclassification counts as success. So for an untargeted goal APGD-T is an
 *   untargeted attack that uses targeted losses to search.
 * - targeted goal (the harness supplies `input.targets`): one targeted APGD towards exactly those targets;
 *   success is the target class.
 *
 * Paper: F. Croce and M. Hein, "Reliable evaluation of adversarial robustness with an ensemble of diverse
 * parameter-free attacks", ICML 2020, https://arxiv.org/abs/2003.01690 (Section 4; the algorithm lives in
 * `apgd.ts`). Needs at least 4 classes. Norms: l∞, l2. Knowledge: gradients.
 * Cost: up to `targetClasses` × `restarts` × `steps` gradient queries per sample still robust.
 *
 * @example
 * ```ts
 * const report = await runAttacks({ model, data, attacks: [{ id: 'apgd-t', options: { targetClasses: 9 } }], norm: 'linf', epsilons: [0.1, 0.2, 0.3] });
 * report.attacks[0].results.map((r) => r.robustAccuracy);
 * // builtin:mnist-cnn, first 200 mnist:test digits (clean 0.965), seed 0: [0.49, 0, 0]
 * ```
 */
import { defineAttack } from './define.js';
import { apgdTargetedOptionsSchema, runApgdTargeted } from './apgd.js';

export const apgdT = defineAttack({
  id: 'apgd-t',
  title: 'APGD-T (Auto-PGD, targeted DLR over the top-k classes)',
  paper: 'Croce & Hein 2020, Reliable evaluation of adversarial robustness with an ensemble of diverse parameter-free attacks, ICML — https://arxiv.org/abs/2003.01690',
  norms: ['linf', 'l2'],
  requires: 'gradients',
  kind: 'fixed-epsilon',
  targeted: true,
  options: apgdTargetedOptionsSchema,
  run: (input, context, options) => runApgdTargeted('apgd-t', input, context, options),
});
