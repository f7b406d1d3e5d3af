/**
 * Audit section `certification`: certified accuracy per radius — randomized smoothing (Cohen, Rosenfeld & Kolter
 * 2019, https://arxiv.org/abs/1902.02918, L2, `certifySmoothing` from src/certify) or bound propagation
 * (IBP, CROWN-IBP, CROWN, α-CROWN, L∞; `certifiedAccuracy` from src/certify). When a capability is not available for this model or in this build the section is skipped
 * with the reason; it never reports numbers it did not compute.
 */
import { certifiedAccuracy, certifySmoothing, smoothingClassifierFor, type BoundMethod } from '../../../certify/index.js';
import { isRampartError } from '../../../errors.js';
import type { SectionConfigOf } from '../config.js';
import { firstSamples, skipped, type AuditContext, type SectionOutcome } from '../context.js';
import type { AuditWarning, CertificationMetrics } from '../results.js';

/** Audit defaults for smoothing (the library's n = 100,000 is far beyond an audit's time budget). */
const SMOOTHING_DEFAULTS = { sigma: 0.25, n0: 100, n: 1000, alpha: 0.001 };

async function smoothingSection(config: SectionConfigOf<'certification'>, context: AuditContext): Promise<SectionOutcome> {
  const data = firstSamples(context.data, context.samples);
  const o = { sigma: config.sigma ?? SMOOTHING_DEFAULTS.sigma, n0: config.n0 ?? SMOOTHING_DEFAULTS.n0, n: config.n ?? SMOOTHING_DEFAULTS.n, alpha: config.alpha ?? SMOOTHING_DEFAULTS.alpha };
  const choice = await smoothingClassifierFor(context.model, { onnx: context.onnxFile });
  const warnings: AuditWarning[] = [];
  try {
    const report = await certifySmoothing(
      choice.classifier,
      data.x,
      data.y,
      data.count,
      { ...o, batchSize: config.batchSize, seed: context.seed, radii: [0, ...config.epsilons] },
      (_result, done) => context.progress(done, data.count, 'certify'),
    );
    const radii = report.samples.filter((s) => s.correct).map((s) => s.radius).sort((a, b) => a - b);
    const unreachable = config.epsilons.filter((r) => r > report.maxCertifiableRadius);
    if (unreachable.length) {
      warnings.push({ code: 'radius-unreachable', message: `radii ${unreachable.join(', ')} exceed the largest radius n = ${o.n} and α = ${o.alpha} can certify (${report.maxCertifiableRadius.toFixed(3)}); certified accuracy there is 0 by construction — raise n` });
    }
    if (report.abstentionRate > 0) warnings.push({ code: 'abstentions', message: `the smoothed classifier abstained on ${(report.abstentionRate * 100).toFixed(1)}% of the samples (counted as not certified)` });
    const metrics: CertificationMetrics = {
      certificationMethod: 'randomized-smoothing',
      norm: 'l2',
      count: report.count,
      certifiedAccuracy: report.certifiedAccuracy.filter((p) => config.epsilons.includes(p.radius)).map((p) => ({ epsilon: p.radius, certifiedAccuracy: p.accuracy })),
      abstentionRate: report.abstentionRate,
      cleanAccuracy: report.certifiedAccuracy.find((p) => p.radius === 0)?.accuracy ?? null,
      radius: { median: radii.length ? radii[Math.floor((radii.length - 1) / 2)] : null, mean: radii.length ? report.meanCertifiedRadius : null },
      details: {
        curve: report.curve.map((p) => ({ epsilon: p.radius, certifiedAccuracy: p.accuracy })),
        maxCertifiableRadius: report.maxCertifiableRadius,
        engine: report.engine,
        forwardPasses: report.forwardPasses,
        ...(choice.fallbackReason ? { fallbackReason: choice.fallbackReason } : {}),
      },
    };
    return {
      status: 'ok',
      method: `randomized smoothing CERTIFY (Cohen et al. 2019): Gaussian σ = ${o.sigma}, n0 = ${o.n0}, n = ${o.n}, α = ${o.alpha}, one-sided Clopper–Pearson`,
      parameters: { method: 'randomized-smoothing', norm: 'l2', epsilons: config.epsilons, samples: data.count, ...o, batchSize: config.batchSize, seed: context.seed, engine: report.engine },
      samples: data.count,
      metrics,
      warnings,
    };
  } finally {
    choice.classifier.dispose();
  }
}

async function boundsSection(config: SectionConfigOf<'certification'>, context: AuditContext): Promise<SectionOutcome> {
  const method = config.method as BoundMethod;
  const data = firstSamples(context.data, context.samples);
  const norm = (config.norm ?? 'linf') as 'linf' | 'l2';
  const parameters = { method, norm, epsilons: config.epsilons, samples: data.count, batchSize: 32 };
  let report;
  try {
    report = await certifiedAccuracy(context.model, data, { methods: [method], norm, epsilons: config.epsilons, batchSize: 32 }, (done, total, note) => context.progress(done, total, note));
  } catch (error) {
    // A model the bound propagation cannot read (unsupported ops, no graph) is a skip with the reason, not a failure.
    if (isRampartError(error) && error.code !== 'INTERNAL') return skipped(method, parameters, `${method} cannot bound this model: ${error.message}`);
    throw error;
  }
  const result = report.methods[0];
  const metrics: CertificationMetrics = {
    certificationMethod: method,
    norm,
    count: report.count,
    certifiedAccuracy: result.results.map((r) => ({ epsilon: r.epsilon, certifiedAccuracy: r.certifiedAccuracy })),
    cleanAccuracy: report.clean.accuracy,
    radius: null,
    details: { graph: report.graph.source, ops: report.graph.ops, maxCrownNeurons: report.graph.maxCrownNeurons },
  };
  return {
    status: 'ok',
    method: `${method} bound propagation (certified = every margin lower bound logit_y − logit_j > 0 over the ${norm} ball ∩ the input bounds)`,
    parameters: { ...parameters, maxCrownNeurons: report.graph.maxCrownNeurons, safety: report.graph.safety },
    samples: data.count,
    metrics,
    warnings: [],
  };
}

export async function runCertificationSection(config: SectionConfigOf<'certification'>, context: AuditContext): Promise<SectionOutcome> {
  if (config.method === 'randomized-smoothing') return smoothingSection(config, context);
  return boundsSection(config, context);
}
