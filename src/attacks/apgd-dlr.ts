/**
 * APGD-DLR: Auto-PGD on the Difference of Logits Ratio loss −(z_y − max_{j≠y} z_j)/(z_π1 − z_π3), which is
 * invariant to shifts and rescaling of the logits and so not fooled by saturated or badly scaled softmax outputs.
 *
 * Paper: F. Croce and M. Hein, "Reliable evaluation of adversarial robustness with an ensemble of diverse
 * parameter-free attacks", ICML 2020, https://arxiv.org/abs/2003.01690 (the DLR loss is Section 4; the algorithm,
 * shared with APGD-CE, lives in `apgd.ts`). Needs at least 3 classes.
 * Norms: l∞, l2. Knowledge: gradients. Untargeted only (the targeted DLR variant is `apgd-t`).
 *
 * @example
 * ```ts
 * const report = await runAttacks({ model, data, attacks: [{ id: 'apgd-dlr', options: {} }], norm: 'linf', epsilons: [0.1, 0.2, 0.3] });
 * report.attacks[0].results.map((r) => r.robustAccuracy);
 * // builtin:mnist-cnn, first 200 mnist:test digits (clean 0.965), seed 0: [0.53, 0, 0]
 * ```
 */
import { defineAttack } from './define.js';
import { apgdOptionsSchema, runApgd } from './apgd.js';

export const apgdDlr = defineAttack({
  id: 'apgd-dlr',
  title: 'APGD-DLR (Auto-PGD, difference of logits ratio)',
  paper: 'Croce & Hein 2020, Reliable evaluation of adversarial robustness with an ensemble of diverse parameter-free attacks, ICML — https://arxiv.org/abs/2003.01690',
  norms: ['linf', 'l2'],
  requires: 'gradients',
  kind: 'fixed-epsilon',
  targeted: false,
  options: apgdOptionsSchema,
  run: (input, context, options) => runApgd('apgd-dlr', 'dlr', input, context, options),
});
