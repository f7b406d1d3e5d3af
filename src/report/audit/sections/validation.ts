/**
 * Audit section `validation`: checks that the robustness evaluation itself can be trusted — gradient-masking
 * diagnostics (Athalye et al. 2018, https://arxiv.org/abs/1802.00420; Carlini et al. 2019 checklist,
 * https://arxiv.org/abs/1902.06705) and the binarization test (Zimmermann et al. 2022,
 * https://arxiv.org/abs/2206.13991), through src/validate. Skipped with the reason when unavailable.
 */
import type { SectionConfigOf } from '../config.js';
import { skipped, type AuditContext, type SectionOutcome } from '../context.js';

export async function runValidationSection(config: SectionConfigOf<'validation'>, context: AuditContext): Promise<SectionOutcome> {
  return skipped('evaluation validity checks', { checks: config.checks, norm: config.norm, epsilon: config.epsilon, samples: context.samples }, 'the validity checks (src/validate) are not available in this build yet');
}
