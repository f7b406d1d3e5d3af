/**
 * Iterative attacks weaker than a single step: BIM/PGD/APGD take many small steps and should never do worse than
 * FGSM's one big step at the same ε. If they do, the loss surface is locally misleading (gradient masking near
 * the data) — a one-step attack jumps over it.
 * Source: Carlini et al. 2019 checklist ("iterative attacks should perform better than single-step"); Tramèr et
 * al. 2018, https://arxiv.org/abs/1705.07204.
 * Uses the run's FGSM and iterative entries; with `active`, runs FGSM and the evaluated iterative attack itself.
 */
import { z } from 'zod';
import { defineDiagnostic } from './define.js';
import type { AttackReport } from '../../attacks/harness.js';
import { attackSample, iterativeAttacks, rate, round, singleStepAttacks } from './helpers.js';

function compare(report: AttackReport): { epsilon: number; single: number; iterative: number; iterativeAttack: string; gap: number } | undefined {
  const single = report.attacks.filter((a) => singleStepAttacks.includes(a.id));
  const iterative = report.attacks.filter((a) => iterativeAttacks.includes(a.id));
  if (single.length === 0 || iterative.length === 0) return undefined;
  let worst: ReturnType<typeof compare>;
  report.threat.epsilons.forEach((epsilon, e) => {
    const s = Math.max(...single.map((a) => rate(a.results[e].attackSuccessRate)));
    const best = iterative.reduce((b, a) => (rate(a.results[e].attackSuccessRate) > rate(b.results[e].attackSuccessRate) ? a : b));
    const it = rate(best.results[e].attackSuccessRate);
    if (!worst || s - it > worst.gap) worst = { epsilon, single: s, iterative: it, iterativeAttack: best.id, gap: s - it };
  });
  return worst;
}

export const iterativeVsSingleStep = defineDiagnostic({
  id: 'iterative-weaker-than-single-step',
  title: 'Iterative attacks are weaker than a single step',
  severity: 'critical',
  cost: 'cheap',
  source: 'Carlini et al. 2019 checklist; Tramèr et al. 2018',
  remedy: 'The loss surface near the data masks the gradient: add random restarts and a larger step size, use APGD (adaptive step) or BPDA, and take the per-sample worst case over FGSM and the iterative attack.',
  options: z.object({ margin: z.number().min(0).max(1).default(0.02) }).strict(),
  async check(context, options) {
    let found = context.report ? compare(context.report) : undefined;
    let correct = context.report?.clean.correct ?? 0;
    if (!found && context.active && context.attack && iterativeAttacks.includes(context.attack.id)) {
      const report = await attackSample(context, [{ id: 'fgsm' }, { id: context.attack.id, options: context.attack.options }], context.epsilons);
      found = compare(report);
      correct = report.clean.correct;
    }
    if (!found) return { status: 'skipped', reason: 'needs FGSM and an iterative attack (bim, pgd, apgd-*) at the same ε' };
    const evidence = { epsilon: found.epsilon, singleStepSuccessRate: round(found.single), iterativeSuccessRate: round(found.iterative), iterativeAttack: found.iterativeAttack };
    if (found.gap > options.margin && found.gap >= 1 / Math.max(correct, 1)) {
      return { status: 'flagged', evidence, detail: `at ε = ${found.epsilon}, FGSM succeeds on ${(found.single * 100).toFixed(1)}% but ${found.iterativeAttack} only on ${(found.iterative * 100).toFixed(1)}%` };
    }
    return { status: 'clear', evidence };
  },
});
