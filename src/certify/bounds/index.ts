/** Bound propagation: the bound graph, one rule per ONNX op, and the IBP/CROWN engine. */
export { defineBoundRule } from './define.js';
export type { BoundRule, BoundNode, Interval, Coefficients, ConstantValue, RuleContext, CrownContext, CrownStep } from './define.js';
export { BoundRuleRegistry } from './registry.js';
export { boundRules } from './builtin.js';
export { assembleBoundGraph, boundGraphFromOnnx, boundGraphFromModel, toGraphInput } from './graph.js';
export type { BoundGraph, GraphInputLayout, BuildGraphInput } from './graph.js';
export { boundGraphFromLayers } from './from-layers.js';
export { forwardBounds, backwardBounds, crownValueBounds, inputBox, concretizeInput, concretizeInterval, disposeIntervals, defaultPropagation } from './propagate.js';
export type { InputBall, BallNorm, PropagationOptions, BackwardOptions } from './propagate.js';
export { marginSpec, ibpMarginLowerBounds, verifiedFromMargins } from './margins.js';
