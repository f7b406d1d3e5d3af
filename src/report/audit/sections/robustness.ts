/**
 * Audit section `robustness`: robust accuracy per attack and ε, and the per-sample worst case, through the
 * trusted attack harness (`runAttacks`: projects, clips and re-verifies every adversarial example with an
 * independent forward pass). The default is the `autoattack` preset (APGD-CE → APGD-T → Square, Croce & Hein
 * 2020, https://arxiv.org/abs/2003.01690) run as a cascade over an L∞ ε sweep.
 */
import { attackRegistry } from '../../../attacks/builtin.js';
import { attackOptionKeys, createVerifier, runAttacks, type AttackRequest } from '../../../attacks/harness.js';
import { resolvePreset } from '../../../attacks/cascade.js';
import { isDifferentiable } from '../../../engine/model.js';
import type { Goal } from '../../../threat/threat-model.js';
import { RampartError } from '../../../errors.js';
import type { SectionConfigOf } from '../config.js';
import { firstSamples, memoryDataset, skipped, type AuditContext, type SectionOutcome } from '../context.js';
import { buildGallery, type GalleryItem } from '../gallery.js';
import type { AuditWarning, RobustnessMetrics, ThreatResult } from '../results.js';

/** Preset components that cannot run here: Square perturbs image windows; APGD-T's DLR loss needs ≥ 4 classes. */
export function presetComponentsThatDoNotFit(ids: readonly string[], context: Pick<AuditContext, 'model' | 'data'>): { id: string; reason: string }[] {
  const out: { id: string; reason: string }[] = [];
  for (const id of ids) {
    if (id === 'square' && context.data.sampleShape.length !== 3) out.push({ id, reason: `Square needs image samples [H, W, C]; the data has [${context.data.sampleShape.join(', ')}]` });
    if (id === 'apgd-t' && context.model.numClasses < 4) out.push({ id, reason: `the targeted DLR loss needs at least 4 classes; the model has ${context.model.numClasses}` });
  }
  return out;
}

export async function runRobustnessSection(config: SectionConfigOf<'robustness'>, context: AuditContext): Promise<SectionOutcome> {
  const preset = config.preset || !config.attacks ? resolvePreset(config.preset ?? 'autoattack', attackRegistry) : undefined;
  // Preset components that cannot run on this model/data are left out and reported (a user-listed attack is not).
  const unfit = preset ? presetComponentsThatDoNotFit(preset.ran, context) : [];
  const requests: AttackRequest[] = preset
    ? preset.ran.filter((id) => !unfit.some((u) => u.id === id)).map((id) => ({ id, options: {} }))
    : config.attacks!.map((a) => ({ id: a.id, options: { ...a.options } }));
  for (const [key, value] of [
    ['steps', config.steps],
    ['restarts', config.restarts],
    ['queries', config.queries],
  ] as const) {
    if (value === undefined) continue;
    const takers = requests.filter((r) => attackRegistry.has(r.id) && attackOptionKeys(attackRegistry.get(r.id)).includes(key));
    if (takers.length === 0) throw new RampartError('BAD_OPTION', `${config.id}.${key}: none of the attacks (${requests.map((r) => r.id).join(', ')}) has a ${key} option; remove it.`);
    for (const r of takers) r.options = { ...r.options, [key]: value };
  }
  const cascade = Boolean(preset) || config.cascade;
  const goal: Goal = config.targeted ? { kind: 'targeted', targets: config.targeted } : { kind: 'untargeted' };
  const method = preset
    ? `AutoAttack-style cascade (${preset.ran.join(' → ')}), ${config.norm}, re-verified by an independent forward pass`
    : `${cascade ? 'cascade of ' : ''}${requests.map((r) => r.id).join(', ')}, ${config.norm}, re-verified by an independent forward pass`;
  const baseParameters = {
    samples: context.samples,
    norm: config.norm,
    epsilons: config.epsilons,
    goal,
    preset: config.preset ?? (preset ? preset.name : null),
    cascade,
    seed: context.seed,
    batchSize: config.batchSize,
  };
  const needsGradients = requests.some((r) => attackRegistry.has(r.id) && attackRegistry.get(r.id).requires === 'gradients');
  if (needsGradients && !isDifferentiable(context.model)) {
    return skipped(method, { ...baseParameters, attacks: requests }, `the model gives no input gradients (black box) and ${requests.filter((r) => attackRegistry.get(r.id).requires === 'gradients').map((r) => r.id).join(', ')} need them; configure score-based attacks (e.g. attacks: [{id: square}])`);
  }
  const data = firstSamples(context.data, context.samples);
  const verifier = await createVerifier(context.model, { onnxFile: context.onnxTwin });
  try {
    const report = await runAttacks({
      model: context.model,
      data: memoryDataset(data, context.dataSpec, context.model.numClasses),
      verifier,
      attacks: requests,
      norm: config.norm,
      epsilons: config.epsilons,
      goal,
      seed: context.seed,
      batchSize: config.batchSize,
      cascade,
      keepAdversarial: config.gallery > 0,
      preset,
      onProgress: (done, total, note) => context.progress(done, total, note),
    });
    const warnings: AuditWarning[] = unfit.map((u) => ({ code: 'preset-incomplete', message: `preset ${preset!.name}: ${u.id} left out: ${u.reason}` }));
    if (report.preset && report.preset.missing.length > 0) {
      warnings.push({ code: 'preset-incomplete', message: `preset ${report.preset.name}: ${report.preset.missing.join(', ')} not available in this build; the cascade ran ${report.preset.ran.join(', ')}` });
    }
    if (report.verifier.maxCleanLogitDifference !== null && report.verifier.maxCleanLogitDifference > 1e-3) {
      warnings.push({ code: 'verifier-mismatch', message: `the verifier (${report.verifier.source}) and the attacked model differ by up to ${report.verifier.maxCleanLogitDifference.toExponential(2)} in clean logits; is the ONNX twin stale?` });
    }
    const invalid = report.attacks.reduce((sum, a) => sum + a.results.reduce((s, r) => s + r.invalid, 0), 0);
    if (invalid > 0) warnings.push({ code: 'invalid-proposals', message: `${invalid} adversarial proposals were outside the ε-ball or the bounds (or non-finite) and were rejected by the harness` });
    // Robust accuracy must not rise with ε for the worst case; a rise is a sign of a weak or masked attack.
    for (let i = 1; i < report.worstCase.length; i++) {
      const [a, b] = [report.worstCase[i - 1], report.worstCase[i]];
      if (b.epsilon > a.epsilon && b.robustAccuracy > a.robustAccuracy + 1e-12) {
        warnings.push({ code: 'non-monotonic', message: `worst-case robust accuracy rises from ${a.robustAccuracy} at ε = ${a.epsilon} to ${b.robustAccuracy} at ε = ${b.epsilon}: the attacks are not finding the examples they should (possible gradient masking)` });
      }
    }
    const threat: ThreatResult = {
      norm: report.threat.norm,
      goal: report.threat.goal.kind,
      bounds: report.threat.bounds,
      epsilons: report.threat.epsilons,
      cascade: report.cascade,
      preset: report.preset ? { name: report.preset.name, components: report.preset.components, ran: report.preset.ran, missing: report.preset.missing } : null,
      verifier: { kind: report.verifier.kind, source: report.verifier.source, maxCleanLogitDifference: report.verifier.maxCleanLogitDifference },
      attacks: report.attacks.map((a) => ({
        id: a.id,
        title: a.title,
        parameters: a.params,
        seconds: a.seconds,
        results: a.results.map((r) => ({
          epsilon: r.epsilon,
          robustAccuracy: r.robustAccuracy,
          attackSuccessRate: r.attackSuccessRate,
          attacked: r.attacked,
          successes: r.successes,
          invalid: r.invalid,
          medianPerturbation: r.perturbation.median,
          medianConfidence: r.confidence.median,
          queriesPerSample: r.queries.perSample,
          seconds: r.seconds,
        })),
      })),
      worstCase: report.worstCase.map((w) => ({ epsilon: w.epsilon, robustAccuracy: w.robustAccuracy, attackSuccessRate: w.attackSuccessRate })),
    };
    const metrics: RobustnessMetrics = { cleanAccuracy: report.clean.accuracy, count: report.clean.count, threats: [threat] };
    const gallery: GalleryItem[] = [];
    const adv = report.adversarial;
    if (adv && config.gallery > 0) {
      const size = data.sampleShape.reduce((a, b) => a * b, 1);
      for (let i = 0; i < adv.y.length && gallery.length < config.gallery; i++) {
        if (adv.success[i] !== 1) continue;
        gallery.push({
          id: `${config.id}-${i}`,
          kind: 'adversarial',
          section: config.id,
          sampleIndex: i,
          trueLabel: adv.y[i],
          description: `worst case over ${requests.map((r) => r.id).join(', ')}, ${config.norm} ε = ${adv.epsilon}`,
          original: data.x.slice(i * size, (i + 1) * size),
          perturbed: adv.x.slice(i * size, (i + 1) * size),
          attack: { id: 'worst-case', norm: config.norm, epsilon: adv.epsilon },
        });
      }
    }
    return {
      status: 'ok',
      method,
      parameters: { ...baseParameters, attacks: report.attacks.map((a) => ({ id: a.id, options: a.params })), verifier: threat.verifier.source },
      samples: report.clean.count,
      metrics,
      warnings,
      gallery: await buildGallery(context.model, gallery, data.sampleShape, context.outDir),
    };
  } finally {
    verifier.dispose();
  }
}
