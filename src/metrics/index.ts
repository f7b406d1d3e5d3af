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
