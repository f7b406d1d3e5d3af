/**
 * A threat model is a value: which norm bounds the perturbation, how large it may be, what the attacker wants
 * (any wrong class, or a chosen target), and the valid input range. It is serialisable (it appears in result
 * files) and validated by one zod schema.
 */
import { z } from 'zod';
import { RampartError } from '../errors.js';

export const norms = ['linf', 'l2', 'l1', 'l0'] as const;
export type Norm = (typeof norms)[number];

/** How targets are chosen for a targeted attack: supplied by the caller, drawn at random, or the least-likely class. */
export const targetSelections = ['given', 'random', 'least-likely'] as const;
export type TargetSelection = (typeof targetSelections)[number];

export const goalSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('untargeted') }),
  z.object({ kind: z.literal('targeted'), targets: z.enum(targetSelections) }),
]);
export type Goal = z.infer<typeof goalSchema>;

export const threatModelSchema = z.object({
  norm: z.enum(norms),
  /** Radius of the perturbation ball in `norm` (for l0: the number of input values that may change). */
  epsilon: z.number().nonnegative().finite(),
  goal: goalSchema.default({ kind: 'untargeted' }),
  bounds: z
    .tuple([z.number().finite(), z.number().finite()])
    .default([0, 1])
    .refine(([low, high]) => low < high, 'bounds must satisfy min < max'),
});
export type ThreatModel = z.output<typeof threatModelSchema>;
export type ThreatModelInput = z.input<typeof threatModelSchema>;

export const untargeted: Goal = { kind: 'untargeted' };
export const targeted = (targets: TargetSelection): Goal => ({ kind: 'targeted', targets });

/** Parses and validates a threat model; errors name each bad field. */
export function threatModel(input: ThreatModelInput): ThreatModel {
  const parsed = threatModelSchema.safeParse(input);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || 'threat model'}: ${i.message}`).join('; ');
    throw new RampartError('BAD_OPTION', `Invalid threat model: ${issues}.`, { issues: parsed.error.issues });
  }
  return parsed.data;
}

export function isTargeted(goal: Goal): goal is { kind: 'targeted'; targets: TargetSelection } {
  return goal.kind === 'targeted';
}
