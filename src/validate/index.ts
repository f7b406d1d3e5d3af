/**
 * Public face of `rampart/validate`: active tests of an evaluation (the binarization test), gradient-masking and
 * sanity diagnostics, sensitivity analysis.
 */
export { binarizationTest, binarizationOptionsSchema, binarizedModel, sampleInnerPoints, sampleBoundaryPoints } from './binarization.js';
export type { BinarizationOptions, BinarizationConfig, BinarizationResult, BinarizationSample, BinarizationSampleStatus } from './binarization.js';
export { featureExtractor } from './features.js';
export type { FeatureFunction } from './features.js';
export { fitLogisticRegression, logisticMargins } from './logistic.js';
export type { LogisticFit, LogisticFitOptions } from './logistic.js';
