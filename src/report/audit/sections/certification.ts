/**
 * Audit section `certification`: certified accuracy per radius — randomized smoothing (Cohen et al. 2019,
 * https://arxiv.org/abs/1902.02918, L2) or bound propagation (IBP / CROWN, L∞) — through src/certify.
 * When the capability is not available for this model or in this build the section is skipped with the reason;
 * it never reports numbers it did not compute.
 */
import type { SectionConfigOf } from '../config.js';
import { skipped, type AuditContext, type SectionOutcome } from '../context.js';

export async function runCertificationSection(config: SectionConfigOf<'certification'>, context: AuditContext): Promise<SectionOutcome> {
  const norm = config.norm ?? (config.method === 'randomized-smoothing' ? 'l2' : 'linf');
  const parameters = { method: config.method, norm, epsilons: config.epsilons, samples: context.samples, sigma: config.sigma ?? null, n0: config.n0 ?? null, n: config.n ?? null, alpha: config.alpha ?? null };
  return skipped(config.method, parameters, `${config.method} is not available in this build yet (src/certify does not export it); no certified numbers are reported`);
}
