/** Sensitivity analysis: feature-level (features / occlusion) and parameter variability (retraining). */
export { featureSensitivity, featureSensitivityOptionsSchema } from './feature.js';
export type { FeatureSensitivityOptions, FeatureSensitivityResult, SensitivityUnit } from './feature.js';
export { parameterVariability, parameterVariabilityOptionsSchema } from './parameters.js';
export type { ParameterVariabilityOptions, ParameterVariabilityResult, Dispersion } from './parameters.js';
export { csvFeatureNames, featureNamesFor } from './feature-names.js';
