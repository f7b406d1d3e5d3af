/**
 * Audit section `sensitivity`: which parts of the input does the model's decision hang on, and how much does the
 * model itself depend on the draw of its training data?
 * - occlusion (image data, the default): every `patch`×`patch` square (stride `stride`) filled with `fill`, one at a
 *   time (Zeiler & Fergus 2014, https://arxiv.org/abs/1311.2901): accuracy drop and output variance per patch, a
 *   ranked table and the heatmap over the patch grid;
 * - features (tabular data, the default there): every feature nudged by ±`amount` (one-at-a-time sensitivity,
 *   Saltelli et al. 2008), ranked, named from the CSV header;
 * - parameters (only when configured: it trains `runs` models): parameter variability over retrainings on
 *   bootstrap resamples or noisy copies of the training data (D'Amour et al. 2020, https://arxiv.org/abs/2011.03395).
 * All through `featureSensitivity` / `parameterVariability` of src/validate, as `rampart sensitivity` does.
 *
 * @example
 * # suite.yaml
 * - type: sensitivity
 *   samples: 100
 *   patch: 4
 *   parameters: { train: mnist:train, runs: 3, epochs: 3 }
 */
import { openDataset } from '../../../data/index.js';
import { featureNamesFor, featureSensitivity, parameterVariability } from '../../../validate/index.js';
import type { SectionConfigOf } from '../config.js';
import { firstSamples, memoryDataset, skipped, type AuditContext, type SectionOutcome } from '../context.js';
import type { ParameterVariabilityMetrics, SensitivityMetrics } from '../results.js';

const METHOD = 'one-at-a-time sensitivity: occlusion of image patches (Zeiler & Fergus 2014) or ± nudges of each feature; accuracy drop and output variance per unit';

export async function runSensitivitySection(config: SectionConfigOf<'sensitivity'>, context: AuditContext): Promise<SectionOutcome> {
  const data = firstSamples(context.data, context.samples);
  const image = data.sampleShape.length === 3;
  const mode = config.mode === 'auto' ? (image ? 'occlusion' : 'features') : config.mode;
  const parameters: Record<string, unknown> = {
    samples: data.count,
    mode,
    ...(mode === 'features' ? { amount: config.amount } : { patch: config.patch, stride: config.stride ?? config.patch, fill: config.fill }),
    top: config.top,
    parameterVariability: config.parameters,
  };
  if (!config.enabled) return skipped(METHOD, parameters, 'disabled in the suite config (enabled: false)');
  if (mode === 'occlusion' && !image) return skipped(METHOD, parameters, `occlusion needs image data [H, W, C]; the data has samples [${data.sampleShape.join(', ')}]; use mode: features`);
  const size = data.sampleShape.reduce((a, b) => a * b, 1);
  const dataset = memoryDataset(data, context.dataSpec, context.model.numClasses);
  const result = await featureSensitivity({
    model: context.model,
    data: dataset,
    mode,
    amount: config.amount,
    patch: config.patch,
    ...(config.stride !== null ? { stride: config.stride } : {}),
    fill: config.fill,
    batchSize: context.config.batchSize,
    names: mode === 'features' && !image ? featureNamesFor(context.dataSpec, size) : undefined,
    onProgress: (done, total) => context.progress(done, total, mode),
  });
  let variability: ParameterVariabilityMetrics | null = null;
  if (config.parameters) {
    const p = config.parameters;
    const train = await openDataset(p.train, { limit: p.trainLimit ?? undefined });
    const outcome = await parameterVariability({
      train,
      evaluation: dataset,
      runs: p.runs,
      resample: p.resample,
      noise: p.noise,
      varyInitialisation: p.varyInitialisation,
      seed: context.seed,
      training: { arch: p.arch, epochs: p.epochs, batchSize: p.batchSize, learningRate: p.learningRate, seed: context.seed },
      onProgress: (done, total) => context.progress(done, total, 'retraining'),
    });
    variability = {
      runs: outcome.runs,
      resample: outcome.resample,
      train: train.spec,
      trainCount: outcome.trainCount,
      evaluationCount: outcome.evaluationCount,
      accuracy: { ...outcome.metrics.accuracy, perRun: outcome.metrics.perRun },
      meanPairwiseFlipRate: outcome.predictions.meanPairwiseFlipRate,
      maxPairwiseFlipRate: outcome.predictions.maxPairwiseFlipRate,
      unstableFraction: outcome.predictions.unstableFraction,
      weights: outcome.weights,
      seconds: outcome.seconds,
    };
  }
  const metrics: SensitivityMetrics = sensitivityMetrics(result, config.top, config.fill, variability);
  return {
    status: 'ok',
    method: `${mode === 'occlusion' ? `occlusion of ${config.patch}×${config.patch} patches (Zeiler & Fergus 2014)` : `each feature nudged by ±${config.amount} (one at a time)`}: accuracy drop and output variance per unit${variability ? `; parameter variability over ${variability.runs} retrainings (${variability.resample})` : ''}`,
    parameters,
    samples: data.count,
    metrics,
    warnings: [],
  };
}

/** The section's metrics from a `featureSensitivity` result (also used for results included from `rampart sensitivity`). */
export function sensitivityMetrics(
  result: Awaited<ReturnType<typeof featureSensitivity>>,
  top: number,
  fill: number | 'mean' | undefined,
  variability: ParameterVariabilityMetrics | null,
): SensitivityMetrics {
  const settings: SensitivityMetrics['settings'] =
    result.mode === 'features' ? { amount: result.settings.amount } : { patch: result.settings.patch, stride: result.settings.stride, fill: result.settings.fill ?? fill };
  return {
    mode: result.mode,
    settings,
    count: result.samples,
    cleanAccuracy: result.cleanAccuracy,
    units: result.units.length,
    ranking: result.ranking.slice(0, top).map((u) => ({ unit: u.unit, name: u.name, accuracyDrop: u.accuracyDrop, outputVariance: u.outputVariance, meanProbabilityChange: u.meanProbabilityChange })),
    maxAccuracyDrop: result.ranking[0]?.accuracyDrop ?? 0,
    heatmap: result.heatmap ? { rows: result.heatmap.rows, cols: result.heatmap.cols, accuracyDrop: result.heatmap.accuracyDrop, outputVariance: result.heatmap.outputVariance } : null,
    parameters: variability,
  };
}
