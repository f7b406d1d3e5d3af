/**
 * PGD — projected gradient descent on the loss: from a random point of the ε-ball (or x itself), repeat
 * x ← Π_{B(x₀, ε) ∩ bounds}(x + α_t · steepest(∇ₓ L)), where `steepest` is the norm's steepest-ascent step
 * (sign for L∞, normalised gradient for L2, a sparse step on the top coordinates for L1 as in Tramèr & Boneh's
 * SLIDE, skipping coordinates pinned at a bound). Restarts draw new random starts and keep, per sample, the
 * first iterate found adversarial (else the one with the highest loss). Step-size schedules: constant, ×0.1 at
 * set fractions of the steps, or cosine decay. Targeted goals descend the loss at the targets (losses.ts).
 *
 * Papers: Madry, Makelov, Schmidt, Tsipras & Vladu, "Towards Deep Learning Models Resistant to Adversarial
 * Attacks", ICLR 2018, https://arxiv.org/abs/1706.06083; sparse L1 steps: Tramèr & Boneh, "Adversarial Training
 * and Robustness for Multiple Perturbations", NeurIPS 2019, https://arxiv.org/abs/1904.13000.
 * Norms: linf, l2, l1. Knowledge: gradients (white-box). Kind: fixed-epsilon. Targeted: yes.
 * Defaults: 40 steps, α = 2.5·ε/steps (Madry et al.'s rule), random start, 1 restart, cross-entropy.
 *
 * @example
 * const report = await runAttacks({ model, data, attacks: [{ id: 'pgd', options: { steps: 40 } }], norm: 'linf', epsilons: [0.1, 0.3] });
 * report.attacks[0].results[1].robustAccuracy; // builtin:mnist-cnn, 200 test images: 0 (see docs/attacks.md)
 */
import { z } from 'zod';
import { tf, type Tensor, type Tensor2D } from '../engine/tf.js';
import { losses } from '../engine/losses.js';
import type { DifferentiableModel } from '../engine/model.js';
import { normOps, projectToThreat } from '../threat/norms.js';
import { defineAttack, type AttackContext, type AttackInput } from './define.js';
import { blendRows } from './rows.js';
import { adversarialRows, gradientLossSchema, objectiveFor, objectiveGradient, type GradientLoss, type Objective } from './fgsm.js';

export const stepSchedules = ['constant', 'step', 'cosine'] as const;
export type StepSchedule = (typeof stepSchedules)[number];

/** Everything the iterative gradient loop needs, with sizes already resolved. */
export interface IterativeSettings {
  steps: number;
  /** Base step size α (absolute, in input units). */
  stepSize: number;
  schedule: StepSchedule;
  /** Fractions of the steps at which the 'step' schedule multiplies α by 0.1. */
  milestones: readonly number[];
  randomStart: boolean;
  restarts: number;
  loss: GradientLoss;
  /** Fraction of coordinates an L1 step leaves untouched. */
  l1Sparsity: number;
  /** Stop once every sample of the batch has an adversarial iterate. */
  earlyStop: boolean;
}

/** Step size at step t (0-based) of `steps` under a schedule. */
export function scheduledStepSize(base: number, t: number, steps: number, schedule: StepSchedule, milestones: readonly number[]): number {
  if (schedule === 'constant') return base;
  if (schedule === 'cosine') return base * 0.5 * (1 + Math.cos((Math.PI * t) / steps));
  let factor = 1;
  for (const m of milestones) if (t >= Math.round(m * steps)) factor *= 0.1;
  return base * factor;
}

/** Objective value (the quantity the attack ascends) from logits, per sample. */
function objectiveValues(logits: Tensor2D, objective: Objective): Float32Array {
  return tf.tidy(() => {
    const labels = tf.tensor1d(objective.labels, 'int32');
    const targets = objective.targets ? tf.tensor1d(objective.targets, 'int32') : undefined;
    const value = losses[objective.loss](logits, labels, targets);
    return (objective.sign === 1 ? value : tf.neg(value)).dataSync() as Float32Array;
  });
}

/** Zeroes gradient coordinates that would push a value pinned at a bound further out (sparse L1 steps). */
function maskPinned(gradient: Tensor, x: Tensor, bounds: readonly [number, number]): Tensor {
  return tf.tidy(() => {
    const atLow = tf.logicalAnd(tf.lessEqual(x, bounds[0]), tf.less(gradient, 0));
    const atHigh = tf.logicalAnd(tf.greaterEqual(x, bounds[1]), tf.greater(gradient, 0));
    return tf.where(tf.logicalOr(atLow, atHigh), tf.zerosLike(gradient), gradient);
  });
}

/**
 * The projected-gradient loop shared by PGD and BIM. Returns, per sample, the first iterate the model itself
 * classifies as adversarial, else the iterate with the highest objective (the harness re-verifies it).
 */
export async function iterativeGradientAttack(input: AttackInput, context: AttackContext<DifferentiableModel>, settings: IterativeSettings): Promise<Tensor> {
  const { x, threat } = input;
  const { model, random } = context;
  const n = x.shape[0];
  const ops = normOps[threat.norm];
  const objective = objectiveFor(input, settings.loss);
  const found = new Uint8Array(n);
  const bestScore = new Float64Array(n).fill(-Infinity);
  let best = tf.clone(x);
  const allFound = () => found.every((v) => v === 1);

  /** Folds one evaluated iterate into the per-sample best. */
  const consider = (current: Tensor, logits: Float32Array, score: Float32Array): void => {
    const adversarial = adversarialRows(logits, model.numClasses, input);
    const take = new Uint8Array(n);
    let any = false;
    for (let i = 0; i < n; i++) {
      if (found[i]) continue;
      if (adversarial[i]) {
        found[i] = 1;
        take[i] = 1;
      } else if (score[i] > bestScore[i]) {
        bestScore[i] = score[i];
        take[i] = 1;
      }
      if (take[i]) any = true;
    }
    if (!any) return;
    const next = blendRows(take, current, best);
    best.dispose();
    best = next;
  };

  let completed = false;
  try {
    for (let restart = 0; restart < settings.restarts; restart++) {
      if (settings.earlyStop && allFound()) break;
      let current = settings.randomStart
        ? tf.tidy(() => projectToThreat(tf.add(x, ops.randomStart(x.shape, threat.epsilon, random)), x, threat))
        : tf.clone(x);
      try {
        for (let t = 0; t < settings.steps; t++) {
          const { gradient, logits, loss } = await objectiveGradient(model, current, objective);
          const logitValues = (await logits.data()) as Float32Array;
          logits.dispose();
          consider(current, logitValues, loss);
          if (settings.earlyStop && allFound()) {
            gradient.dispose();
            break;
          }
          const alpha = scheduledStepSize(settings.stepSize, t, settings.steps, settings.schedule, settings.milestones);
          const next = tf.tidy(() => {
            const direction = threat.norm === 'l1' ? maskPinned(gradient, current, threat.bounds) : gradient;
            const step = ops.steepest(direction, alpha, { l1Sparsity: settings.l1Sparsity });
            return projectToThreat(tf.add(current, step), x, threat);
          });
          gradient.dispose();
          current.dispose();
          current = next;
        }
        if (!(settings.earlyStop && allFound())) {
          const logits = await model.logits(current);
          const logitValues = (await logits.data()) as Float32Array;
          consider(current, logitValues, objectiveValues(logits, objective));
          logits.dispose();
        }
      } finally {
        current.dispose();
      }
    }
    completed = true;
    return best;
  } finally {
    if (!completed) best.dispose();
  }
}

export const pgdOptions = z
  .object({
    /** Gradient steps per restart. */
    steps: z.number().int().positive().default(40),
    /** Step size as a fraction of ε; default 2.5 / steps (Madry et al.). Ignored when stepSize is set. */
    relStepSize: z.number().positive().optional(),
    /** Absolute step size (input units); overrides relStepSize. */
    stepSize: z.number().positive().optional(),
    /** Step-size schedule: constant, ×0.1 at each milestone fraction ('step'), or cosine decay. */
    schedule: z.enum(stepSchedules).default('constant'),
    /** Fractions of the steps at which the 'step' schedule divides α by 10. */
    milestones: z.array(z.number().gt(0).lt(1)).default([0.5, 0.75]),
    /** Start from a uniform random point of the ε-ball. */
    randomStart: z.boolean().default(true),
    /** Number of runs from independent random starts; the best per sample is kept. */
    restarts: z.number().int().positive().default(1),
    loss: gradientLossSchema.default('cross-entropy'),
    /** L1 only: fraction of coordinates each sparse step leaves untouched (0.99 moves the top 1 %). */
    l1Sparsity: z.number().min(0).lt(1).default(0.99),
    /** Stop a batch once every sample has an adversarial iterate (saves queries; results unchanged). */
    earlyStop: z.boolean().default(true),
  })
  .strict()
  .transform((o) => ({ ...o, relStepSize: o.relStepSize ?? 2.5 / o.steps }));

export type PgdOptions = z.output<typeof pgdOptions>;

export const pgd = defineAttack({
  id: 'pgd',
  title: 'Projected gradient descent (PGD)',
  paper: 'Madry et al. 2018, Towards Deep Learning Models Resistant to Adversarial Attacks, https://arxiv.org/abs/1706.06083',
  norms: ['linf', 'l2', 'l1'],
  requires: 'gradients',
  kind: 'fixed-epsilon',
  targeted: true,
  options: pgdOptions,
  run(input, context, options) {
    return iterativeGradientAttack(input, context, {
      ...options,
      stepSize: options.stepSize ?? options.relStepSize * input.threat.epsilon,
    });
  },
});
