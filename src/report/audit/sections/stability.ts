/**
 * Audit section `stability`: perturbation stability in the style of ImageNet-P (Hendrycks & Dietterich 2019,
 * https://arxiv.org/abs/1903.12261) — flip probability of the top-1 prediction along generated sequences of
 * slowly growing perturbations (translate, rotate, scale, brightness, zoom blur, noise), through
 * `perturbationStability`; flip rates against an optional baseline.
 */
import { perturbationStability } from '../../../metrics/stability.js';
import type { SectionConfigOf } from '../config.js';
import { firstSamples, skipped, type AuditContext, type SectionOutcome } from '../context.js';
import type { AuditWarning, StabilityMetrics } from '../results.js';
import { baselineSpecFor, loadBaseline } from './baseline.js';

export async function runStabilitySection(config: SectionConfigOf<'stability'>, context: AuditContext): Promise<SectionOutcome> {
  const data = firstSamples(context.data, context.samples);
  const method = 'ImageNet-P flip probability on generated perturbation sequences';
  if (data.sampleShape.length !== 3) return skipped(method, { sequences: config.sequences }, `perturbation sequences need image data [H, W, C]; the data has samples [${data.sampleShape.join(', ')}]`);
  const warnings: AuditWarning[] = [];
  const baselineSpec = baselineSpecFor(config.baseline, data.sampleShape);
  const { baseline, problem } = await loadBaseline(baselineSpec, context.model, context.layout);
  if (problem) warnings.push({ code: 'baseline-unusable', message: problem });
  try {
    context.progress(0, 1, 'sequences');
    const result = await perturbationStability(context.model, data, { sequences: config.sequences, frames: config.frames, seed: context.seed, baseline, batchSize: context.config.batchSize });
    const metrics: StabilityMetrics = { frames: result.frames, count: result.count, sequences: result.sequences.map((s) => ({ ...s })), meanFlipProbability: result.meanFlipProbability, mFR: result.mFR };
    return {
      status: 'ok',
      method: `ImageNet-P flip probability and top-5 distance on generated ${result.frames}-frame sequences (noise sequences against the first frame, others against the previous frame; flip rate = FP / baseline FP)`,
      parameters: { samples: data.count, sequences: config.sequences, frames: config.frames, baseline: baseline ? baselineSpec : null, seed: context.seed },
      samples: data.count,
      metrics,
      warnings,
    };
  } finally {
    baseline?.dispose();
  }
}
