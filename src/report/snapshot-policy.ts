/**
 * The snapshot-validation policy (`rampart validate-snapshot --policy policy.yaml`): which checks a candidate
 * model must pass, each with an absolute threshold and/or change thresholds against the champion, in the
 * semantics of TFX Evaluator "blessing" (value_threshold + change_threshold with a direction) and MLflow
 * `MetricThreshold` (threshold, min_absolute_change, min_relative_change, greater_is_better):
 *
 * - `threshold`: the candidate's value must be ≥ it (higher-is-better metrics) or ≤ it (lower-is-better).
 * - `minAbsoluteChange`: the candidate must beat the champion by at least this much in the better direction:
 *   candidate − champion ≥ minAbsoluteChange (higher-is-better) or champion − candidate ≥ minAbsoluteChange.
 *   A negative value tolerates a regression of at most |value| (e.g. −0.01 = "lose at most one point").
 * - `minRelativeChange`: the same, relative to the champion's value: improvement / |champion| ≥ it.
 * - `greaterIsBetter`: overrides the metric's direction (accuracies and AUROC higher, ECE lower).
 *
 * A check without a champion evaluates only its `threshold` (change thresholds are reported as not evaluated,
 * as in TFX without a baseline). Every key is validated by zod; problems are reported per field (exit 2).
 *
 * @example
 * const policy = parsePolicy(fs.readFileSync('policy.yaml', 'utf8'), 'policy.yaml');
 * policy.checks.map((c) => c.metric); // ['accuracy', 'corruptionAccuracy', 'oodAuroc', 'robustAccuracy']
 */
import { z } from 'zod';
import YAML from 'yaml';
import { RampartError } from '../errors.js';
import { corruptionRegistry } from '../corruptions/builtin.js';
import { attackRegistry } from '../attacks/builtin.js';

const fraction = z.number().min(0).max(1);
const samples = z.number().int().min(1).optional();
const thresholds = {
  /** Short name of the check in the blessing record (default: the metric). */
  name: z.string().min(1).optional(),
  threshold: z.number().finite().optional(),
  minAbsoluteChange: z.number().finite().optional(),
  minRelativeChange: z.number().finite().optional(),
  greaterIsBetter: z.boolean().optional(),
  /** Samples of the check (default: the policy's samples). */
  samples,
};

const accuracyCheck = z.object({ metric: z.literal('accuracy'), ...thresholds }).strict();
const corruptionCheck = z
  .object({
    metric: z.literal('corruptionAccuracy'),
    ...thresholds,
    corruptions: z.array(z.string().min(1)).min(1).default(['shot-noise', 'motion-blur', 'fog', 'rotate']),
    severity: z.number().int().min(1).max(5).default(3),
  })
  .strict();
const oodCheck = z
  .object({
    metric: z.literal('oodAuroc'),
    ...thresholds,
    /** noise (clip(N(0.5, 1))), uniform (U[0, 1]), or a data spec (e.g. fashion-mnist:test). */
    set: z.string().min(1).default('noise'),
    score: z.enum(['msp', 'max-logit', 'energy']).default('msp'),
  })
  .strict();
const robustnessCheck = z
  .object({
    metric: z.literal('robustAccuracy'),
    ...thresholds,
    attack: z.string().min(1).default('pgd'),
    norm: z.enum(['linf', 'l2', 'l1']).default('linf'),
    epsilon: z.number().default(0.1),
    steps: z.number().int().min(1).default(10),
    samples: z.number().int().min(1).default(100),
  })
  .strict();
const eceCheck = z.object({ metric: z.literal('ece'), ...thresholds, bins: z.number().int().min(1).max(1000).default(15) }).strict();

export const policyCheckSchema = z.discriminatedUnion('metric', [accuracyCheck, corruptionCheck, oodCheck, robustnessCheck, eceCheck]);
export type PolicyCheck = z.output<typeof policyCheckSchema>;

export const policySchema = z
  .object({
    /** Holdout samples: the first N of --data (default 500). */
    samples: z.number().int().min(1).default(500),
    seed: z.number().int().min(0).default(0),
    batchSize: z.number().int().min(1).default(256),
    checks: z.array(policyCheckSchema).min(1, 'give at least one check'),
  })
  .strict();
export type SnapshotPolicy = z.output<typeof policySchema>;

/** Metric directions when the policy does not say. */
export const higherIsBetterByMetric: Record<PolicyCheck['metric'], boolean> = {
  accuracy: true,
  corruptionAccuracy: true,
  oodAuroc: true,
  robustAccuracy: true,
  ece: false,
};

const where = (path: (string | number)[]) => path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('') || '(policy)';

/** Checks a parsed policy object; throws RampartError('BAD_OPTION') listing every problem by field. */
export function validatePolicy(value: unknown, source = 'policy'): SnapshotPolicy {
  const parsed = policySchema.safeParse(value);
  const issues: string[] = parsed.success ? [] : parsed.error.issues.map((i) => `${where(i.path)}: ${i.message}`);
  if (parsed.success) {
    parsed.data.checks.forEach((check, k) => {
      if (check.threshold === undefined && check.minAbsoluteChange === undefined && check.minRelativeChange === undefined) {
        issues.push(`checks[${k}]: give at least one of threshold, minAbsoluteChange, minRelativeChange`);
      }
      if (check.metric === 'corruptionAccuracy') {
        check.corruptions.forEach((id, i) => {
          if (!corruptionRegistry.has(id)) issues.push(`checks[${k}].corruptions[${i}]: unknown corruption "${id}"; available: ${corruptionRegistry.ids().join(', ')}`);
        });
      }
      if (check.metric === 'robustAccuracy') {
        if (!attackRegistry.has(check.attack)) issues.push(`checks[${k}].attack: unknown attack "${check.attack}"; available: ${attackRegistry.ids().join(', ')}`);
        if (!(check.epsilon > 0) || (check.norm === 'linf' && check.epsilon > 1)) issues.push(`checks[${k}].epsilon: ε = ${check.epsilon} is impossible for ${check.norm}; give ε > 0${check.norm === 'linf' ? ' and ≤ 1 (inputs lie in [0, 1])' : ''}`);
      }
      if (check.metric !== 'ece' && check.threshold !== undefined && fraction.safeParse(check.threshold).success === false) {
        issues.push(`checks[${k}].threshold: ${check.metric} is a fraction in [0, 1]; got ${check.threshold}`);
      }
    });
  }
  if (issues.length) throw new RampartError('BAD_OPTION', `${source} has ${issues.length} problem${issues.length > 1 ? 's' : ''}:\n  ${issues.join('\n  ')}`, { issues });
  return parsed.success ? parsed.data : (undefined as never);
}

/** Parses a YAML (or JSON) policy text. */
export function parsePolicy(text: string, source = 'policy'): SnapshotPolicy {
  let value: unknown;
  try {
    value = YAML.parse(text);
  } catch (e) {
    throw new RampartError('BAD_OPTION', `${source} is not valid YAML: ${(e as Error).message.split('\n')[0]}`);
  }
  return validatePolicy(value, source);
}
