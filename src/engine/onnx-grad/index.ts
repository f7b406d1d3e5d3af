/**
 * Reverse-mode autodiff over the ONNX IR: backward ONNX graphs (forward + loss head + backward in one model)
 * that ONNX Runtime executes; one backward rule per op type in a registry filled in `builtin.ts`.
 */
export { buildBackwardGraph, backwardSupport, backwardNames } from './generate.js';
export type { BackwardGraph, BackwardGraphOptions, TrainableParameter } from './generate.js';
export { BackwardRegistry, BackwardUnsupported, defineBackwardRule, reduceToOperand } from './registry.js';
export type { BackwardRule, BackwardContext } from './registry.js';
export { builtinBackwardRules } from './builtin.js';
export { probeShapes } from './shapes.js';
export type { ProbeResult, ValueFacts } from './shapes.js';
