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
 * const attack = attackRegistry.get('apgd-dlr');
 * const xAdv = await attack.run({ x, labels, threat: threatModel({ norm: 'linf', epsilon: 0.3 }) },
 *   { model, random: createRandom(0) }, attack.options.parse({}));
 * // builtin:mnist-cnn, 200 mnist:test images: robust accuracy 97.5% (ε=0.1), 81% (ε=0.2), 16% (ε=0.3)
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
