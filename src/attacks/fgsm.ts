/**
 * FGSM / FGM — the fast gradient (sign) method: one step of size ε along the steepest-ascent direction of the
 * loss, x_adv = clip(x + ε · steepest(∇ₓ L(x, y))). For L∞ the step is ε·sign(∇) (FGSM); for L2 it is
 * ε·∇/‖∇‖₂ (FGM). Targeted: one step *down* the loss taken w.r.t. the target labels.
 *
 * Paper: Goodfellow, Shlens & Szegedy, "Explaining and Harnessing Adversarial Examples", ICLR 2015,
 * https://arxiv.org/abs/1412.6572 (FGM for other norms: Miyato et al. 2016, https://arxiv.org/abs/1605.07725).
 * Norms: linf, l2. Knowledge: gradients (white-box). Kind: fixed-epsilon. Targeted: yes.
 *
 * @example
 * const report = await runAttacks({ model, data, attacks: [{ id: 'fgsm' }], norm: 'linf', epsilons: [0.1, 0.2] });
 * report.attacks[0].results.map((r) => r.robustAccuracy); // builtin:mnist-cnn, 200 test images: see docs/attacks.md
 */
import { z } from 'zod';
import { tf, type Tensor, type Tensor1D, type Tensor2D } from '../engine/tf.js';
import type { LossName } from '../engine/losses.js';
import type { DifferentiableModel } from '../engine/model.js';
import { normOps, clipToBounds } from '../threat/norms.js';
import { defineAttack, type AttackInput } from './define.js';

/** Losses a gradient attack may follow; targeted goals map them as the losses module's header says. */
export const gradientLossSchema = z.enum(['cross-entropy', 'cw-margin', 'dlr']);
export type GradientLoss = z.infer<typeof gradientLossSchema>;

/** What to differentiate for an attack input: the loss, its label arguments, and +1 to ascend or −1 to descend. */
export interface Objective {
  loss: LossName;
  labels: Int32Array;
  targets?: Int32Array;
  sign: 1 | -1;
}

/**
 * The objective for an input: untargeted attacks ascend the loss at the true labels; targeted attacks descend
 * cross-entropy / cw-margin at the targets, or ascend dlr-targeted (true labels and targets).
 */
export function objectiveFor(input: AttackInput, loss: GradientLoss): Objective {
  if (!input.targets) return { loss, labels: input.labels, sign: 1 };
  if (loss === 'dlr') return { loss: 'dlr-targeted', labels: input.labels, targets: input.targets, sign: 1 };
  return { loss, labels: input.targets, sign: -1 };
}

/**
 * Gradient of sign · loss at x (the ascent direction of the objective), with the logits of that forward pass.
 * The caller owns both tensors.
 */
export async function objectiveGradient(model: DifferentiableModel, x: Tensor, objective: Objective): Promise<{ gradient: Tensor; logits: Tensor2D; loss: Float32Array }> {
  const labels = tf.tensor1d(objective.labels, 'int32') as Tensor1D;
  const targets = objective.targets ? (tf.tensor1d(objective.targets, 'int32') as Tensor1D) : undefined;
  try {
    const result = await model.lossAndGradient(x, labels, objective.loss, targets);
    const loss = (await result.loss.data()) as Float32Array;
    result.loss.dispose();
    if (objective.sign === 1) return { gradient: result.gradient, logits: result.logits, loss };
    const gradient = tf.neg(result.gradient);
    result.gradient.dispose();
    return { gradient, logits: result.logits, loss: loss.map((v) => -v) };
  } finally {
    labels.dispose();
    targets?.dispose();
  }
}

/** Whether each row of logits is adversarial for the input (argmax ≠ label, or argmax = target). */
export function adversarialRows(logits: Float32Array, classes: number, input: Pick<AttackInput, 'labels' | 'targets'>): Uint8Array {
  const n = input.labels.length;
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let c = 1; c < classes; c++) if (logits[i * classes + c] > logits[i * classes + best]) best = c;
    out[i] = input.targets ? Number(best === input.targets[i]) : Number(best !== input.labels[i]);
  }
  return out;
}

export const fgsmOptions = z
  .object({
    /** Loss whose gradient gives the step direction. */
    loss: gradientLossSchema.default('cross-entropy'),
  })
  .strict();

export const fgsm = defineAttack({
  id: 'fgsm',
  title: 'Fast gradient sign method (FGSM; FGM for L2)',
  paper: 'Goodfellow, Shlens & Szegedy 2015, Explaining and Harnessing Adversarial Examples, https://arxiv.org/abs/1412.6572',
  norms: ['linf', 'l2'],
  requires: 'gradients',
  kind: 'fixed-epsilon',
  targeted: true,
  options: fgsmOptions,
  async run(input, { model }, options) {
    const { gradient, logits } = await objectiveGradient(model, input.x, objectiveFor(input, options.loss));
    logits.dispose();
    const { norm, epsilon, bounds } = input.threat;
    const adversarial = tf.tidy(() => clipToBounds(tf.add(input.x, normOps[norm].steepest(gradient, epsilon)), bounds));
    gradient.dispose();
    return adversarial;
  },
});
