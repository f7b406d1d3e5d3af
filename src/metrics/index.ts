/** Public face of `rampart/metrics`. */
export { evaluateAccuracy, predictClasses, accuracyFromPredictions, argmaxRows, checkDataFitsModel } from './accuracy.js';
export type { AccuracyMetrics, EvaluateOptions } from './accuracy.js';
