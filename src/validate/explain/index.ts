/** Explanations of failures: attribution methods (vanilla gradient, Integrated Gradients, SmoothGrad) and the gallery. */
export { defineExplainer, parseExplainerOptions, ExplainerRegistry, scoreOutputs } from './define.js';
export type { ExplainerDefinition, ExplainInput, Attribution, ScoreOutput } from './define.js';
export { explainerRegistry } from './builtin.js';
export { classScores, classScoreGradient } from './gradients.js';
export { buildVariants, explainVariants, writeExplanationImages, saliencyImage, explainOptionsSchema, summarizeVariants, toRgb } from './gallery.js';
export type { ExplanationVariant, BuildVariantsOptions, ExplainOptions, ExplainedInput, ExplainedVariant, ExplanationResult, ExplanationImages, VariantName, ExplainedVariantSummary } from './gallery.js';
