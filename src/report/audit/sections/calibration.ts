/**
 * Audit section `calibration`: expected calibration error (Guo et al. 2017, https://arxiv.org/abs/1706.04599),
 * MCE, Brier, NLL and the reliability diagram, before and after temperature scaling fitted on a held-out first
 * part of the samples, through `calibrationReport`.
 */
import { calibrationReport, collectLogits } from '../../../metrics/calibration.js';
import type { SectionConfigOf } from '../config.js';
import { firstSamples, type AuditContext, type SectionOutcome } from '../context.js';
import type { CalibrationMetricsResult, CalibrationScores } from '../results.js';

export async function runCalibrationSection(config: SectionConfigOf<'calibration'>, context: AuditContext): Promise<SectionOutcome> {
  const data = firstSamples(context.data, context.samples);
  const logits = await collectLogits(context.model, data.x, data.count, data.sampleShape, context.config.batchSize);
  const report = calibrationReport(logits, data.y, { bins: config.bins, fitFraction: config.fitFraction });
  const scores = (m: typeof report.calibrated): CalibrationScores => ({ count: m.count, accuracy: m.accuracy, ece: m.ece, mce: m.mce, brier: m.brier, nll: m.nll, bins: m.bins, reliability: m.reliability });
  const metrics: CalibrationMetricsResult = { ece: report.uncalibrated.ece, uncalibrated: scores(report.uncalibrated), temperature: report.temperature, calibrated: scores(report.calibrated), split: report.split };
  return {
    status: 'ok',
    method: `ECE with ${config.bins} equal-width confidence bins; temperature scaling fitted on the first ${Math.round(config.fitFraction * 100)}% of the samples, metrics on the rest`,
    parameters: { samples: data.count, bins: config.bins, fitFraction: config.fitFraction },
    samples: data.count,
    metrics,
    warnings: [],
  };
}
