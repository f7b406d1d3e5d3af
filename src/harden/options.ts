/**
 * The options of one hardening run (`hardenClassifier`, `rampart harden`, each `rampart sweep` grid point), as
 * one zod schema: the single source of types, defaults and per-field validation for the library, the CLI flags
 * and the YAML config.
 */
import { z } from 'zod';
import { optimizerSchema } from './optimizer.js';
import { rampSchema, scheduleSchema } from './schedules.js';

export const adversarialSchema = z
  .object({
    /** none | pgd (Madry) | fgsm-rs (Wong) | fgsm | trades (Zhang) | ensemble (attacks picked per batch). */
    method: z.enum(['none', 'pgd', 'fgsm-rs', 'fgsm', 'trades', 'ensemble']).default('none'),
    norm: z.enum(['linf', 'l2']).default('linf'),
    epsilon: z.number().min(0).default(0.3),
    /** PGD / TRADES inner steps. */
    steps: z.number().int().min(1).max(1000).default(7),
    /** Step size as a multiple of ε (PGD default 2.5/steps; FGSM-RS 1.25). */
    stepFactor: z.number().positive().optional(),
    /** TRADES' β (weight of the KL robustness term). */
    beta: z.number().min(0).default(6),
    /** Ensemble adversarial training: attacks to pick from, one per batch (ids pgd, pgd:STEPS, fgsm-rs, fgsm). */
    attacks: z.array(z.string()).min(1).default(['pgd:3', 'fgsm-rs', 'fgsm']),
    /** Curriculum ε: linear ramp (fractions of training) to `epsilon`. */
    ramp: rampSchema.optional(),
    /** Weight of the adversarial loss in the batch objective (1 = adversarial only, 0.5 = half clean). */
    mix: z.number().min(0).max(1).default(1),
  })
  .strict();

export const certifiedSchema = z
  .object({
    method: z.enum(['ibp', 'crown-ibp']),
    epsilon: z.number().positive(),
    /** ε ramp (fractions of training): ε grows linearly from 0 over [start, end). */
    ramp: rampSchema.default({ from: 0, start: 0.05, end: 0.5 }),
    /** κ: weight of the clean loss, ramped from `kappaStart` to `kappaEnd` over the ε ramp. */
    kappaStart: z.number().min(0).max(1).default(1),
    kappaEnd: z.number().min(0).max(1).default(0.5),
    /** CROWN-IBP: β (weight of the CROWN bound in the mix with IBP) ramps from 1 to 0 over the ε ramp. */
  })
  .strict();

export const evaluationSchema = z
  .object({
    /** Held-out samples attacked each epoch (a fixed subset of the validation data). */
    robustSamples: z.number().int().min(0).default(500),
    /** PGD-k steps of the per-epoch robust accuracy. */
    steps: z.number().int().min(1).default(10),
    restarts: z.number().int().min(1).default(1),
    /** ε of the evaluation (default: the training ε, adversarial or certified). */
    epsilon: z.number().min(0).optional(),
    norm: z.enum(['linf', 'l2']).optional(),
  })
  .strict();

export const hardenOptionsSchema = z
  .object({
    epochs: z.number().int().min(1).max(10_000).default(10),
    batchSize: z.number().int().min(1).max(8192).default(128),
    learningRate: z.number().positive().max(10).default(1e-3),
    optimizer: optimizerSchema.default({}),
    schedule: scheduleSchema.default({ kind: 'cosine' }),
    seed: z.number().int().min(0).default(0),
    /** Gradient engine: ort (ONNX Runtime backward graphs), tfjs, or auto (ort when the objective allows). */
    engine: z.enum(['auto', 'ort', 'tfjs']).default('auto'),
    adversarial: adversarialSchema.default({}),
    certified: certifiedSchema.optional(),
    augment: z.array(z.object({ id: z.string(), options: z.record(z.unknown()).optional() }).strict()).default([]),
    labelSmoothing: z.number().min(0).max(0.99).default(0),
    evaluation: evaluationSchema.default({}),
    /**
     * Checkpoint selection: robust | clean | last | verified (certified training: IBP-verified accuracy on the
     * validation data at the evaluation ε) | weighted:W (W·robust + (1−W)·clean).
     */
    select: z
      .string()
      .regex(/^(robust|clean|last|verified|weighted:(0(\.\d+)?|1(\.0+)?))$/, 'use robust, clean, last, verified or weighted:W with W in [0, 1]')
      .default('robust'),
    /** Robust early stopping: stop after this many epochs without a better selection score (0 = off). */
    patience: z.number().int().min(0).default(0),
    /** Catastrophic-overfitting detection (FGSM methods): PGD accuracy drop that fires it. */
    overfittingDrop: z.number().min(0).max(1).default(0.2),
    /** Probe catastrophic overfitting every this many batches (0 = at epoch ends only). */
    overfittingEvery: z.number().int().min(0).default(0),
  })
  .strict();
export type HardenOptions = z.output<typeof hardenOptionsSchema>;
export type HardenOptionsInput = z.input<typeof hardenOptionsSchema>;

/** Score of an epoch for checkpoint selection. */
export function selectionScore(select: string, clean: number, robust: number | undefined, epoch: number, verified?: number): number {
  if (select === 'last') return epoch;
  if (select === 'clean') return clean;
  if (select === 'robust') return robust ?? clean;
  if (select === 'verified') return verified ?? robust ?? clean;
  const w = Number(select.slice('weighted:'.length));
  return w * (robust ?? clean) + (1 - w) * clean;
}
