/**
 * Audit section `validation`: is the robustness evaluation itself trustworthy?
 * - `binarization`: the binarization test (Zimmermann, Brendel, Tramèr & Carlini 2022,
 *   https://arxiv.org/abs/2206.13991, `binarizationTest` from src/validate): the unchanged attack must find the
 *   adversarial example that is known to exist for a binarized copy of the model; failing means the attack is too
 *   weak for this model and its robust accuracy is not to be trusted.
 * - `gradient-masking`: the cheap diagnostics of src/validate (`runDiagnostics`: random logits, softmax output,
 *   gradient health, black-box beats white-box, iterative vs single step, large-ε success, noise baseline;
 *   Athalye et al. 2018, https://arxiv.org/abs/1802.00420; Carlini et al. 2019, https://arxiv.org/abs/1902.06705)
 *   on a small attack run (the attack, FGSM and Square with 300 queries).
 * Flags become warnings of the audit (code `gradient-masking` / `binarization-failed`).
 */
import { runAttacks, type AttackRequest } from '../../../attacks/harness.js';
import { attackRegistry } from '../../../attacks/builtin.js';
import { binarizationTest, runDiagnostics } from '../../../validate/index.js';
import type { SectionConfigOf } from '../config.js';
import { firstSamples, memoryDataset, type AuditContext, type SectionOutcome } from '../context.js';
import type { AuditWarning, ValidationCheck, ValidationMetrics } from '../results.js';

export async function runValidationSection(config: SectionConfigOf<'validation'>, context: AuditContext): Promise<SectionOutcome> {
  const data = firstSamples(context.data, context.samples);
  const dataset = memoryDataset(data, context.dataSpec, context.model.numClasses);
  const checks: ValidationCheck[] = [];
  const warnings: AuditWarning[] = [];
  const attack = { id: config.attack.id, options: { ...config.attack.options } };
  if (config.checks.includes('binarization')) {
    context.progress(0, config.checks.length, 'binarization');
    try {
      const result = await binarizationTest({ model: context.model, data: dataset, attack: attack.id, attackOptions: attack.options, norm: config.norm, epsilon: config.epsilon, limit: data.count, seed: context.seed });
      const details = { testSuccessRate: result.testSuccessRate, randomBoundarySuccessRate: result.randomBoundarySuccessRate, tested: result.tested, setupFailures: result.setupFailures, threshold: result.threshold, featureLayer: result.featureLayer };
      if (result.testSuccessRate === null) {
        checks.push({ id: 'binarization', title: 'Binarization test', outcome: 'skipped', message: `no sample could be tested (${result.setupFailures} setup failures of ${result.considered} considered)`, details });
      } else {
        const rate = `${(result.testSuccessRate * 100).toFixed(0)}%`;
        checks.push({ id: 'binarization', title: 'Binarization test', outcome: result.passed ? 'pass' : 'fail', message: `${attack.id} found the known adversarial example on ${rate} of ${result.tested} binarized models at ${config.norm} ε = ${config.epsilon} (pass ≥ ${(result.threshold * 100).toFixed(0)}%)`, details });
        if (!result.passed) warnings.push({ code: 'binarization-failed', message: `binarization test failed: ${attack.id} at ${config.norm} ε = ${config.epsilon} succeeded on only ${rate} of the binarized models; its robust accuracy is likely overestimated` });
      }
    } catch (error) {
      const message = (error as Error).message;
      checks.push({ id: 'binarization', title: 'Binarization test', outcome: 'skipped', message: `not applicable to this model: ${message}` });
    }
  }
  if (config.checks.includes('gradient-masking')) {
    context.progress(1, config.checks.length, 'diagnostics');
    const definition = attackRegistry.get(attack.id);
    const attacks: AttackRequest[] = [attack];
    if (attack.id !== 'fgsm' && definition.requires === 'gradients') attacks.push({ id: 'fgsm' });
    if (definition.requires === 'gradients' && attackRegistry.has('square') && attack.id !== 'square' && data.sampleShape.length === 3) attacks.push({ id: 'square', options: { queries: 300 } });
    const report = await runAttacks({ model: context.model, data: dataset, attacks, norm: config.norm, epsilons: [config.epsilon], seed: context.seed, batchSize: Math.max(1, data.count) });
    const diagnostics = await runDiagnostics({ model: context.model, data: dataset, sampleSize: data.count, report, attack, norm: config.norm, epsilons: [config.epsilon], seed: context.seed, active: false });
    for (const check of diagnostics.checks) {
      const flag = diagnostics.flags.find((f) => f.id === check.id);
      const outcome: ValidationCheck['outcome'] = check.status === 'skipped' ? 'skipped' : flag ? (flag.severity === 'critical' ? 'fail' : 'warn') : 'pass';
      checks.push({
        id: check.id,
        title: flag?.title ?? check.id,
        outcome,
        message: flag ? flag.message : check.status === 'skipped' ? (check.reason ?? 'skipped') : 'no sign of a problem',
        ...(check.evidence ? { details: check.evidence } : {}),
      });
      if (flag) warnings.push({ code: 'gradient-masking', message: `[${flag.severity}] ${flag.id}: ${flag.message}` });
    }
  }
  const metrics: ValidationMetrics = { checks };
  return {
    status: 'ok',
    method: 'evaluation validity checks: binarization test (Zimmermann et al. 2022) and gradient-masking diagnostics',
    parameters: { samples: data.count, checks: config.checks, norm: config.norm, epsilon: config.epsilon, attack, seed: context.seed },
    samples: data.count,
    metrics,
    warnings,
  };
}
