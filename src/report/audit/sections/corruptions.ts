/**
 * Audit section `corruptions`: accuracy under every corruption × severity of a suite (MNIST-C, Mu & Gilmer 2019,
 * https://arxiv.org/abs/1906.02337, or the common corruptions of Hendrycks & Dietterich 2019,
 * https://arxiv.org/abs/1903.12261), per family, the mean (corruption accuracy), and CE / mCE against a baseline
 * model, through `corruptionBenchmark`. Gallery: the corruptions that hurt most, on one correctly classified image.
 */
import { corruptionRegistry } from '../../../corruptions/builtin.js';
import { createRandom } from '../../../engine/random.js';
import { RampartError } from '../../../errors.js';
import { corruptionBenchmark } from '../../../metrics/corruption-benchmark.js';
import type { SectionConfigOf } from '../config.js';
import { firstSamples, skipped, type AuditContext, type SectionOutcome } from '../context.js';
import { buildGallery, type GalleryItem } from '../gallery.js';
import type { AuditWarning, CorruptionMetrics } from '../results.js';
import { baselineSpecFor, loadBaseline } from './baseline.js';

export async function runCorruptionsSection(config: SectionConfigOf<'corruptions'>, context: AuditContext): Promise<SectionOutcome> {
  const data = firstSamples(context.data, context.samples);
  if (data.sampleShape.length !== 3) {
    return skipped(`corruption benchmark (${config.suite})`, { suite: config.suite, samples: data.count }, `image corruptions need image data [H, W, C]; the data has samples [${data.sampleShape.join(', ')}]`);
  }
  let corruptions = corruptionRegistry.listBySuite(config.suite);
  if (config.corruptions) {
    const unknown = config.corruptions.filter((id) => !corruptions.some((c) => c.id === id));
    if (unknown.length) throw new RampartError('BAD_OPTION', `${config.id}.corruptions: ${unknown.join(', ')} not in suite ${config.suite} (${corruptions.map((c) => c.id).join(', ')}).`);
    corruptions = corruptions.filter((c) => config.corruptions!.includes(c.id));
  }
  const warnings: AuditWarning[] = [];
  const baselineSpec = baselineSpecFor(config.baseline, data.sampleShape);
  const { baseline, problem } = await loadBaseline(baselineSpec, context.model, context.layout);
  if (problem) warnings.push({ code: 'baseline-unusable', message: problem });
  try {
    const result = await corruptionBenchmark(context.model, data, corruptions, {
      suite: config.suite,
      severities: config.severities,
      baseline,
      seed: context.seed,
      batchSize: context.config.batchSize,
      onProgress: (done, total, id) => context.progress(done, total, id),
    });
    if (result.undefinedCe.length) warnings.push({ code: 'ce-undefined', message: `CE undefined (baseline error 0) for ${result.undefinedCe.join(', ')}; left out of mCE` });
    const familyAccuracy = (family: string) => {
      const members = result.corruptions.filter((c) => c.family === family);
      return members.reduce((s, c) => s + c.meanAccuracy, 0) / Math.max(members.length, 1);
    };
    const metrics: CorruptionMetrics = {
      suite: config.suite,
      count: result.count,
      cleanAccuracy: result.clean.accuracy,
      cells: result.corruptions.flatMap((c) => c.severities.map((s) => ({ corruption: c.id, family: c.family, severity: s.severity, accuracy: s.accuracy, error: s.error, baselineError: s.baselineError }))),
      corruptions: result.corruptions.map((c) => ({ id: c.id, family: c.family, meanAccuracy: c.meanAccuracy, meanError: c.meanError, ce: c.ce, relativeCe: c.relativeCe, robustnessScore: c.robustnessScore })),
      families: result.families.map((f) => ({ family: f.family, meanError: f.meanError, meanAccuracy: familyAccuracy(f.family), corruptions: f.corruptions })),
      corruptionAccuracy: result.meanAccuracy,
      meanError: result.meanError,
      mCE: result.mCE,
      relativeMCE: result.relativeMCE,
      baseline: baseline ? baselineSpec : null,
      definitions: result.definitions,
    };
    // Gallery: the worst corruptions (highest mean error) at their highest evaluated severity, each on a different image.
    const items: GalleryItem[] = [];
    const size = data.sampleShape.reduce((a, b) => a * b, 1);
    const worst = [...result.corruptions].filter((c) => c.family !== 'identity').sort((a, b) => b.meanError - a.meanError).slice(0, config.gallery);
    worst.forEach((c, k) => {
      const definition = corruptions.find((d) => d.id === c.id)!;
      const severity = Math.max(...c.severities.map((s) => s.severity));
      const index = k % data.count;
      const original = data.x.slice(index * size, (index + 1) * size);
      const perturbed = definition.apply(original, data.sampleShape as [number, number, number], severity, createRandom(context.seed + k));
      items.push({ id: `${config.id}-${c.id}-s${severity}`, kind: 'corruption', section: config.id, sampleIndex: index, trueLabel: data.y[index], description: `${c.id} (${c.family}), severity ${severity}`, original, perturbed, corruption: { id: c.id, family: c.family, severity } });
    });
    return {
      status: 'ok',
      method: `corruption benchmark (${config.suite}): top-1 error per corruption × severity; CE/mCE as in Hendrycks & Dietterich 2019`,
      parameters: { samples: data.count, suite: config.suite, corruptions: corruptions.map((c) => c.id), severities: config.severities ?? (config.suite === 'mnist-c' ? 'each corruption\u2019s MNIST-C severity' : [1, 2, 3, 4, 5]), baseline: metrics.baseline, seed: context.seed },
      samples: data.count,
      metrics,
      warnings,
      gallery: await buildGallery(context.model, items, data.sampleShape, context.outDir),
    };
  } finally {
    baseline?.dispose();
  }
}
