/**
 * Success at a very large ε: with a budget that covers the whole input range (L∞ ε = max − min) every input can
 * be turned into any other, so an attack must reach ~100% success. Anything less means the attack is stuck (masked
 * or vanishing gradients, a bug in the attack or its step size), not that the model is robust.
 * Source: Carlini et al. 2019 checklist ("verify that unbounded attacks reach 100% success").
 * Uses run entries at such an ε; with `active`, runs the evaluated attack (unchanged options) at that ε.
 */
import { z } from 'zod';
import type { Norm } from '../../threat/threat-model.js';
import type { Model } from '../../engine/model.js';
import type { AttackReport } from '../../attacks/harness.js';
import { defineDiagnostic } from './define.js';
import { attackSample, rate, round } from './helpers.js';

/** An ε that covers the whole input range in a norm. */
export function unboundedEpsilon(model: Model, norm: Norm): number {
  const range = model.bounds[1] - model.bounds[0];
  const d = model.inputShape.reduce((a, b) => a * b, 1);
  return norm === 'linf' ? range : norm === 'l2' ? range * Math.sqrt(d) : norm === 'l1' ? range * d : d;
}

function largestEntry(report: AttackReport, threshold: number): { epsilon: number; successRate: number } | undefined {
  const e = report.threat.epsilons.findIndex((eps) => eps >= threshold);
  if (e < 0) return undefined;
  const successRate = report.worstCase[e].attackSuccessRate;
  return successRate === null ? undefined : { epsilon: report.threat.epsilons[e], successRate };
}

export const largeEpsilon = defineDiagnostic({
  id: 'large-epsilon-not-total',
  title: 'Attack success does not reach ~100% at a very large ε',
  severity: 'critical',
  cost: 'cheap',
  source: 'Carlini et al. 2019 checklist',
  remedy: 'The attack cannot even succeed without a budget: check the gradients (gradient-health), the loss (use logits, try the cw-margin or dlr loss), the step size and the number of steps before trusting any robust accuracy.',
  options: z
    .object({
      /** Success rate an attack must reach at the unbounded ε. */
      minSuccess: z.number().min(0).max(1).default(0.99),
      /** A run's ε counts as "very large" from this fraction of the unbounded ε on. */
      fraction: z.number().gt(0).max(1).default(1),
    })
    .strict(),
  async check(context, options) {
    const epsilon = unboundedEpsilon(context.model, context.norm);
    let found = context.report ? largestEntry(context.report, options.fraction * epsilon) : undefined;
    if (!found && context.active && context.attack) {
      const report = await attackSample(context, [context.attack], [epsilon]);
      found = report.worstCase[0].attackSuccessRate === null ? undefined : { epsilon, successRate: rate(report.worstCase[0].attackSuccessRate) };
    }
    if (!found) return { status: 'skipped', reason: `needs an attack run at ε ≥ ${options.fraction * epsilon} (${context.norm}), or the active check` };
    const evidence = { epsilon: found.epsilon, successRate: round(found.successRate), required: options.minSuccess };
    if (found.successRate < options.minSuccess) {
      return { status: 'flagged', evidence, detail: `at ε = ${found.epsilon} (${context.norm}, the whole input range) the attack succeeds on only ${(found.successRate * 100).toFixed(1)}% of the samples` };
    }
    return { status: 'clear', evidence };
  },
});
