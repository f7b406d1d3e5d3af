/**
 * Learning-rate schedules and linear ramps (for curriculum ε, IBP's ε and κ), as pure functions of the step.
 * - constant; step (× gamma every `every` epochs); cosine (Loshchilov & Hutter 2017, SGDR without restarts,
 *   https://arxiv.org/abs/1608.03983) from the peak to 0; one-cycle (Smith & Topin 2017,
 *   https://arxiv.org/abs/1708.07120: linear warm-up from peak/25 to the peak over `warmup` of the steps,
 *   then linear decay to 0 — the piecewise-linear form Wong et al. 2020 use for FGSM-RS).
 * @example learningRateAt({ kind: 'cosine' }, 1e-3, 50, 100, 10) // 5e-4
 */
import { z } from 'zod';

export const scheduleSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('constant') }).strict(),
  z.object({ kind: z.literal('step'), every: z.number().int().positive().default(10), gamma: z.number().positive().max(1).default(0.1) }).strict(),
  z.object({ kind: z.literal('cosine') }).strict(),
  z.object({ kind: z.literal('one-cycle'), warmup: z.number().min(0).max(1).default(0.4) }).strict(),
]);
export type Schedule = z.output<typeof scheduleSchema>;
export type ScheduleInput = z.input<typeof scheduleSchema>;

/** Learning rate at `step` (0-based) of `totalSteps`, with `stepsPerEpoch` steps in an epoch. */
export function learningRateAt(schedule: Schedule, peak: number, step: number, totalSteps: number, stepsPerEpoch: number): number {
  const t = totalSteps > 0 ? Math.min(1, step / totalSteps) : 0;
  switch (schedule.kind) {
    case 'constant':
      return peak;
    case 'step':
      return peak * schedule.gamma ** Math.floor(step / stepsPerEpoch / schedule.every);
    case 'cosine':
      return 0.5 * peak * (1 + Math.cos(Math.PI * t));
    case 'one-cycle': {
      const w = schedule.warmup;
      const start = peak / 25;
      if (w > 0 && t < w) return start + (peak - start) * (t / w);
      return peak * Math.max(0, (1 - t) / (1 - w || 1));
    }
  }
}

/** Linear ramp from `from` to `to` over [start, end) (fractions of training in [0, 1]); flat outside. */
export const rampSchema = z
  .object({
    from: z.number().min(0).default(0),
    /** Fraction of training where the ramp starts. */
    start: z.number().min(0).max(1).default(0),
    /** Fraction of training where the ramp reaches its target. */
    end: z.number().min(0).max(1).default(0.3),
  })
  .strict();
export type Ramp = z.output<typeof rampSchema>;

export function rampValue(ramp: Ramp | undefined, target: number, progress: number): number {
  if (!ramp) return target;
  if (progress <= ramp.start) return ramp.from;
  if (progress >= ramp.end || ramp.end <= ramp.start) return target;
  return ramp.from + ((target - ramp.from) * (progress - ramp.start)) / (ramp.end - ramp.start);
}
