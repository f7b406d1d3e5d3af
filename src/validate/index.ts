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
export { defineDiagnostic } from './diagnostics/define.js';
export type { DiagnosticDefinition, AnyDiagnosticDefinition, DiagnosticContext, DiagnosticOutcome, DiagnosticFlag, DiagnosticCheck, DiagnosticsSection, Severity, DiagnosticCost, Evidence } from './diagnostics/define.js';
export { DiagnosticRegistry } from './diagnostics/registry.js';
export { diagnosticRegistry } from './diagnostics/builtin.js';
export { runDiagnostics, diagnoseAttackRun, describeFlags, firstSamples } from './diagnostics/run.js';
export type { RunDiagnosticsOptions } from './diagnostics/run.js';
export { unboundedEpsilon } from './diagnostics/large-epsilon.js';
export { arrayDataset, selectDataset } from './memory-dataset.js';
export { withFeatureConstraints } from './constrained-attack.js';
export { trainTabularClassifier } from './tabular-training.js';
export * from './sensitivity/index.js';
export * from './explain/index.js';
export { cleverScores, cleverOptionsSchema, sampleBall } from './clever.js';
export type { CleverOptions, CleverReport, CleverSample, CleverTarget } from './clever.js';
export { fitReverseWeibull } from './clever-weibull.js';
export type { ReverseWeibullFit } from './clever-weibull.js';
