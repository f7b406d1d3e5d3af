/** Public face of `rampart/metrics`. */
export { evaluateAccuracy, predictClasses, accuracyFromPredictions, argmaxRows, checkDataFitsModel } from './accuracy.js';
export type { AccuracyMetrics, EvaluateOptions } from './accuracy.js';
export {
  cleanAccuracy,
  robustAccuracy,
  attackSuccessRate,
  robustnessScore,
  distribution,
  maskedDistribution,
  quantileSorted,
  perturbationSizes,
  medianMinimalPerturbation,
  predictedProbability,
} from './robustness.js';
export type { Distribution, PerturbationSizes } from './robustness.js';
export { collectLogits, softmaxRows, calibrationFromProbabilities, calibrationMetrics, nllAtTemperature, fitTemperature, calibrationReport } from './calibration.js';
export type { LogitMatrix, ReliabilityBin, CalibrationMetrics, CalibrationReport } from './calibration.js';
export {
  oodScoreNames,
  detectionMethodNote,
  rocCurve,
  averagePrecision,
  detectionMetrics,
  logitScores,
  odinScores,
  penultimateFeatures,
  invertMatrix,
  fitMahalanobis,
  mahalanobisScores,
  syntheticOod,
  fitMahalanobisOnData,
  oodScores,
} from './ood.js';
export type { OodScoreName, DetectionMetrics, OdinOptions, FeatureExtractor, MahalanobisFit, OodScoreSet, OodScoreOptions } from './ood.js';
export { corruptAll, corruptionBenchmark } from './corruption-benchmark.js';
export type { BenchmarkCorruption, BenchmarkData, CorruptionBenchmarkOptions, SeverityResult, CorruptionResult, CorruptionBenchmarkResult } from './corruption-benchmark.js';
export { sequenceNames, warp, sequenceFrame, flipProbability, perturbationStability } from './stability.js';
export type { SequenceName, StabilityOptions, SequenceResult, StabilityResult } from './stability.js';
