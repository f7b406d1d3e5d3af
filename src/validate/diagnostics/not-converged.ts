/**
 * Convergence: robust accuracy must not keep falling when the attack gets more steps (or restarts). If four times
 * the budget still breaks more samples, the reported figure is an overestimate of robustness.
 * Source: Carlini et al. 2019 checklist ("increase the number of iterations and restarts until convergence");
 * Mosbach et al. 2018, https://arxiv.org/abs/1810.12042.
 * Active only: runs the evaluated attack with its steps (else restarts) and `factor` times as many, same seed.
 */
import { z } from 'zod';
import { attackRegistry } from '../../attacks/builtin.js';
import { attackOptionKeys } from '../../attacks/harness.js';
import { defineDiagnostic } from './define.js';
import { attackSample, round } from './helpers.js';

export const notConverged = defineDiagnostic({
  id: 'not-converged',
  title: 'Robust accuracy still falls with more steps or restarts',
  severity: 'warning',
  cost: 'active',
  source: 'Carlini et al. 2019 checklist; Mosbach et al. 2018',
  remedy: 'The attack has not converged: raise --steps (and --restarts) until robust accuracy stops falling, and report the converged figure.',
  options: z
    .object({
      factor: z.number().int().min(2).default(4),
      /** Tolerated drop of robust accuracy (absolute); at least two samples must change as well. */
      margin: z.number().min(0).max(1).default(0.05),
    })
    .strict(),
  async check(context, options) {
    if (!context.active || !context.attack) return { status: 'skipped', reason: 'active check: needs the evaluated attack (rampart validate)' };
    const definition = attackRegistry.get(context.attack.id);
    const keys = attackOptionKeys(definition);
    const knob = keys.includes('steps') ? 'steps' : keys.includes('restarts') ? 'restarts' : undefined;
    if (!knob) return { status: 'skipped', reason: `attack ${context.attack.id} has neither steps nor restarts` };
    const parsed = definition.options.parse(context.attack.options) as Record<string, unknown>;
    const base = Number(parsed[knob]);
    const epsilon = Math.max(...context.epsilons);
    const small = await attackSample(context, [{ id: context.attack.id, options: context.attack.options }], [epsilon]);
    const large = await attackSample(context, [{ id: context.attack.id, options: { ...context.attack.options, [knob]: base * options.factor } }], [epsilon]);
    const before = small.worstCase[0].robustAccuracy;
    const after = large.worstCase[0].robustAccuracy;
    const drop = before - after;
    const evidence = { epsilon, knob, base, increased: base * options.factor, robustAccuracy: round(before), robustAccuracyIncreased: round(after), drop: round(drop) };
    if (drop > options.margin && drop * small.clean.count >= 2 - 1e-9) {
      return { status: 'flagged', evidence, detail: `at ε = ${epsilon}, robust accuracy falls from ${(before * 100).toFixed(1)}% (${knob} = ${base}) to ${(after * 100).toFixed(1)}% (${knob} = ${base * options.factor})` };
    }
    return { status: 'clear', evidence };
  },
});
