/** Audit section `clean`: top-1 accuracy, per-class accuracy and the confusion matrix on clean data. */
import { evaluateAccuracy } from '../../../metrics/accuracy.js';
import type { SectionConfigOf } from '../config.js';
import { firstSamples, memoryDataset, type AuditContext, type SectionOutcome } from '../context.js';
import type { CleanMetrics } from '../results.js';

export async function runCleanSection(config: SectionConfigOf<'clean'>, context: AuditContext): Promise<SectionOutcome> {
  const data = firstSamples(context.data, context.samples);
  const started = performance.now();
  const accuracy = await evaluateAccuracy(context.model, memoryDataset(data, context.dataSpec, context.model.numClasses), {
    batchSize: context.config.batchSize,
    onProgress: (done, total) => context.progress(done, total, 'clean'),
  });
  const seconds = (performance.now() - started) / 1000;
  const correct = accuracy.confusionMatrix.reduce((sum, row, i) => sum + row[i], 0);
  const metrics: CleanMetrics = {
    cleanAccuracy: accuracy.accuracy,
    correct,
    count: accuracy.count,
    perClassAccuracy: accuracy.perClassAccuracy,
    confusionMatrix: accuracy.confusionMatrix,
    samplesPerSecond: accuracy.count / Math.max(seconds, 1e-9),
  };
  return {
    status: 'ok',
    method: 'top-1 accuracy of argmax(logits) against the labels',
    parameters: { samples: data.count, batchSize: context.config.batchSize },
    samples: data.count,
    metrics,
    warnings: [],
  };
}
